/**
 * A rebook is held to the time frame of the assessment the booking was made for (issue 12, hazard
 * H-001 in docs/clinical-safety.md): the booking app's API refuses a new slot outside the time frame
 * without the clinician's approval, whatever the page sends, as it refuses such a booking.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { addSlots } from '../../src/capacity/catalogue.js';
import { registerProviderWith } from '../../src/cli/spine.js';
import { consumerIdentity } from '../../src/consumer/identity.js';
import { buildConsumerWeb } from '../../src/consumer/web.js';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { seedDemoSpine } from '../../src/spine/demo.js';
import { HOUR, SERVICE, TENANT, quarterHourSlots, startTestProvider, type TestProvider } from '../helpers/provider.js';
import { testStore, type TestStore } from '../helpers/store.js';
import { signIn, testAuth, type SessionFetch } from '../helpers/web.js';
import { OPERATOR_TOKEN, TEST_SPINE } from '../helpers/spine.js';

const patient = JSON.parse(readFileSync(new URL('../fixtures/examples/patient.json', import.meta.url), 'utf8'));

describe('booking app API: a rebook keeps the time frame of the assessment', () => {
  let provider: TestProvider;
  let spineStore: TestStore;
  let consumerStore: TestStore;
  let spine: Spine;
  let web: FastifyInstance;
  let api: string;
  let origin: string;
  let session: SessionFetch;
  // Dx06: within 6 hours. Slots in 2 hours are within it; slots in 30 hours are not.
  const soon = quarterHourSlots('soon', 'S1', Math.ceil((Date.now() + 2 * HOUR) / 900_000) * 900_000, 3);
  const late = quarterHourSlots('late', 'S1', Math.ceil((Date.now() + 30 * HOUR) / 900_000) * 900_000, 3);

  before(async () => {
    provider = await startTestProvider();
    await addSlots(provider.store, TENANT, [...soon, ...late]);
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
      dispositions: ['Dx06'],
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
    const res = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: { origin, cookie: session.cookie, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const appointmentStatus = async (url: string) =>
    (
      await provider.store.db
        .selectFrom('appointment')
        .select('status')
        .where('id', '=', url.split('/').pop()!)
        .executeTakeFirstOrThrow()
    ).status;
  const book = async (slotId: string) => {
    const booked = await post('/bookings', {
      serviceId: SERVICE,
      slotId,
      patient,
      reason: 'Chest pain, Dx06',
      disposition: 'Dx06',
      encounterId: 'enc-rebook-frame',
    });
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    return booked.body.appointmentUrl as string;
  };

  it('refuses a rebook outside the Dx06 time frame without approval (409 breach-needs-approval); the old booking stands', async () => {
    const url = await book(soon[0]!.id);
    // The page sends no disposition: the server holds the rebook to the booking's own assessment.
    const refused = await post('/bookings/rebook', { appointmentUrl: url, slotId: late[0]!.id });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'breach-needs-approval');
    assert.match(refused.body.message, /after the Dx06 time frame ends/);
    assert.ok(refused.body.breachMinutes > 0);
    assert.equal(await appointmentStatus(url), 'booked', 'the old appointment is not cancelled');
    const slot = await provider.store.db
      .selectFrom('slot')
      .select('status')
      .where('id', '=', late[0]!.id)
      .executeTakeFirstOrThrow();
    assert.equal(slot.status, 'free', 'the late slot is not booked');
  });

  it('a disposition the page sends cannot widen the time frame of a booking the consumer made', async () => {
    const url = await book(soon[1]!.id);
    // Dx10 has no time frame; the booking was made for Dx06, so the rebook is still refused.
    const refused = await post('/bookings/rebook', { appointmentUrl: url, slotId: late[1]!.id, disposition: 'Dx10' });
    assert.deepEqual([refused.status, refused.body.code], [409, 'breach-needs-approval']);
    const again = await post('/bookings/rebook', { appointmentUrl: url, slotId: late[1]!.id, approveBreach: false });
    assert.deepEqual([again.status, again.body.code], [409, 'breach-needs-approval']);
    assert.equal(await appointmentStatus(url), 'booked');
  });

  it('rebooks outside the time frame with approval, and within it without; the bookings list says the assessment', async () => {
    const first = await book(soon[2]!.id);
    const approved = await post('/bookings/rebook', {
      appointmentUrl: first,
      slotId: late[2]!.id,
      approveBreach: true,
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(await appointmentStatus(first), 'cancelled');
    // The rebooked appointment keeps the assessment: moving it back within the frame needs no approval.
    const second = approved.body.booked.appointmentUrl as string;
    const back = await post('/bookings/rebook', { appointmentUrl: second, slotId: soon[2]!.id });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    const list = (await (
      await fetch(`${api}/bookings?nhsNumber=9476719931`, { headers: { origin, cookie: session.cookie } })
    ).json()) as any;
    const now = list.bookings.find((b: any) => b.appointmentUrl === back.body.booked.appointmentUrl);
    assert.equal(now.disposition, 'Dx06');
    assert.equal(now.serviceName, 'Test ED (adults)');
    assert.ok(now.patientName.length > 0);
  });
});
