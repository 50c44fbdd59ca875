/**
 * Appointment storage: the current version in `appointment`, every version in
 * `appointment_version` (append-only), the slot link, booking retries and referral documents.
 * A booking and a cancel are each one transaction whose slot change is a conditional write. The FHIR
 * API books, reads and cancels through it; the front desk (src/capacity/front-desk.ts) changes status.
 */
import type { Appointment } from 'fhir/r3.js';

import { prepared } from '../store/prepared.js';
import type { AppointmentRow, AppointmentVersionTable, SlotRow } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { Cap } from './release.js';
import { profileOf } from './representation.js';

export function appointmentResource(row: {
  id: string;
  version_id: number;
  last_updated: string;
  content: string;
}): Appointment {
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

/**
 * Who wrote a version, as its provenance records it: a consumer's JWT claims (src/provider/auth/jwt.ts
 * reads them) or, at the front desk, the provider's own staff.
 */
export interface Author {
  subject: string;
  organisation: { ods: string; name: string };
  device: { system: string; value: string; model: string; version: string };
  practitioner?: { id: string; name?: string; sdsRoleProfileId?: string };
}

/** Who made a write, and through which request (fs_authentication, Provenance). */
export interface WriteProvenance {
  identity: Author;
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

const slotByIdentifier = prepared((db, tenantId: string, identifier: string) =>
  db.selectFrom('slot').selectAll().where('tenant_id', '=', tenantId).where('identifier', '=', identifier),
);
const slotById = prepared((db, tenantId: string, id: string) =>
  db.selectFrom('slot').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id),
);

export async function findSlotByIdentifier(
  store: Store,
  tenantId: string,
  identifier?: string,
  id?: string,
): Promise<SlotRow | undefined> {
  if (identifier) {
    const { rows } = await slotByIdentifier(store.db, tenantId, identifier);
    if (rows[0]) return rows[0];
  }
  if (id) return (await slotById(store.db, tenantId, id)).rows[0];
  return undefined;
}

/** The current version's row joined with its content (stored once, in appointment_version). */
function currentWithContent(store: Store) {
  return store.db
    .selectFrom('appointment as a')
    .innerJoin('appointment_version as v', (j) =>
      j.onRef('v.tenant_id', '=', 'a.tenant_id').onRef('v.id', '=', 'a.id').onRef('v.version_id', '=', 'a.version_id'),
    )
    .selectAll('a')
    .select('v.content');
}
export type CurrentAppointment = AppointmentRow & { content: string };

export async function readCurrent(store: Store, tenantId: string, id: string): Promise<CurrentAppointment | undefined> {
  return currentWithContent(store).where('a.tenant_id', '=', tenantId).where('a.id', '=', id).executeTakeFirst();
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

const bookingRequest = prepared((db, tenantId: string, consumerOds: string, requestId: string) =>
  db
    .selectFrom('booking_request')
    .select(['appointment_id', 'version_id'])
    .where('tenant_id', '=', tenantId)
    .where('consumer_ods', '=', consumerOds)
    .where('request_id', '=', requestId),
);

/** API-9: the booking an earlier request with this X-Request-ID from this consumer made. */
export async function findBookingRequest(store: Store, tenantId: string, consumerOds: string, requestId: string) {
  return (await bookingRequest(store.db, tenantId, consumerOds, requestId)).rows[0];
}

export interface NewBooking {
  tenantId: string;
  slot: SlotRow;
  appointment: Appointment & { id: string; meta: { versionId: string; lastUpdated: string } };
  patientIdentifier: string;
  documentId: string;
  provenance: WriteProvenance;
  /** A release rule's caps (its day, its session): at most `limit` booked slots on the slot's schedule in [from, to). */
  caps?: Cap[];
}

export type BookingResult =
  { kind: 'booked' } | { kind: 'slot-taken' } | { kind: 'duplicate'; appointmentId: string; versionId: number };

/** Thrown inside a transaction to roll it back with a result; no stack trace is needed. */
class Rollback extends Error {
  constructor(readonly result: BookingResult) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(result.kind);
    Error.stackTraceLimit = limit;
  }
}

const claimRequest = prepared(
  (db, tenantId: string, ods: string, requestId: string, appointmentId: string, createdAt: string) =>
    db
      .insertInto('booking_request')
      .values({
        tenant_id: tenantId,
        consumer_ods: ods,
        request_id: requestId,
        appointment_id: appointmentId,
        version_id: 1,
        created_at: createdAt,
      })
      .onConflict((oc) => oc.doNothing()),
);

const takeSlot = prepared((db, appointmentId: string, now: string, tenantId: string, slotId: string) =>
  db
    .updateTable('slot')
    .set((eb) => ({
      status: 'busy',
      appointment_id: appointmentId,
      version_id: eb('version_id', '+', 1),
      last_updated: now,
    }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', slotId)
    .where('status', '=', 'free'),
);

const insertAppointment = prepared(
  (
    db,
    tenantId: string,
    id: string,
    status: string,
    slotId: string,
    start: string,
    end: string,
    created: string,
    patient: string,
    ods: string,
    documentId: string,
    lastUpdated: string,
  ) =>
    db.insertInto('appointment').values({
      tenant_id: tenantId,
      id,
      version_id: 1,
      status,
      slot_id: slotId,
      start,
      end,
      created,
      patient_identifier: patient,
      consumer_ods: ods,
      document_id: documentId,
      last_updated: lastUpdated,
    }),
);

type VersionRow = AppointmentVersionTable;
const VERSION_COLUMNS = [
  'tenant_id',
  'id',
  'version_id',
  'status',
  'last_updated',
  'content',
  'interaction',
  'request_id',
  'correlation_id',
  'author_id',
  'author_name',
  'author_role',
  'entered_by',
  'organisation_ods',
  'organisation_name',
  'device',
] as const satisfies readonly (keyof VersionRow)[];
const insertVersion = prepared((db, ...values: unknown[]) =>
  db
    .insertInto('appointment_version')
    .values(Object.fromEntries(VERSION_COLUMNS.map((c, i) => [c, values[i]])) as never),
);
function versionValues(row: VersionRow): unknown[] {
  return VERSION_COLUMNS.map((c) => row[c]);
}

/** BOOK-4: link the referral document (it may have arrived before the booking). */
const linkDocument = prepared(
  (
    db,
    tenantId: string,
    documentId: string,
    appointmentId: string,
    linkedAt: string,
    ods: string,
    relinkId: string,
    relinkAt: string,
  ) =>
    db
      .insertInto('referral_document')
      .values({
        tenant_id: tenantId,
        document_id: documentId,
        appointment_id: appointmentId,
        linked_at: linkedAt,
        decoupled_at: null,
        received_at: null,
        content_type: null,
        body: null,
        consumer_ods: ods,
      })
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'document_id'])
          .doUpdateSet({ appointment_id: relinkId, linked_at: relinkAt, decoupled_at: null }),
      ),
);

/**
 * P24/P25: books the slot and records the appointment in one transaction. The slot is taken by a
 * conditional update (`status = 'free'`), so of any number of concurrent requests, on any number of
 * API processes, exactly one wins. A retry's X-Request-ID is claimed first, in the same transaction.
 */
export async function commitBooking(store: Store, b: NewBooking): Promise<BookingResult> {
  const now = b.appointment.meta.lastUpdated;
  const ods = b.provenance.identity.organisation.ods;
  const id = b.appointment.id;
  try {
    await store.transaction(async (trx) => {
      const requestId = b.provenance.correlationId;
      if (requestId) {
        const claimed = await claimRequest(trx, b.tenantId, ods, requestId, id, now);
        if (Number(claimed.numAffectedRows ?? 0) === 0) {
          const earlier = (await bookingRequest(trx, b.tenantId, ods, requestId)).rows[0];
          throw new Rollback({
            kind: 'duplicate',
            appointmentId: earlier.appointment_id,
            versionId: earlier.version_id,
          });
        }
      }
      if (b.caps?.length && store.dialect === 'postgres') {
        // Bookings on a capped schedule queue on its row, so each counts the ones committed before it.
        await trx
          .selectFrom('schedule')
          .select('id')
          .where('tenant_id', '=', b.tenantId)
          .where('id', '=', b.slot.schedule_id)
          .forUpdate()
          .execute();
      }
      const taken = await takeSlot(trx, id, now, b.tenantId, b.slot.id);
      if (Number(taken.numAffectedRows ?? 0) !== 1) throw new Rollback({ kind: 'slot-taken' });
      for (const cap of b.caps ?? []) {
        const { n } = await trx
          .selectFrom('slot')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', b.tenantId)
          .where('schedule_id', '=', b.slot.schedule_id)
          .where('appointment_id', 'is not', null)
          .where('start', '>=', cap.from)
          .where('start', '<', cap.to)
          .executeTakeFirstOrThrow();
        if (Number(n) > cap.limit) throw new Rollback({ kind: 'slot-taken' });
      }

      const content = contentOf(b.appointment);
      const a = b.appointment;
      await insertAppointment(
        trx,
        b.tenantId,
        id,
        a.status,
        b.slot.id,
        a.start as string,
        a.end as string,
        a.created as string,
        b.patientIdentifier,
        ods,
        b.documentId,
        now,
      );
      await insertVersion(
        trx,
        ...versionValues({
          tenant_id: b.tenantId,
          id,
          version_id: 1,
          status: a.status,
          last_updated: now,
          content,
          ...provenanceColumns(b.provenance),
        }),
      );
      await linkDocument(trx, b.tenantId, b.documentId, id, now, ods, id, now);
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
  current: CurrentAppointment;
  cancelled: Appointment & { id: string; meta: { versionId: string; lastUpdated: string } };
  provenance: WriteProvenance;
}

/**
 * P31: stores the cancelled version and frees the slot, in one transaction. The update is
 * conditional on the version the consumer read, so two racing cancels cannot both win.
 */
export function commitCancellation(store: Store, c: Cancellation): Promise<'cancelled' | 'stale'> {
  return commitStatusChange(store, c, true).then((r) => (r === 'changed' ? 'cancelled' : 'stale'));
}

/**
 * Stores a new version with a changed status (cancelled, arrived, fulfilled, noshow), conditional on
 * the version read; a cancellation also frees the slot and decouples the referral document.
 */
export async function commitStatusChange(
  store: Store,
  c: Cancellation,
  freeSlot: boolean,
): Promise<'changed' | 'stale'> {
  const now = c.cancelled.meta.lastUpdated;
  const versionId = Number(c.cancelled.meta.versionId);
  try {
    await store.transaction(async (trx) => {
      const content = contentOf(c.cancelled);
      const updated = await trx
        .updateTable('appointment')
        .set({ version_id: versionId, status: c.cancelled.status, last_updated: now })
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
      if (freeSlot) {
        await trx
          .updateTable('slot')
          .set((eb) => ({
            status: 'free',
            appointment_id: null,
            version_id: eb('version_id', '+', 1),
            last_updated: now,
          }))
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
      }
      await store.announceSlotChange(trx, c.tenantId);
    });
  } catch (err) {
    if (err instanceof Rollback) return 'stale';
    throw err;
  }
  store.slotChanges.bump(c.tenantId);
  return 'changed';
}

export interface AppointmentQuery {
  /** `system|value` candidates for the patient. */
  patientIdentifiers: string[];
  /** Only appointments starting in [from, to). */
  from?: string;
  to?: string;
  /** `date=ne…`: each excludes a range; the start is `< before` or `>= notBefore` (a side left out cannot match). */
  excluded?: { before?: string; notBefore?: string }[];
  /** When no date window is given: appointments that have not ended by this time. */
  endsAfter?: string;
  statuses?: string[];
}

export async function searchAppointments(
  store: Store,
  tenantId: string,
  q: AppointmentQuery,
): Promise<CurrentAppointment[]> {
  if (q.patientIdentifiers.length === 0) return [];
  let query = currentWithContent(store)
    .where('a.tenant_id', '=', tenantId)
    .where('a.patient_identifier', 'in', q.patientIdentifiers);
  if (q.from) query = query.where('a.start', '>=', q.from);
  if (q.to) query = query.where('a.start', '<', q.to);
  for (const { before, notBefore } of q.excluded ?? []) {
    query = query.where((eb) =>
      eb.or([
        ...(before !== undefined ? [eb('a.start', '<', before)] : []),
        ...(notBefore !== undefined ? [eb('a.start', '>=', notBefore)] : []),
      ]),
    );
  }
  if (q.endsAfter) query = query.where('a.end', '>', q.endsAfter);
  if (q.statuses) query = query.where('a.status', 'in', q.statuses);
  return query.orderBy('a.start').orderBy('a.id').limit(1000).execute();
}
