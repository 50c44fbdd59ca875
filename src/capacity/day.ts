/** The rota manager's day: one-off extra slots, and the day at a glance per service and schedule. */
import { randomUUID } from 'node:crypto';
import type { Appointment, Patient } from 'fhir/r3.js';
import { NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import type { Kysely } from 'kysely';
import { badRequest, unprocessable } from '../fhir/outcome.js';
import { LOCAL_TIME_ZONE, isFhirDate, parseInstant, wallClockToUtc } from '../fhir/time.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { addSlots, LONGEST_SLOT_MS, type NewSlot } from './catalogue.js';
import { TRANSITIONS } from './front-desk.js';
import { checkInput } from './input.js';
import { DayQuery, ExtraSlotInput, type DayView } from './schemas.js';

/**
 * Squeezing someone in: a slot that may overlap others (each slot still carries at most one
 * booking). It is blocked (`busy-unavailable`) unless `release` is true, so consumers see it only
 * when the provider releases it, and then only as the schedule's release rule allows.
 */
export async function addExtraSlot(store: Store, tenantId: string, body: unknown): Promise<NewSlot> {
  const b = checkInput(ExtraSlotInput, body ?? {});
  const start = parseInstant(b.start);
  const end = parseInstant(b.end);
  if (start === undefined || end === undefined)
    throw badRequest('start and end must be instants with an offset', 'INVALID_PARAMETER', ['start', 'end']);
  if (end <= start) throw badRequest('end must be after start', 'INVALID_PARAMETER', ['end']);
  if (end - start > LONGEST_SLOT_MS)
    throw badRequest('an extra slot may last at most 24 hours', 'INVALID_PARAMETER', ['end']);
  if (start < Date.now()) throw badRequest('an extra slot must start in the future', 'INVALID_PARAMETER', ['start']);
  const schedule = await store.db
    .selectFrom('schedule')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', b.scheduleId)
    .executeTakeFirst();
  if (!schedule)
    throw unprocessable(`no schedule ${b.scheduleId} in ${tenantId}`, 'REFERENCE_NOT_FOUND', ['scheduleId']);
  const slot: NewSlot = {
    id: `extra.${randomUUID().slice(0, 18)}`,
    identifier: randomUUID(),
    scheduleId: b.scheduleId,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    status: b.release === true ? 'free' : 'busy-unavailable',
    deliveryChannel: b.deliveryChannel ?? null,
  };
  await addSlots(store, tenantId, [slot]);
  return slot;
}

/**
 * The booked patient's name and NHS number, for the provider's own staff (the admin API, behind the
 * admin token): from the appointment's current version, whose contained Patient the consumer sent.
 */
function patientOf(
  identifier: string | null,
  content: string | null,
): { patientName: string | null; nhsNumber: string | null } {
  const [system, value] = identifier?.split('|') ?? [];
  const nhsNumber = system === NHS_NUMBER_SYSTEM && value ? value : null;
  let patientName: string | null;
  try {
    const appointment = content ? (JSON.parse(content) as Appointment) : undefined;
    const patient = (appointment?.contained ?? []).find((r): r is Patient => r.resourceType === 'Patient');
    const name = patient?.name?.find((n) => n.use === 'official') ?? patient?.name?.[0];
    const text =
      name?.text ?? [...(name?.prefix ?? []), ...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
    patientName = text || null;
  } catch {
    patientName = null;
  }
  return { patientName, nhsNumber };
}

export async function dayView(db: Kysely<Database>, tenantId: string, date: string | undefined): Promise<DayView> {
  checkInput(DayQuery, { date }, 'query');
  const day = date ?? new Date().toLocaleDateString('en-CA', { timeZone: LOCAL_TIME_ZONE });
  // Date.parse reads 2026-02-31 as 3 March; a day that does not exist is the caller's mistake.
  if (!isFhirDate(day))
    throw badRequest(`date ${day} is not a day that exists (YYYY-MM-DD, a UK day)`, 'INVALID_PARAMETER', ['date']);
  const midnight = Date.parse(`${day}T00:00:00Z`);
  const from = new Date(wallClockToUtc(midnight)).toISOString();
  const to = new Date(wallClockToUtc(midnight + 86_400_000)).toISOString();
  const slots = await db
    .selectFrom('slot as s')
    .leftJoin('appointment as a', (j) =>
      j.onRef('a.tenant_id', '=', 's.tenant_id').onRef('a.id', '=', 's.appointment_id'),
    )
    .leftJoin('appointment_version as v', (j) =>
      j.onRef('v.tenant_id', '=', 'a.tenant_id').onRef('v.id', '=', 'a.id').onRef('v.version_id', '=', 'a.version_id'),
    )
    .select([
      's.id',
      's.schedule_id',
      's.start',
      's.end',
      's.status',
      'a.id as appointment_id',
      'a.status as appointment_status',
      'a.consumer_ods',
      'a.patient_identifier',
      'v.content as appointment_content',
    ])
    .where('s.tenant_id', '=', tenantId)
    .where('s.start', '>=', from)
    .where('s.start', '<', to)
    .orderBy('s.start')
    .execute();
  const mapping = await db
    .selectFrom('service_schedule')
    .select(['healthcare_service_id', 'schedule_id'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const primary = await db
    .selectFrom('schedule')
    .select(['id', 'healthcare_service_id'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const servicesOf = (scheduleId: string) => [
    ...new Set([
      ...primary.filter((p) => p.id === scheduleId).map((p) => p.healthcare_service_id),
      ...mapping.filter((m) => m.schedule_id === scheduleId).map((m) => m.healthcare_service_id),
    ]),
  ];
  const schedules = [...new Set(slots.map((s) => s.schedule_id))].map((scheduleId) => {
    const own = slots.filter((s) => s.schedule_id === scheduleId && s.status !== 'entered-in-error');
    // Every slot offered is exactly one of booked, free or blocked, so the counts add up.
    const booked = own.filter((s) => s.appointment_id || s.status === 'busy' || s.status === 'busy-tentative').length;
    const free = own.filter((s) => !s.appointment_id && s.status === 'free').length;
    return {
      scheduleId,
      services: servicesOf(scheduleId),
      offered: own.length,
      booked,
      free,
      blocked: own.length - booked - free,
      // `moves`: what the front desk may do next (the allowed transitions), so screens offer only those.
      // A joined appointment row has its id and status (both NOT NULL).
      bookings: own.flatMap((s) =>
        s.appointment_id && s.appointment_status
          ? [
              {
                slotId: s.id,
                start: s.start,
                appointmentId: s.appointment_id,
                status: s.appointment_status,
                bookedBy: s.consumer_ods,
                ...patientOf(s.patient_identifier, s.appointment_content),
                // Who the booking is for (above) also lets the front desk's "are you sure" page name them.
                moves: TRANSITIONS[s.appointment_status] ?? [],
              },
            ]
          : [],
      ),
    };
  });
  return { date: day, schedules };
}
