/**
 * The admin API's route schemas (src/capacity/schemas.ts): Fastify checks params, query and body
 * before a handler runs, and a fault is a 400 OperationOutcome naming the field, with nothing written;
 * the CLI's input is checked against the same schemas and told the same; answers are serialised by
 * their schemas without losing what a client reads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkReleaseRule } from '../../src/capacity/release.js';
import { checkRota } from '../../src/capacity/rota.js';
import { OperationOutcomeError } from '../../src/fhir/outcome.js';
import { startAdminProvider, type AdminProvider } from '../helpers/admin.js';
import { TENANT } from '../helpers/provider.js';

describe('admin API: route schemas', () => {
  let p: AdminProvider;
  const adminCall = (method: string, path: string, body?: unknown) => p.adminCall(method, path, body);
  const rota = {
    scheduleId: 'S2',
    days: ['Mon', 'Tue'],
    start: '08:00',
    end: '12:00',
    slotMinutes: 30,
    deliveryChannel: 'In-person',
    effectiveFrom: '2030-01-07',
  };
  /** What the tenant has saved, and how many changes are audited: neither may move on a refused request. */
  const written = async () => ({
    rotas: (await adminCall('GET', '/rotas')).body.rotas,
    rules: (await adminCall('GET', '/release')).body,
    audited: (await adminCall('GET', '/audit')).body.entries.length,
  });

  before(async () => {
    p = await startAdminProvider('schema checker');
  });

  after(() => p.close());

  /** A 400 OperationOutcome whose one issue names `field` and says `message`. */
  function assertFault(res: { status: number; body: any }, field: string, message: RegExp) {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.resourceType, 'OperationOutcome');
    assert.equal(res.body.issue.length, 1);
    assert.deepEqual(res.body.issue[0].expression, [field]);
    assert.equal(res.body.issue[0].details.coding[0].code, 'INVALID_PARAMETER');
    assert.match(res.body.issue[0].diagnostics, message);
  }

  it('a wrong type or a missing field in a body, query or path is a 400 naming the field, and nothing is written', async () => {
    const before = await written();
    const cases: [string, string, unknown, string, RegExp][] = [
      // A list given as one text was a 500 (the handler mapped over it) before the schema.
      [
        'PUT',
        '/release/S1',
        { organisations: 'A1001' },
        'organisations',
        /^release rule organisations: must be a list/,
      ],
      ['PUT', '/release/S1', { capPerDay: '3' }, 'capPerDay', /^release rule capPerDay: must be a whole number/],
      ['PUT', '/release/S1', [], 'body', /^release rule body: must be a JSON object$/],
      ['PUT', '/release/S1', null, 'body', /^release rule body: must be a JSON object$/],
      ['PUT', '/rotas/clinic', { ...rota, slotMinutes: '30' }, 'slotMinutes', /^rota slotMinutes: must be a whole/],
      ['PUT', '/rotas/clinic', { ...rota, scheduleId: undefined }, 'scheduleId', /^rota scheduleId: is required$/],
      [
        'PUT',
        '/rotas/clinic',
        { ...rota, start: '8am' },
        'start',
        /^rota start: must be a time like 08:00 or 8:00 \(local time/,
      ],
      ['PUT', '/rotas/Clinic.1', rota, 'id', /^rota id: must be 1–40 lower-case letters/],
      ['POST', '/rotas/preview?days=7', { ...rota, id: 42 }, 'id', /^rota id: /],
      ['POST', '/rotas/clinic/generate', { horizonDays: 'all' }, 'horizonDays', /^horizonDays must be a whole number/],
      ['POST', '/slots/block', { slotIds: 'x' }, 'slotIds', /^slotIds must be a list of at most 5,000 slot ids/],
      ['POST', '/slots', { scheduleId: 'S1', start: 1, end: 2 }, 'start', /^start and end must be instants/],
      [
        'POST',
        '/appointments/A1/status',
        {},
        'status',
        /^status must be arrived, fulfilled, noshow, cancelled or booked \(to correct a mistake\)$/,
      ],
      ['PUT', '/organisations/A1001', { type: 'martians' }, 'type', /^type must be one of urgent-care, .* or null/],
      ['PUT', '/organisations/not%20ods!', { type: null }, 'ods', /^not ods! is not an ODS code/],
      ['PUT', '/resources/Location/new%20place', { resourceType: 'Location' }, 'id', /^new place is not a FHIR id/],
      ['GET', '/bank-holidays?region=wales', undefined, 'region', /^region must be one of england-and-wales, /],
      ['GET', '/day?date=2026-1-2', undefined, 'date', /^date must be YYYY-MM-DD/],
      ['GET', '/preview?ods=A1001&from=1&from=2', undefined, 'from', /^from and to must be instants/],
    ];
    for (const [method, path, body, field, message] of cases) {
      assertFault(await adminCall(method, path, body), field, message);
    }
    assert.deepEqual(await written(), before);
  });

  it('numbers in a query are plain decimal digits: 1.5, 0x10, 1e2 and true are refused, not read as numbers', async () => {
    const body = { ...rota, id: 'pv' };
    for (const days of ['1.5', '0x10', '1e2', 'true', '', '7&days=8'])
      assertFault(await adminCall('POST', `/rotas/preview?days=${days}`, body), 'days', /^days must be a whole number/);
    const seven = await adminCall('POST', '/rotas/preview?days=7', body);
    assert.equal(seven.status, 200, JSON.stringify(seven.body));
    assert.equal(seven.body.horizonDays, 7);
    assert.equal((await adminCall('GET', '/bank-holidays?region=scotland&year=2026')).body.year, 2026);
  });

  it('of several faults, the first field in the order the schema declares is named', async () => {
    const res = await adminCall('PUT', '/rotas/clinic', { ...rota, slotMinutes: 0, days: [], start: undefined });
    assertFault(res, 'days', /^rota days: must list days from Mon, Tue, Wed, Thu, Fri, Sat, Sun$/);
  });

  it('the CLI’s input is checked against the same schemas and told the same as the admin API says', async () => {
    for (const [input, field] of [
      [{ ...rota, id: 'clinic', slotMinutes: 2.5 }, 'slotMinutes'],
      [{ ...rota, id: 'clinic', deliveryChannel: 'Pigeon' }, 'deliveryChannel'],
      [{ ...rota, id: 'clinic', exceptions: ['2030-02-31'] }, 'exceptions'],
      ['not a rota', 'body'],
    ] as const) {
      const http = await adminCall('PUT', '/rotas/clinic', input);
      assert.equal(http.status, 400, JSON.stringify(http.body));
      const refused = await checkRota(p.ts.store.db, TENANT, input).then(
        () => assert.fail('accepted'),
        (err: unknown) => err as OperationOutcomeError,
      );
      assert.ok(refused instanceof OperationOutcomeError);
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.issues[0]!.expression, [field]);
      assert.equal(refused.issues[0]!.diagnostics, http.body.issue[0].diagnostics);
    }
    await assert.rejects(checkReleaseRule(p.ts.store.db, TENANT, 'S1', { capPerDay: Number.NaN }), /capPerDay/);
  });

  it('answers are serialised by their schemas and keep what the pages read, FHIR elements included', async () => {
    const location = {
      resourceType: 'Location',
      name: 'Minor injuries unit',
      telecom: [{ system: 'phone', value: '0113 000 0000' }],
      address: { line: ['2 Test Road'], city: 'Leeds', postalCode: 'LS1 4AP', use: 'work' },
      type: { text: 'Walk-in centre' },
      position: { latitude: 53.8, longitude: -1.55 },
    };
    assert.equal((await adminCall('PUT', '/resources/Location/LOC-SCHEMA', location)).status, 201);
    const listed = (await adminCall('GET', '/resources/Location')).body.resources.find(
      (r: any) => r.id === 'LOC-SCHEMA',
    );
    assert.deepEqual(listed, { ...location, id: 'LOC-SCHEMA', meta: { versionId: '1' } });

    const saved = await adminCall('PUT', '/rotas/clinic', { ...rota, practitionerId: null, unknown: 'dropped' });
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    assert.deepEqual(saved.body, {
      ...rota,
      id: 'clinic',
      exceptions: [],
      timeZone: 'Europe/London',
      bankHolidays: 'open',
    });
    assert.deepEqual((await adminCall('GET', '/rotas')).body.rotas, [saved.body]);
  });
});
