/**
 * `POST [root]/Appointment` — book an appointment (P24–P29, BOOK-1 … BOOK-5, API-9).
 *
 * One request books: the body is validated, the named slot found and checked against the
 * appointment, and then one transaction claims the retry key, takes the slot if it is still
 * free and stores the appointment with its provenance.
 */
import { randomUUID } from 'node:crypto';
import type { Patient, Resource, Slot } from 'fhir/r3.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NHS_NUMBER_SYSTEM } from '../../fhir/nhs-number.js';
import { slotNoLongerAvailable, unprocessable } from '../../fhir/outcome.js';
import { parseInstant, toUtcText } from '../../fhir/time.js';
import type { Store } from '../../store/store.js';
import type { SlotRow } from '../../store/schema.js';
import { CLOCK_SKEW_SECONDS } from '../auth/jwt.js';
import { authorised, type AuthorisedContext } from '../http/context.js';
import { sendResource } from '../http/wire.js';
import { INTERACTIONS } from '../interactions.js';
import { UUID_SYSTEM, profileOf } from '../../diary/representation.js';
import { readBooking, type Booking } from './booking-rules.js';
import { ReleaseView } from '../../diary/release.js';
import {
  appointmentResource,
  commitBooking,
  findBookingRequest,
  findSlotByIdentifier,
  readVersion,
} from '../../diary/appointments.js';

/** BOOK-3: the identifier system of patients booked without an NHS number. */
export const localPatientSystem = (serviceRoot: string) => `${serviceRoot}/Id/local-patient-identifier`;

/** docs/decisions.md: the contained Slot names the slot by identifier, else by id; schedule and start must agree. */
async function slotNamedBy(store: Store, ctx: AuthorisedContext, booking: Booking): Promise<SlotRow> {
  const tenantId = ctx.tenant.id;
  const contained = booking.slot;
  const identifier =
    contained.identifier?.find((i) => i.system === UUID_SYSTEM)?.value ?? contained.identifier?.[0]?.value;
  const slot = await findSlotByIdentifier(store, tenantId, identifier, contained.id);
  const named = identifier ? `identifier ${identifier}` : `id ${contained.id}`;
  if (!slot)
    throw unprocessable(`The slot with ${named} does not exist at this service`, 'REFERENCE_NOT_FOUND', [
      'Appointment.slot',
    ]);

  // Relative to this service root, or absolute under it: another tenant's (or server's) URL that merely
  // ends the same way names another schedule.
  const reference = contained.schedule?.reference ?? '';
  const schedule = `Schedule/${slot.schedule_id}`;
  if (reference !== schedule && reference !== `${ctx.serviceRoot}/${schedule}`) {
    throw unprocessable(
      `The contained Slot's schedule "${reference}" does not match slot ${slot.id}'s schedule ${schedule} ` +
        `(a reference is relative, or starts with this service root ${ctx.serviceRoot})`,
      'INVALID_RESOURCE',
      ['Slot.schedule'],
    );
  }
  if (parseInstant(contained.start) !== Date.parse(slot.start)) {
    throw unprocessable(
      `The contained Slot's start ${contained.start} does not match slot ${slot.id}, which starts ${slot.start}`,
      'INVALID_RESOURCE',
      ['Slot.start'],
    );
  }
  return slot;
}

function checkPeriod(booking: Booking, slot: SlotRow, now: number): void {
  if (booking.start < Date.parse(slot.start) || booking.end > Date.parse(slot.end)) {
    throw unprocessable(
      `The appointment ${toUtcText(booking.start)}–${toUtcText(booking.end)} ` +
        `does not lie within slot ${slot.id} (${slot.start}–${slot.end})`,
      'INVALID_RESOURCE',
      ['Appointment.start', 'Appointment.end'],
    );
  }
  if (booking.start < now - CLOCK_SKEW_SECONDS * 1000) {
    throw unprocessable(`The appointment starts in the past (${toUtcText(booking.start)})`, 'INVALID_RESOURCE', [
      'Appointment.start',
    ]);
  }
}

/** The Appointment as stored: our id and version, UTC times, our booking time, defaults filled. */
function storedAppointment(booking: Booking, ctx: AuthorisedContext, now: string, localId?: string) {
  // readBooking's appointment is already our own copy (the structure check builds a new object).
  const appointment = booking.appointment;
  const id = randomUUID();
  for (const r of (appointment.contained ?? []) as (Slot | Patient | Resource)[]) {
    if (r.resourceType === 'Slot' && 'start' in r) {
      r.status = 'busy';
      r.start = toUtcText(parseInstant(r.start) as number);
      r.end = parseInstant(r.end) === undefined ? r.end : toUtcText(parseInstant(r.end) as number);
    }
    if (r.resourceType === 'Patient' && localId) {
      const patient = r as Patient;
      patient.identifier = [{ use: 'usual', system: localPatientSystem(ctx.serviceRoot), value: localId }];
    }
  }
  const { resourceType: _type, id: _consumerId, meta: _meta, ...rest } = appointment;
  const stored = {
    resourceType: 'Appointment' as const,
    id,
    meta: { versionId: '1', lastUpdated: now, profile: [profileOf('Appointment')] },
    ...rest,
    start: toUtcText(booking.start),
    end: toUtcText(booking.end),
    created: now, // docs/decisions.md: the provider's own booking time
  };
  return stored as typeof stored & { id: string; meta: { versionId: string; lastUpdated: string } };
}

async function replayEarlierBooking(
  store: Store,
  request: FastifyRequest,
  reply: FastifyReply,
  appointmentId: string,
  versionId: number,
) {
  const ctx = authorised(request.ctx);
  const row = await readVersion(store, ctx.tenant.id, appointmentId, versionId);
  if (!row) throw new Error(`booking_request names missing appointment ${appointmentId}`);
  const appointment = appointmentResource(row);
  ctx.audit = {
    ...ctx.audit,
    resourceType: 'Appointment',
    resourceId: appointmentId,
    versionId: String(versionId),
    diagnostics: 'retry of an earlier booking: nothing booked',
  };
  return sendResource(request, reply, appointment, {
    status: 200,
    versionId: String(versionId),
    lastUpdated: row.last_updated,
    location: `${ctx.serviceRoot}/Appointment/${appointmentId}/_history/${versionId}`,
  });
}

export function registerBook(app: FastifyInstance, store: Store) {
  app.post('/STU3/1/:tenant/Appointment', { config: { interaction: INTERACTIONS.book } }, async (request, reply) => {
    const ctx = authorised(request.ctx);
    const tenantId = ctx.tenant.id;
    const ods = ctx.identity.organisation.ods;

    // BOOK-5: a retry of a booking that already succeeded returns that booking.
    const earlier = async () =>
      ctx.correlationId ? findBookingRequest(store, tenantId, ods, ctx.correlationId) : undefined;
    const first = await earlier();
    if (first) return replayEarlierBooking(store, request, reply, first.appointment_id, first.version_id);

    const booking = readBooking(request.body);
    const slot = await slotNamedBy(store, ctx, booking);
    const now = Date.now();
    checkPeriod(booking, slot, now);
    // An early answer for a slot already taken saves a transaction; the conditional write in
    // commitBooking is what decides when two requests race.
    if (slot.status !== 'free') {
      // A twin of this request (same X-Request-ID, sent again at once) may have taken the slot since
      // the first look: then this is a retry, answered with that booking, not "no longer available".
      const twin = await earlier();
      if (twin) return replayEarlierBooking(store, request, reply, twin.appointment_id, twin.version_id);
      throw slotNoLongerAvailable();
    }
    // A slot this consumer may not see cannot be booked either; answered as taken, revealing nothing.
    const release = await ReleaseView.load(store.db, tenantId, ods);
    if (release.restricted && !release.decide(slot, ods, now).visible) throw slotNoLongerAvailable();

    const localId = booking.nhsNumber ? undefined : randomUUID();
    const appointment = storedAppointment(booking, ctx, new Date(now).toISOString(), localId);
    const patientIdentifier = booking.nhsNumber
      ? `${NHS_NUMBER_SYSTEM}|${booking.nhsNumber}`
      : `${localPatientSystem(ctx.serviceRoot)}|${localId}`;

    const result = await commitBooking(store, {
      tenantId,
      slot,
      appointment,
      patientIdentifier,
      documentId: booking.documentId,
      provenance: {
        identity: ctx.identity,
        interaction: ctx.interaction.name,
        requestId: ctx.requestId,
        correlationId: ctx.correlationId,
      },
      caps: release.restricted ? release.capsFor(slot) : undefined,
    });
    if (result.kind === 'slot-taken') throw slotNoLongerAvailable();
    if (result.kind === 'duplicate')
      return replayEarlierBooking(store, request, reply, result.appointmentId, result.versionId);

    ctx.audit = { ...ctx.audit, resourceType: 'Appointment', resourceId: appointment.id, versionId: '1' };
    return sendResource(request, reply, appointment, {
      status: 201,
      versionId: '1',
      lastUpdated: appointment.meta.lastUpdated,
      location: `${ctx.serviceRoot}/Appointment/${appointment.id}/_history/1`,
    });
  });
}
