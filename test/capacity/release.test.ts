/**
 * Release rules (issue 6): the matching table of docs/capacity.md, row by row, on a real provider.
 * Slot search and booking both obey it; the admin preview says why a slot is withheld.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAdminProvider, type AdminProvider } from '../helpers/admin.js';
import { call } from '../helpers/consumer.js';
import { SERVICE, bookingFor, type Catalogue } from '../helpers/provider.js';
import type { TestStore } from '../helpers/store.js';

describe('release rules: which consumer sees and books which slot', () => {
  let p: AdminProvider;
  let ts: TestStore;
  let catalogue: Catalogue;
  const root = () => p.root();
  const adminCall = (method: string, path: string, body?: unknown) => p.adminCall(method, path, body);

  before(async () => {
    p = await startAdminProvider('capacity lead');
    ({ ts, catalogue } = p);
    for (const [ods, type] of [
      ['A1001', 'nhs-111'],
      ['B2002', 'gp-practice'],
    ]) {
      assert.equal((await adminCall('PUT', `/organisations/${ods}`, { type })).status, 200);
    }
  });

  after(() => p.close());

  /** The schedules whose slots a consumer organisation's search returns. */
  async function seen(ods: string): Promise<string[]> {
    const now = new Date();
    const res = await call(
      root(),
      `/Slot?service=${SERVICE}&status=free&start=ge${now.toISOString()}&start=le${new Date(now.getTime() + 3 * 86_400_000).toISOString()}`,
      { ods },
    );
    assert.equal(res.status, 200, res.text);
    const slots = (res.json.entry ?? []).filter((e: any) => e.resource.resourceType === 'Slot');
    return [...new Set<string>(slots.map((e: any) => e.resource.schedule.reference.split('/')[1]))].sort();
  }

  const rule = (body: unknown) => adminCall('PUT', '/release/S1', body);

  // Row by row: [rule on S1, A1001 (nhs-111), B2002 (gp-practice), C3003 (no type)] → sees S1?
  const table: [string, Record<string, unknown> | undefined, boolean, boolean, boolean][] = [
    ['no rule: released to everyone', undefined, true, true, true],
    ['bookable false: no external consumer', { bookable: false }, false, false, false],
    ['organisations A1001: that organisation only', { organisations: ['A1001'] }, true, false, false],
    [
      'organisationTypes nhs-111: organisations of that type only',
      { organisationTypes: ['nhs-111'] },
      true,
      false,
      false,
    ],
    ['organisationTypes gp-practice, nhs-111', { organisationTypes: ['gp-practice', 'nhs-111'] }, true, true, false],
    [
      'types nhs-111 and organisations B2002: both must match',
      { organisationTypes: ['nhs-111'], organisations: ['B2002'] },
      false,
      false,
      false,
    ],
    [
      'types gp-practice and organisations B2002',
      { organisationTypes: ['gp-practice'], organisations: ['b2002'] },
      false,
      true,
      false,
    ],
    ['bookingWindowDays 0: nothing beyond today', { bookingWindowDays: 0 }, false, false, false],
    ['embargoMinutes two days: nothing that soon', { embargoMinutes: 2880 }, false, false, false],
    [
      'bookingWindowDays 3 and embargo 10 minutes: tomorrow is fine',
      { bookingWindowDays: 3, embargoMinutes: 10 },
      true,
      true,
      true,
    ],
  ];
  for (const [name, body, a, b, c] of table) {
    it(`matching table: ${name}`, async () => {
      if (body) assert.equal((await rule(body)).status, 200);
      else await adminCall('DELETE', '/release/S1');
      assert.deepEqual(
        {
          A1001: (await seen('A1001')).includes('S1'),
          B2002: (await seen('B2002')).includes('S1'),
          C3003: (await seen('C3003')).includes('S1'),
        },
        { A1001: a, B2002: b, C3003: c },
      );
      // S2 has no rule: everyone still sees it.
      for (const ods of ['A1001', 'B2002', 'C3003']) assert.ok((await seen(ods)).includes('S2'), ods);
    });
  }

  it('a consumer cannot book a slot it may not see (answered as taken); the organisation it is released to can', async () => {
    assert.equal((await rule({ organisations: ['A1001'] })).status, 200);
    const slot = catalogue.s1[3]!;
    const refused = await call(root(), '/Appointment', { method: 'POST', body: bookingFor(slot), ods: 'B2002' });
    assert.equal(refused.status, 422);
    assert.equal(refused.json.issue[0].diagnostics, 'Slot no longer available');
    const booked = await call(root(), '/Appointment', { method: 'POST', body: bookingFor(slot), ods: 'A1001' });
    assert.equal(booked.status, 201, booked.text);
  });

  it('capPerDay: once the day has that many bookings on the schedule, its other slots that day are withheld', async () => {
    await adminCall('DELETE', '/release/S1');
    const day = catalogue.s1[0]!.start.slice(0, 10);
    const bookedThatDay = await ts.store.db
      .selectFrom('slot')
      .select('id')
      .where('schedule_id', '=', 'S1')
      .where('appointment_id', 'is not', null)
      .where('start', 'like', `${day}%`)
      .execute();
    assert.equal((await rule({ capPerDay: bookedThatDay.length + 1 })).status, 200);
    assert.ok((await seen('A1001')).includes('S1'));
    const free = await ts.store.db
      .selectFrom('slot')
      .selectAll()
      .where('schedule_id', '=', 'S1')
      .where('status', '=', 'free')
      .orderBy('start')
      .executeTakeFirstOrThrow();
    const one = catalogue.s1.find((s) => s.id === free.id)!;
    assert.equal(
      (await call(root(), '/Appointment', { method: 'POST', body: bookingFor(one), ods: 'A1001' })).status,
      201,
    );
    assert.ok(!(await seen('A1001')).includes('S1'), 'the cap is reached');
    const another = catalogue.s1.find(
      (s) => s.id !== one.id && s.id !== catalogue.s1[3]!.id && s.id !== bookedThatDay[0]?.id,
    )!;
    assert.equal(
      (await call(root(), '/Appointment', { method: 'POST', body: bookingFor(another), ods: 'A1001' })).status,
      422,
    );
  });

  it('capPerDay holds under concurrent bookings: of many racing for the day’s slots, only the cap’s worth succeed', async () => {
    await adminCall('DELETE', '/release/S1');
    const day = catalogue.s2[0]!.start.slice(0, 10);
    const before = await ts.store.db
      .selectFrom('slot')
      .select('id')
      .where('schedule_id', '=', 'S2')
      .where('appointment_id', 'is not', null)
      .where('start', 'like', `${day}%`)
      .execute();
    assert.equal((await adminCall('PUT', '/release/S2', { capPerDay: before.length + 2 })).status, 200);
    const free = catalogue.s2.filter((s) => !before.some((b) => b.id === s.id));
    const results = await Promise.all(
      free.map((slot) => call(root(), '/Appointment', { method: 'POST', body: bookingFor(slot), ods: 'A1001' })),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [...Array(2).fill(201), ...Array(free.length - 2).fill(422)]);
    await adminCall('DELETE', '/release/S2');
  });

  it('preview: what a consumer organisation would see, and why the rest is withheld', async () => {
    assert.equal((await rule({ organisationTypes: ['gp-practice'] })).status, 200);
    const preview = await adminCall('GET', '/preview?ods=A1001');
    assert.equal(preview.status, 200);
    const s1 = preview.body.slots.filter((s: any) => s.schedule_id === 'S1');
    assert.ok(
      s1.length > 0 &&
        s1.every((s: any) => !s.visible && /organisation types gp-practice; A1001 is of type nhs-111/.test(s.reason)),
    );
    assert.ok(preview.body.slots.filter((s: any) => s.schedule_id === 'S2').every((s: any) => s.visible));
    assert.equal(preview.body.visible + preview.body.withheld, preview.body.slots.length);
    assert.equal((await adminCall('GET', '/preview')).status, 400);
  });

  it('bad rules are clear errors and change nothing; every change is audited', async () => {
    const before = (await adminCall('GET', '/release')).body.rules;
    for (const [body, field] of [
      [{ organisationTypes: ['martians'] }, 'organisationTypes'],
      [{ capPerDay: -1 }, 'capPerDay'],
      [{ organisations: ['not an ods code'] }, 'organisations'],
      [{ bookable: 'yes' }, 'bookable'],
    ] as const) {
      const res = await rule(body);
      assert.equal(res.status, 400, field);
      assert.match(res.body.issue[0].diagnostics, new RegExp(field));
    }
    assert.equal((await adminCall('PUT', '/release/NOPE', {})).status, 422);
    assert.deepEqual((await adminCall('GET', '/release')).body.rules, before);
    const entries = (await adminCall('GET', '/audit')).body.entries as any[];
    assert.ok(entries.some((e) => e.action === 'release.set' && e.actor === 'capacity lead'));
    assert.ok(entries.some((e) => e.action === 'organisation.type'));
  });
});
