/**
 * Release rules' per-session cap (issue 6): a rota's sitting on one day is a session; once it holds
 * `capPerSession` bookings its other slots are withheld from search and refused at booking, while
 * other sessions (and slots made outside any rota) stay bookable. Racing bookings cannot pass it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAdminProvider, type AdminProvider } from '../helpers/admin.js';
import { call } from '../helpers/consumer.js';
import { SERVICE, bookingFor } from '../helpers/provider.js';
import type { NewSlot } from '../../src/capacity/catalogue.js';
import type { Rota } from '../../src/capacity/rota.js';
import type { RotaSitting } from '../../src/diary/sessions.js';

// The diary reads back as a sitting what capacity stores as a rota; `npm run typecheck` fails if the two part.
const _storedRotaIsASitting = (rota: Rota): RotaSitting => rota;

const localDate = (ms: number) => new Date(ms).toLocaleDateString('en-CA', { timeZone: 'Europe/London' });
const DAY = 86_400_000;

describe('release rules: capPerSession', () => {
  let p: AdminProvider;
  const tomorrow = localDate(Date.now() + DAY);
  const dayAfter = localDate(Date.now() + 2 * DAY);

  before(async () => {
    p = await startAdminProvider('session cap lead');
    const rota = (id: string, start: string, end: string, slotMinutes: number) => ({
      id,
      scheduleId: 'S1',
      days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
      start,
      end,
      slotMinutes,
      effectiveFrom: localDate(Date.now()),
    });
    for (const r of [
      rota('early', '06:00', '07:00', 30),
      rota('late', '20:00', '21:00', 30),
      rota('mid', '12:00', '14:00', 15),
    ]) {
      assert.ok([200, 201].includes((await p.adminCall('PUT', `/rotas/${r.id}`, r)).status));
      assert.equal((await p.adminCall('POST', `/rotas/${r.id}/generate`, { horizonDays: 4 })).status, 200);
    }
    assert.equal((await p.adminCall('PUT', '/organisations/A1001', { type: 'nhs-111' })).status, 200);
  });
  after(() => p.close());

  /** A rota's slots on a local day, as the tests' booking helper wants them. */
  async function sessionSlots(rotaId: string, date: string): Promise<NewSlot[]> {
    const rows = await p.ts.store.db
      .selectFrom('slot')
      .selectAll()
      .where('id', 'like', `rota.${rotaId}.${date.replaceAll('-', '')}.%`)
      .orderBy('start')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      identifier: r.identifier,
      scheduleId: r.schedule_id,
      start: r.start,
      end: r.end,
      status: 'free',
      deliveryChannel: r.delivery_channel as NewSlot['deliveryChannel'],
    }));
  }

  async function seenIds(ods: string): Promise<Set<string>> {
    const now = new Date();
    const res = await call(
      p.root(),
      `/Slot?service=${SERVICE}&status=free&start=ge${now.toISOString()}&start=le${new Date(now.getTime() + 3 * DAY).toISOString()}`,
      { ods },
    );
    assert.equal(res.status, 200, res.text);
    const ids = (res.json.entry ?? [])
      .filter((e: any) => e.resource.resourceType === 'Slot')
      .map((e: any) => e.resource.identifier[0].value as string);
    return new Set(ids);
  }

  const book = (slot: NewSlot) =>
    call(p.root(), '/Appointment', { method: 'POST', body: bookingFor(slot), ods: 'A1001' });

  it('once a session holds the cap its other slots are withheld and refused; other sessions and non-rota slots stay bookable', async () => {
    assert.equal((await p.adminCall('PUT', '/release/S1', { capPerSession: 1 })).status, 200);
    const [early1, early2] = await sessionSlots('early', tomorrow);
    const [late1] = await sessionSlots('late', tomorrow);
    assert.ok(early1 && early2 && late1, 'the rotas made tomorrow’s sessions');
    assert.ok((await seenIds('A1001')).has(early2!.identifier));

    assert.equal((await book(early1!)).status, 201);
    const seen = await seenIds('A1001');
    assert.ok(!seen.has(early2!.identifier), 'the early session is full');
    assert.ok(seen.has(late1!.identifier), 'the late session is not');
    assert.ok(seen.has(p.catalogue.s1[0]!.identifier), 'a slot outside every rota session is not capped by session');

    const refused = await book(early2!);
    assert.equal(refused.status, 422);
    assert.equal(refused.json.issue[0].diagnostics, 'Slot no longer available');
    assert.equal((await book(late1!)).status, 201);
    assert.equal((await book(p.catalogue.s1[0]!)).status, 201);

    const preview = await p.adminCall('GET', '/preview?ods=A1001');
    const withheld = preview.body.slots.find((s: any) => s.id === early2!.id);
    assert.equal(withheld.visible, false);
    assert.match(
      withheld.reason,
      new RegExp(`session's cap of 1 bookings is reached \\(early ${tomorrow} 06:00–07:00\\)`),
    );
  });

  it('capPerSession holds under concurrent bookings: of 8 racing for one session, only the cap’s worth succeed', async () => {
    assert.equal((await p.adminCall('PUT', '/release/S1', { capPerSession: 3 })).status, 200);
    const mid = await sessionSlots('mid', dayAfter);
    assert.equal(mid.length, 8);
    const results = await Promise.all(mid.map(book));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 201, 201, 422, 422, 422, 422, 422]);
    const booked = await p.ts.store.db
      .selectFrom('slot')
      .select('id')
      .where(
        'id',
        'in',
        mid.map((s) => s.id),
      )
      .where('appointment_id', 'is not', null)
      .execute();
    assert.equal(booked.length, 3);
  });

  it('a bad capPerSession is a 400 naming it, and changes nothing', async () => {
    const before = (await p.adminCall('GET', '/release')).body.rules;
    const res = await p.adminCall('PUT', '/release/S1', { capPerSession: 1.5 });
    assert.equal(res.status, 400);
    assert.match(res.body.issue[0].diagnostics, /capPerSession/);
    assert.deepEqual((await p.adminCall('GET', '/release')).body.rules, before);
  });
});
