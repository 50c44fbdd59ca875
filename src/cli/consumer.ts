/**
 * `slotbridge consumer find|slots|book|cancel|rebook|show`: a call handler's steps from the command
 * line, through the spine and the proxy only (src/consumer). The spine and the user's identity come
 * from --spine/--asid/--ods/--user or SLOTBRIDGE_SPINE/_ASID/_ODS/_USER, defaulting to the demo
 * network of `npm start`.
 */
import { readFileSync } from 'node:fs';
import type { Appointment } from 'fhir/r3.js';
import type { Consumer } from '../consumer/consumer.js';
import { DISPOSITIONS, describeMinutes } from '../consumer/dispositions.js';
import { ConsumerError } from '../consumer/errors.js';
import { DEMO_CONSUMER, consumerIdentity } from '../consumer/identity.js';
import type { SlotView } from '../consumer/slots.js';
import type { Store } from '../store/store.js';
import type { Command } from './command.js';
import { DEFAULT_SPINE_PORT } from './spine.js';
import { UsageError, instantOption, print, requireString, say, storeOptions, type Options } from './io.js';
import { NATIONAL_NOTE, nationalFrom, nationalLine, nationalOptions } from './national.js';
import { openStoreFrom } from './with-store.js';

const IDENTITY_NOTE =
  'each also takes --spine URL --asid ASID --ods CODE --user ID (or SLOTBRIDGE_SPINE, _ASID, _ODS, _USER), --data DIR and --json; ' +
  NATIONAL_NOTE;

const identityOptions = {
  ...nationalOptions,
  spine: { type: 'string' },
  asid: { type: 'string' },
  ods: { type: 'string' },
  user: { type: 'string' },
  ...storeOptions,
} as const;

const local = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', {
    timeZone: 'Europe/London',
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });

export function slotLine(s: SlotView): string {
  const minutes = Math.round((Date.parse(s.end) - Date.parse(s.start)) / 60_000);
  return [
    `${s.id}  ${local(s.start)} (${minutes} min)`,
    s.deliveryChannel ?? 'delivery channel not given',
    s.location?.name
      ? `${s.location.name}${s.location.address ? `, ${s.location.address}` : ''}`
      : 'location not given',
    s.practitioner?.name
      ? `${s.practitioner.name}${s.practitioner.gender ? ` (${s.practitioner.gender})` : ''}${s.role ? `, ${s.role}` : ''}`
      : (s.role ?? ''),
    s.organisation ?? '',
  ]
    .filter(Boolean)
    .join(' · ');
}

function appointmentLine(a: Appointment): string {
  return `${a.id}  ${a.status}  ${a.start ? local(a.start) : '?'}  ${a.description ?? ''}`.trimEnd();
}

async function withConsumer<T>(values: Options, fn: (consumer: Consumer, store: Store) => Promise<T>): Promise<T> {
  const spine =
    (values.spine as string | undefined) ?? process.env.SLOTBRIDGE_SPINE ?? `http://localhost:${DEFAULT_SPINE_PORT}`;
  const identity = consumerIdentity({
    asid: (values.asid as string | undefined) ?? process.env.SLOTBRIDGE_ASID ?? DEMO_CONSUMER.asid,
    odsCode: (values.ods as string | undefined) ?? process.env.SLOTBRIDGE_ODS,
    user: (values.user as string | undefined) ?? process.env.SLOTBRIDGE_USER,
  });
  const national = nationalFrom(values, process.env, spine);
  say(nationalLine(national));
  const [{ Consumer }, store] = await Promise.all([import('../consumer/consumer.js'), openStoreFrom(values)]);
  try {
    return await fn(new Consumer({ national, identity, db: store.db }), store);
  } finally {
    await store.close();
  }
}

function availabilityText(
  dx: string,
  a: { free: number; withinTimeFrame: number; earliestWithinTimeFrame?: string },
): string {
  const earliest = a.earliestWithinTimeFrame ? ` (earliest ${local(a.earliestWithinTimeFrame)})` : '';
  const later = a.free > a.withinTimeFrame ? `, ${a.free - a.withinTimeFrame} later` : '';
  return `takes bookings · ${a.withinTimeFrame} free slots within the ${dx} time frame${earliest}${later}`;
}

function disposition(values: Options, required: boolean): string | undefined {
  const d = values.disposition as string | undefined;
  if (!d) {
    if (required) throw new UsageError('--disposition is required (e.g. Dx05)');
    return undefined;
  }
  if (!DISPOSITIONS[d])
    throw new UsageError(
      `--disposition ${d} is not a known disposition (${Object.keys(DISPOSITIONS).slice(0, 6).join(', ')}, …)`,
    );
  return d;
}

async function findCommand(values: Options): Promise<number> {
  const dx = disposition(values, true)!;
  const postcode = requireString(values, 'postcode');
  const age = values.age === undefined ? undefined : Number(values.age);
  if (age !== undefined && !(Number.isInteger(age) && age >= 0 && age <= 130))
    throw new UsageError('--age must be a whole number of years');
  const found = await withConsumer(values, (c) => c.findServices({ disposition: dx, postcode, age }));
  print(
    values,
    { disposition: dx, postcode, services: found },
    found.length
      ? found.map((f) => {
          const s = f.service;
          const distance = s.distanceMiles === null ? '' : ` · ${s.distanceMiles} miles`;
          const booking = f.route.bookable
            ? f.availability && 'free' in f.availability
              ? availabilityText(dx, f.availability)
              : `takes bookings · slots unavailable: ${f.availability && 'error' in f.availability ? f.availability.error : '?'}`
            : `no booking: ${f.route.message}`;
          const open = s.openNow ? 'open now' : `closed${s.nextOpen ? `, opens ${local(s.nextOpen)}` : ''}`;
          return `${s.rank}. ${s.id}  ${s.name} (${s.type})${distance} · ${open}${f.bookingOnly ? ' · BOOKING ONLY' : ''}\n   ${booking}`;
        })
      : [`No services take ${dx} near ${postcode}.`],
  );
  return 0;
}

async function slotsCommand(values: Options): Promise<number> {
  const service = requireString(values, 'service');
  const from = values.from ? new Date(instantOption(values, 'from', '')) : undefined;
  const to = values.to ? new Date(instantOption(values, 'to', '')) : undefined;
  const result = await withConsumer(values, (c) =>
    c.slots(service, { from, to, disposition: disposition(values, false) }),
  );
  print(
    values,
    { service: result.service.id, serviceRoot: result.route.serviceRoot, slots: result.slots },
    result.slots.length
      ? [`${result.service.name}: ${result.slots.length} free slots`, ...result.slots.map(slotLine)]
      : [`${result.service.name} has no free slots in that time.`],
  );
  return 0;
}

async function bookCommand(values: Options): Promise<number> {
  const file = requireString(values, 'patient');
  let patient: unknown;
  try {
    patient = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--patient ${file}: ${(err as Error).message}`);
  }
  const booked = await withConsumer(values, (c) =>
    c.book({
      serviceId: requireString(values, 'service'),
      slotId: requireString(values, 'slot'),
      patient,
      reason: (values.reason as string | undefined) ?? 'Booked by NHS 111',
      disposition: disposition(values, false),
      approveBreach: Boolean(values['approve-breach']),
    }),
  );
  print(
    values,
    {
      appointmentUrl: booked.appointmentUrl,
      versionId: booked.versionId,
      documentId: booked.documentId,
      requestId: booked.requestId,
      breachMinutes: booked.breachMinutes,
      slot: booked.slot,
    },
    [
      booked.appointmentUrl,
      `version ${booked.versionId}`,
      `booked ${slotLine(booked.slot)} at ${booked.service.name}` +
        (booked.breachMinutes
          ? ` (${describeMinutes(booked.breachMinutes)} outside the time frame, with clinical approval)`
          : ''),
      `referral document ${booked.documentId} kept with the appointment's URL`,
    ],
  );
  return 0;
}

async function cancelCommand(values: Options): Promise<number> {
  const url = requireString(values, 'appointment');
  const cancelled = await withConsumer(values, (c) =>
    c.cancel(url, { serviceId: values.service as string | undefined }),
  );
  print(values, cancelled, [
    cancelled.alreadyCancelled ? `${url} was already cancelled` : `cancelled ${url} (version ${cancelled.versionId})`,
  ]);
  return 0;
}

async function rebookCommand(values: Options): Promise<number> {
  const url = requireString(values, 'appointment');
  const result = await withConsumer(values, (c) =>
    c.rebook(url, {
      slotId: requireString(values, 'slot'),
      serviceId: values.service as string | undefined,
      approveBreach: Boolean(values['approve-breach']),
    }),
  );
  print(
    values,
    {
      booked: {
        appointmentUrl: result.booked.appointmentUrl,
        versionId: result.booked.versionId,
        slot: result.booked.slot,
      },
      cancelled: result.cancelled,
    },
    [
      `booked: ${result.booked.appointmentUrl} (version ${result.booked.versionId}) ${slotLine(result.booked.slot)}`,
      'error' in result.cancelled
        ? `NOT cancelled: ${url}: ${result.cancelled.error}`
        : `cancelled: ${url} (version ${result.cancelled.versionId})`,
    ],
  );
  return 'error' in result.cancelled ? 1 : 0;
}

async function showCommand(values: Options): Promise<number> {
  const nhs = requireString(values, 'nhs-number').replace(/\s/g, '');
  const shown = await withConsumer(values, (c) => c.show(nhs, values.service as string | undefined));
  print(
    values,
    { nhsNumber: nhs, providers: shown },
    shown.flatMap((p) => [
      `${p.serviceRoot} (service ${p.serviceId}): ${p.appointments.length} appointments`,
      ...p.appointments.map((a) => `  ${appointmentLine(a)}`),
    ]),
  );
  return 0;
}

/** A refusal from the network (no route, slot taken, …): exit 1 with what the consumer learnt, and the next slots. */
function reportingRefusals(
  sub: string,
  run: (values: Options) => Promise<number>,
): (values: Options) => Promise<number> {
  return async (values) => {
    try {
      return await run(values);
    } catch (err) {
      if (err instanceof ConsumerError) {
        say(`slotbridge consumer ${sub}: ${err.message}`);
        const next = err.details.nextSlots as SlotView[] | undefined;
        if (next?.length) say(`next free slots:\n${next.map((s) => `  ${slotLine(s)}`).join('\n')}`);
        if (err.details.requestId) say(`(request ID ${String(err.details.requestId)})`);
        return 1;
      }
      throw err;
    }
  };
}

export const consumerCommands: Command[] = [
  {
    name: 'consumer find',
    usage: '--disposition DX --postcode PC [--age N]',
    summary: 'ranked services, whether each takes bookings, free slots within the time frame',
    note: IDENTITY_NOTE,
    options: {
      ...identityOptions,
      disposition: { type: 'string' },
      postcode: { type: 'string' },
      age: { type: 'string' },
    },
    run: reportingRefusals('find', findCommand),
  },
  {
    name: 'consumer slots',
    usage: '--service ID [--from ISO] [--to ISO]',
    summary: "the service's free slots (id, start, end, channel, location, practitioner)",
    note: IDENTITY_NOTE,
    options: {
      ...identityOptions,
      service: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      disposition: { type: 'string' },
    },
    run: reportingRefusals('slots', slotsCommand),
  },
  {
    name: 'consumer book',
    usage: '--service ID --slot SLOT_ID --patient FILE.json [--reason TEXT] [--disposition DX] [--approve-breach]',
    summary: "books through the proxy; prints the appointment's URL and version",
    note: IDENTITY_NOTE,
    options: {
      ...identityOptions,
      service: { type: 'string' },
      slot: { type: 'string' },
      patient: { type: 'string' },
      reason: { type: 'string' },
      disposition: { type: 'string' },
      'approve-breach': { type: 'boolean' },
    },
    run: reportingRefusals('book', bookCommand),
  },
  {
    name: 'consumer cancel',
    usage: '--appointment URL [--service ID]',
    summary: 'cancels the appointment',
    note: IDENTITY_NOTE,
    options: {
      ...identityOptions,
      appointment: { type: 'string' },
      service: { type: 'string' },
    },
    run: reportingRefusals('cancel', cancelCommand),
  },
  {
    name: 'consumer rebook',
    usage: '--appointment URL --slot SLOT_ID [--service ID]',
    summary: 'books the new slot, then cancels the old; prints both outcomes',
    note: IDENTITY_NOTE,
    options: {
      ...identityOptions,
      appointment: { type: 'string' },
      slot: { type: 'string' },
      service: { type: 'string' },
      'approve-breach': { type: 'boolean' },
    },
    run: reportingRefusals('rebook', rebookCommand),
  },
  {
    name: 'consumer show',
    usage: '--nhs-number N [--service ID]',
    summary: "the patient's appointments, with status",
    note: IDENTITY_NOTE,
    options: {
      ...identityOptions,
      'nhs-number': { type: 'string' },
      service: { type: 'string' },
    },
    run: reportingRefusals('show', showCommand),
  },
];
