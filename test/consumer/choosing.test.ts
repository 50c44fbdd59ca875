/**
 * Choosing a service and confirming a booking (issue 12, findings 6 and 8) on the server: the order
 * of the services list, plain reasons, no-fixed-abode postcodes, the short reference and the bookings
 * list's service names; the pure rules first, then the booking app's API over real HTTP.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { registerProviderWith } from '../../src/cli/spine.js';
import { isNoFixedAbode, orderForChoice, plainReason, shortReference } from '../../src/consumer/choosing.js';
import { consumerIdentity } from '../../src/consumer/identity.js';
import { buildConsumerWeb } from '../../src/consumer/web.js';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { seedDemoSpine } from '../../src/spine/demo.js';
import { SERVICE, startTestProvider, type TestProvider } from '../helpers/provider.js';
import { testStore, type TestStore } from '../helpers/store.js';
import { signIn, testAuth, type SessionFetch } from '../helpers/web.js';
import { OPERATOR_TOKEN, TEST_SPINE } from '../helpers/spine.js';

const patient = JSON.parse(readFileSync(new URL('../fixtures/examples/patient.json', import.meta.url), 'utf8'));

const found = (rank: number, bookable: boolean, bookingOnly = false) => ({
  service: { rank },
  route: { bookable },
  bookingOnly,
});

describe('choosing a service: the rules', () => {
  it('the directory’s first service stays first; then bookable, referral-only, unusable booking-only, each in directory order', () => {
    const list = [
      found(1, false),
      found(2, false, true),
      found(3, true),
      found(4, false),
      found(5, true, true),
      found(6, true),
    ];
    assert.deepEqual(
      orderForChoice(list).map((f) => f.service.rank),
      [1, 3, 5, 6, 4, 2],
    );
    assert.deepEqual(
      orderForChoice([found(2, true), found(1, false)]).map((f) => f.service.rank),
      [1, 2],
    );
    assert.deepEqual(orderForChoice([]), []);
  });

  it('a reason for no booking in plain words: no ASID, endpoint or interaction in it', () => {
    for (const reason of [
      'no-booking-endpoint',
      'several-booking-endpoints',
      'unsupported-endpoint-address',
      'no-such-asid',
      'no-booking-interactions',
      'care-connect-and-gp-connect',
      'no-endpoint',
      'several-endpoints',
      'invalid-endpoint',
    ])
      assert.doesNotMatch(
        plainReason(reason),
        /ASID|endpoint|interaction|SDS|FHIR|GP Connect|Care Connect|\d{6}/i,
        reason,
      );
  });

  it('ZZ99 pseudo-postcodes are no fixed abode, whatever their spacing; real postcodes are not', () => {
    for (const p of ['ZZ99 3VZ', 'zz993vz', 'ZZ99 3WZ', ' ZZ99 3CZ', 'ZZ99']) assert.equal(isNoFixedAbode(p), true, p);
    for (const p of ['LS1 4AP', 'ZZ9', 'Z99 1AA', '', undefined]) assert.equal(isNoFixedAbode(p), false, String(p));
  });

  it('the short reference is the appointment id’s first 8 characters, upper case', () => {
    assert.equal(shortReference('3f2a9c1b-7d4e-4a5b-9c0d-123456789abc'), '3F2A9C1B');
  });
});

describe('choosing a service: the booking app API', () => {
  let provider: TestProvider;
  let spineStore: TestStore;
  let consumerStore: TestStore;
  let spine: Spine;
  let spineBase: string;
  let web: FastifyInstance;
  let api: string;
  let origin: string;
  let session: SessionFetch;
  const authed = (url: string, init: RequestInit = {}) =>
    fetch(url, { ...init, headers: { origin, ...init.headers, cookie: session.cookie } });
  const get = async (path: string) => {
    const res = await authed(`${api}${path}`);
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async () => {
    provider = await startTestProvider();
    spineStore = await testStore();
    consumerStore = await testStore();
    spine = await buildSpine({ ...TEST_SPINE, store: spineStore.store });
    spineBase = (await spine.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    await seedDemoSpine(spineStore.store.db);
    await registerProviderWith(spineBase, {
      operatorToken: OPERATOR_TOKEN,
      root: provider.root(),
      asid: '999000000001',
      ods: 'RT1',
      postcode: 'LS1 4AP',
      dispositions: ['Dx05', 'Dx75'],
    });
    web = await buildConsumerWeb({
      spine: spineBase,
      identity: consumerIdentity(),
      db: consumerStore.store.db,
      auth: testAuth(),
    });
    origin = (await web.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    api = `${origin}/api`;
    session = await signIn(origin);
  });

  after(async () => {
    await web.close();
    await spine.app.close();
    await spineStore.dispose();
    await consumerStore.dispose();
    await provider.close();
  });

  it('the services list: rank 1 first, then the bookable ones; each refusal in plain words beside the technical one', async () => {
    const { status, body } = await get('/services?disposition=Dx05&postcode=LS1%204AP');
    assert.equal(status, 200, JSON.stringify(body));
    const services = body.services as any[];
    assert.ok(services.length > 3);
    assert.equal(services[0].service.rank, 1);
    const rest = services.slice(1);
    const firstUnbookable = rest.findIndex((f) => !f.route.bookable);
    assert.ok(firstUnbookable > 0, 'a bookable service comes before the unbookable ones');
    assert.ok(
      rest.slice(firstUnbookable).every((f) => !f.route.bookable),
      'no bookable service after an unbookable one',
    );
    assert.ok(services.some((f) => f.service.id === SERVICE && f.route.bookable));
    for (const f of services.filter((s) => !s.route.bookable)) {
      assert.ok(f.route.plain, `${f.service.name} has a plain reason`);
      assert.doesNotMatch(f.route.plain, /ASID|endpoint/i);
      assert.ok(f.route.message, 'the technical reason is kept for support');
    }
    // The order only moves services: the same services, the same ranks.
    assert.deepEqual(
      services.map((f) => f.service.rank).sort((a, b) => a - b),
      services.map((_, i) => i + 1),
    );
  });

  it('a ZZ99 postcode: the directory refuses it as no place; the app asks where the patient is now, and searches there', async () => {
    const dos = await fetch(`${spineBase}/directory/services?disposition=Dx05&postcode=ZZ99%203VZ`);
    assert.equal(dos.status, 400);
    const outcome = (await dos.json()) as any;
    assert.match(JSON.stringify(outcome), /pseudo-postcode \(no fixed abode/);

    const refused = await get('/services?disposition=Dx05&postcode=ZZ99%203VZ');
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 'no-fixed-abode');
    assert.match(refused.body.message, /where the patient is now/);

    const nowhere = await get('/services?disposition=Dx05&postcode=ZZ99%203VZ&location=zz99%203wz');
    assert.equal(nowhere.status, 400);
    assert.equal(nowhere.body.code, 'location-no-fixed-abode');

    const there = await get('/services?disposition=Dx05&postcode=ZZ99%203VZ&location=LS1');
    assert.equal(there.status, 200, JSON.stringify(there.body));
    assert.ok(there.body.services.some((f: any) => f.service.id === SERVICE));
  });

  it('a booking carries its short reference; the bookings list names the service and the reference, not only ids', async () => {
    const slots = await get(`/services/${SERVICE}/slots?disposition=Dx75`);
    const res = await authed(`${api}/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        serviceId: SERVICE,
        slotId: slots.body.slots[0].id,
        patient,
        reason: 'Cough',
        disposition: 'Dx75',
      }),
    });
    const booked = (await res.json()) as any;
    assert.equal(res.status, 201, JSON.stringify(booked));
    assert.equal(booked.reference, booked.appointmentId.slice(0, 8).toUpperCase());
    assert.match(booked.reference, /^[0-9A-F]{8}$/);
    const list = await get('/bookings?nhsNumber=9476719931');
    assert.equal(list.status, 200);
    const row = list.body.bookings.find((b: any) => b.appointmentUrl === booked.appointmentUrl);
    assert.equal(row.serviceName, 'Test ED (adults)');
    assert.equal(row.reference, booked.reference);
  });
});
