/**
 * Running the day (issue 6): arrived, fulfilled, noshow and cancel on the patient's behalf as new
 * Appointment versions a consumer sees (ABUS.20); squeezing in an extra slot; the day at a glance.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAdminProvider, type AdminProvider } from '../helpers/admin.js';
import { call } from '../helpers/consumer.js';
import { SERVICE, bookingFor, type Catalogue } from '../helpers/provider.js';
import type { TestStore } from '../helpers/store.js';

describe('the front desk and the rota manager’s day', () => {
  let p: AdminProvider;
  let ts: TestStore;
  let catalogue: Catalogue;
  const root = () => p.root();
  const adminCall = (method: string, path: string, body?: unknown) => p.adminCall(method, path, body);

  before(async () => {
    p = await startAdminProvider('front desk');
    ({ ts, catalogue } = p);
  });

  after(() => p.close());
  const book = async (i: number) => {
    const res = await call(root(), '/Appointment', { method: 'POST', body: bookingFor(catalogue.s1[i]!) });
    assert.equal(res.status, 201, res.text);
    return res.json.id as string;
  };

  it('ABUS.20: arrived then fulfilled are new versions the consumer reads; earlier versions stay readable', async () => {
    const id = await book(0);
    const arrived = await adminCall('POST', `/appointments/${id}/status`, { status: 'arrived' });
    assert.deepEqual(arrived.body, { id, before: 'booked', status: 'arrived', versionId: '2' });
    assert.equal((await adminCall('POST', `/appointments/${id}/status`, { status: 'fulfilled' })).body.versionId, '3');
    const read = await call(root(), `/Appointment/${id}`, {});
    assert.equal(read.json.status, 'fulfilled');
    assert.equal(read.headers.get('etag'), 'W/"3"');
    assert.equal((await call(root(), `/Appointment/${id}/_history/1`, {})).json.status, 'booked');
    const v2 = await ts.store.db
      .selectFrom('appointment_version')
      .select(['author_id', 'organisation_ods'])
      .where('id', '=', id)
      .where('version_id', '=', 2)
      .executeTakeFirstOrThrow();
    assert.deepEqual(v2, { author_id: 'front desk', organisation_ods: 'RT1' });
  });

  it('only allowed moves: a noshow cannot be fulfilled, a cancelled one cannot change; unknown status or id: clear error', async () => {
    const id = await book(1);
    assert.equal((await adminCall('POST', `/appointments/${id}/status`, { status: 'noshow' })).status, 200);
    const again = await adminCall('POST', `/appointments/${id}/status`, { status: 'fulfilled' });
    assert.equal(again.status, 422);
    assert.match(again.body.issue[0].diagnostics, /is noshow: it can become booked or arrived, not fulfilled/);
    const other = await book(3);
    assert.equal((await adminCall('POST', `/appointments/${other}/status`, { status: 'cancelled' })).status, 200);
    const undo = await adminCall('POST', `/appointments/${other}/status`, { status: 'booked' });
    assert.equal(undo.status, 422, 'a cancellation is final: the slot was freed');
    assert.match(undo.body.issue[0].diagnostics, /is cancelled: it can no longer change/);
    assert.equal((await adminCall('POST', `/appointments/${id}/status`, { status: 'lost' })).status, 400);
    assert.equal((await adminCall('POST', '/appointments/nope/status', { status: 'arrived' })).status, 404);
  });

  it('corrections of a mistaken status: arrived → booked, noshow → arrived, fulfilled → arrived, each a new version', async () => {
    const id = await book(4);
    const to = async (status: string) => (await adminCall('POST', `/appointments/${id}/status`, { status })).body;
    assert.deepEqual(await to('arrived'), { id, before: 'booked', status: 'arrived', versionId: '2' });
    assert.deepEqual(await to('booked'), { id, before: 'arrived', status: 'booked', versionId: '3' });
    assert.deepEqual(await to('noshow'), { id, before: 'booked', status: 'noshow', versionId: '4' });
    assert.deepEqual(await to('arrived'), { id, before: 'noshow', status: 'arrived', versionId: '5' });
    assert.deepEqual(await to('fulfilled'), { id, before: 'arrived', status: 'fulfilled', versionId: '6' });
    assert.deepEqual(await to('arrived'), { id, before: 'fulfilled', status: 'arrived', versionId: '7' });
    assert.equal((await call(root(), `/Appointment/${id}`, {})).json.status, 'arrived');
    const slot = await ts.store.db
      .selectFrom('slot')
      .select(['status', 'appointment_id'])
      .where('id', '=', catalogue.s1[4]!.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(slot, { status: 'busy', appointment_id: id }, 'the slot stays held throughout');
  });

  it('cancel on the patient’s behalf frees the slot: the search offers it again and it can be booked', async () => {
    const id = await book(2);
    const slot = catalogue.s1[2]!;
    assert.equal((await adminCall('POST', `/appointments/${id}/status`, { status: 'cancelled' })).status, 200);
    const row = await ts.store.db
      .selectFrom('slot')
      .select(['status', 'appointment_id'])
      .where('id', '=', slot.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { status: 'free', appointment_id: null });
    assert.equal((await call(root(), '/Appointment', { method: 'POST', body: bookingFor(slot) })).status, 201);
  });

  it('squeeze in: an extra slot overlapping others is held back until released, then offered and booked once', async () => {
    const over = catalogue.s1[5]!;
    const held = await adminCall('POST', '/slots', {
      scheduleId: 'S1',
      start: over.start,
      end: over.end,
      deliveryChannel: 'In-person',
    });
    assert.equal(held.status, 201);
    assert.equal(held.body.status, 'busy-unavailable');
    const search = async () => {
      const res = await call(
        root(),
        `/Slot?service=${SERVICE}&status=free&start=ge${new Date().toISOString()}` +
          `&start=le${new Date(Date.now() + 3 * 86_400_000).toISOString()}`,
      );
      return new Set((res.json.entry ?? []).map((e: any) => e.resource.id));
    };
    assert.ok(!(await search()).has(held.body.id));
    assert.deepEqual((await adminCall('POST', '/slots/release', { slotIds: [held.body.id] })).body.changed, [
      held.body.id,
    ]);
    assert.ok((await search()).has(held.body.id));
    assert.ok((await search()).has(over.id), 'the slot it overlaps is still offered too');
    const extra = { ...over, id: held.body.id, identifier: held.body.identifier };
    assert.equal((await call(root(), '/Appointment', { method: 'POST', body: bookingFor(extra) })).status, 201);
    assert.equal((await call(root(), '/Appointment', { method: 'POST', body: bookingFor(extra) })).status, 422);
    assert.equal(
      (await adminCall('POST', '/slots', { scheduleId: 'S1', start: over.end, end: over.start })).status,
      400,
    );
    assert.equal(
      (await adminCall('POST', '/slots', { scheduleId: 'NOPE', start: over.start, end: over.end })).status,
      422,
    );
  });

  it('the day at a glance: offered, booked, free and blocked per schedule, and who booked', async () => {
    const date = new Date(catalogue.s1[0]!.start).toLocaleDateString('en-CA', { timeZone: 'Europe/London' });
    const day = await adminCall('GET', `/day?date=${date}`);
    assert.equal(day.status, 200);
    const s1 = day.body.schedules.find((s: any) => s.scheduleId === 'S1');
    assert.deepEqual(s1.services, [SERVICE]);
    assert.equal(s1.offered, 17, '16 rota slots and the extra one');
    assert.equal(s1.booked + s1.free + s1.blocked, s1.offered);
    assert.ok(s1.bookings.length >= 4 && s1.bookings.every((b: any) => b.bookedBy === 'A1001'));
    assert.ok(s1.bookings.some((b: any) => b.status === 'fulfilled'));
    // Each booking says what the front desk may do next, so screens offer only allowed moves.
    for (const b of s1.bookings)
      assert.deepEqual(
        b.moves,
        (
          {
            booked: ['arrived', 'noshow', 'cancelled'],
            arrived: ['fulfilled', 'booked'],
            noshow: ['booked', 'arrived'],
            fulfilled: ['arrived'],
          } as Record<string, string[]>
        )[b.status as string] ?? [],
        b.status,
      );
    assert.ok(s1.bookings.some((b: any) => b.status === 'fulfilled' && b.moves.length === 1));
    // Each booking names the patient, so the front desk's "are you sure" page says whom it is about.
    assert.ok(
      s1.bookings.every((b: any) => b.patientName && /^\d{10}$/.test(b.nhsNumber)),
      JSON.stringify(s1.bookings[0]),
    );
    const s2 = day.body.schedules.find((s: any) => s.scheduleId === 'S2');
    assert.deepEqual(s2.services.sort(), [SERVICE, '100002'].sort());
    assert.equal((await adminCall('GET', '/day?date=tomorrow')).status, 400);
    const impossible = await adminCall('GET', '/day?date=2026-02-31');
    assert.equal(impossible.status, 400, 'a day that does not exist is not read as 3 March');
    assert.match(impossible.body.issue[0].diagnostics, /2026-02-31 is not a day that exists/);
  });
});
