/**
 * Running the day: the provider's front desk marks an appointment arrived, fulfilled or noshow, or
 * cancels it on the patient's behalf (which frees the slot). Each change is a new Appointment
 * version, so a consumer reading or searching the patient's appointments sees the real status
 * (ABUS.20). Only these moves are allowed:
 *   booked  → arrived | noshow | cancelled
 *   arrived → fulfilled
 * and these corrections of a status set by mistake (docs/capacity.md, "Correcting a mistaken status"):
 *   arrived   → booked            (marked arrived, but the patient is not here)
 *   noshow    → booked | arrived  (marked a no-show too early, or the patient came late)
 *   fulfilled → arrived           (marked fulfilled, but the patient is still waiting to be seen)
 * A cancellation is final: it freed the slot, which another patient may now hold, and the consumer
 * that booked has been told (P31); the patient is booked again instead.
 */
import type { Appointment } from 'fhir/r3.js';
import { notFound, unprocessable, versionConflict } from '../fhir/outcome.js';
import type { Store } from '../store/store.js';
import { appointmentResource, commitStatusChange, readCurrent, type Author } from '../diary/appointments.js';
import { profileOf } from '../diary/representation.js';
import { checkInput } from './input.js';
import { AppointmentStatusBody } from './schemas.js';

export const TRANSITIONS: Record<string, string[]> = {
  booked: ['arrived', 'noshow', 'cancelled'],
  arrived: ['fulfilled', 'booked'],
  noshow: ['booked', 'arrived'],
  fulfilled: ['arrived'],
};

/** The provider's own staff, as the author of a version (there is no consumer JWT here). */
function staffAuthor(tenant: { ods_code: string; name: string }, actor: string): Author {
  return {
    subject: actor,
    organisation: { ods: tenant.ods_code, name: tenant.name },
    device: {
      system: 'https://slotbridge.dev/Id/device',
      value: 'slotbridge-admin',
      model: 'Slotbridge admin',
      version: '1',
    },
    practitioner: { id: actor, name: actor },
  };
}

export async function setAppointmentStatus(
  store: Store,
  tenantId: string,
  id: string,
  input: unknown,
  actor: string,
  requestId: string,
) {
  const { status } = checkInput(AppointmentStatusBody, { status: input });
  const tenant = await store.db
    .selectFrom('tenant')
    .select(['id', 'ods_code', 'name'])
    .where('id', '=', tenantId)
    .executeTakeFirst();
  const current = tenant && (await readCurrent(store, tenantId, id));
  if (!tenant || !current) throw notFound(`Appointment ${id} is not known at ${tenantId}`);
  const allowed = TRANSITIONS[current.status] ?? [];
  if (!allowed.includes(status)) {
    const can = allowed.length ? `become ${allowed.join(' or ')}` : 'no longer change';
    throw unprocessable(`Appointment ${id} is ${current.status}: it can ${can}, not ${status}`, 'INVALID_RESOURCE', [
      'Appointment.status',
    ]);
  }
  const stored = appointmentResource(current);
  const now = new Date().toISOString();
  const next = {
    ...stored,
    meta: { versionId: String(current.version_id + 1), lastUpdated: now, profile: [profileOf('Appointment')] },
    status,
  } as Appointment & { id: string; meta: { versionId: string; lastUpdated: string } };
  const result = await commitStatusChange(
    store,
    {
      tenantId,
      current,
      cancelled: next,
      provenance: { identity: staffAuthor(tenant, actor), interaction: `front-desk-${status}`, requestId },
    },
    status === 'cancelled',
  );
  if (result === 'stale') throw versionConflict(`Appointment ${id} changed meanwhile: read it again and retry`);
  return { id, before: current.status, status, versionId: next.meta.versionId };
}
