/**
 * What a whole store looks like, whatever happened to the requests that wrote it (random input,
 * races, a process killed mid-write). Used by the robustness tests (property.test.ts, crash.test.ts).
 */
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

/** Only the records of these slots and requests (and the appointments they name), for a cheap check after each request. */
export interface Scope {
  tenantId: string;
  slotIds: string[];
  /** X-Request-IDs whose booking_request rows must also be whole. */
  requestIds?: string[];
}

/**
 * No half-written record: every appointment has exactly one version row per version 1..version_id
 * (the current one agreeing on status), a booked one holds its slot (busy, naming it) and a cancelled
 * one does not; no slot has two booked appointments or names a missing or unbooked one; every
 * booking_request names an existing appointment of the same consumer whose first version that
 * request made; every linked referral document names an existing appointment.
 * With a scope, only the records of those slots and requests are read and checked.
 */
export async function assertStoreWhole(db: Kysely<Database>, what: string, scope?: Scope): Promise<void> {
  const rows = scope ? await scopedRows(db, scope) : await allRows(db);
  check(rows, what, scope !== undefined);
}

async function allRows(db: Kysely<Database>) {
  const [appointments, versions, slots, requests, documents] = await Promise.all([
    db
      .selectFrom('appointment')
      .select(['tenant_id', 'id', 'version_id', 'status', 'slot_id', 'consumer_ods'])
      .execute(),
    db
      .selectFrom('appointment_version')
      .select(['tenant_id', 'id', 'version_id', 'status', 'correlation_id'])
      .execute(),
    db.selectFrom('slot').select(['tenant_id', 'id', 'status', 'appointment_id']).execute(),
    db.selectFrom('booking_request').select(['tenant_id', 'consumer_ods', 'request_id', 'appointment_id']).execute(),
    db.selectFrom('referral_document').select(['tenant_id', 'document_id', 'appointment_id']).execute(),
  ]);
  return { appointments, versions, slots, requests, documents };
}

async function scopedRows(db: Kysely<Database>, scope: Scope) {
  const t = scope.tenantId;
  const none = ['~no such id~']; // keeps every IN list non-empty
  const slots = await db
    .selectFrom('slot')
    .select(['tenant_id', 'id', 'status', 'appointment_id'])
    .where('tenant_id', '=', t)
    .where('id', 'in', scope.slotIds.length ? scope.slotIds : none)
    .execute();
  const requestIds = scope.requestIds?.length ? scope.requestIds : none;
  const named = await db
    .selectFrom('booking_request')
    .select('appointment_id')
    .where('tenant_id', '=', t)
    .where('request_id', 'in', requestIds)
    .execute();
  const appointments = await db
    .selectFrom('appointment')
    .select(['tenant_id', 'id', 'version_id', 'status', 'slot_id', 'consumer_ods'])
    .where('tenant_id', '=', t)
    .where((eb) =>
      eb.or([
        eb('slot_id', 'in', scope.slotIds.length ? scope.slotIds : none),
        eb('id', 'in', [
          ...none,
          ...slots.flatMap((s) => (s.appointment_id ? [s.appointment_id] : [])),
          ...named.map((r) => r.appointment_id),
        ]),
      ]),
    )
    .execute();
  const ids = [...none, ...appointments.map((a) => a.id)];
  const [versions, requests, documents] = await Promise.all([
    db
      .selectFrom('appointment_version')
      .select(['tenant_id', 'id', 'version_id', 'status', 'correlation_id'])
      .where('tenant_id', '=', t)
      .where('id', 'in', ids)
      .execute(),
    db
      .selectFrom('booking_request')
      .select(['tenant_id', 'consumer_ods', 'request_id', 'appointment_id'])
      .where('tenant_id', '=', t)
      .where((eb) => eb.or([eb('appointment_id', 'in', ids), eb('request_id', 'in', requestIds)]))
      .execute(),
    db
      .selectFrom('referral_document')
      .select(['tenant_id', 'document_id', 'appointment_id'])
      .where('tenant_id', '=', t)
      .where('appointment_id', 'in', ids)
      .execute(),
  ]);
  return { appointments, versions, slots, requests, documents };
}

function check(
  { appointments, versions, slots, requests, documents }: Awaited<ReturnType<typeof allRows>>,
  what: string,
  scoped: boolean,
): void {
  const key = (tenant: string, id: string) => `${tenant}/${id}`;
  const versionsOf = new Map<string, typeof versions>();
  for (const v of versions) {
    const k = key(v.tenant_id, v.id);
    const list = versionsOf.get(k);
    if (list) list.push(v);
    else versionsOf.set(k, [v]);
  }
  const slotOf = new Map(slots.map((s) => [key(s.tenant_id, s.id), s]));
  const appointmentOf = new Map(appointments.map((a) => [key(a.tenant_id, a.id), a]));
  const bookedPerSlot = new Map<string, string[]>();

  for (const a of appointments) {
    const k = key(a.tenant_id, a.id);
    const own = (versionsOf.get(k) ?? []).map((v) => v.version_id).sort((x, y) => x - y);
    assert.deepEqual(
      own,
      Array.from({ length: a.version_id }, (_, i) => i + 1),
      `${what}: the versions of appointment ${k}`,
    );
    const current = versionsOf.get(k)!.find((v) => v.version_id === a.version_id)!;
    assert.equal(current.status, a.status, `${what}: appointment ${k} and its current version disagree on status`);
    const sk = key(a.tenant_id, a.slot_id);
    const slot = slotOf.get(sk);
    if (!slot) {
      // A scoped check reads only the slots in scope; a full check reads them all.
      assert.ok(scoped, `${what}: appointment ${k} names missing slot ${a.slot_id}`);
      continue;
    }
    if (a.status === 'booked') {
      assert.equal(slot.status, 'busy', `${what}: slot ${slot.id} of booked appointment ${k} is ${slot.status}`);
      assert.equal(
        slot.appointment_id,
        a.id,
        `${what}: slot ${slot.id} of booked appointment ${k} names ${slot.appointment_id}`,
      );
      bookedPerSlot.set(sk, [...(bookedPerSlot.get(sk) ?? []), a.id]);
    } else {
      assert.notEqual(slot.appointment_id, a.id, `${what}: slot ${slot.id} still names ${a.status} appointment ${k}`);
    }
  }
  for (const [slot, ids] of bookedPerSlot)
    assert.equal(ids.length, 1, `${what}: slot ${slot} has ${ids.length} booked appointments (${ids.join(', ')})`);
  for (const s of slots) {
    if (s.appointment_id === null) continue;
    const a = appointmentOf.get(key(s.tenant_id, s.appointment_id));
    assert.ok(a, `${what}: slot ${s.id} names missing appointment ${s.appointment_id}`);
    assert.equal(a.status, 'booked', `${what}: slot ${s.id} names ${a.status} appointment ${a.id}`);
    assert.equal(a.slot_id, s.id, `${what}: slot ${s.id} names appointment ${a.id}, which is for slot ${a.slot_id}`);
    assert.equal(s.status, 'busy', `${what}: slot ${s.id} names appointment ${a.id} but is ${s.status}`);
  }
  for (const r of requests) {
    const a = appointmentOf.get(key(r.tenant_id, r.appointment_id));
    assert.ok(a, `${what}: booking_request ${r.request_id} names missing appointment ${r.appointment_id}`);
    assert.equal(
      a.consumer_ods,
      r.consumer_ods,
      `${what}: booking_request ${r.request_id} and its appointment name different consumers`,
    );
    const first = versionsOf.get(key(r.tenant_id, r.appointment_id))!.find((v) => v.version_id === 1)!;
    assert.equal(
      first.correlation_id,
      r.request_id,
      `${what}: appointment ${a.id} was not made by the request its booking_request names`,
    );
  }
  for (const d of documents) {
    if (d.appointment_id === null) continue;
    assert.ok(
      appointmentOf.has(key(d.tenant_id, d.appointment_id)),
      `${what}: referral document ${d.document_id} names missing appointment ${d.appointment_id}`,
    );
  }
}
