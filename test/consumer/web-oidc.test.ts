/**
 * Signing in to the web app with OpenID Connect (src/consumer/web-auth.ts) against a real OpenID
 * provider running in the test (panva's oidc-provider, shaped like NHS CIS2: `uid`, `selected_roleid`,
 * `nhsid_nrbac_roles`), over real HTTP: the authorization code flow with PKCE, the sign-in forms of
 * the provider submitted as a browser would, the session the web app makes of it, and the refusals.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import Provider from 'oidc-provider';
import { consumerIdentity } from '../../src/consumer/identity.js';
import { buildConsumerWeb } from '../../src/consumer/web.js';
import type { OidcSettings } from '../../src/consumer/web-auth.js';
import { testStore, type TestStore } from '../helpers/store.js';

/** The people the test provider knows, with CIS2's claims. */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  'alice-sub': {
    sub: 'alice-sub',
    name: 'Alice Example',
    given_name: 'Alice',
    family_name: 'Example',
    uid: '555000000042',
    selected_roleid: '555254242106',
    nhsid_nrbac_roles: [
      { person_roleid: '555254242105', role_name: '"Admin & Clerical":"Admin":"Receptionist"', org_code: 'X1' },
      {
        person_roleid: '555254242106',
        role_name: '"Clinical":"Clinical Provision":"Nurse Access Role"',
        org_code: 'A1001',
      },
    ],
  },
};

/** A cookie jar per origin, enough for the two servers here (paths and expiry are not needed). */
class Jar {
  private readonly cookies = new Map<string, Map<string, string>>();
  header(url: string): string {
    return [...(this.cookies.get(new URL(url).origin) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  keep(url: string, res: Response): void {
    const origin = new URL(url).origin;
    const jar = this.cookies.get(origin) ?? new Map<string, string>();
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const at = pair!.indexOf('=');
      const value = pair!.slice(at + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(pair!.slice(0, at));
      else jar.set(pair!.slice(0, at), value);
    }
    this.cookies.set(origin, jar);
  }
}

/**
 * Goes where a browser would: follows redirects, and on the OpenID provider's pages submits the
 * form (its login form with `login`, or its consent form) until it lands back outside the provider.
 */
async function browse(jar: Jar, start: string, issuer: string, login: string): Promise<{ url: string; res: Response }> {
  let url = start;
  let init: { method: string; body?: URLSearchParams } = { method: 'GET' };
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(url, {
      method: init.method,
      body: init.body,
      redirect: 'manual',
      headers: { cookie: jar.header(url), origin: new URL(url).origin },
    });
    jar.keep(url, res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url).href;
      if (!next.startsWith(issuer)) return { url: next, res };
      url = next;
      init = { method: 'GET' };
      continue;
    }
    if (!url.startsWith(issuer)) return { url, res };
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    assert.ok(action, `the provider's page has no form: ${html.slice(0, 500)}`);
    const fields = new URLSearchParams();
    for (const m of html.matchAll(/<input[^>]*name="([^"]+)"[^>]*>/g)) {
      const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
      fields.set(m[1]!, m[1] === 'login' ? login : m[1] === 'password' ? 'any' : value);
    }
    url = new URL(action.replace(/&amp;/g, '&'), url).href;
    init = { method: 'POST', body: fields };
  }
  throw new Error('too many hops');
}

describe('web app: OpenID Connect sign-in against a real OpenID provider', () => {
  let idp: Server;
  let issuer: string;
  let consumerStore: TestStore;
  let web: FastifyInstance;
  let origin: string;
  let keyWeb: FastifyInstance;
  let keyOrigin: string;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const settings = (o: Partial<OidcSettings>): OidcSettings => ({
    issuer,
    clientId: 'slotbridge-web',
    clientSecret: 'a client secret long enough for the test',
    scopes: 'openid profile nationalrbacaccess selectedrole',
    allowHttp: true,
    ...o,
  });

  before(async () => {
    idp = createServer();
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(idp.address() as { port: number }).port}`;
    consumerStore = await testStore();
    const build = (oidc: OidcSettings) =>
      buildConsumerWeb({
        spine: 'http://127.0.0.1:9',
        identity: consumerIdentity(),
        db: consumerStore.store.db,
        auth: { oidc },
      });
    web = await build(settings({}));
    origin = (await web.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    keyWeb = await build(
      settings({
        clientId: 'slotbridge-web-key',
        clientSecret: undefined,
        privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        keyId: 'test-key-1',
      }),
    );
    keyOrigin = (await keyWeb.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');

    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'slotbridge-web',
          client_secret: 'a client secret long enough for the test',
          redirect_uris: [`${origin}/auth/oidc/callback`],
          token_endpoint_auth_method: 'client_secret_basic',
        },
        {
          client_id: 'slotbridge-web-key',
          redirect_uris: [`${keyOrigin}/auth/oidc/callback`],
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'RS512',
          jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS512' }] },
        },
      ] as any,
      pkce: { required: () => true, methods: ['S256'] } as any,
      scopes: ['openid', 'profile', 'nationalrbacaccess', 'selectedrole'],
      claims: {
        openid: ['sub'],
        profile: ['name', 'given_name', 'family_name', 'uid'],
        nationalrbacaccess: ['nhsid_nrbac_roles'],
        selectedrole: ['selected_roleid'],
      },
      enabledJWA: { clientAuthSigningAlgValues: ['RS256', 'RS512'] } as any,
      findAccount: async (_ctx: unknown, sub: string) =>
        ACCOUNTS[sub] ? { accountId: sub, claims: async () => ACCOUNTS[sub]! } : undefined,
      cookies: { keys: ['a cookie key for the test provider'] },
    } as any);
    // The provider's own warnings (development keys and interactions) are expected here.
    (provider as any).on('server_error', (_ctx: unknown, err: Error) => process.stderr.write(`idp: ${err.stack}\n`));
    idp.on('request', provider.callback());
  });

  after(async () => {
    await web?.close();
    await keyWeb?.close();
    await new Promise((resolve) => idp?.close(resolve));
    await consumerStore?.dispose();
  });

  async function signInAs(at: string, login: string) {
    const jar = new Jar();
    const startRes = await fetch(`${at}/auth/oidc/start`, { redirect: 'manual' });
    jar.keep(at, startRes);
    const authorize = new URL(startRes.headers.get('location')!);
    assert.equal(authorize.origin, issuer, 'sent to the OpenID provider');
    const back = await browse(jar, authorize.href, issuer, login);
    const landed = await fetch(back.url, { redirect: 'manual', headers: { cookie: jar.header(back.url) } });
    jar.keep(back.url, landed);
    const session = (await (await fetch(`${at}/auth/session`, { headers: { cookie: jar.header(at) } })).json()) as any;
    return { jar, authorize, callback: new URL(back.url), landed, session };
  }

  it('authorization code flow with PKCE: the person and role come from the ID token and userinfo (CIS2 claims)', async () => {
    const { jar, authorize, callback, landed, session } = await signInAs(origin, 'alice-sub');
    assert.equal(authorize.searchParams.get('response_type'), 'code');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authorize.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok(authorize.searchParams.get('state') && authorize.searchParams.get('nonce'));
    assert.equal(authorize.searchParams.get('redirect_uri'), `${origin}/auth/oidc/callback`);
    assert.equal(callback.pathname, '/auth/oidc/callback');
    assert.equal(landed.status, 302);
    assert.equal(landed.headers.get('location'), '/');
    assert.deepEqual(session.user, {
      id: 'alice-sub',
      given: 'Alice',
      family: 'Example',
      name: 'Alice Example',
      role: '"Clinical":"Clinical Provision":"Nurse Access Role"',
      sdsUserId: '555000000042',
      sdsRoleProfileId: '555254242106',
      via: 'oidc',
    });
    assert.equal(session.signIn.oidc, 'Sign in with NHS CIS2');
    assert.equal(session.signIn.local, false);
    const api = await fetch(`${origin}/api/dispositions`, { headers: { cookie: jar.header(origin) } });
    assert.equal(api.status, 200, 'signed in: the API answers');
    // Another site linking to the start of a sign-in does not end this one.
    const again = await fetch(`${origin}/auth/oidc/start`, {
      redirect: 'manual',
      headers: { cookie: jar.header(origin) },
    });
    assert.equal(again.headers.get('location'), '/');
    assert.equal((await fetch(`${origin}/api/dispositions`, { headers: { cookie: jar.header(origin) } })).status, 200);
  });

  it('private_key_jwt: the web app authenticates to the token endpoint with its own key (RS512)', async () => {
    const { session } = await signInAs(keyOrigin, 'alice-sub');
    assert.equal(session.user?.id, 'alice-sub');
  });

  it('a callback with a forged state, a replayed code, or no sign-in under way signs nobody in', async () => {
    // Start a real sign-in and stop at the callback, then tamper with it.
    const jar = new Jar();
    const startRes = await fetch(`${origin}/auth/oidc/start`, { redirect: 'manual' });
    jar.keep(origin, startRes);
    const back = await browse(jar, startRes.headers.get('location')!, issuer, 'alice-sub');
    const forged = new URL(back.url);
    forged.searchParams.set('state', 'attacker-state');
    const refused = await fetch(forged, { redirect: 'manual', headers: { cookie: jar.header(origin) } });
    jar.keep(origin, refused);
    assert.equal(refused.headers.get('location'), '/sign-in?problem=oidc-refused');
    const after = (await (
      await fetch(`${origin}/auth/session`, { headers: { cookie: jar.header(origin) } })
    ).json()) as any;
    assert.equal(after.user, null);
    // The genuine callback, now that its sign-in was abandoned, is refused too.
    const replay = await fetch(back.url, { redirect: 'manual', headers: { cookie: jar.header(origin) } });
    assert.equal(replay.headers.get('location'), '/sign-in?problem=oidc-no-pending');
    // An attacker's own code, delivered to a victim's browser with no sign-in under way (login CSRF).
    const own = await signInAs(origin, 'alice-sub');
    assert.ok(own.session.user);
    const victim = await fetch(back.url, { redirect: 'manual' });
    assert.equal(victim.headers.get('location'), '/sign-in?problem=oidc-no-pending');
    assert.equal(victim.headers.get('set-cookie'), null);
  });
});
