/**
 * Appointment storage: the current version in `appointment`, every version in
 * `appointment_version` (append-only), the slot link, booking retries and referral documents.
 * A booking and a cancel are each one transaction whose slot change is a conditional write.
 */
import type { Appointment } from 'fhir/r3.js';
import type { Transaction } from 'kysely';
import type { AppointmentRow, Database, SlotRow } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { ConsumerIdentity } from '../auth/jwt.js';
import { profileOf } from '../resources/representation.js';

export function appointmentResource(row: { id: string; version_id: number; last_updated: string; content: string }): Appointment {
  const content = JSON.parse(row.content) as Omit<Appointment, 'resourceType'>;
  return {
    resourceType: 'Appointment',
    id: row.id,
    meta: { versionId: String(row.version_id), lastUpdated: row.last_updated, profile: [profileOf('Appointment')] },
    ...content,
  };
}

/** The resource without id and meta, as stored. */
export function contentOf(appointment: Appointment): string {
  const { resourceType: _t, id: _i, meta: _m, ...rest } = appointment;
  return JSON.stringify(rest);
}

/** Who made a write, and through which request (fs_authentication, Provenance). */
export interface WriteProvenance {
  identity: ConsumerIdentity;
  interaction: string;
  requestId: string;
  correlationId?: string;
}

function provenanceColumns(p: WriteProvenance) {
  const { identity } = p;
  return {
    interaction: p.interaction,
    request_id: p.requestId,
    correlation_id: p.correlationId ?? null,
    author_id: identity.practitioner?.id ?? identity.subject,
    author_name: identity.practitioner?.name ?? null,
    author_role: identity.practitioner?.sdsRoleProfileId ?? null,
    entered_by: `${identity.device.model} ${identity.device.version} (${identity.device.system}|${identity.device.value})`,
    organisation_ods: identity.organisation.ods,
    organisation_name: identity.organisation.name,
    device: identity.device.value,
  };
}

export async function findSlotByIdentifier(store: Store, tenantId: string, identifier?: string, id?: string) {
  if (identifier) {
    const row = await store.db
      .selectFrom('slot')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('identifier', '=', identifier)
      .executeTakeFirst();
    if (row) return row;
  }
  if (id) {
    return store.db.selectFrom('slot').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  }
  return undefined;
}

export async function readCurrent(store: Store, tenantId: string, id: string): Promise<AppointmentRow | undefined> {
  return store.db.selectFrom('appointment').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function readVersion(store: Store, tenantId: string, id: string, versionId: number) {
  return store.db
    .selectFrom('appointment_version')
    .select(['id', 'version_id', 'last_updated', 'content'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version_id', '=', versionId)
    .executeTakeFirst();
}

/** API-9: the booking an earlier request with this X-Request-ID from this consumer made. */
export async function findBookingRequest(store: Store, tenantId: string, consumerOds: string, requestId: string) {
  return store.db
    .selectFrom('booking_request')
    .select(['appointment_id', 'version_id'])
    .where('tenant_id', '=', tenantId)
    .where('consumer_ods', '=', consumerOds)
    .where('request_id', '=', requestId)
    .executeTakeFirst();
}

export interface NewBooking {
  tenantId: string;
  slot: SlotRow;
  appointment: Appointment & { id: string; meta: { versionId: string; lastUpdated: string } };
  patientIdentifier: string;
  documentId: string;
  provenance: WriteProvenance;
}

export type BookingResult =
  | { kind: 'booked' }
  | { kind: 'slot-taken' }
  | { kind: 'duplicate'; appointmentId: string; versionId: number };

/** Thrown inside a transaction to roll it back with a result; no stack trace is needed. */
class Rollback extends Error {
  constructor(readonly result: BookingResult) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(result.kind);
    Error.stackTraceLimit = limit;
  }
}

async function linkDocument(trx: Transaction<Database>, b: NewBooking, now: string) {
  const updated = await trx
    .updateTable('referral_document')
    .set({ appointment_id: b.appointment.id, linked_at: now, decoupled_at: null })
    .where('tenant_id', '=', b.tenantId)
    .where('document_id', '=', b.documentId)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) {
    await trx
      .insertInto('referral_document')
      .values({
        tenant_id: b.tenantId,
        document_id: b.documentId,
        appointment_id: b.appointment.id,
        linked_at: now,
        decoupled_at: null,
        received_at: null,
        content_type: null,
        body: null,
        consumer_ods: b.provenance.identity.organisation.ods,
      })
      .execute();
  }
}

/**
 * P24/P25: books the slot and records the appointment in one transaction. The slot is taken by a
 * conditional update (`status = 'free'`), so of any number of concurrent requests, on any number of
 * API processes, exactly one wins. A retry's X-Request-ID is claimed first, in the same transaction.
 */
export async function commitBooking(store: Store, b: NewBooking): Promise<BookingResult> {
  const now = b.appointment.meta.lastUpdated;
  const ods = b.provenance.identity.organisation.ods;
  try {
    await store.transaction(async (trx) => {
      const requestId = b.provenance.correlationId;
      if (requestId) {
        const claimed = await trx
          .insertInto('booking_request')
          .values({
            tenant_id: b.tenantId,
            consumer_ods: ods,
            request_id: requestId,
            appointment_id: b.appointment.id,
            version_id: 1,
            created_at: now,
          })
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) {
          const earlier = await trx
            .selectFrom('booking_request')
            .select(['appointment_id', 'version_id'])
            .where('tenant_id', '=', b.tenantId)
            .where('consumer_ods', '=', ods)
            .where('request_id', '=', requestId)
            .executeTakeFirstOrThrow();
          throw new Rollback({ kind: 'duplicate', appointmentId: earlier.appointment_id, versionId: earlier.version_id });
        }
      }
      const taken = await trx
        .updateTable('slot')
        .set((eb) => ({
          status: 'busy',
          appointment_id: b.appointment.id,
          version_id: eb('version_id', '+', 1),
          last_updated: now,
        }))
        .where('tenant_id', '=', b.tenantId)
        .where('id', '=', b.slot.id)
        .where('status', '=', 'free')
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) !== 1) throw new Rollback({ kind: 'slot-taken' });

      const content = contentOf(b.appointment);
      await trx
        .insertInto('appointment')
        .values({
          tenant_id: b.tenantId,
          id: b.appointment.id,
          version_id: 1,
          status: b.appointment.status,
          slot_id: b.slot.id,
          start: b.appointment.start as string,
          end: b.appointment.end as string,
          created: b.appointment.created as string,
          patient_identifier: b.patientIdentifier,
          consumer_ods: ods,
          document_id: b.documentId,
          last_updated: now,
          content,
        })
        .execute();
      await trx
        .insertInto('appointment_version')
        .values({
          tenant_id: b.tenantId,
          id: b.appointment.id,
          version_id: 1,
          status: b.appointment.status,
          last_updated: now,
          content,
          ...provenanceColumns(b.provenance),
        })
        .execute();
      await linkDocument(trx, b, now);
      await store.announceSlotChange(trx, b.tenantId);
    });
  } catch (err) {
    if (err instanceof Rollback) return err.result;
    throw err;
  }
  store.slotChanges.bump(b.tenantId);
  return { kind: 'booked' };
}

export interface Cancellation {
  tenantId: string;
  current: AppointmentRow;
  cancelled: Appointment & { id: string; meta: { versionId: string; lastUpdated: string } };
  provenance: WriteProvenance;
}

/**
 * P31: stores the cancelled version and frees the slot, in one transaction. The update is
 * conditional on the version the consumer read, so two racing cancels cannot both win.
 */
export async function commitCancellation(store: Store, c: Cancellation): Promise<'cancelled' | 'stale'> {
  const now = c.cancelled.meta.lastUpdated;
  const versionId = Number(c.cancelled.meta.versionId);
  try {
    await store.transaction(async (trx) => {
      const content = contentOf(c.cancelled);
      const updated = await trx
        .updateTable('appointment')
        .set({ version_id: versionId, status: c.cancelled.status, last_updated: now, content })
        .where('tenant_id', '=', c.tenantId)
        .where('id', '=', c.current.id)
        .where('version_id', '=', c.current.version_id)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new Rollback({ kind: 'slot-taken' });
      await trx
        .insertInto('appointment_version')
        .values({
          tenant_id: c.tenantId,
          id: c.current.id,
          version_id: versionId,
          status: c.cancelled.status,
          last_updated: now,
          content,
          ...provenanceColumns(c.provenance),
        })
        .execute();
      await trx
        .updateTable('slot')
        .set((eb) => ({ status: 'free', appointment_id: null, version_id: eb('version_id', '+', 1), last_updated: now }))
        .where('tenant_id', '=', c.tenantId)
        .where('id', '=', c.current.slot_id)
        .where('appointment_id', '=', c.current.id)
        .execute();
      // P31: the referral document is decoupled from a cancelled booking.
      await trx
        .updateTable('referral_document')
        .set({ decoupled_at: now })
        .where('tenant_id', '=', c.tenantId)
        .where('appointment_id', '=', c.current.id)
        .execute();
      await store.announceSlotChange(trx, c.tenantId);
    });
  } catch (err) {
    if (err instanceof Rollback) return 'stale';
    throw err;
  }
  store.slotChanges.bump(c.tenantId);
  return 'cancelled';
}

export interface AppointmentQuery {
  /** `system|value` candidates for the patient. */
  patientIdentifiers: string[];
  /** Only appointments starting in [from, to). */
  from?: string;
  to?: string;
  /** When no date window is given: appointments that have not ended by this time. */
  endsAfter?: string;
  statuses?: string[];
}

export async function searchAppointments(store: Store, tenantId: string, q: AppointmentQuery): Promise<AppointmentRow[]> {
  if (q.patientIdentifiers.length === 0) return [];
  let query = store.db
    .selectFrom('appointment')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('patient_identifier', 'in', q.patientIdentifiers);
  if (q.from) query = query.where('start', '>=', q.from);
  if (q.to) query = query.where('start', '<', q.to);
  if (q.endsAfter) query = query.where('end', '>', q.endsAfter);
  if (q.statuses) query = query.where('status', 'in', q.statuses);
  return query.orderBy('start').orderBy('id').limit(1000).execute();
}
