/**
 * The service directory (DoS stand-in) over real HTTP on a real store: search by disposition and
 * postcode ranked by opening and distance (ABUS.01), details with endpoints (C1, ABUS.23), admin
 * writes, errors that are always OperationOutcomes, and the demo's edge cases (C2–C4, C7, C8).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { DEMO_DIRECTORY, seedDemoDirectory } from '../../src/spine/directory/demo.js';
import { isBookingEndpoint, type DirectoryService } from '../../src/spine/directory/model.js';
import { normalisePostcode, outwardCode, positionOf } from '../../src/spine/directory/postcodes.js';
import { getDirectoryService, putDirectoryService } from '../../src/spine/directory/repository.js';
import { directoryRoutes } from '../../src/spine/directory/routes.js';
import { searchDirectory } from '../../src/spine/directory/search.js';
import { registerSpineErrors } from '../../src/spine/http.js';
import { registerOperatorGuard } from '../../src/spine/operator.js';
import { OPERATOR_TOKEN, operatorHeaders } from '../helpers/spine.js';
import { testStore, type TestStore } from '../helpers/store.js';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'] as const;

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

// A Wednesday at 12:00 UK time (BST, 11:00Z): every test service is open.
const WEDNESDAY_NOON_BST = '2026-06-10T11:00:00Z';

describe('service directory (DoS stand-in)', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let base: string;

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as any };
  };
  const put = async (id: string, body: unknown, raw?: string, contentType = 'application/json') => {
    const res = await fetch(`${base}/services/${id}`, {
      method: 'PUT',
      headers: { ...operatorHeaders(false), 'content-type': contentType },
      body: raw ?? JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const ids = (body: any): string[] => body.services.map((s: any) => s.id);
  const assertOutcome = (res: { status: number; body: any }, status: number, label: string) => {
    assert.equal(res.status, status, `${label}: ${JSON.stringify(res.body).slice(0, 300)}`);
    assert.equal(res.body.resourceType, 'OperationOutcome', label);
    assert.equal(res.body.issue[0].severity, 'error', label);
    assert.ok(res.body.issue[0].code, label);
    assert.ok(res.body.issue[0].diagnostics.length > 10, label);
  };

  before(async () => {
    ts = await testStore();
    app = Fastify();
    registerSpineErrors(app);
    await app.register(directoryRoutes, {
      prefix: '/directory',
      store: ts.store,
      operator: await registerOperatorGuard(app, { token: OPERATOR_TOKEN, db: ts.store.db }),
    });
    base = `${await app.listen({ port: 0, host: '127.0.0.1' })}/directory`;
    // Leeds city centre (LS1), Headingley (LS6), Wakefield (WF1); all take Dx05.
    assert.equal((await put('T-LEEDS', service('T-LEEDS', 'LS1 4AP'))).status, 201);
    await put('T-HEAD', service('T-HEAD', 'LS6 2AL'));
    await put('T-WAKE', service('T-WAKE', 'WF1 2SN'));
    // Open 09:00–17:00 on weekdays only, next door to the patient.
    await put(
      'T-DAYS',
      service('T-DAYS', 'LS2 7HY', {
        openAllHours: false,
        openingTimes: WEEKDAYS.map((day) => ({ day, open: '09:00', close: '17:00' })),
      }),
    );
    await put('T-KIDS', service('T-KIDS', 'LS2 9NS', { ageRange: { min: 0, max: 15 } }));
    await put('T-DX06', service('T-DX06', 'LS1 4AP', { dispositions: ['Dx06'] }));
  });

  after(async () => {
    await app.close();
    await ts.dispose();
  });

  describe('search (like DoS CheckCapacitySummary)', () => {
    it('ABUS.01: services for the disposition, nearest first, with distance in km and miles and no endpoints', async () => {
      const { status, body } = await get(
        `/services?disposition=Dx05&postcode=LS1%204AP&age=40&at=${WEDNESDAY_NOON_BST}`,
      );
      assert.equal(status, 200);
      assert.deepEqual(ids(body), ['T-LEEDS', 'T-DAYS', 'T-HEAD', 'T-WAKE']);
      assert.deepEqual(
        body.services.map((s: any) => s.rank),
        [1, 2, 3, 4],
      );
      assert.equal(body.services[0].distanceKm, 0, 'same district as the patient');
      const wake = body.services.find((s: any) => s.id === 'T-WAKE');
      assert.ok(
        wake.distanceKm > 10 && wake.distanceKm < 20,
        `Leeds to Wakefield is about 13 km, not ${wake.distanceKm}`,
      );
      assert.ok(Math.abs(wake.distanceMiles * 1.609344 - wake.distanceKm) < 0.2);
      assert.deepEqual(wake.address, ['1 Test Street'], 'the address where care is given (ABUS.01)');
      assert.equal(wake.postcode, 'WF1 2SN');
      assert.equal(body.services[0].openNow, true);
      assert.equal(body.services[0].endpoints, undefined, 'a summary carries no endpoints; the details do');
      assert.deepEqual(body.services[0].attributes, []);
    });

    it('ABUS.01: the patient’s postcode may be full, compact, lower case or a district alone', async () => {
      const expected = ids((await get(`/services?disposition=Dx05&postcode=LS1%204AP&at=${WEDNESDAY_NOON_BST}`)).body);
      for (const postcode of ['ls14ap', 'LS1', '%20ls1%20%204ap%20']) {
        const { status, body } = await get(`/services?disposition=Dx05&postcode=${postcode}&at=${WEDNESDAY_NOON_BST}`);
        assert.equal(status, 200, postcode);
        assert.deepEqual(ids(body), expected, postcode);
      }
    });

    it('ABUS.01: a service closed now comes after every open one, with its next opening in UK time (BST)', async () => {
      // Wednesday 20:00 BST (19:00Z): the weekday service opens again Thursday 09:00 BST = 08:00Z.
      const { body } = await get('/services?disposition=Dx05&postcode=LS1&age=40&at=2026-06-10T19:00:00Z');
      assert.deepEqual(ids(body), ['T-LEEDS', 'T-HEAD', 'T-WAKE', 'T-DAYS'], 'nearest of all, but closed: last');
      const days = body.services.at(-1);
      assert.equal(days.openNow, false);
      assert.equal(days.nextOpen, '2026-06-11T08:00:00.000Z');
      assert.equal(body.services[0].nextOpen, undefined, 'an open service has no nextOpen');
    });

    it('ABUS.01: opening follows UK local time across GMT and BST; `at` takes any offset', async () => {
      const daysAt = async (at: string) =>
        (await get(`/services?disposition=Dx05&postcode=LS1&at=${encodeURIComponent(at)}`)).body.services.find(
          (s: any) => s.id === 'T-DAYS',
        );
      // Friday 18:00 GMT: it next opens Monday 09:00 GMT.
      assert.equal((await daysAt('2026-11-27T18:00:00Z')).nextOpen, '2026-11-30T09:00:00.000Z');
      // Winter: 16:59 GMT open, 17:00 GMT closed.
      assert.equal((await daysAt('2026-11-25T16:59:00Z')).openNow, true);
      assert.equal((await daysAt('2026-11-25T17:00:00Z')).openNow, false);
      // Summer: 08:30Z is 09:30 BST (open); 16:30Z is 17:30 BST (closed).
      assert.equal((await daysAt('2026-06-10T08:30:00Z')).openNow, true);
      assert.equal((await daysAt('2026-06-10T16:30:00Z')).openNow, false);
      // The same instant written with a +01:00 offset, and without seconds.
      assert.equal((await daysAt('2026-06-10T09:30:00+01:00')).openNow, true);
      assert.equal((await daysAt('2026-06-10T17:30+01:00')).openNow, false);
      // Friday after closing, the week the clocks go back (Sunday 25 October 2026): Monday 09:00 is GMT.
      assert.equal((await daysAt('2026-10-23T17:00:00Z')).nextOpen, '2026-10-26T09:00:00.000Z');
    });

    it('filters by the patient’s age and by disposition; radiusKm; an empty result is a 200', async () => {
      const child = await get(`/services?disposition=Dx05&postcode=LS1&age=8&at=${WEDNESDAY_NOON_BST}`);
      assert.ok(ids(child.body).includes('T-KIDS'));
      const adult = await get(`/services?disposition=Dx05&postcode=LS1&age=40&at=${WEDNESDAY_NOON_BST}`);
      assert.ok(!ids(adult.body).includes('T-KIDS'));
      const sixteen = await get(`/services?disposition=Dx05&postcode=LS1&age=16&at=${WEDNESDAY_NOON_BST}`);
      assert.ok(!ids(sixteen.body).includes('T-KIDS'), 'the age range is inclusive: 0–15');
      const dx06 = await get('/services?disposition=Dx06&postcode=LS1');
      assert.deepEqual(ids(dx06.body), ['T-DX06']);
      // Dx110 (community nurse) is a known disposition that no test service accepts.
      assert.deepEqual(await get('/services?disposition=Dx110&postcode=LS1'), { status: 200, body: { services: [] } });
      const near = await get('/services?disposition=Dx05&postcode=LS1&radiusKm=5');
      assert.ok(!ids(near.body).includes('T-WAKE'));
      assert.ok(ids(near.body).includes('T-LEEDS'));
      const one = await get(`/services?disposition=Dx05&postcode=LS1&max=1&at=${WEDNESDAY_NOON_BST}`);
      assert.deepEqual(ids(one.body), ['T-LEEDS']);
    });

    it('a disposition no standard list holds becomes known once a listed service accepts it (local configuration)', async () => {
      assertOutcome(await get('/services?disposition=Dx9001&postcode=LS1'), 400, 'before');
      assert.equal(
        (await put('T-LOCAL', service('T-LOCAL', 'LS1', { dispositions: ['Dx9001'], ageRange: { min: 65, max: 130 } })))
          .status,
        201,
      );
      assert.deepEqual(ids((await get('/services?disposition=Dx9001&postcode=LS1')).body), ['T-LOCAL']);
      assert.deepEqual(
        await get('/services?disposition=Dx9001&postcode=LS1&age=30'),
        { status: 200, body: { services: [] } },
        'known, but not for this age',
      );
      // Dx900 is not Dx9001, although its JSON text is a prefix of it.
      assertOutcome(await get('/services?disposition=Dx900&postcode=LS1'), 400, 'prefix');
      assert.equal(
        (await fetch(`${base}/services/T-LOCAL`, { method: 'DELETE', headers: operatorHeaders(false) })).status,
        204,
      );
    });

    it('400 with an OperationOutcome naming the problem: unknown/malformed postcode or disposition, bad number/time, repeat', async () => {
      const unknownPostcode = await get('/services?disposition=Dx05&postcode=ZZ99%209ZZ');
      assertOutcome(unknownPostcode, 400, 'unknown postcode');
      assert.match(unknownPostcode.body.issue[0].diagnostics, /ZZ99 9ZZ/);
      const unknownDisposition = await get('/services?disposition=Dx99&postcode=LS1');
      assertOutcome(unknownDisposition, 400, 'unknown disposition');
      assert.match(unknownDisposition.body.issue[0].diagnostics, /Dx99/);
      for (const query of [
        'disposition=Dx05&postcode=not-a-postcode',
        'disposition=Dx05&postcode=LS14%20AP',
        'disposition=Dx05&postcode=LS1%00',
        `disposition=Dx05&postcode=${'L'.repeat(5000)}`,
        'disposition=5&postcode=LS1',
        'disposition=dx05&postcode=LS1',
        'disposition=Dx05%00&postcode=LS1',
        'postcode=LS1',
        'disposition=Dx05',
        'disposition=Dx05&postcode=',
        'disposition=Dx05&postcode=LS1&age=-1',
        'disposition=Dx05&postcode=LS1&age=1e9',
        'disposition=Dx05&postcode=LS1&age=99999999999999999999999',
        'disposition=Dx05&postcode=LS1&age=4.5',
        'disposition=Dx05&postcode=LS1&max=0',
        'disposition=Dx05&postcode=LS1&max=101',
        'disposition=Dx05&postcode=LS1&radiusKm=0',
        'disposition=Dx05&postcode=LS1&at=yesterday',
        'disposition=Dx05&postcode=LS1&at=1',
        'disposition=Dx05&postcode=LS1&at=2026-02-30T12:00:00Z',
        'disposition=Dx05&postcode=LS1&at=2026-06-10T12:00:00',
        'disposition=Dx05&disposition=Dx06&postcode=LS1',
        'disposition=Dx05&postcode=LS1&postcode=LS2',
        'disposition=Dx05&postcode=LS1&age=1&age=2',
      ]) {
        assertOutcome(await get(`/services?${query}`), 400, query.slice(0, 80));
      }
    });
  });

  describe('details (like DoS ServiceDetailsByID)', () => {
    it('C1, ABUS.23: details by ID carry the endpoints (in order) and attributes; the position comes from the postcode', async () => {
      await put(
        'T-EP',
        service('T-EP', 'ls14ap', {
          endpoints: [
            {
              order: 2,
              transport: 'http',
              format: 'FHIR',
              interaction: 'Scheduling',
              address: 'ASID:918999198999',
              comment: 'a comment',
            },
            {
              order: 1,
              transport: 'email',
              format: 'HTML',
              interaction: 'urn:nhs-itk:interaction:x',
              businessScenario: 'Primary',
              address: 'a@b.example',
              compression: 'uncompressed',
            },
          ],
          attributes: [{ name: 'requirebooking', dataType: 'boolean', value: 'true' }],
        }),
      );
      const { status, body } = await get('/services/T-EP');
      assert.equal(status, 200);
      assert.deepEqual(
        body.endpoints.map((e: any) => e.order),
        [1, 2],
      );
      assert.equal(body.endpoints.filter(isBookingEndpoint).length, 1);
      assert.deepEqual(body.endpoints[1], {
        order: 2,
        transport: 'http',
        format: 'FHIR',
        interaction: 'Scheduling',
        address: 'ASID:918999198999',
        comment: 'a comment',
      });
      assert.equal(body.endpoints[0].businessScenario, 'Primary');
      assert.deepEqual(body.attributes, [{ name: 'requirebooking', dataType: 'boolean', value: 'true' }]);
      assert.equal(body.postcode, 'LS1 4AP', 'the postcode is stored in its written form');
      assert.deepEqual(body.location, positionOf('LS1'), 'position filled from the postcode district');
      assert.deepEqual(body.dispositions, ['Dx05']);
      assert.deepEqual(body.ageRange, { min: 0, max: 130 });
      assert.equal(body.openAllHours, true);
    });

    it('404 with an OperationOutcome for an unknown ID, however odd the ID (never a 500)', async () => {
      for (const id of ['NOPE', '%00', 'a%00b', 'x'.repeat(200), '%F0%9F%98%80', '..%2F..%2Fetc']) {
        assertOutcome(await get(`/services/${id}`), 404, `GET ${id.slice(0, 20)}`);
        const res = await fetch(`${base}/services/${id}`, { method: 'DELETE', headers: operatorHeaders(false) });
        assert.equal(res.status, 404, `DELETE ${id.slice(0, 20)}`);
        assert.equal(((await res.json()) as any).resourceType, 'OperationOutcome');
      }
    });
  });

  describe('admin writes', () => {
    it('PUT twice replaces the service (201 then 200, never a duplicate); DELETE removes it', async () => {
      const first = await put('T-TWICE', service('T-TWICE', 'LS1 4AP'));
      assert.equal(first.status, 201);
      assert.equal(first.body.name, 'Service T-TWICE', 'the stored service is returned');
      const second = await put('T-TWICE', service('T-TWICE', 'LS1 4AP', { name: 'Renamed' }));
      assert.equal(second.status, 200);
      assert.equal(second.body.name, 'Renamed');
      const found = await get(`/services?disposition=Dx05&postcode=LS1&max=100&at=${WEDNESDAY_NOON_BST}`);
      assert.equal(ids(found.body).filter((id) => id === 'T-TWICE').length, 1);
      assert.equal(found.body.services.find((s: any) => s.id === 'T-TWICE').name, 'Renamed');
      // The id may be left out of the body: the URL's is used.
      const { id: _id, ...withoutId } = service('T-TWICE', 'LS1 4AP', { name: 'Third' });
      assert.equal((await put('T-TWICE', withoutId)).status, 200);
      assert.equal((await get('/services/T-TWICE')).body.name, 'Third');
      assert.equal(
        (await fetch(`${base}/services/T-TWICE`, { method: 'DELETE', headers: operatorHeaders(false) })).status,
        204,
      );
      assertOutcome(await get('/services/T-TWICE'), 404, 'deleted');
      const again = await fetch(`${base}/services/T-TWICE`, { method: 'DELETE', headers: operatorHeaders(false) });
      assertOutcome({ status: again.status, body: await again.json() }, 404, 'deleted twice');
    });

    it('two first PUTs of one ID at the same moment: one creates (201), the other replaces (200)', async () => {
      const results = await Promise.all([
        put('T-RACE', service('T-RACE', 'LS1')),
        put('T-RACE', service('T-RACE', 'LS1')),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 201]);
    });

    it('a bad body is a 400 whose message names the field; nothing is written', async () => {
      const ok = service('X1', 'LS1');
      const booking = {
        order: 1,
        transport: 'http',
        format: 'FHIR',
        interaction: 'Scheduling',
        address: 'ASID:918999198999',
      };
      for (const [body, field] of [
        [{ ...ok, dispositions: ['5'] }, 'dispositions'],
        [{ ...ok, dispositions: 'Dx05' }, 'dispositions'],
        [{ ...ok, openingTimes: [{ day: 'Mon', open: '9am', close: '17:00' }] }, 'openingTimes'],
        [{ ...ok, openingTimes: [{ day: 'Mon', open: ['09:00'], close: '17:00' }] }, 'openingTimes'],
        [{ ...ok, openingTimes: [{ day: 'Mon', open: '18:00', close: '08:00' }] }, 'openingTimes'],
        [{ ...ok, openingTimes: [{ day: 'Mon', open: '24:00', close: '24:00' }] }, 'openingTimes'],
        [{ ...ok, openingTimes: [{ day: 'Funday', open: '09:00', close: '17:00' }] }, 'day'],
        [{ ...ok, openAllHours: 'yes' }, 'openAllHours'],
        [{ ...ok, ageRange: { min: 20, max: 10 } }, 'ageRange'],
        [{ ...ok, ageRange: { min: '0', max: 10 } }, 'ageRange'],
        [{ ...ok, ageRange: { min: 0, max: 1e300 } }, 'ageRange'],
        [{ ...ok, endpoints: [{ order: 1 }] }, 'endpoints'],
        [{ ...ok, endpoints: [{ ...booking, address: '918999198999' }] }, 'endpoints[0].address'],
        [{ ...ok, endpoints: [{ ...booking, address: 'ASID:https://x' }] }, 'endpoints[0].address'],
        [{ ...ok, endpoints: [{ ...booking, comment: 5 }] }, 'endpoints[0].comment'],
        [{ ...ok, endpoints: [{ ...booking, order: 1.5 }] }, 'endpoints[0].order'],
        [{ ...ok, endpoints: {} }, 'endpoints'],
        [{ ...ok, attributes: [{ name: 'requirebooking', dataType: 'boolean', value: true }] }, 'attributes[0].value'],
        [{ ...ok, postcode: 'ZZ99' }, 'postcode'],
        [{ ...ok, postcode: 'not a postcode' }, 'postcode'],
        [{ ...ok, location: { latitude: 91, longitude: 0 } }, 'location'],
        [{ ...ok, location: { latitude: '53', longitude: 0 } }, 'location'],
        [{ ...ok, name: 42 }, 'name'],
        [{ ...ok, name: '' }, 'name'],
        [{ ...ok, name: 'a\u0000b' }, 'name'],
        [{ ...ok, name: 'lone \ud800 surrogate' }, 'name'],
        [{ ...ok, type: 'x'.repeat(1000) }, 'type'],
        [{ ...ok, address: ['ok', 'bad\u0000line'] }, 'address[1]'],
        [{ ...ok, address: 'one line' }, 'address'],
        [{ ...ok, odsCode: 'X 1' }, 'odsCode'],
        [{ ...ok, id: 'X2' }, 'id'],
        [{ ...ok, id: 7 }, 'id'],
      ] as const) {
        const res = await put('X1', body);
        assertOutcome(res, 400, field);
        assert.match(res.body.issue[0].diagnostics, new RegExp(field.replace(/[[\]]/g, '\\$&')), field);
      }
      assertOutcome(await put('x'.repeat(40), service('x'.repeat(40), 'LS1')), 400, 'an over-long ID');
      assertOutcome(await put('a_b', service('a_b', 'LS1')), 400, 'an ID with an underscore');
      assertOutcome(await put('X1', undefined, '{"not json'), 400, 'broken JSON');
      assertOutcome(await put('X1', undefined, '[1,2]'), 400, 'a list');
      assertOutcome(await put('X1', undefined, 'null'), 400, 'null');
      assertOutcome(await put('X1', undefined, '"a string"'), 400, 'a string');
      assertOutcome(await put('X1', undefined, ''), 400, 'an empty body');
      assertOutcome(await put('X1', undefined, 'name=x', 'text/plain'), 400, 'not JSON at all');
      // Fastify refuses an unknown content type with 415; the spine's error handler answers it as a 400.
      const xml = await put('X1', undefined, '{}', 'application/xml');
      assertOutcome(xml, xml.status === 415 ? 415 : 400, 'an unknown content type');
      assertOutcome(await get('/services/X1'), 404, 'nothing half-written');
    });

    it('putDirectoryService is safe to run twice, returns whether the ID was new, and fills the position', async () => {
      const db = ts.store.db;
      const fresh = service('T-REPO', 'wf12sn', {
        openAllHours: undefined,
        openingTimes: [{ day: 'Sun', open: '00:00', close: '24:00' }],
      });
      assert.equal(await putDirectoryService(db, fresh), true);
      assert.equal(await putDirectoryService(db, fresh), false);
      const rows = await db.selectFrom('directory_service').select('id').where('id', '=', 'T-REPO').execute();
      assert.equal(rows.length, 1);
      const stored = await getDirectoryService(db, 'T-REPO');
      assert.equal(stored?.postcode, 'WF1 2SN');
      assert.deepEqual(stored?.location, positionOf('WF1'));
      assert.equal(stored?.openAllHours, undefined);
      // Sunday 23:59 BST is inside 00:00–24:00.
      const late = await searchDirectory(db, {
        disposition: 'Dx05',
        postcode: 'WF1',
        at: new Date('2026-06-14T22:59:00Z'),
      });
      assert.equal(late.find((s) => s.id === 'T-REPO')?.openNow, true);
      // A position given explicitly wins over the postcode's district.
      await putDirectoryService(db, { ...fresh, location: { latitude: 53.5, longitude: -1.5 } });
      assert.deepEqual((await getDirectoryService(db, 'T-REPO'))?.location, { latitude: 53.5, longitude: -1.5 });
      await assert.rejects(
        putDirectoryService(db, { ...fresh, dispositions: ['DX5'] }),
        (err: any) => err.status === 400 && /dispositions/.test(err.message),
      );
    });
  });

  it('postcodes: full, compact, lower-case and district forms; the outward code of a compact postcode', () => {
    assert.equal(outwardCode('LS1 4AP'), 'LS1');
    assert.equal(outwardCode('ls14ap'), 'LS1');
    assert.equal(outwardCode('LS146NX'), 'LS14');
    assert.equal(outwardCode('SW1A 1AA'), 'SW1A');
    assert.equal(outwardCode('M11AE'), 'M1');
    assert.equal(outwardCode('WF1'), 'WF1');
    assert.equal(normalisePostcode(' ls14ap '), 'LS1 4AP');
    assert.equal(normalisePostcode('LS14 AP'), undefined, 'a space in the wrong place is not guessed at');
    assert.equal(outwardCode('hello world'), undefined);
    assert.equal(outwardCode(''), undefined);
    assert.deepEqual(positionOf('ls1 4ap'), positionOf('LS1'));
    assert.equal(positionOf('ZZ99 9ZZ'), undefined);
    const leeds = positionOf('LS1')!;
    assert.ok(Math.abs(leeds.latitude - 53.8) < 0.1 && Math.abs(leeds.longitude + 1.55) < 0.1, 'LS1 is central Leeds');
  });

  describe('the demo directory', () => {
    let details: DirectoryService[];
    const bookingCount = (s: DirectoryService) => s.endpoints.filter(isBookingEndpoint).length;
    const requireBooking = (s: DirectoryService) => s.attributes.find((a) => a.name === 'requirebooking')?.value;

    before(async () => {
      assert.equal(await seedDemoDirectory(ts.store.db), DEMO_DIRECTORY.length);
      await seedDemoDirectory(ts.store.db);
      details = await Promise.all(
        DEMO_DIRECTORY.map(async (s) => (await get(`/services/${s.id}`)).body as DirectoryService),
      );
    });

    it('seeding twice changes nothing; its IDs are 2000099xxx and not the demo provider’s', async () => {
      const rows = await ts.store.db
        .selectFrom('directory_service')
        .select('id')
        .where('id', 'like', '20000990%')
        .execute();
      assert.equal(rows.length, DEMO_DIRECTORY.length);
      for (const s of DEMO_DIRECTORY) assert.match(s.id, /^2000099\d{3}$/);
      assert.deepEqual(
        details.map((s) => s.id),
        DEMO_DIRECTORY.map((s) => s.id),
      );
    });

    it('C7, C8: one service has two booking endpoints, some have none (an ITK or email endpoint only)', () => {
      assert.ok(
        details.some((s) => bookingCount(s) === 2),
        'C7: two booking endpoints',
      );
      const none = details.filter((s) => bookingCount(s) === 0);
      assert.ok(none.length > 0, 'C8: no booking endpoint');
      assert.ok(
        none.every((s) => s.endpoints.length > 0),
        'but still a referral endpoint',
      );
    });

    it('C2–C4: requirebooking present-and-true, present-and-false and absent, each on a bookable service', () => {
      assert.ok(
        details.some((s) => bookingCount(s) === 1 && requireBooking(s) === 'true'),
        'C4: requirebooking true',
      );
      assert.ok(
        details.some((s) => bookingCount(s) === 1 && requireBooking(s) === 'false'),
        'C3: requirebooking false',
      );
      assert.ok(
        details.some((s) => bookingCount(s) === 1 && requireBooking(s) === undefined),
        'C2: requirebooking absent',
      );
    });

    it('C11–C17: the booking endpoints name the endpoint directory’s test ASIDs', () => {
      for (const asid of ['200000000901', '200000000902', '200000000903', '200000000904', '200000000905']) {
        assert.equal(
          details.filter((s) => s.endpoints.some((e) => isBookingEndpoint(e) && e.address === `ASID:${asid}`)).length,
          1,
          asid,
        );
      }
      for (const s of details)
        for (const e of s.endpoints.filter(isBookingEndpoint)) assert.match(e.address, /^ASID:2000000009\d\d$/);
    });

    it('ABUS.23: a pharmacy, a dental service, 24/7 services, weekdays 09:00–17:00 only, and children only', () => {
      assert.ok(details.some((s) => s.type === 'Pharmacy') && details.some((s) => s.type === 'Dental'));
      assert.ok(details.some((s) => s.openAllHours === true));
      assert.ok(
        details.some(
          (s) =>
            !s.openAllHours &&
            s.openingTimes.length === 5 &&
            s.openingTimes.every((t) => WEEKDAYS.includes(t.day as 'Mon') && t.open === '09:00' && t.close === '17:00'),
        ),
        'weekdays 09:00–17:00',
      );
      assert.ok(details.some((s) => s.ageRange.min === 0 && s.ageRange.max === 15));
      assert.ok(
        details.every((s) => /^(LS|WF)\d/.test(s.postcode ?? '') && s.location),
        'Leeds and Wakefield, placed on the map',
      );
    });

    it('ABUS.01: late on a Saturday in Leeds, 24/7 services rank first, nearest first; a child sees the children’s service', async () => {
      // Saturday 23:00 BST.
      const { body } = await get(
        '/services?disposition=Dx05&postcode=LS1%204AP&age=40&at=2026-06-13T22:00:00Z&max=100',
      );
      const demo = body.services.filter((s: any) => s.id.startsWith('2000099'));
      const open = demo.filter((s: any) => s.openNow).map((s: any) => s.id);
      assert.deepEqual(open, ['2000099007', '2000099009'], 'St James’s (LS9) is nearer than Wakefield (WF1)');
      assert.ok(
        demo.slice(open.length).every((s: any) => !s.openNow && s.nextOpen),
        'the closed ones follow, each with its next opening',
      );
      assert.ok(!demo.some((s: any) => s.id === '2000099008'), 'the children’s service is not listed for an adult');
      const child = await get('/services?disposition=Dx05&postcode=WF1&age=8&at=2026-06-13T12:00:00Z');
      const childDemo = child.body.services.filter((s: any) => s.id.startsWith('2000099'));
      assert.deepEqual(
        childDemo.slice(0, 2).map((s: any) => s.id),
        ['2000099008', '2000099009'],
        'open, and in the child’s own district (ties by ID)',
      );
    });
  });
});
