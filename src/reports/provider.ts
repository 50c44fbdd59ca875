/**
 * The provider reports of fs_reporting (P38–P42), over a date range [from, to):
 *  rep-prov-01 appointments booked · 02 booked vs referrals · 03 booked vs slots made available ·
 *  04 referrals not booked vs referrals · 05 cancellations.
 * A referral is a referral document this provider learnt of in the range, either because it
 * arrived or because a booking named it (BOOK-4).
 */
import { sql } from 'kysely';
import type { Store } from '../store/store.js';

export interface ProviderReport {
  tenant: string;
  from: string;
  to: string;
  'rep-prov-01': { booked: number; byService: { service: string; booked: number }[] };
  'rep-prov-02': { booked: number; referrals: number; bookedPercent: number | null };
  'rep-prov-03': { booked: number; slotsMadeAvailable: number; bookedPercent: number | null };
  'rep-prov-04': { notBooked: number; referrals: number; notBookedPercent: number | null };
  'rep-prov-05': { cancelled: number };
}

const percent = (part: number, whole: number) => (whole === 0 ? null : Math.round((1000 * part) / whole) / 10);

export async function providerReport(
  store: Store,
  tenantId: string,
  from: string,
  to: string,
): Promise<ProviderReport> {
  const { db } = store;
  const bookedRows = await db
    .selectFrom('appointment_version as v')
    .innerJoin('appointment as a', (j) => j.onRef('a.tenant_id', '=', 'v.tenant_id').onRef('a.id', '=', 'v.id'))
    .innerJoin('slot as s', (j) => j.onRef('s.tenant_id', '=', 'a.tenant_id').onRef('s.id', '=', 'a.slot_id'))
    .innerJoin('schedule as sc', (j) =>
      j.onRef('sc.tenant_id', '=', 's.tenant_id').onRef('sc.id', '=', 's.schedule_id'),
    )
    .select(['sc.healthcare_service_id as service', (eb) => eb.fn.countAll<number>().as('booked')])
    .where('v.tenant_id', '=', tenantId)
    .where('v.version_id', '=', 1)
    .where('v.last_updated', '>=', from)
    .where('v.last_updated', '<', to)
    .groupBy('sc.healthcare_service_id')
    .orderBy('sc.healthcare_service_id')
    .execute();
  const byService = bookedRows.map((r) => ({ service: r.service, booked: Number(r.booked) }));
  const booked = byService.reduce((n, r) => n + r.booked, 0);

  const firstKnown = sql<string>`coalesce(case
    when received_at is null then linked_at
    when linked_at is null then received_at
    when received_at < linked_at then received_at
    else linked_at end, '')`;
  const referrals = await db
    .selectFrom('referral_document')
    .select([
      (eb) => eb.fn.countAll<number>().as('referrals'),
      (eb) => eb.fn.count<number>('appointment_id').as('booked'),
    ])
    .where('tenant_id', '=', tenantId)
    .where(firstKnown, '>=', from)
    .where(firstKnown, '<', to)
    .executeTakeFirstOrThrow();
  const referralCount = Number(referrals.referrals);
  const referralsBooked = Number(referrals.booked);

  const slots = await db
    .selectFrom('slot')
    .select([
      (eb) => eb.fn.countAll<number>().as('available'),
      (eb) => eb.fn.count<number>('appointment_id').as('booked'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('start', '>=', from)
    .where('start', '<', to)
    .where((eb) => eb.or([eb('status', '=', 'free'), eb('appointment_id', 'is not', null)]))
    .executeTakeFirstOrThrow();

  const cancelled = await db
    .selectFrom('appointment_version')
    .select((eb) => eb.fn.count<number>('id').distinct().as('cancelled'))
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'cancelled')
    .where('last_updated', '>=', from)
    .where('last_updated', '<', to)
    .executeTakeFirstOrThrow();

  return {
    tenant: tenantId,
    from,
    to,
    'rep-prov-01': { booked, byService },
    'rep-prov-02': {
      booked: referralsBooked,
      referrals: referralCount,
      bookedPercent: percent(referralsBooked, referralCount),
    },
    'rep-prov-03': {
      booked: Number(slots.booked),
      slotsMadeAvailable: Number(slots.available),
      bookedPercent: percent(Number(slots.booked), Number(slots.available)),
    },
    'rep-prov-04': {
      notBooked: referralCount - referralsBooked,
      referrals: referralCount,
      notBookedPercent: percent(referralCount - referralsBooked, referralCount),
    },
    'rep-prov-05': { cancelled: Number(cancelled.cancelled) },
  };
}

/** Records that a referral document arrived (BOOK-4: before or after its booking). */
export async function receiveReferral(
  store: Store,
  tenantId: string,
  documentId: string,
  body: string,
  contentType: string,
  consumerOds?: string,
): Promise<'received' | 'linked'> {
  const now = new Date().toISOString();
  const id = documentId.toLowerCase();
  const updated = await store.db
    .updateTable('referral_document')
    .set({ received_at: now, body, content_type: contentType })
    .where('tenant_id', '=', tenantId)
    .where('document_id', '=', id)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 1) return 'linked';
  await store.db
    .insertInto('referral_document')
    .values({
      tenant_id: tenantId,
      document_id: id,
      appointment_id: null,
      linked_at: null,
      decoupled_at: null,
      received_at: now,
      content_type: contentType,
      body,
      consumer_ods: consumerOds ?? null,
    })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'document_id']).doUpdateSet({ received_at: now, body, content_type: contentType }),
    )
    .execute();
  return 'received';
}
