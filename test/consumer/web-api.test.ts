/**
 * The booking app's JSON API (src/consumer/web.ts) over real HTTP: what the web pages rely on, and the
 * referral documents a provider fetches.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { registerProviderWith } from '../../src/cli/spine.js';
import { consumerIdentity } from '../../src/consumer/identity.js';
import { buildConsumerWeb } from '../../src/consumer/web.js';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { seedDemoSpine } from '../../src/spine/demo.js';
import { SERVICE, startTestProvider, type TestProvider } from '../helpers/provider.js';
import { testStore, type TestStore } from '../helpers/store.js';
import { signIn, testAuth, type SessionFetch } from '../helpers/web.js';
import { OPERATOR_TOKEN, TEST_SPINE } from '../helpers/spine.js';

const patient = JSON.parse(readFileSync(new URL('../fixtures/examples/patient.json', import.meta.url), 'utf8'));

describe('booking app API', () => {
  let provider: TestProvider;
  let spineStore: TestStore;
  let consumerStore: TestStore;
  let spine: Spine;
  let web: FastifyInstance;
  let api: string;
  let origin: string;
  let session: SessionFetch;
  /** A fetch of the signed-in call handler's browser: its session cookie and the app's own Origin. */
  const authed = (url: string, init: RequestInit = {}) =>
    fetch(url, { ...init, headers: { origin, ...init.headers, cookie: session.cookie } });

  before(async () => {
    provider = await startTestProvider();
    spineStore = await testStore();
    consumerStore = await testStore();
    spine = await buildSpine({ ...TEST_SPINE, store: spineStore.store });
    const base = (await spine.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    await seedDemoSpine(spineStore.store.db);
    await registerProviderWith(base, {
      operatorToken: OPERATOR_TOKEN,
      root: provider.root(),
      asid: '999000000001',
      ods: 'RT1',
      postcode: 'LS1 4AP',
      dispositions: ['Dx75'],
    });
    web = await buildConsumerWeb({
      spine: base,
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

  const post = async (path: string, body: unknown) => {
    const res = await authed(`${api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('the settings page: where the app’s DoS, SDS and proxy calls go, and never a password or key', async () => {
    assert.equal((await fetch(`${api}/settings`)).status, 401, 'signed-in call handlers only');
    const res = await authed(`${api}/settings`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const settings = JSON.parse(text);
    const spineBase = new URL(settings.proxy).origin;
    assert.deepEqual(settings, {
      dos: `${spineBase}/app/api/webservices`,
      dosUser: 'slotbridge-demo',
      sds: `${spineBase}/spine-directory/FHIR/R4`,
      proxy: `${spineBase}/proxy`,
      clientCertificate: false,
      asid: '200000000111',
      odsCode: 'A1001',
    });
    assert.doesNotMatch(text, /slotbridge-demo-password|slotbridge-demo-apikey/);
  });

  it('fs_xfercare: after a booking the provider can fetch the referral document by the UUID the booking carried', async () => {
    const slots = (await (await authed(`${api}/services/${SERVICE}/slots?disposition=Dx75`)).json()) as any;
    assert.ok(slots.slots.every((s: any) => s.breachMinutes === 0));
    const booked = await post('/bookings', {
      serviceId: SERVICE,
      slotId: slots.slots[0].id,
      patient,
      reason: 'Referral test',
      disposition: 'Dx75',
    });
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    const version = await provider.store.db
      .selectFrom('appointment_version')
      .select('content')
      .where('id', '=', booked.body.appointmentId)
      .executeTakeFirstOrThrow();
    const documentId = JSON.parse(version.content).contained.find((r: any) => r.resourceType === 'DocumentReference')
      .identifier[0].value;
    const doc = await authed(`${api}/referrals/${documentId}`);
    assert.equal(doc.status, 200);
    assert.match(doc.headers.get('content-type') ?? '', /application\/hl7-v3\+xml/);
    const text = await doc.text();
    assert.ok(text.includes(`<linkHtml href="${booked.body.appointmentUrl}">`));
    assert.equal((await authed(`${api}/referrals/00000000-0000-0000-0000-000000000000`)).status, 404);
  });

  it('a patient without the details a booking needs, or a missing slot, is a 4xx whose message says what to fix', async () => {
    const noBirthDate = await post('/bookings', {
      serviceId: SERVICE,
      slotId: 'x',
      patient: { ...patient, birthDate: undefined },
      reason: 'x',
    });
    assert.equal(noBirthDate.status, 400);
    assert.match(noBirthDate.body.message, /Enter the patient’s date of birth/);
    assert.deepEqual(noBirthDate.body.problems, [{ field: 'birthDate', message: 'Enter the patient’s date of birth' }]);
    const gone = await post('/bookings', { serviceId: SERVICE, slotId: 'no-such-slot', patient, reason: 'x' });
    assert.equal(gone.status, 409);
    assert.equal(gone.body.code, 'slot-gone');
    assert.ok(Array.isArray(gone.body.nextSlots));
    const noService = await authed(`${api}/services?disposition=Dx05`);
    assert.equal(noService.status, 400);
    assert.equal((await authed(`${api}/nothing`)).status, 404);
    const notJson = await authed(`${api}/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"serviceId":',
    });
    assert.equal(notJson.status, 400, 'a malformed body is the client’s mistake, not a 500');
    assert.match(((await notJson.json()) as any).message, /could not be read/);
  });

  it('route schemas: a wrong type or a missing field is a 400 with the field’s code and message, and nothing is booked', async () => {
    const count = async (table: 'consumer_booking' | 'consumer_event') =>
      Number(
        (
          await consumerStore.store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const slotId = ((await (await authed(`${api}/services/${SERVICE}/slots`)).json()) as any).slots[0].id;
    const before = [await count('consumer_booking'), await count('consumer_event')];
    const booking = { serviceId: SERVICE, slotId, patient, reason: 'Schema test', disposition: 'Dx75' };
    // Before the schemas a flag that was not true was read as false, and the booking went ahead.
    for (const [body, code, message] of [
      [{ ...booking, approveBreach: 'yes' }, 'bad-request', /^approveBreach must be true or false$/],
      [{ ...booking, encounterId: 42 }, 'bad-request', /^encounterId must be text$/],
      [{ ...booking, slotId: '  ' }, 'missing', /^Choose a service and a slot\.$/],
      [{ ...booking, serviceId: undefined }, 'missing', /^Choose a service and a slot\.$/],
      ['a booking', 'bad-request', /^The request body must be a JSON object\.$/],
    ] as const) {
      const res = await post('/bookings', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.code, code);
      assert.equal(res.body.source, 'consumer');
      assert.match(res.body.message, message);
    }
    const rebook = await post('/bookings/rebook', { appointmentUrl: 'x' });
    assert.deepEqual([rebook.status, rebook.body.code], [400, 'missing']);
    assert.match(rebook.body.message, /Which appointment, and which new slot\?/);
    assert.deepEqual([await count('consumer_booking'), await count('consumer_event')], before);
    assert.ok(
      ((await (await authed(`${api}/services/${SERVICE}/slots`)).json()) as any).slots.some(
        (s: any) => s.id === slotId,
      ),
      'the slot is still offered',
    );

    const get = async (path: string) => {
      const res = await authed(`${api}${path}`);
      return { status: res.status, body: (await res.json()) as any };
    };
    const services = '/services?disposition=Dx75&postcode=LS1%204AP';
    assert.equal((await get(`${services}&age=40`)).status, 200, 'a query number is read from its digits');
    assert.equal((await get(`${services}&age=`)).status, 200, 'an empty age is no age');
    for (const age of ['4.5', '131', 'forty'])
      assert.deepEqual((await get(`${services}&age=${age}`)).body.code, 'bad-age', age);
    assert.equal((await get('/services?disposition=Dx75&postcode=%20')).body.code, 'missing');
    assert.equal((await get('/bookings?nhsNumber=943%20476%205919')).status, 200);
    const nhs = await get('/bookings?nhsNumber=12345');
    assert.deepEqual([nhs.status, nhs.body.code], [400, 'bad-nhs-number']);
  });
});
