/**
 * Booking races: many keep-alive connections POST bookings (autocannon, one request in flight per
 * connection, a per-request body and X-Request-ID built in `setupRequest`) and we count what the
 * provider answers. The store is checked afterwards, directly.
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import type { NewSlot } from '../src/capacity/catalogue.js';
import type { Store } from '../src/store/store.js';
import { SCOPE, token } from '../test/helpers/consumer.js';
import { bookingFor } from '../test/helpers/provider.js';
import { cpuMeter, shuffled, waitForQuiet, type CpuShare } from './lib.js';

export interface RaceTarget {
  /** `http://127.0.0.1:PORT` of one provider process. */
  origin: string;
  /** The tenant's service root as that process names it (the JWT `aud`). */
  root: string;
  connections: number;
}

/**
 * - `walk`: the race. Every client walks all the slots in its own random order and POSTs
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

/** A booking body per slot, as text with a hole for a fresh referral document UUID per request. */
function bodyTemplates(slots: NewSlot[]): [string, string][] {
  return slots.map((slot) => {
    const body = bookingFor(slot);
    const documentId = body.contained.find((r: any) => r.resourceType === 'DocumentReference').identifier[0]
      .value as string;
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
      const authorization = `Bearer ${token({ aud: target.root, scope: SCOPE.write })}`;
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
