/**
 * Capacity management (issue 6, first part): rotas that make slots in local time, idempotently and
 * without ever touching a booked slot; blocking and releasing; the admin API's own token; the audit.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAdminToken } from '../../src/capacity/admin.js';
import { generateRotaSlots, getRota, rotaSlots, type Rota } from '../../src/capacity/rota.js';
import { buildProviderServer, type ProviderServer } from '../../src/server/provider.js';
import { runCli } from '../helpers/cli.js';
import { SCOPE, call, token } from '../helpers/consumer.js';
import { SERVICE, TENANT, bookingFor, seedCatalogue } from '../helpers/provider.js';
import { testStore, TEST_DATABASE_URL, type TestStore } from '../helpers/store.js';

/** The operator's start-up token: strong enough (32+ characters, 8+ different ones). */
const START_UP_TOKEN = 'start-up-token-rota-test-0123456789';

const london = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
const night: Rota = {
  id: 'night',
  scheduleId: 'S1',
  days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
  start: '00:00',
  end: '04:00',
  slotMinutes: 30,
  deliveryChannel: 'Telephone',
  effectiveFrom: '2027-01-01',
  exceptions: [],
  timeZone: 'Europe/London',
};

describe('rotas in local time', () => {
  it('the last Sunday of March: the hour that does not exist makes no slot, and no slot is doubled', () => {
    const slots = rotaSlots(TENANT, night, Date.parse('2027-03-27T12:00:00Z'), 3);
    const perDay = (d: string) => slots.filter((s) => s.id.includes(`.${d}.`));
    assert.equal(perDay('20270327').length, 8);
    assert.deepEqual(
      perDay('20270328').map((s) => london(s.start)),
      ['00:00', '00:30', '02:00', '02:30', '03:00', '03:30'],
    );
    assert.equal(perDay('20270329').length, 8);
    assert.equal(new Set(slots.map((s) => s.start)).size, slots.length, 'every slot its own instant');
  });

  it('the last Sunday of October: the hour that happens twice makes each slot once', () => {
    const slots = rotaSlots(TENANT, night, Date.parse('2027-10-30T12:00:00Z'), 3);
    const sunday = slots.filter((s) => s.id.includes('.20271031.'));
    assert.deepEqual(
      sunday.map((s) => london(s.start)),
      ['00:00', '00:30', '01:00', '01:30', '02:00', '02:30', '03:00', '03:30'],
    );
    assert.equal(new Set(slots.map((s) => s.start)).size, slots.length);
    for (const s of slots) assert.equal(london(s.start), `${s.id.slice(-4, -2)}:${s.id.slice(-2)}`, s.id);
  });

  it('days of the week, effective dates and exceptions decide the days', () => {
    const weekdays: Rota = {
      ...night,
      id: 'wd',
      days: ['Mon', 'Wed'],
      effectiveFrom: '2027-02-02',
      effectiveTo: '2027-02-28',
      exceptions: ['2027-02-10'],
    };
    const days = [
      ...new Set(rotaSlots(TENANT, weekdays, Date.parse('2027-01-25T12:00:00Z'), 40).map((s) => s.id.split('.')[2])),
    ];
    assert.deepEqual(days, ['20270203', '20270208', '20270215', '20270217', '20270222', '20270224']);
  });
});

describe('admin API: rotas, blocking and releasing, on a real provider', () => {
  let ts: TestStore;
  let provider: ProviderServer;
  let origin: string;
  let admin: string;
  const root = () => `${origin}/STU3/1/${TENANT}`;

  before(async () => {
    ts = await testStore();
    await seedCatalogue(ts.store);
    provider = await buildProviderServer({
      store: ts.store,
      publicOrigin: 'http://placeholder',
      auditFlushMs: 5,
      adminToken: START_UP_TOKEN,
    });
    origin = (await provider.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    provider.tenants.publicOrigin = origin;
    ({ token: admin } = await createAdminToken(ts.store.db, { name: 'rota manager', tenants: [TENANT] }));
  });

  after(async () => {
    await provider.app.close();
    await ts.dispose();
  });

  const adminCall = async (method: string, path: string, body?: unknown, auth: string | null = admin) => {
    const res = await fetch(`${origin}/admin/${TENANT}${path}`, {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const today = new Date().toISOString().slice(0, 10);
  const morning = {
    scheduleId: 'S1',
    days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
    start: '06:00',
    end: '09:00',
    slotMinutes: 30,
    deliveryChannel: 'Video',
    effectiveFrom: today,
  };
  const searchIds = async () => {
    const now = new Date();
    const res = await call(
      root(),
      `/Slot?service=${SERVICE}&status=free&start=ge${now.toISOString()}&start=le${new Date(now.getTime() + 8 * 86_400_000).toISOString()}`,
    );
    assert.equal(res.status, 200);
    return new Set<string>(
      res.json.entry?.filter((e: any) => e.resource.resourceType === 'Slot').map((e: any) => e.resource.id) ?? [],
    );
  };

  it('needs an admin token: none, a consumer JWT or an unknown token is a 401; the start-up token works everywhere', async () => {
    assert.equal((await adminCall('GET', '/rotas', undefined, null)).status, 401);
    const jwt = await adminCall('GET', '/rotas', undefined, token({ aud: root(), scope: SCOPE.slotRead }));
    assert.equal(jwt.status, 401);
    assert.equal(jwt.body.resourceType, 'OperationOutcome');
    assert.equal((await adminCall('GET', '/rotas', undefined, 'sbadm_nope')).status, 401);
    assert.equal((await adminCall('GET', '/rotas', undefined, START_UP_TOKEN)).status, 200);
    assert.equal(
      (await fetch(`${origin}/admin/nobody/rotas`, { headers: { authorization: `Bearer ${admin}` } })).status,
      403,
      'a token made for one tenant is refused elsewhere, whether or not that tenant exists',
    );
    assert.equal(
      (await fetch(`${origin}/admin/nobody/rotas`, { headers: { authorization: `Bearer ${START_UP_TOKEN}` } })).status,
      404,
    );
  });

  it('bad input (end before start, unknown schedule, overlapping sessions, bad JSON) is a clear error and changes nothing', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ ...morning, start: '10:00', end: '09:00' }, 400, /not after the start/],
      [{ ...morning, scheduleId: 'NOPE' }, 422, /no schedule NOPE/],
      [{ ...morning, days: ['Funday'] }, 400, /days/],
      [{ ...morning, deliveryChannel: 'Carrier pigeon' }, 400, /deliveryChannel/],
      [{ ...morning, slotMinutes: 2 }, 400, /slotMinutes/],
      [{ ...morning, effectiveFrom: '2026-02-31' }, 400, /effectiveFrom/],
      [{ ...morning, exceptions: ['2026-12-32'] }, 400, /exceptions/],
    ];
    for (const [body, status, message] of cases) {
      const res = await adminCall('PUT', '/rotas/bad', body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(res.body.issue[0].diagnostics, message);
    }
    const notJson = await fetch(`${origin}/admin/${TENANT}/rotas/bad`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: '{"id":',
    });
    assert.equal(notJson.status, 400);
    assert.deepEqual((await adminCall('GET', '/rotas')).body.rotas, []);
    assert.equal((await adminCall('PUT', '/rotas/morning', morning)).status, 201);
    const overlap = await adminCall('PUT', '/rotas/overlap', { ...morning, start: '08:00', end: '10:00' });
    assert.equal(overlap.status, 422);
    assert.match(overlap.body.issue[0].diagnostics, /overlaps rota morning/);
    assert.deepEqual(
      (await adminCall('GET', '/rotas')).body.rotas.map((r: any) => r.id),
      ['morning'],
    );
  });

  it('generating is idempotent, and slot search shows the new slots at once', async () => {
    const first = await adminCall('POST', '/rotas/morning/generate', { horizonDays: 7 });
    assert.equal(first.status, 200);
    assert.ok(first.body.added >= 36, `added ${first.body.added}`);
    const again = await adminCall('POST', '/rotas/morning/generate', { horizonDays: 7 });
    assert.deepEqual(
      { added: again.body.added, removed: again.body.removed, kept: again.body.kept },
      { added: 0, removed: 0, kept: [] },
    );
    const ids = await searchIds();
    assert.ok(
      [...ids].some((id) => id.startsWith('rota.morning.')),
      'rota slots are offered',
    );
  });

  it('editing the rota changes only future free slots: a booked slot stays, and is reported', async () => {
    const all = await ts.store.db
      .selectFrom('slot')
      .selectAll()
      .where('id', 'like', 'rota.morning.%')
      .where('start', '>', new Date(Date.now() + 86_400_000).toISOString())
      .orderBy('start')
      .execute();
    const late = all.find((s) => london(s.start) === '08:30')!;
    const booked = await call(root(), '/Appointment', {
      method: 'POST',
      body: bookingFor({
        id: late.id,
        identifier: late.identifier,
        scheduleId: late.schedule_id,
        start: late.start,
        end: late.end,
        status: 'free',
        deliveryChannel: 'Video',
      }),
    });
    assert.equal(booked.status, 201, booked.text);
    assert.equal((await adminCall('PUT', '/rotas/morning', { ...morning, end: '08:00' })).status, 200);
    const report = (await adminCall('POST', '/rotas/morning/generate', { horizonDays: 7 })).body;
    assert.equal(report.added, 0);
    assert.ok(report.removed >= 7, `removed ${report.removed}`);
    assert.deepEqual(
      report.kept.map((k: any) => [k.id, k.status]),
      [[late.id, 'busy']],
    );
    const stillBooked = await ts.store.db
      .selectFrom('appointment')
      .select(['status', 'slot_id'])
      .where('id', '=', booked.json.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(stillBooked, { status: 'booked', slot_id: late.id });
    assert.ok(
      !(await searchIds()).has(all.find((s) => london(s.start) === '08:00')!.id),
      'a removed slot is no longer offered',
    );
  });

  it('block and release: blocked slots leave the search and cannot be booked; booked slots are skipped and reported', async () => {
    const rotaSlotsLeft = await ts.store.db
      .selectFrom('slot')
      .selectAll()
      .where('id', 'like', 'rota.morning.%')
      .where('start', '>', new Date().toISOString())
      .orderBy('start')
      .execute();
    const day = rotaSlotsLeft.filter((s) => s.start.slice(0, 10) === rotaSlotsLeft.at(-1)!.start.slice(0, 10));
    const from = day[0]!.start;
    const to = new Date(Date.parse(day.at(-1)!.start) + 1).toISOString();
    const blocked = await adminCall('POST', '/slots/block', { scheduleId: 'S1', from, to });
    assert.equal(blocked.status, 200);
    assert.deepEqual(
      blocked.body.changed.sort(),
      day
        .filter((s) => s.status === 'free')
        .map((s) => s.id)
        .sort(),
    );
    const offered = await searchIds();
    assert.ok(
      day.every((s) => !offered.has(s.id)),
      'blocked slots are not offered',
    );
    const refused = await call(root(), '/Appointment', {
      method: 'POST',
      body: bookingFor({
        id: day[0]!.id,
        identifier: day[0]!.identifier,
        scheduleId: 'S1',
        start: day[0]!.start,
        end: day[0]!.end,
        status: 'free',
        deliveryChannel: 'Video',
      }),
    });
    assert.equal(refused.status, 422);
    const bookedSlot = await ts.store.db
      .selectFrom('slot')
      .select('id')
      .where('status', '=', 'busy')
      .where('id', 'like', 'rota.morning.%')
      .executeTakeFirstOrThrow();
    const skip = await adminCall('POST', '/slots/block', { slotIds: [bookedSlot.id] });
    assert.deepEqual(skip.body, { changed: [], skipped: [{ id: bookedSlot.id, status: 'busy' }] });
    const released = await adminCall('POST', '/slots/release', { scheduleId: 'S1', from, to });
    assert.equal(released.body.changed.length, blocked.body.changed.length);
    assert.ok((await searchIds()).has(day[0]!.id), 'released slots are offered again');
    assert.equal((await adminCall('POST', '/slots/block', { scheduleId: 'S1', from: to, to: from })).status, 400);
    assert.equal((await adminCall('POST', '/slots/block', {})).status, 400);
  });

  it('every admin change is audited with who, what, when, before and after', async () => {
    const entries = (await adminCall('GET', '/audit')).body.entries as any[];
    const actions = entries.map((e) => e.action);
    for (const a of ['rota.create', 'rota.update', 'rota.generate', 'slots.block', 'slots.release'])
      assert.ok(actions.includes(a), a);
    const update = entries.find((e) => e.action === 'rota.update');
    assert.equal(update.actor, 'rota manager');
    assert.equal(update.before.end, '09:00');
    assert.equal(update.after.end, '08:00');
    assert.match(update.at, /^\d{4}-\d{2}-\d{2}T/);
    await assert.rejects(ts.store.db.deleteFrom('admin_audit').execute(), /append-only/);
  });

  const clinic = {
    scheduleId: 'S2',
    days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
    start: '10:00',
    end: '12:00',
    slotMinutes: 30,
    deliveryChannel: 'In-person',
    effectiveFrom: today,
  };
  const auditCount = async () => (await adminCall('GET', '/audit')).body.entries.length as number;

  it('a rota names its practitioner and location; an unknown one is a 422 naming the field, and nothing is saved', async () => {
    const rotasBefore = (await adminCall('GET', '/rotas')).body.rotas;
    const audited = await auditCount();
    for (const [field, value, message] of [
      ['practitionerId', 'NOPE', /no Practitioner NOPE in test-ed/],
      ['locationId', 'NOWHERE', /no Location NOWHERE in test-ed/],
    ] as const) {
      const res = await adminCall('PUT', '/rotas/clinic', {
        ...clinic,
        practitionerId: 'PR1',
        locationId: 'LOC1',
        [field]: value,
      });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.match(res.body.issue[0].diagnostics, message);
      assert.deepEqual(res.body.issue[0].expression, [field]);
      assert.equal(res.body.issue[0].details.coding[0].code, 'REFERENCE_NOT_FOUND');
    }
    const wrongType = await adminCall('PUT', '/rotas/clinic', { ...clinic, practitionerId: 42 });
    assert.equal(wrongType.status, 400);
    assert.deepEqual(wrongType.body.issue[0].expression, ['practitionerId']);
    const badRegion = await adminCall('PUT', '/rotas/clinic', { ...clinic, bankHolidays: 'wales' });
    assert.equal(badRegion.status, 400);
    assert.match(
      badRegion.body.issue[0].diagnostics,
      /rota bankHolidays: must be "open" .*england-and-wales, scotland, northern-ireland/,
    );
    assert.deepEqual(badRegion.body.issue[0].expression, ['bankHolidays']);
    assert.deepEqual((await adminCall('GET', '/rotas')).body.rotas, rotasBefore, 'nothing saved');
    assert.equal(await auditCount(), audited, 'nothing audited');

    const saved = await adminCall('PUT', '/rotas/clinic', {
      ...clinic,
      practitionerId: 'PR1',
      locationId: 'LOC1',
      bankHolidays: 'scotland',
    });
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    const listed = (await adminCall('GET', '/rotas')).body.rotas.find((r: any) => r.id === 'clinic');
    assert.deepEqual([listed.practitionerId, listed.locationId, listed.bankHolidays], ['PR1', 'LOC1', 'scotland']);
    assert.equal(
      (await adminCall('GET', '/rotas')).body.rotas.find((r: any) => r.id === 'morning').bankHolidays,
      'open',
      'the default',
    );
  });

  it('preview: the PUT body, checked the same way, answers the days and the first slots; nothing is saved or audited', async () => {
    const audited = await auditCount();
    const body = { ...clinic, id: 'pv', start: '13:00', end: '17:00', slotMinutes: 15 };
    const res = await adminCall('POST', '/rotas/preview?days=7', body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body).sort(), [
      'days',
      'existing',
      'horizonDays',
      'rota',
      'skipped',
      'slots',
      'total',
    ]);
    assert.equal(res.body.horizonDays, 7);
    assert.equal(res.body.rota.id, 'pv');
    assert.equal(res.body.rota.bankHolidays, 'open');
    assert.ok(res.body.days.length >= 6 && res.body.days.length <= 7, JSON.stringify(res.body.days));
    assert.equal(
      res.body.days.reduce((n: number, d: any) => n + d.count, 0),
      res.body.total,
    );
    assert.equal(res.body.slots.length, res.body.total);
    for (const d of res.body.days.slice(1))
      assert.deepEqual([d.count, d.first, d.last], [16, '13:00', '16:45'], JSON.stringify(d));
    assert.match(res.body.days[0].weekday, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)$/);
    assert.deepEqual(Object.keys(res.body.slots[0]).sort(), ['end', 'id', 'start']);
    assert.ok(
      res.body.slots.every((s: any) => s.id.startsWith('rota.pv.') && Date.parse(s.start) > Date.now() - 60_000),
    );
    assert.equal((await adminCall('POST', '/rotas/preview', body)).body.horizonDays, 28, 'the default horizon');
    const big = await adminCall('POST', '/rotas/preview?days=30', {
      ...body,
      start: '00:00',
      end: '24:00',
      slotMinutes: 5,
      scheduleId: 'S1',
      id: 'big',
      effectiveFrom: '2020-01-01',
    });
    assert.equal(big.status, 422, 'overlaps rota morning on S1');
    assert.match(big.body.issue[0].diagnostics, /overlaps rota morning/);
    const many = await adminCall('POST', '/rotas/preview?days=30', {
      ...body,
      start: '00:00',
      end: '09:00',
      slotMinutes: 5,
      id: 'many',
    });
    assert.equal(many.status, 200);
    assert.ok(many.body.total > 3000);
    assert.equal(many.body.slots.length, 1000);

    for (const [query, b, status, field] of [
      ['?days=0', body, 400, 'days'],
      ['?days=367', body, 400, 'days'],
      ['?days=x', body, 400, 'days'],
      ['', { ...body, end: '12:00' }, 400, undefined],
      ['', { ...body, practitionerId: 'NOPE' }, 422, 'practitionerId'],
      ['', { ...body, id: undefined }, 400, 'id'],
    ] as const) {
      const bad = await adminCall('POST', `/rotas/preview${query}`, b);
      assert.equal(bad.status, status, `${query} ${JSON.stringify(b)}: ${JSON.stringify(bad.body)}`);
      assert.equal(bad.body.resourceType, 'OperationOutcome');
      if (field) assert.deepEqual(bad.body.issue[0].expression, [field]);
    }
    assert.ok(
      !(await adminCall('GET', '/rotas')).body.rotas.some((r: any) => ['pv', 'many'].includes(r.id)),
      'no rota saved',
    );
    assert.equal(
      (await ts.store.db.selectFrom('slot').select('id').where('id', 'like', 'rota.pv.%').execute()).length,
      0,
      'no slot made',
    );
    assert.equal(await auditCount(), audited, 'not audited');
  });

  it('GET bank-holidays lists a region’s year; a bad region or year is a 400 naming it', async () => {
    const res = await adminCall('GET', '/bank-holidays?region=england-and-wales&year=2026');
    assert.equal(res.status, 200);
    assert.equal(res.body.region, 'england-and-wales');
    assert.equal(res.body.year, 2026);
    assert.deepEqual(
      res.body.dates.map((d: any) => d.date),
      ['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-04', '2026-05-25', '2026-08-31', '2026-12-25', '2026-12-28'],
    );
    assert.equal(res.body.dates[0].name, "New Year's Day");
    assert.ok(
      (await adminCall('GET', '/bank-holidays?region=scotland&year=2026')).body.dates.some(
        (d: any) => d.date === '2026-11-30',
      ),
    );
    assert.equal(
      (await adminCall('GET', '/bank-holidays?region=northern-ireland')).body.year,
      new Date().getUTCFullYear(),
    );
    for (const [query, field] of [
      ['region=wales&year=2026', 'region'],
      ['year=2026', 'region'],
      ['region=scotland&year=1999', 'year'],
      ['region=scotland&year=20x6', 'year'],
    ]) {
      const bad = await adminCall('GET', `/bank-holidays?${query}`);
      assert.equal(bad.status, 400, query);
      assert.equal(bad.body.resourceType, 'OperationOutcome');
      assert.deepEqual(bad.body.issue[0].expression, [field]);
    }
  });

  it('generating reports its progress: slots dealt with of the total, ending at the total; again, all are there at once', async () => {
    const rota = (await getRota(ts.store.db, TENANT, 'clinic'))!;
    const seen: { done: number; total: number }[] = [];
    const report = await generateRotaSlots(ts.store, TENANT, rota, 5, Date.now(), (p) => seen.push(p));
    assert.ok(report.added > 0);
    assert.ok(seen.length >= 2, JSON.stringify(seen));
    assert.deepEqual(seen[0], { done: 0, total: report.added });
    assert.deepEqual(seen.at(-1), { done: report.added, total: report.added });
    assert.ok(seen.every((p, i) => i === 0 || p.done >= seen[i - 1]!.done));
    const again: { done: number; total: number }[] = [];
    const second = await generateRotaSlots(ts.store, TENANT, rota, 5, Date.now(), (p) => again.push(p));
    assert.equal(second.added, 0);
    assert.ok(again.length >= 1 && again.every((p) => p.done === p.total));
  });

  it('slotbridge provider rota preview, generate --all and list', async () => {
    const store = TEST_DATABASE_URL
      ? [
          '--database-url',
          `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=` +
            encodeURIComponent(`-c search_path=${ts.options.pgSchema}`),
        ]
      : ['--data', ts.options.dataDir!];
    const dir = mkdtempSync(join(tmpdir(), 'slotbridge-rota-cli-'));
    try {
      const file = join(dir, 'rota.json');
      writeFileSync(
        file,
        JSON.stringify({
          ...clinic,
          id: 'evening',
          start: '18:00',
          end: '20:00',
          practitionerId: 'PR1',
          bankHolidays: 'england-and-wales',
        }),
      );
      const text = await runCli([
        'provider',
        'rota',
        'preview',
        '--tenant',
        TENANT,
        '--file',
        file,
        '--days',
        '3',
        ...store,
      ]);
      assert.equal(text.code, 0, text.stderr);
      const lines = text.stdout.trim().split('\n');
      // Today's line starts at the next slot still to come when the test runs during the evening session.
      lines
        .slice(0, -1)
        .forEach((line, i) =>
          assert.match(
            line,
            i === 0
              ? /^\d{4}-\d{2}-\d{2} (Mon|Tue|Wed|Thu|Fri|Sat|Sun) +\d+ slots +(18|19):\d{2}–19:30/
              : /^\d{4}-\d{2}-\d{2} (Mon|Tue|Wed|Thu|Fri|Sat|Sun) +\d+ slots +18:00–19:30/,
          ),
        );
      assert.match(lines.at(-1)!, /rota evening would make \d+ slots in the next 3 days .*nothing was saved/);
      const json = await runCli([
        'provider',
        'rota',
        'preview',
        '--tenant',
        TENANT,
        '--file',
        file,
        '--json',
        ...store,
      ]);
      assert.equal(JSON.parse(json.stdout).horizonDays, 28);
      writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...clinic, id: 'evening', practitionerId: 'NOPE' }));
      const bad = await runCli([
        'provider',
        'rota',
        'preview',
        '--tenant',
        TENANT,
        '--file',
        join(dir, 'bad.json'),
        ...store,
      ]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /no Practitioner NOPE/);
      assert.ok(
        !(await adminCall('GET', '/rotas')).body.rotas.some((r: any) => r.id === 'evening'),
        'a preview saves nothing',
      );

      assert.equal((await runCli(['provider', 'rota', 'put', '--tenant', TENANT, '--file', file, ...store])).code, 0);
      const both = await runCli([
        'provider',
        'rota',
        'generate',
        '--tenant',
        TENANT,
        '--all',
        '--rota',
        'evening',
        ...store,
      ]);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /--rota ID or --all/);
      const all = await runCli(['provider', 'rota', 'generate', '--tenant', TENANT, '--all', '--days', '4', ...store]);
      assert.equal(all.code, 0, all.stderr);
      assert.match(
        all.stderr,
        /rota generate --all \(test-ed\): 100% \([\d,]+ \/ [\d,]+ slots/,
        'progress on stderr (not a terminal: a line per tenth)',
      );
      const rotaCount = (await adminCall('GET', '/rotas')).body.rotas.length;
      assert.match(
        all.stdout,
        new RegExp(
          `generated ${rotaCount} rotas? of test-ed for the next 4 days: [\\d,]+ slots wanted, [\\d,]+ added, ` +
            `.* in [\\d.]+ s \\([\\d,]+ slots/s\\); store `,
        ),
      );
      assert.match(all.stdout, /rota evening: \d+ slots added/);
      assert.ok(
        (await ts.store.db.selectFrom('slot').select('id').where('id', 'like', 'rota.evening.%').execute()).length > 0,
      );
      const again = await runCli([
        'provider',
        'rota',
        'generate',
        '--tenant',
        TENANT,
        '--all',
        '--days',
        '4',
        '--json',
        ...store,
      ]);
      const summary = JSON.parse(again.stdout);
      assert.equal(summary.added, 0, 'generating again adds nothing');
      assert.equal(summary.rotas.length, rotaCount);
      assert.ok(summary.total > 0 && typeof summary.store === 'string');
      const list = await runCli(['provider', 'rota', 'list', '--tenant', TENANT, ...store]);
      assert.match(list.stdout, /evening .*bank holidays closed \(england-and-wales\) {2}practitioner PR1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'slotbridge provider admin-token makes a token the running provider accepts',
    { skip: Boolean(TEST_DATABASE_URL) && 'SQLite store file only' },
    async () => {
      const made = await runCli([
        'provider',
        'admin-token',
        '--name',
        'front desk',
        '--tenant',
        TENANT,
        '--data',
        ts.options.dataDir!,
        '--json',
      ]);
      assert.equal(made.code, 0, made.stderr);
      const { token: fresh } = JSON.parse(made.stdout);
      assert.match(fresh, /^sbadm_/);
      assert.equal((await adminCall('GET', '/rotas', undefined, fresh)).status, 200);
    },
  );
});
