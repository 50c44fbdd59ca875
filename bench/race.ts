/**
 * Booking races (benchmarks 2 and 4): many keep-alive connections POST bookings (autocannon, one
 * request in flight per connection, a per-request body and X-Request-ID built in `setupRequest`)
 * and we count what the provider answers. The store is checked afterwards, directly. A round is a
 * warm-up, the race and an uncontended run on running servers; `raceTable` is its part of the results.
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import type { NewSlot } from '../src/capacity/catalogue.js';
import { buildAppointment } from '../src/consumer/booking.js';
import { NHS_NUMBER_SYSTEM, preparePatient } from '../src/consumer/patient.js';
import { SCOPES } from '../src/fhir/token.js';
import { openStore, type Store, type StoreOptions } from '../src/store/store.js';
import { seedRaceTenant } from './catalogue.js';
import {
  WARM_SECONDS,
  benchToken,
  cpuMeter,
  cpuText,
  fmt,
  log,
  median,
  runsText,
  shuffled,
  sleep,
  waitForQuiet,
  type CpuShare,
  type RunningServer,
} from './lib.js';

export interface RaceTarget {
  /** `http://127.0.0.1:PORT` of one provider process. */
  origin: string;
  /** The tenant's service root as that process names it (the JWT `aud`). */
  root: string;
  connections: number;
}

/**
 * - `walk`: the issue's race. Every client walks all the slots in its own random order and POSTs
 *   one booking per slot, learning only from its own answers; it stops when every slot is taken.
 * - `own-share`: no contention. Each client books its own share of the slots, so every POST
 *   should be a 201: what booking alone costs.
 */
export type RaceMode = 'walk' | 'own-share';

export interface RaceResult {
  created: number;
  refused: number;
  /** Answers other than 201 and 422, by status. */
  other: Record<string, number>;
  requests: number;
  /** From the first request to the last 201. */
  seconds: number;
  bookingsPerSecond: number;
  requestsPerSecond: number;
  cpu?: CpuShare;
}

/** The patient of every race booking: the standard's example patient. */
const PATIENT = preparePatient({
  resourceType: 'Patient',
  identifier: [{ system: NHS_NUMBER_SYSTEM, value: '1234554321' }],
  name: [{ use: 'official', family: 'Chalmers', given: ['Peter'], prefix: ['Mr'] }],
  telecom: [{ system: 'phone', value: '01234 567 890', use: 'home', rank: 1 }],
  gender: 'male',
  birthDate: '1974-12-25',
  address: [{ use: 'home', line: ['123 High Street', 'Leeds'], city: 'Leeds', postalCode: 'LS1 4HR' }],
});

/**
 * A booking body per slot, as the consumer makes it (src/consumer/booking.ts), as text with a hole
 * for a fresh referral document UUID per request.
 */
function bodyTemplates(slots: NewSlot[]): [string, string][] {
  const documentId = randomUUID();
  return slots.map((slot) => {
    const { id, identifier, scheduleId, start, end, status } = slot;
    const body = buildAppointment(
      { id, identifier, scheduleId, start, end, status },
      PATIENT,
      'Reason for calling',
      documentId,
    );
    const parts = JSON.stringify(body).split(documentId);
    if (parts.length !== 2) throw new Error('the referral document id should occur once in a booking body');
    return [parts[0], parts[1]];
  });
}

export async function race(
  targets: RaceTarget[],
  slots: NewSlot[],
  mode: RaceMode,
  pids: number[],
  maxSeconds?: number,
): Promise<RaceResult> {
  const templates = bodyTemplates(slots);
  const totalConnections = targets.reduce((n, t) => n + t.connections, 0);
  const perClient = mode === 'walk' ? slots.length : slots.length / totalConnections;
  if (!Number.isInteger(perClient))
    throw new Error(`${slots.length} slots cannot be shared evenly by ${totalConnections} clients`);

  let created = 0;
  let refused = 0;
  const other: Record<string, number> = {};
  let lastCreated = 0;
  let nextClient = 0;
  const instances: autocannon.Instance[] = [];
  const stopAll = () => instances.forEach((i) => i.stop());
  if (!maxSeconds) await waitForQuiet(pids);
  const stopMeter = cpuMeter(pids);
  const started = performance.now();
  const timer = maxSeconds ? setTimeout(stopAll, maxSeconds * 1000) : undefined;

  await Promise.all(
    targets.map((target) => {
      const authorization = `Bearer ${benchToken(target.root, SCOPES.appointmentWrite)}`;
      // One entry per request of a client's pass; autocannon keeps `context` for a whole pass, so
      // it holds the client's own order of slots.
      const requests = Array.from({ length: perClient }, (_, step) => ({
        method: 'POST' as const,
        setupRequest: (req: any, context: any) => {
          if (!context.order) {
            const client = nextClient++;
            context.order =
              mode === 'walk'
                ? shuffled(slots.map((_, i) => i))
                : Array.from({ length: perClient }, (_, i) => client + i * totalConnections);
          }
          const index = context.order[step] as number;
          const [before, after] = templates[index];
          return {
            ...req,
            method: 'POST',
            body: before + randomUUID() + after,
            headers: {
              'content-type': 'application/fhir+json',
              accept: 'application/fhir+json',
              authorization,
              'x-request-id': randomUUID(),
            },
          };
        },
        onResponse: (status: number) => {
          if (status === 201) {
            created++;
            lastCreated = performance.now();
            if (created === slots.length) stopAll();
          } else if (status === 422) refused++;
          else other[status] = (other[status] ?? 0) + 1;
        },
      }));
      const path = new URL(target.root).pathname;
      return new Promise<void>((resolve, reject) => {
        const instance = autocannon(
          {
            url: `${target.origin}${path}/Appointment`,
            connections: target.connections,
            amount: target.connections * perClient,
            timeout: 30,
            requests,
          } as unknown as autocannon.Options,
          (err) => (err ? reject(err) : resolve()),
        );
        instances.push(instance);
      });
    }),
  );
  if (timer) clearTimeout(timer);
  const cpu = stopMeter();
  const seconds = ((lastCreated || performance.now()) - started) / 1000;
  const requests = created + refused + Object.values(other).reduce((a, b) => a + b, 0);
  return {
    created,
    refused,
    other,
    requests,
    seconds,
    bookingsPerSecond: created / seconds,
    requestsPerSecond: requests / seconds,
    cpu,
  };
}

export interface StoreCheck {
  appointments: number;
  distinctSlots: number;
  busySlots: number;
  /** Busy slots whose appointment_id names an appointment of that very slot. */
  linkedSlots: number;
  /** Slots named by more than one appointment. */
  doubleBooked: number;
}

/** Counts what the store holds for the tenant: the proof that each slot was booked at most once. */
export async function checkStore(store: Store, tenant: string): Promise<StoreCheck> {
  const appointments = await store.db
    .selectFrom('appointment')
    .select(['id', 'slot_id'])
    .where('tenant_id', '=', tenant)
    .execute();
  const slots = await store.db
    .selectFrom('slot')
    .select(['id', 'status', 'appointment_id'])
    .where('tenant_id', '=', tenant)
    .execute();
  const perSlot = new Map<string, number>();
  for (const a of appointments) perSlot.set(a.slot_id, (perSlot.get(a.slot_id) ?? 0) + 1);
  const slotOf = new Map(appointments.map((a) => [a.id, a.slot_id]));
  return {
    appointments: appointments.length,
    distinctSlots: perSlot.size,
    busySlots: slots.filter((s) => s.status === 'busy').length,
    linkedSlots: slots.filter((s) => s.appointment_id && slotOf.get(s.appointment_id) === s.id).length,
    doubleBooked: [...perSlot.values()].filter((n) => n > 1).length,
  };
}

/** Exactly `n` booked: n 201s, n appointments on n distinct slots, n busy slots linked back, nothing else. */
export function exactly(n: number, r: RaceResult, c: StoreCheck): boolean {
  return (
    r.created === n &&
    Object.keys(r.other).length === 0 &&
    c.appointments === n &&
    c.distinctSlots === n &&
    c.busySlots === n &&
    c.linkedSlots === n &&
    c.doubleBooked === 0
  );
}

// ---------------------------------------------------------------------------------------------
// A round of races on running servers, and its table in the results

export interface RaceRun {
  race: RaceResult;
  check: StoreCheck;
  share: RaceResult;
  shareCheck: StoreCheck;
}

export const RACE = { tenant: 'race', schedules: 10, perSchedule: 100 }; // 1,000 slots
export const WARM = { tenant: 'warmup', schedules: 10, perSchedule: 300 };
export const SHARE = { tenant: 'share', schedules: 32, perSchedule: 128 }; // 4,096 = 64 × 64

export async function seedRaceStore(options: StoreOptions) {
  const store = await openStore(options);
  try {
    return {
      race: await seedRaceTenant(store, RACE.tenant, RACE.schedules, RACE.perSchedule),
      warm: await seedRaceTenant(store, WARM.tenant, WARM.schedules, WARM.perSchedule),
      share: await seedRaceTenant(store, SHARE.tenant, SHARE.schedules, SHARE.perSchedule),
    };
  } finally {
    await store.close();
  }
}

/** Warm-up, the race (measured), then the uncontended run (informational), on running servers. */
export async function raceRound(
  servers: RunningServer[],
  options: StoreOptions,
  slots: Awaited<ReturnType<typeof seedRaceStore>>,
): Promise<RaceRun> {
  const targets = (tenant: string): RaceTarget[] =>
    servers.map((s) => ({ origin: s.origin, root: s.roots[tenant], connections: 64 / servers.length }));
  const pids = servers.map((s) => s.child.pid!);
  log(
    `   warming up: the same race on tenant "${WARM.tenant}" (${fmt(slots.warm.length)} slots) for ${WARM_SECONDS} s …`,
  );
  const warm = await race(targets(WARM.tenant), slots.warm, 'walk', pids, WARM_SECONDS);
  log(
    `     ${fmt(warm.requests)} requests (${warm.created} booked, ${warm.refused} ` +
      `refused${Object.keys(warm.other).length ? `, other ${JSON.stringify(warm.other)}` : ''})`,
  );
  await sleep(500);
  log(`   racing: 64 clients for the ${fmt(slots.race.length)} slots of tenant "${RACE.tenant}" …`);
  const r = await race(targets(RACE.tenant), slots.race, 'walk', pids);
  log(
    `     ${fmt(r.bookingsPerSecond)} bookings/s over ${fmt(r.seconds, 2)} s; ${r.created} × 201, ` +
      `${r.refused} × 422${Object.keys(r.other).length ? `, other ${JSON.stringify(r.other)}` : ''}; ` +
      `${fmt(r.requestsPerSecond)} requests/s`,
  );
  await sleep(500);
  log(
    `   uncontended: 64 clients each booking their own ${slots.share.length / 64} of tenant ` +
      `"${SHARE.tenant}"'s ${fmt(slots.share.length)} slots …`,
  );
  const share = await race(targets(SHARE.tenant), slots.share, 'own-share', pids);
  log(
    `     ${fmt(share.bookingsPerSecond)} bookings/s; ${share.created} × 201, ${share.refused} × ` +
      `422${Object.keys(share.other).length ? `, other ${JSON.stringify(share.other)}` : ''}`,
  );
  for (const s of servers) await s.stop();
  const store = await openStore(options);
  try {
    const check = await checkStore(store, RACE.tenant);
    const shareCheck = await checkStore(store, SHARE.tenant);
    log(
      `     store: ${check.appointments} appointments on ${check.distinctSlots} slots, ` +
        `${check.busySlots} busy slots linked back ${check.linkedSlots}, ${check.doubleBooked} booked ` +
        `twice`,
    );
    return { race: r, check, share, shareCheck };
  } finally {
    await store.close();
  }
}

export function raceTable(runs: RaceRun[], postgres = false): string[] {
  const col = (f: (r: RaceRun) => number | string) => runs.map(f).join(' / ');
  const bps = runs.map((r) => r.race.bookingsPerSecond);
  const rps = runs.map((r) => r.race.requestsPerSecond);
  const share = runs.map((r) => r.share.bookingsPerSecond);
  const others = (r: RaceResult) => (Object.keys(r.other).length ? JSON.stringify(r.other) : '0');
  return [
    '| | median | runs |',
    '|---|---|---|',
    `| **bookings/s** (1,000 ÷ seconds from the first request to the 1,000th 201) | **${fmt(median(bps))}** | ${runsText(bps)} |`,
    `| seconds until all 1,000 were taken | ${fmt(median(runs.map((r) => r.race.seconds)), 2)} | ${runsText(
      runs.map((r) => r.race.seconds),
      2,
    )} |`,
    `| requests answered per second (201 + 422) | ${fmt(median(rps))} | ${runsText(rps)} |`,
    `| 201 Created | | ${col((r) => r.race.created)} |`,
    `| 422 Slot no longer available | | ${col((r) => r.race.refused)} |`,
    `| any other status | | ${col((r) => others(r.race))} |`,
    `| appointments in the store (on distinct slots) | | ${col((r) => `${r.check.appointments} (${r.check.distinctSlots})`)} |`,
    `| busy slots (linked back to their appointment) | | ${col((r) => `${r.check.busySlots} (${r.check.linkedSlots})`)} |`,
    `| slots with two or more appointments | | ${col((r) => r.check.doubleBooked)} |`,
    `| CPU in use during the race (average cores) | ${cpuText(
      runs.flatMap((r) => (r.race.cpu ? [r.race.cpu] : [])),
      postgres,
    )} | |`,
    `| *informational:* uncontended bookings/s (64 clients, each its own ${SHARE_PER_CLIENT} of ` +
      `${fmt(SHARE_SLOTS)} slots, every POST a 201) | ${fmt(median(share))} | ${runsText(share)} |`,
    `| *informational:* uncontended 201s | | ${col((r) => r.share.created)} |`,
    `| *informational:* uncontended appointments stored (slots booked twice) | | ` +
      `${col((r) => `${r.shareCheck.appointments} (${r.shareCheck.doubleBooked})`)} |`,
    `| *informational:* uncontended, any status other than 201 | | ` +
      `${col((r) => (r.share.refused ? `422 × ${r.share.refused}` : others(r.share)))} |`,
  ];
}

/** ", the provider using 1.02 cores, about 0.45 ms of CPU per request" */
export function serverCpuPerRequest(runs: RaceRun[]): string {
  const cpu = runs.flatMap((r) => (r.race.cpu ? [r.race.cpu.servers] : []));
  if (cpu.length === 0) return '';
  const cores = median(cpu);
  return (
    `, the provider process using ${fmt(cores, 2)} cores: about ` +
    `${fmt((1000 * cores) / median(runs.map((r) => r.race.requestsPerSecond)), 2)} ms of CPU per ` +
    `request`
  );
}

export const SHARE_SLOTS = SHARE.schedules * SHARE.perSchedule;
export const SHARE_PER_CLIENT = SHARE_SLOTS / 64;
export const RACE_METHOD =
  'Each of 64 keep-alive connections (autocannon, one request in flight per connection, body and ' +
  'headers built per request in `setupRequest`) walks all 1,000 free slots in its own random order ' +
  "and POSTs for each the consumer's own booking (`buildAppointment` in src/consumer/booking.ts: the shape of " +
  "the standard's booking example, with the slot, the example's patient and a fresh referral document UUID) " +
  "with a fresh X-Request-ID and the consumer's JWT with scope " +
  '`patient/appointment.write`; a client learns only from its own answers, so it keeps trying ' +
  'slots others already took. The run stops when the 1,000th 201 arrives. ' +
  (`Each run has a fresh store and fresh server process(es), warmed up with ${WARM_SECONDS} s of ` +
    `the same race on another tenant of ${fmt(WARM.schedules * WARM.perSchedule)} slots. Afterwards ` +
    `the servers are stopped and the store is read directly.`);
