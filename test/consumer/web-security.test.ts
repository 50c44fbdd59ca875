/**
 * The call handler's web app as an attacker on the same network meets it (issue 11, findings 8 and 16;
 * docs/security.md "The web app: signing in"): no API without a signed-in session, no answer to a Host
 * it does not know, no change from another origin, the signed-in person named in every JWT the
 * consumer sends, and the security headers on every answer. A real provider, spine and web app on
 * real ports; the requests are the attacker's own.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildWeb, ensureWebBuilt } from '../../src/cli/web.js';
import { registerProviderWith } from '../../src/cli/spine.js';
import { consumerIdentity } from '../../src/consumer/identity.js';
import { buildConsumerWeb } from '../../src/consumer/web.js';
import { BoundedSessionStore } from '../../src/consumer/web-auth.js';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { seedDemoSpine } from '../../src/spine/demo.js';
import { SERVICE, TENANT, startTestProvider, type TestProvider } from '../helpers/provider.js';
import { testStore, type TestStore } from '../helpers/store.js';
import { CALL_HANDLER, SUPERVISOR, rawRequest, signIn, testAuth, type SessionFetch } from '../helpers/web.js';
import { OPERATOR_TOKEN, TEST_SPINE } from '../helpers/spine.js';

const patient = JSON.parse(readFileSync(new URL('../fixtures/examples/patient.json', import.meta.url), 'utf8'));
const NHS = patient.identifier.find((i: any) => /nhs-number/.test(i.system)).value as string;

describe('web app security: sign-in, Host allow-list, same-origin changes, practitioner claims, headers', () => {
  let provider: TestProvider;
  let spineStore: TestStore;
  let consumerStore: TestStore;
  let spine: Spine;
  let web: FastifyInstance;
  let origin: string;
  let port: string;
  let handler: SessionFetch;

  const events = async () =>
    consumerStore.store.db.selectFrom('consumer_event').select(['kind', 'user_id']).orderBy('seq').execute();

  before(async () => {
    await ensureWebBuilt();
    provider = await startTestProvider();
    spineStore = await testStore();
    consumerStore = await testStore();
    spine = await buildSpine({ ...TEST_SPINE, store: spineStore.store });
    const base = (await spine.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    await seedDemoSpine(spineStore.store.db);
    await registerProviderWith(base, {
      root: provider.root(),
      asid: '999000000001',
      ods: 'RT1',
      postcode: 'LS1 4AP',
      dispositions: ['Dx75'],
      operatorToken: OPERATOR_TOKEN,
    });
    web = await buildWeb({
      spine: base,
      store: consumerStore.store,
      auth: testAuth(),
      capacity: { providerOrigin: provider.origin, tenants: [{ id: TENANT, name: 'Test ED' }] },
    });
    origin = (await web.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    port = new URL(origin).port;
    handler = await signIn(origin, CALL_HANDLER);
    // One booking for the patient, made by the signed-in call handler, for the attacks to go after.
    const slots = (await (await handler(`/api/services/${SERVICE}/slots?disposition=Dx75`)).json()) as any;
    const booked = await handler('/api/bookings', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        serviceId: SERVICE,
        slotId: slots.slots[0].id,
        patient,
        reason: 'Security test',
        disposition: 'Dx75',
      }),
    });
    assert.equal(booked.status, 201, await booked.clone().text());
  });

  after(async () => {
    await web?.close();
    await spine?.app.close();
    await spineStore?.dispose();
    await consumerStore?.dispose();
    await provider?.close();
  });

  it('finding 8: a patient’s bookings, or any other API call, without a signed-in session is a 401 and tells nothing', async () => {
    const attack = await fetch(`${origin}/api/bookings?nhsNumber=${NHS}`);
    assert.equal(attack.status, 401);
    const body = (await attack.json()) as any;
    assert.equal(body.code, 'not-signed-in');
    assert.ok(!JSON.stringify(body).includes('appointment'), 'no booking is listed');
    const forged = await fetch(`${origin}/api/bookings?nhsNumber=${NHS}`, {
      headers: { cookie: 'slotbridge_session=made-up.value' },
    });
    assert.equal(forged.status, 401, 'a made-up session cookie is no session');
    for (const path of [
      '/api/dispositions',
      `/api/services/${SERVICE}/slots`,
      '/api/referrals/x',
      '/api/nothing',
      // The router decodes these to the same routes.
      `/%61pi/bookings?nhsNumber=${NHS}`,
      `/api/%62ookings?nhsNumber=${NHS}`,
      '/%63apacity-api/',
    ])
      assert.equal((await fetch(`${origin}${path}`)).status, 401, path);
    const book = await fetch(`${origin}/api/bookings`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(book.status, 401);
    // The capacity forwarder too: without a session it forwards nothing to the provider's admin API.
    const capacity = await fetch(`${origin}/capacity-api/${TENANT}/rotas`, { headers: { authorization: 'Bearer x' } });
    assert.equal(capacity.status, 401);
    assert.equal(((await capacity.json()) as any).resourceType, 'OperationOutcome');
    assert.equal((await fetch(`${origin}/capacity-api/`)).status, 401);

    const mine = (await (await handler(`/api/bookings?nhsNumber=${NHS}`)).json()) as any;
    assert.equal(mine.bookings.length, 1, 'the signed-in call handler sees the booking');
    assert.equal((await handler(`/capacity-api/`)).status, 200);
  });

  it('finding 8: a request naming an unknown Host is refused (421) before anything else, even with a session', async () => {
    const attack = await rawRequest(`${origin}/api/bookings?nhsNumber=${NHS}`, {
      headers: { host: 'attacker.example', cookie: handler.cookie },
    });
    assert.equal(attack.status, 421);
    assert.equal(JSON.parse(attack.body).code, 'unknown-host');
    assert.ok(!attack.body.includes('appointment'));
    for (const host of [`attacker.example:${port}`, `localhost.attacker.example:${port}`]) {
      const page = await rawRequest(`${origin}/`, { headers: { host } });
      assert.equal(page.status, 421, host);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `LOCALHOST:${port}`]) {
      const ok = await rawRequest(`${origin}/api/bookings?nhsNumber=${NHS}`, {
        headers: { host, cookie: handler.cookie },
      });
      assert.equal(ok.status, 200, host);
    }
  });

  it('finding 8: the Host allow-list takes the public URL’s host and configured names', async () => {
    const app = await buildConsumerWeb({
      spine: 'http://127.0.0.1:9',
      identity: consumerIdentity(),
      db: consumerStore.store.db,
      auth: testAuth({ publicUrl: 'https://book.example.nhs.uk', allowedHosts: ['handler-pc.local'] }),
    });
    try {
      const status = async (host: string) => (await app.inject({ url: '/auth/session', headers: { host } })).statusCode;
      assert.equal(await status('book.example.nhs.uk'), 200);
      assert.equal(await status('handler-pc.local:4200'), 200);
      assert.equal(await status('localhost:4200'), 200);
      assert.equal(await status('attacker.example'), 421);
    } finally {
      await app.close();
    }
  });

  it('finding 8: a cross-origin POST is refused (403) and records nothing; the same call from the app’s own page is recorded', async () => {
    // The call handler has searched: the referral is to a service the search showed (whether it is booking-only
    // comes only from a search, hazard H-006).
    const search = await handler('/api/services?disposition=Dx75&postcode=LS1%204AP&age=40');
    assert.equal(search.status, 200, await search.clone().text());
    const before = await events();
    const referral = `/api/services/${SERVICE}/referral`;
    // The attack as found: a page elsewhere posts to the referral route with no body, the browser adding the cookie.
    for (const headers of [
      { origin: 'http://attacker.example' },
      { origin: 'null' },
      { origin: `http://localhost:${Number(port) + 1}` },
      { origin, 'sec-fetch-site': 'cross-site' },
      { origin, 'sec-fetch-site': 'same-site' },
      {},
    ] as Record<string, string>[]) {
      const res = await rawRequest(`${origin}${referral}`, {
        method: 'POST',
        headers: { host: `127.0.0.1:${port}`, cookie: handler.cookie, ...headers },
      });
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.equal(JSON.parse(res.body).code, 'cross-origin');
    }
    const cancel = await rawRequest(`${origin}/api/bookings/cancel`, {
      method: 'POST',
      headers: { cookie: handler.cookie, origin: 'http://attacker.example', 'content-type': 'application/json' },
      body: JSON.stringify({ appointmentUrl: 'x' }),
    });
    assert.equal(cancel.status, 403);
    assert.deepEqual(await events(), before, 'no event was recorded');
    // Nor can another origin sign the browser in as someone else, or out.
    for (const path of ['/auth/local', '/auth/sign-out']) {
      const res = await fetch(`${origin}${path}`, {
        method: 'POST',
        headers: { origin: 'http://attacker.example', 'content-type': 'application/json', cookie: handler.cookie },
        body: JSON.stringify({ username: SUPERVISOR.username, password: SUPERVISOR.password }),
      });
      assert.equal(res.status, 403, path);
      assert.equal(res.headers.get('set-cookie'), null, path);
    }
    assert.equal((await handler('/api/dispositions')).status, 200, 'the session is still there');

    const own = await handler(referral, { method: 'POST', headers: { 'sec-fetch-site': 'same-origin' } });
    assert.equal(own.status, 200, await own.clone().text());
    const after = await events();
    assert.deepEqual(after.slice(before.length), [{ kind: 'referral-sent', user_id: CALL_HANDLER.username }]);
  });

  it('finding 8: the JWT the consumer sends through the proxy names the signed-in person and their role, per request', async () => {
    const supervisor = await signIn(origin, SUPERVISOR);
    await Promise.all([
      handler(`/api/services/${SERVICE}/slots?encounterId=as-handler`),
      supervisor(`/api/services/${SERVICE}/slots?encounterId=as-supervisor`),
    ]);
    await provider.provider.audit.flush();
    const seen = await provider.store.db
      .selectFrom('audit_event')
      .select([
        'practitioner_id',
        'practitioner_name',
        'practitioner_sds_user_id',
        'practitioner_sds_role_profile_id',
        'organisation_ods',
      ])
      .where('ssp_from', '=', consumerIdentity().asid)
      .distinct()
      .execute();
    const byId = Object.fromEntries(seen.map((r) => [r.practitioner_id, r]));
    assert.deepEqual(Object.keys(byId).sort(), [SUPERVISOR.username, CALL_HANDLER.username].sort(), 'no one else');
    assert.match(byId[CALL_HANDLER.username]!.practitioner_name ?? '', /Robin Test/);
    assert.equal(byId[CALL_HANDLER.username]!.practitioner_sds_user_id, 'UNK');
    assert.equal(byId[CALL_HANDLER.username]!.practitioner_sds_role_profile_id, CALL_HANDLER.sdsRoleProfileId);
    assert.match(byId[SUPERVISOR.username]!.practitioner_name ?? '', /Kim Supervisor/);
    assert.equal(byId[SUPERVISOR.username]!.practitioner_sds_user_id, SUPERVISOR.sdsUserId);
    assert.equal(byId[SUPERVISOR.username]!.practitioner_sds_role_profile_id, SUPERVISOR.sdsRoleProfileId);
    assert.ok(
      seen.every((r) => r.organisation_ods === 'A1001'),
      'the organisation stays the consumer system’s',
    );
    const users = await consumerStore.store.db
      .selectFrom('consumer_event')
      .select(['encounter_id', 'user_id'])
      .where('encounter_id', 'in', ['as-handler', 'as-supervisor'])
      .execute();
    assert.deepEqual(
      Object.fromEntries(users.map((u) => [u.encounter_id, u.user_id])),
      { 'as-handler': CALL_HANDLER.username, 'as-supervisor': SUPERVISOR.username },
      'the consumer’s own events name who did it',
    );
  });

  it('finding 8: the session cookie is HttpOnly and SameSite; a wrong password gets none; signing out ends the session', async () => {
    const wrong = await fetch(`${origin}/auth/local`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ username: CALL_HANDLER.username, password: 'guess' }),
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    const unknown = await fetch(`${origin}/auth/local`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nobody', password: CALL_HANDLER.password }),
    });
    assert.equal(unknown.status, 401);

    const res = await fetch(`${origin}/auth/local`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ username: CALL_HANDLER.username, password: CALL_HANDLER.password }),
    });
    const cookie = res.headers.getSetCookie()[0]!;
    assert.match(cookie, /^slotbridge_session=/);
    assert.match(cookie, /; HttpOnly/i);
    assert.match(cookie, /; SameSite=Lax/i);
    assert.match(cookie, /; Path=\//i);
    assert.match(cookie, /; Expires=/i, 'the session ends');
    assert.doesNotMatch(cookie, /; Secure/i, 'plain HTTP on this machine');
    const session = await signIn(origin);
    assert.equal(((await session('/auth/session').then((r) => r.json())) as any).user.name, 'Robin Test');
    assert.equal((await session('/auth/sign-out', { method: 'POST' })).status, 200);
    assert.equal((await session(`/api/bookings?nhsNumber=${NHS}`)).status, 401, 'the old cookie no longer works');
    assert.equal((await handler('/api/dispositions')).status, 200, 'another session is untouched');

    const tls = await buildConsumerWeb({
      spine: 'http://127.0.0.1:9',
      identity: consumerIdentity(),
      db: consumerStore.store.db,
      auth: testAuth({ publicUrl: 'https://book.example.nhs.uk', trustProxy: '127.0.0.1' }),
    });
    try {
      const signInVia = (proto: string) =>
        tls.inject({
          method: 'POST',
          url: '/auth/local',
          remoteAddress: '127.0.0.1',
          headers: { host: 'book.example.nhs.uk', origin: 'https://book.example.nhs.uk', 'x-forwarded-proto': proto },
          payload: { username: CALL_HANDLER.username, password: CALL_HANDLER.password },
        });
      const signedIn = await signInVia('https');
      assert.equal(signedIn.statusCode, 200, signedIn.body);
      assert.match(String(signedIn.headers['set-cookie']), /; Secure/i, 'served over TLS: Secure');
      const plain = await signInVia('http');
      assert.equal(plain.headers['set-cookie'], undefined, 'an https app sets no session cookie over plain HTTP');
      assert.match(String(signedIn.headers['strict-transport-security']), /max-age=/);
    } finally {
      await tls.close();
    }
  });

  it('sessions are bounded: the oldest give way, and an expired one is gone', () => {
    const store = new BoundedSessionStore(2, 60_000);
    const session = (expires: number) => ({ cookie: { expires: new Date(expires), originalMaxAge: null } }) as any;
    const got = (id: string) => {
      let out: unknown;
      store.get(id, (_err, s) => (out = s));
      return out;
    };
    const far = Date.now() + 60_000;
    for (const id of ['a', 'b', 'c']) store.set(id, session(far), () => {});
    assert.equal(store.size, 2);
    assert.equal(got('a'), null, 'the oldest gave way');
    assert.ok(got('c'));
    store.set('old', session(Date.now() - 1), () => {});
    assert.equal(got('old'), null, 'an expired session is not answered');
  });

  it('finding 16: every answer carries the security headers; the page’s CSP allows no inline script and no framing', async () => {
    const answers = [
      await fetch(`${origin}/`),
      await fetch(`${origin}/capacity/day`),
      await fetch(`${origin}/api/dispositions`),
      await handler('/api/dispositions'),
      await fetch(`${origin}/auth/session`),
    ];
    assert.match(answers[0]!.headers.get('content-type') ?? '', /text\/html/);
    for (const res of answers) {
      const csp = res.headers.get('content-security-policy') ?? '';
      const directive = (name: string) =>
        csp
          .split(';')
          .map((d) => d.trim())
          .find((d) => d.startsWith(`${name} `));
      assert.equal(directive('script-src'), "script-src 'self'", csp);
      assert.equal(directive('default-src'), "default-src 'self'");
      assert.equal(directive('frame-ancestors'), "frame-ancestors 'none'");
      assert.equal(directive('object-src'), "object-src 'none'");
      assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(res.headers.get('strict-transport-security'), null, 'not over plain HTTP');
    }
    const page = await answers[0]!.text();
    assert.doesNotMatch(page, /<script(?![^>]*\ssrc=)[^>]*>/, 'the built page has no inline script');
  });
});
