/** Provider reports rep-prov-01 … 05 (P38–P42) over real bookings, cancellations and referrals. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { providerReport, receiveReferral } from '../../src/reports/provider.js';
import { call } from '../helpers/consumer.js';
import { SERVICE, SECOND_SERVICE, bookingFor, startTestProvider, type TestProvider } from '../helpers/provider.js';

let p: TestProvider;
const documents: string[] = [];
before(async () => {
  p = await startTestProvider();
  // A referral document that arrives before its booking (BOOK-4) …
  const early = bookingFor(p.catalogue.s1[0]);
  const earlyDoc = early.contained.find((r: any) => r.resourceType === 'DocumentReference').identifier[0].value;
  assert.equal(
    await receiveReferral(p.store, 'test-ed', earlyDoc, '<ClinicalDocument/>', 'application/hl7-v3+xml'),
    'received',
  );
  // … three bookings (one on a schedule shared with the second service) …
  for (const body of [early, bookingFor(p.catalogue.s1[1]), bookingFor(p.catalogue.s2[0])]) {
    const res = await call(p.root(), '/Appointment', { method: 'POST', body });
    assert.equal(res.status, 201, res.text);
    documents.push(res.json.id);
  }
  // … one of them cancelled …
  const appt = (await call(p.root(), `/Appointment/${documents[1]}`)).json;
  const cancel = await call(p.root(), `/Appointment/${appt.id}`, {
    method: 'PUT',
    body: { ...appt, status: 'cancelled' },
    headers: { 'if-match': 'W/"1"' },
  });
  assert.equal(cancel.status, 200);
  // … and two referrals that never got a booking.
  await receiveReferral(
    p.store,
    'test-ed',
    'aaaaaaaa-0000-4000-8000-000000000001',
    '<ClinicalDocument/>',
    'application/hl7-v3+xml',
  );
  await receiveReferral(
    p.store,
    'test-ed',
    'aaaaaaaa-0000-4000-8000-000000000002',
    '<ClinicalDocument/>',
    'application/hl7-v3+xml',
  );
});
after(() => p.close());

const range = () => ({
  from: new Date(Date.now() - 3_600_000).toISOString(),
  to: new Date(Date.now() + 3 * 86_400_000).toISOString(),
});

describe('provider reports', () => {
  it('P38 rep-prov-01 counts appointments booked in the range, by service', async () => {
    const { from, to } = range();
    const r = await providerReport(p.store, 'test-ed', from, to);
    assert.equal(r['rep-prov-01'].booked, 3);
    assert.deepEqual(r['rep-prov-01'].byService, [
      { service: SERVICE, booked: 2 },
      { service: SECOND_SERVICE, booked: 1 },
    ]);
  });

  it('P39 P41 rep-prov-02 and 04: booked and not booked against referrals', async () => {
    const { from, to } = range();
    const r = await providerReport(p.store, 'test-ed', from, to);
    assert.deepEqual(r['rep-prov-02'], { booked: 3, referrals: 5, bookedPercent: 60 });
    assert.deepEqual(r['rep-prov-04'], { notBooked: 2, referrals: 5, notBookedPercent: 40 });
  });

  it('P40 rep-prov-03: booked against the slots made available (free or booked) in the range', async () => {
    const { from, to } = range();
    const r = await providerReport(p.store, 'test-ed', from, to);
    // 16 + 8 slots; the cancelled booking's slot is free again.
    assert.deepEqual(r['rep-prov-03'], { booked: 2, slotsMadeAvailable: 24, bookedPercent: 8.3 });
  });

  it('P42 rep-prov-05 counts cancellations', async () => {
    const { from, to } = range();
    assert.equal((await providerReport(p.store, 'test-ed', from, to))['rep-prov-05'].cancelled, 1);
  });

  it('BOOK-4 a booking is linked to its referral document, whether it arrived before or after; a cancel decouples it', async () => {
    const rows = await p.store.db
      .selectFrom('referral_document')
      .selectAll()
      .where('tenant_id', '=', 'test-ed')
      .orderBy('document_id')
      .execute();
    const linked = rows.filter((r) => r.appointment_id);
    assert.equal(linked.length, 3);
    const early = linked.find((r) => r.appointment_id === documents[0])!;
    assert.ok(early.received_at && early.linked_at, 'arrived before the booking, then linked');
    const cancelled = linked.find((r) => r.appointment_id === documents[1])!;
    assert.ok(cancelled.decoupled_at, 'decoupled from the cancelled booking');
    assert.equal(linked.find((r) => r.appointment_id === documents[2])!.decoupled_at, null);
    // A document arriving after its booking is linked to it.
    assert.equal(
      await receiveReferral(
        p.store,
        'test-ed',
        linked.find((r) => r.appointment_id === documents[2])!.document_id,
        '<ClinicalDocument/>',
        'application/hl7-v3+xml',
      ),
      'linked',
    );
  });

  it('a range with nothing in it reports zeros, and another tenant sees none of this', async () => {
    const empty = await providerReport(p.store, 'test-ed', '2000-01-01T00:00:00.000Z', '2000-02-01T00:00:00.000Z');
    assert.equal(empty['rep-prov-01'].booked, 0);
    assert.equal(empty['rep-prov-02'].bookedPercent, null);
    const { from, to } = range();
    const other = await providerReport(p.store, 'other-utc', from, to);
    assert.equal(other['rep-prov-01'].booked, 0);
    assert.equal(other['rep-prov-02'].referrals, 0);
  });
});
