/**
 * The service directory (DoS stand-in) over real HTTP on a real store: search by disposition and
 * postcode ranked by opening and distance (ABUS.01), details with endpoints (C1, ABUS.23), admin
 * writes, errors, and the demo's edge cases (C2–C4, C7, C8).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { DEMO_DIRECTORY, seedDemoDirectory } from '../../src/spine/directory/demo.js';
import { isBookingEndpoint, type DirectoryService } from '../../src/spine/directory/model.js';
import { outwardCode, positionOf } from '../../src/spine/directory/postcodes.js';
import { directoryRoutes } from '../../src/spine/directory/routes.js';
import { registerSpineErrors } from '../../src/spine/http.js';
import { testStore, type TestStore } from '../helpers/store.js';

const service = (id: string, postcode: string, extra: Partial<DirectoryService> = {}): DirectoryService => ({
  id,
  name: `Service ${id}`,
  type: 'UTC',
  address: ['1 Test Street'],
  postcode,
  openingTimes: [],
  openAllHours: true,
  dispositions: ['Dx05'],
  ageRange: { min: 0, max: 130 },
  attributes: [],
  endpoints: [],
  ...extra,
});

describe('service directory (DoS stand-in)', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let base: string;

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as any };
  };
  const put = async (id: string, body: unknown, raw?: string) => {
    const res = await fetch(`${base}/services/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async () => {
    ts = await testStore();
    app = Fastify();
    registerSpineErrors(app);
    await app.register(directoryRoutes, { prefix: '/directory', store: ts.store });
    base = `${await app.listen({ port: 0, host: '127.0.0.1' })}/directory`;
    // Leeds city centre (LS1), Headingley (LS6), Wakefield (WF1); all take Dx05.
    assert.equal((await put('T-LEEDS', service('T-LEEDS', 'LS1 4AP'))).status, 201);
    await put('T-HEAD', service('T-HEAD', 'LS6 2AL'));
    await put('T-WAKE', service('T-WAKE', 'WF1 2SN'));
    // Open 09:00–17:00 on weekdays only, next door to the patient.
    await put('T-DAYS', service('T-DAYS', 'LS2 7HY', { openAllHours: false, openingTimes: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'].map((day) => ({ day: day as 'Mon', open: '09:00', close: '17:00' })) }));
    await put('T-KIDS', service('T-KIDS', 'LS2 9NS', { ageRange: { min: 0, max: 15 } }));
    await put('T-DX06', service('T-DX06', 'LS1 4AP', { dispositions: ['Dx06'] }));
  });

  after(async () => {
    await app.close();
    await ts.dispose();
  });

  it('ABUS.01: services for the disposition, nearest first, with distance in km and miles', async () => {
    // A Wednesday at 12:00 UK time (BST): every test service is open.
    const { status, body } = await get('/services?disposition=Dx05&postcode=LS1%204AP&age=40&at=2026-06-10T11:00:00Z');
    assert.equal(status, 200);
    const ids = body.services.map((s: any) => s.id);
    assert.deepEqual(ids, ['T-LEEDS', 'T-DAYS', 'T-HEAD', 'T-WAKE']);
    assert.deepEqual(body.services.map((s: any) => s.rank), [1, 2, 3, 4]);
    const wake = body.services.find((s: any) => s.id === 'T-WAKE');
    assert.ok(wake.distanceKm > 10 && wake.distanceKm < 20, `Leeds to Wakefield is about 13 km, not ${wake.distanceKm}`);
    assert.ok(Math.abs(wake.distanceMiles * 1.609344 - wake.distanceKm) < 0.2);
    assert.equal(body.services[0].openNow, true);
    assert.equal(body.services[0].endpoints, undefined, 'a summary carries no endpoints; the details do');
  });

  it('ABUS.01: a service closed now comes after the open ones, with its next opening in UK time (BST and GMT)', async () => {
    // Wednesday 20:00 BST (19:00Z): the weekday service opens again Thursday 09:00 BST = 08:00Z.
    const summer = await get('/services?disposition=Dx05&postcode=LS1&age=40&at=2026-06-10T19:00:00Z');
    const ids = summer.body.services.map((s: any) => s.id);
    assert.equal(ids.at(-1), 'T-DAYS');
    const days = summer.body.services.at(-1);
    assert.equal(days.openNow, false);
    assert.equal(days.nextOpen, '2026-06-11T08:00:00.000Z');
    // Friday 18:00 GMT: it next opens Monday 09:00 GMT.
    const winter = await get('/services?disposition=Dx05&postcode=LS1&at=2026-11-27T18:00:00Z');
    assert.equal(winter.body.services.find((s: any) => s.id === 'T-DAYS').nextOpen, '2026-11-30T09:00:00.000Z');
    // Wednesday 16:59 GMT it is open; 17:00 it is not.
    assert.equal((await get('/services?disposition=Dx05&postcode=LS1&at=2026-11-25T16:59:00Z')).body.services.find((s: any) => s.id === 'T-DAYS').openNow, true);
    assert.equal((await get('/services?disposition=Dx05&postcode=LS1&at=2026-11-25T17:00:00Z')).body.services.find((s: any) => s.id === 'T-DAYS').openNow, false);
  });

  it('filters by the patient’s age and by disposition; an empty result is a 200', async () => {
    const child = await get('/services?disposition=Dx05&postcode=LS1&age=8&at=2026-06-10T11:00:00Z');
    assert.ok(child.body.services.some((s: any) => s.id === 'T-KIDS'));
    const adult = await get('/services?disposition=Dx05&postcode=LS1&age=40&at=2026-06-10T11:00:00Z');
    assert.ok(!adult.body.services.some((s: any) => s.id === 'T-KIDS'));
    const dx06 = await get('/services?disposition=Dx06&postcode=LS1');
    assert.deepEqual(dx06.body.services.map((s: any) => s.id), ['T-DX06']);
    const none = await get('/services?disposition=Dx99&postcode=LS1');
    assert.deepEqual(none, { status: 200, body: { services: [] } });
    const near = await get('/services?disposition=Dx05&postcode=LS1&radiusKm=5');
    assert.ok(!near.body.services.some((s: any) => s.id === 'T-WAKE'));
  });

  it('400 with an OperationOutcome for a malformed or unknown postcode, a malformed disposition, bad numbers, repeated parameters', async () => {
    for (const query of [
      'disposition=Dx05&postcode=ZZ99%209ZZ',
      'disposition=Dx05&postcode=not-a-postcode',
      'disposition=5&postcode=LS1',
      'postcode=LS1',
      'disposition=Dx05&postcode=LS1&age=-1',
      'disposition=Dx05&postcode=LS1&age=1e9',
      'disposition=Dx05&postcode=LS1&max=0',
      'disposition=Dx05&postcode=LS1&at=yesterday',
      'disposition=Dx05&disposition=Dx06&postcode=LS1',
    ]) {
      const { status, body } = await get(`/services?${query}`);
      assert.equal(status, 400, query);
      assert.equal(body.resourceType, 'OperationOutcome', query);
      assert.ok(body.issue[0].diagnostics.length > 10, query);
    }
    const unknown = await get('/services?disposition=Dx05&postcode=ZZ99%209ZZ');
    assert.match(unknown.body.issue[0].diagnostics, /ZZ99 9ZZ/);
  });

  it('C1: details by ID carry the endpoints (ordered) and attributes; 404 for an unknown ID', async () => {
    await put('T-EP', service('T-EP', 'LS1', {
      endpoints: [
        { order: 2, transport: 'http', format: 'FHIR', interaction: 'Scheduling', address: 'ASID:918999198999' },
        { order: 1, transport: 'email', format: 'HTML', interaction: 'urn:nhs-itk:interaction:x', address: 'a@b.example' },
      ],
      attributes: [{ name: 'requirebooking', dataType: 'boolean', value: 'true' }],
    }));
    const { status, body } = await get('/services/T-EP');
    assert.equal(status, 200);
    assert.deepEqual(body.endpoints.map((e: any) => e.order), [1, 2]);
    assert.equal(body.endpoints.filter(isBookingEndpoint).length, 1);
    assert.equal(body.endpoints[1].address, 'ASID:918999198999');
    assert.equal(body.attributes[0].value, 'true');
    assert.equal(body.location.latitude, positionOf('LS1')!.latitude, 'position filled from the postcode district');
    const missing = await get('/services/NOPE');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.resourceType, 'OperationOutcome');
  });

  it('admin writes: PUT twice replaces (200, no duplicate), DELETE removes; bad bodies are 400s that name the field', async () => {
    assert.equal((await put('T-LEEDS', service('T-LEEDS', 'LS1 4AP', { name: 'Renamed' }))).status, 200);
    const all = await get('/services?disposition=Dx05&postcode=LS1&at=2026-06-10T11:00:00Z');
    assert.equal(all.body.services.filter((s: any) => s.id === 'T-LEEDS').length, 1);
    assert.equal(all.body.services.find((s: any) => s.id === 'T-LEEDS').name, 'Renamed');
    for (const [body, field] of [
      [{ ...service('X1', 'LS1'), dispositions: ['5'] }, 'dispositions'],
      [{ ...service('X1', 'LS1'), openingTimes: [{ day: 'Mon', open: '9am', close: '17:00' }] }, 'openingTimes'],
      [{ ...service('X1', 'LS1'), openingTimes: [{ day: 'Funday', open: '09:00', close: '17:00' }] }, 'day'],
      [{ ...service('X1', 'LS1'), ageRange: { min: 20, max: 10 } }, 'ageRange'],
      [{ ...service('X1', 'LS1'), endpoints: [{ order: 1 }] }, 'endpoints'],
      [{ ...service('X1', 'ZZ99') }, 'postcode'],
      [{ ...service('X1', 'LS1'), name: 42 }, 'name'],
      [{ ...service('X2', 'LS1') }, 'id'],
    ] as const) {
      const res = await put('X1', body);
      assert.equal(res.status, 400, field);
      assert.match(res.body.issue[0].diagnostics, new RegExp(field), field);
    }
    assert.equal((await put('X1', undefined, '{"not json')).status, 400);
    assert.equal((await put('X1', undefined, '[1,2]')).status, 400);
    assert.equal((await get('/services/X1')).status, 404, 'nothing half-written');
    assert.equal((await fetch(`${base}/services/T-EP`, { method: 'DELETE' })).status, 204);
    assert.equal((await get('/services/T-EP')).status, 404);
    assert.equal((await fetch(`${base}/services/T-EP`, { method: 'DELETE' })).status, 404);
  });

  it('postcodes: full, compact, lower-case and district forms; the outward code of a compact postcode', () => {
    assert.equal(outwardCode('LS1 4AP'), 'LS1');
    assert.equal(outwardCode('ls14ap'), 'LS1');
    assert.equal(outwardCode('SW1A 1AA'), 'SW1A');
    assert.equal(outwardCode('WF1'), 'WF1');
    assert.equal(outwardCode('hello world'), undefined);
    assert.deepEqual(positionOf('ls1 4ap'), positionOf('LS1'));
  });

  it('C2–C4, C7, C8, ABUS.23: the demo directory holds every case a consumer must handle, and seeding twice changes nothing', async () => {
    assert.equal(await seedDemoDirectory(ts.store.db), DEMO_DIRECTORY.length);
    await seedDemoDirectory(ts.store.db);
    const details = await Promise.all(DEMO_DIRECTORY.map(async (s) => (await get(`/services/${s.id}`)).body as DirectoryService));
    const bookingCount = (s: DirectoryService) => s.endpoints.filter(isBookingEndpoint).length;
    const requireBooking = (s: DirectoryService) => s.attributes.find((a) => a.name === 'requirebooking')?.value;
    assert.ok(details.some((s) => bookingCount(s) === 0), 'C8: no booking endpoint');
    assert.ok(details.some((s) => bookingCount(s) === 2), 'C7: two booking endpoints');
    assert.ok(details.some((s) => bookingCount(s) === 1 && requireBooking(s) === 'true'), 'C4: requirebooking true');
    assert.ok(details.some((s) => bookingCount(s) === 1 && requireBooking(s) === 'false'), 'C3: requirebooking false');
    assert.ok(details.some((s) => bookingCount(s) === 1 && requireBooking(s) === undefined), 'C2: requirebooking absent');
    assert.ok(details.some((s) => s.type === 'Pharmacy') && details.some((s) => s.type === 'Dental'));
    for (const asid of ['200000000901', '200000000902', '200000000903', '200000000904', '200000000905']) {
      assert.ok(details.some((s) => s.endpoints.some((e) => e.address === `ASID:${asid}`)), asid);
    }
    const found = await get('/services?disposition=Dx05&postcode=LS1&max=100');
    assert.equal(new Set(found.body.services.map((s: any) => s.id)).size, found.body.services.length);
  });
});
