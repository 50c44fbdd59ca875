/**
 * Who may use the call handler's web app, and from where (docs/security.md, "The web app: signing in"):
 *
 * - a Host allow-list: a request naming any other host is refused (421) before anything else runs, so a
 *   DNS-rebinding page or a mistyped proxy cannot reach the API;
 * - a same-origin rule for every state-changing call (POST, PUT, PATCH, DELETE): its `Origin` must be
 *   the app's own and `Sec-Fetch-Site`, when sent, `same-origin`; anything else is a 403 and nothing runs;
 * - sign-in: OpenID Connect (authorization code flow with PKCE, through openid-client; configurable for
 *   NHS CIS2) and, for the demo network, local users with passwords;
 * - a session cookie (HttpOnly, SameSite=Lax, Secure over TLS) naming a server-side session that ends
 *   after a fixed time, on sign-out, or when the bounded store has to make room;
 * - every `/api/*` and `/capacity-api/*` call needs a signed-in session (401 otherwise);
 * - failed local sign-ins are limited per client address and per user name (429 with Retry-After, before
 *   the password is checked), and every sign-in, sign-out and refused sign-in is recorded in the
 *   consumer's event log (never the password; refusals bounded as the admin API's are);
 * - security headers (@fastify/helmet): a Content-Security-Policy without inline script, no framing,
 *   no sniffing, no referrer.
 *
 * The signed-in person (name, role, SDS user and role profile ids) is what the consumer names as the
 * requesting practitioner in the JWT of every call it makes for them (see web.ts).
 */
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifySession from '@fastify/session';
import type { FastifyInstance, FastifyReply, FastifyRequest, Session } from 'fastify';
import { randomBytes, scrypt, timingSafeEqual, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import * as oidc from 'openid-client';
import { failureLimiter, refusalBudget, normalizeIP } from '../validation/failure-limit.js';
import { faultFrom, routeSchemaCompiler } from '../validation/route-schema.js';
import { ConsumerError } from './errors.js';
import { NO_EVENTS, type ConsumerEvent, type EventSink } from './events.js';
import { SessionInfo, SignInRequest, type SessionUser } from './web-schemas.js';

/** The person signed in to the web app, as the practitioner claims of the JWT name them. */
export type SignedInUser = SessionUser;

/** A local user of the demo network (or a small site without an identity provider). */
export interface LocalUser {
  username: string;
  password: string;
  given: string;
  family: string;
  role: string;
  sdsUserId?: string;
  sdsRoleProfileId?: string;
}

/** OpenID Connect sign-in (for NHS CIS2 see docs/consumer.md). */
export interface OidcSettings {
  /** The issuer URL; its discovery document is `{issuer}/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** client_secret_basic with this secret … */
  clientSecret?: string;
  /** … or private_key_jwt with this RSA private key (PKCS#8 PEM), signed RS512 unless `keyAlgorithm` says RS256. */
  privateKeyPem?: string;
  keyId?: string;
  keyAlgorithm?: 'RS256' | 'RS512';
  /** Space-separated; `openid profile` unless given (CIS2: `openid profile nationalrbacaccess selectedrole`). */
  scopes?: string;
  /**
   * Where the provider sends the browser back, as registered with it: `{web app}/auth/oidc/callback`
   * (of the public URL when one is given, else of the address the browser used).
   */
  redirectUrl?: string;
  /** Which claims (of the ID token and the userinfo answer) give the person's details. */
  claims?: Partial<Record<'id' | 'name' | 'given' | 'family' | 'sdsUserId' | 'roleProfileId' | 'roleName', string>>;
  /** The sign-in button's words: "Sign in with NHS CIS2" unless given. */
  label?: string;
  /** Allow an http:// issuer (a test or a local identity provider only). */
  allowHttp?: boolean;
}

export interface WebAuthOptions {
  localUsers?: LocalUser[];
  oidc?: OidcSettings;
  /** Host names the app answers to besides localhost, 127.0.0.1 and ::1 (and the public URL's). */
  allowedHosts?: string[];
  /**
   * The address people use (https://… behind a TLS proxy): its host is allowed, and https makes the
   * session cookie Secure (set only on requests that arrived over TLS, as `trustProxy` tells).
   */
  publicUrl?: string;
  /**
   * The TLS-terminating proxy in front of the app (Fastify's `trustProxy`: its addresses, e.g.
   * `127.0.0.1`): its `X-Forwarded-Proto` is believed. Without it only the app's own connection counts.
   */
  trustProxy?: string | string[];
  /** Signs the session cookie; a random one per process unless given (at least 32 characters). */
  sessionSecret?: string;
  /** How long a session lasts after sign-in; 8 hours unless given. */
  sessionTtlMs?: number;
  /** How many sessions are kept at once (the oldest give way); 10,000 unless given. */
  maxSessions?: number;
  /**
   * Failed local sign-ins allowed in a window (a minute unless given): per client address (10 unless
   * given) and per user name over all addresses (30 unless given), so a guess spread over many
   * addresses against one person is slowed too, while one address alone cannot lock them out.
   */
  signInFailures?: { perClient?: number; perUser?: number; windowMs?: number };
}

const DEFAULT_SIGN_IN_FAILURES = { perClient: 10, perUser: 30, windowMs: 60_000 };
/** Client addresses and user names the sign-in limiter remembers (least recently used go first). */
const REMEMBERED_KEYS = 10_000;
/** Refused sign-ins recorded a minute at most, over all clients; the rest are counted in one row. */
const REFUSAL_ROWS_PER_MINUTE = 600;

const DEFAULT_CLAIMS = {
  id: 'sub',
  name: 'name',
  given: 'given_name',
  family: 'family_name',
  sdsUserId: 'uid',
  roleProfileId: 'selected_roleid',
  roleName: 'role_name',
};

declare module 'fastify' {
  interface Session {
    user?: SignedInUser;
    oidc?: { verifier: string; state: string; nonce: string; redirectUrl: string };
  }
}

/** Paths that need a signed-in session. */
const PROTECTED = ['/api/', '/capacity-api/'];
/**
 * Whether a request needs a session: by the route it matched (so `/%61pi/…`, which the router decodes
 * to an `/api/` route, counts) and by its decoded path.
 */
function isProtected(request: FastifyRequest): boolean {
  let path = request.url.split('?')[0]!;
  try {
    path = decodeURIComponent(path);
  } catch {
    // not decodable: judged as sent
  }
  return [request.routeOptions.url, path].some(
    (p) => p !== undefined && PROTECTED.some((prefix) => p.startsWith(prefix) || p === prefix.slice(0, -1)),
  );
}
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A refusal in the shape the caller reads: an OperationOutcome for the capacity forwarder, else `{code, message}`. */
function refuse(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string) {
  if (request.url.startsWith('/capacity-api'))
    return reply.code(status).send({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: status === 401 ? 'login' : 'forbidden', diagnostics: message }],
    });
  return reply.code(status).send({ code, message });
}

/**
 * A session store that keeps at most `max` sessions in memory, each until its cookie expires; the
 * oldest give way when it is full. Sessions do not outlive the process (signing in again is the remedy).
 */
export class BoundedSessionStore {
  private readonly sessions = new Map<string, { session: Session; expires: number }>();
  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  set(id: string, session: Session, callback: (err?: unknown) => void): void {
    this.sessions.delete(id);
    const expires = session.cookie?.expires ? new Date(session.cookie.expires).getTime() : Date.now() + this.ttlMs;
    this.sessions.set(id, { session, expires });
    this.sweep();
    callback();
  }

  get(id: string, callback: (err: unknown, session?: Session | null) => void): void {
    const entry = this.sessions.get(id);
    if (entry && entry.expires <= Date.now()) this.sessions.delete(id);
    callback(null, entry && entry.expires > Date.now() ? entry.session : null);
  }

  destroy(id: string, callback: (err?: unknown) => void): void {
    this.sessions.delete(id);
    callback();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.sessions) if (entry.expires <= now) this.sessions.delete(id);
    while (this.sessions.size > this.max) this.sessions.delete(this.sessions.keys().next().value!);
  }
}

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** Local users' passwords, kept only as scrypt hashes. */
async function localDirectory(users: LocalUser[]) {
  const entries = new Map<string, { user: SignedInUser; salt: Buffer; hash: Buffer }>();
  for (const u of users) {
    const salt = randomBytes(16);
    entries.set(u.username, {
      salt,
      hash: await scryptAsync(u.password, salt, 32),
      user: {
        id: u.username,
        given: u.given,
        family: u.family,
        name: `${u.given} ${u.family}`,
        role: u.role,
        sdsUserId: u.sdsUserId ?? 'UNK',
        sdsRoleProfileId: u.sdsRoleProfileId ?? 'UNK',
        via: 'local',
      },
    });
  }
  const dummy = { salt: randomBytes(16), hash: randomBytes(32) };
  return {
    check: async (username: string, password: string): Promise<SignedInUser | undefined> => {
      const entry = entries.get(username);
      // An unknown name costs the same as a wrong password.
      const hash = await scryptAsync(password, (entry ?? dummy).salt, 32);
      return entry && timingSafeEqual(hash, entry.hash) ? entry.user : undefined;
    },
    known: (username: string) => entries.has(username),
  };
}

const claimText = (claims: Record<string, unknown>, name: string): string | undefined => {
  const v = claims[name];
  return typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined;
};

/**
 * The person an identity provider's claims describe. With CIS2's `nationalrbacaccess` scope the role's
 * name comes from the `nhsid_nrbac_roles` entry whose `person_roleid` is the selected role.
 */
export function userFromClaims(claims: Record<string, unknown>, names: OidcSettings['claims'] = {}): SignedInUser {
  const c = { ...DEFAULT_CLAIMS, ...names };
  const id = claimText(claims, c.id) ?? claimText(claims, 'sub')!;
  const full = claimText(claims, c.name);
  const given = claimText(claims, c.given) ?? full?.split(/\s+/)[0] ?? id;
  const family = claimText(claims, c.family) ?? full?.split(/\s+/).slice(1).join(' ') ?? '';
  const roleProfileId = claimText(claims, c.roleProfileId);
  const roles = Array.isArray(claims.nhsid_nrbac_roles) ? (claims.nhsid_nrbac_roles as Record<string, unknown>[]) : [];
  const selected = roles.find((r) => r && roleProfileId !== undefined && String(r.person_roleid) === roleProfileId);
  const role = claimText(claims, c.roleName) ?? (selected && claimText(selected, 'role_name'));
  return {
    id,
    given,
    family: family || given,
    name: full ?? `${given} ${family}`.trim(),
    role: role ?? (roleProfileId ? `Role ${roleProfileId}` : 'No role selected'),
    sdsUserId: claimText(claims, c.sdsUserId) ?? 'UNK',
    sdsRoleProfileId: roleProfileId ?? 'UNK',
    via: 'oidc',
  };
}

async function clientAuth(settings: OidcSettings): Promise<oidc.ClientAuth> {
  if (settings.privateKeyPem) {
    const der = Buffer.from(settings.privateKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const hash = settings.keyAlgorithm === 'RS256' ? 'SHA-256' : 'SHA-512';
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['sign']);
    return oidc.PrivateKeyJwt(settings.keyId ? { key, kid: settings.keyId } : key);
  }
  return settings.clientSecret ? oidc.ClientSecretBasic(settings.clientSecret) : oidc.None();
}

/** The OpenID provider's configuration, discovered on first use and kept (a failed discovery is tried again). */
function oidcClient(settings: OidcSettings) {
  let config: Promise<oidc.Configuration> | undefined;
  return () => {
    config ??= clientAuth(settings)
      .then((auth) =>
        oidc.discovery(
          new URL(settings.issuer),
          settings.clientId,
          { response_types: ['code'] },
          auth,
          settings.allowHttp ? { execute: [oidc.allowInsecureRequests] } : undefined,
        ),
      )
      .catch((err: unknown) => {
        config = undefined;
        throw err;
      });
    return config;
  };
}

function hostNameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d*$/, '');
}

/**
 * Installs the Host check, the same-origin rule, helmet, the session and the sign-in routes on the web
 * app's root instance, so they cover every route registered after (the API, the capacity forwarder,
 * the pages).
 */
export async function installWebAuth(
  app: FastifyInstance,
  options: WebAuthOptions,
  events: EventSink = NO_EVENTS,
): Promise<void> {
  const publicUrl = options.publicUrl ? new URL(options.publicUrl) : undefined;
  const tls = publicUrl?.protocol === 'https:';
  const allowed = new Set(
    ['localhost', '127.0.0.1', '[::1]', ...(options.allowedHosts ?? []), ...(publicUrl ? [publicUrl.host] : [])].map(
      hostNameOf,
    ),
  );
  const ttlMs = options.sessionTtlMs ?? 8 * 60 * 60 * 1000;

  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host;
    if (!host || !allowed.has(hostNameOf(host)))
      return reply.code(421).send({
        code: 'unknown-host',
        message: `This web app does not answer to the host ${JSON.stringify(host ?? '')}.`,
      });
    if (!SAFE_METHODS.has(request.method)) {
      const site = request.headers['sec-fetch-site'];
      const origin = request.headers.origin;
      const own = [`http://${host}`, `https://${host}`, ...(publicUrl ? [publicUrl.origin] : [])];
      if ((site !== undefined && site !== 'same-origin') || !origin || !own.includes(origin.toLowerCase()))
        return refuse(
          request,
          reply,
          403,
          'cross-origin',
          'A change can only be made from the web app’s own pages (the request came from another origin).',
        );
    }
  });

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        // The design system's Frutiger web font.
        'font-src': ["'self'", 'https://assets.nhs.uk'],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        ...(tls ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: tls ? { maxAge: 31_536_000 } : false,
  });

  await app.register(fastifyCookie);
  const store = new BoundedSessionStore(options.maxSessions ?? 10_000, ttlMs);
  await app.register(fastifySession, {
    secret: options.sessionSecret ?? randomBytes(32).toString('base64url'),
    cookieName: 'slotbridge_session',
    store,
    saveUninitialized: false,
    // The session ends a fixed time after sign-in; requests do not extend it.
    rolling: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: tls ? true : 'auto', path: '/', maxAge: ttlMs },
  });

  app.addHook('onRequest', async (request, reply) => {
    if (isProtected(request) && !request.session.get('user'))
      return refuse(request, reply, 401, 'not-signed-in', 'Sign in to use the booking app.');
  });

  const local = await localDirectory(options.localUsers ?? []);

  // Failed local sign-ins: limited per client address and per user name (src/validation/failure-limit.ts).
  const failures = { ...DEFAULT_SIGN_IN_FAILURES, ...options.signInFailures };
  const clientOf = (request: FastifyRequest) => normalizeIP(request.ip);
  const nameOf = (request: FastifyRequest) => {
    const name = (request.body as { username?: unknown } | undefined)?.username;
    return typeof name === 'string' ? name.trim() : undefined;
  };
  const limiter = await failureLimiter(app, {
    windowMs: failures.windowMs,
    remembered: REMEMBERED_KEYS,
    limits: [
      { name: 'client', max: failures.perClient, key: clientOf },
      { name: 'user name', max: failures.perUser, key: nameOf },
    ],
  });
  /** Records a sign-in event with the client's address; a row that cannot be written is logged, the answer stands. */
  const record = (request: FastifyRequest, event: ConsumerEvent) =>
    events
      .record({ ...event, details: { ...event.details, peer: request.ip } })
      .catch((err: unknown) => request.log.error({ err }, `the web app could not record ${event.kind}`));
  // Refused sign-ins: a limited client's at its 1st, 10th, 100th … refusal; all together capped a minute.
  const refusals = refusalBudget(app, {
    rowsPerMinute: REFUSAL_ROWS_PER_MINUTE,
    remembered: REMEMBERED_KEYS,
    writeHeld: (held) => events.record({ kind: 'sign-in-refused-summary', details: { ...held } }),
  });
  /** A refused sign-in, in the event log: the user name only when it is a user's (a mistyped password is not kept). */
  const refused = (request: FastifyRequest, userId: string | undefined, details: Record<string, unknown>) =>
    refusals.record(
      () => events.record({ kind: 'sign-in-refused', userId, details: { ...details, peer: request.ip } }),
      (err) => request.log.error({ err }, 'the web app could not record a refused sign-in'),
    );
  const oidcConfig = options.oidc && oidcClient(options.oidc);
  const oidcSettings = options.oidc;

  await app.register(
    async (auth) => {
      auth.setValidatorCompiler(routeSchemaCompiler);
      auth.setSchemaErrorFormatter((errors, part) => {
        const fault = faultFrom(errors, part);
        return new ConsumerError(fault.code ?? 'bad-request', fault.message, 'consumer');
      });
      auth.get('/session', { schema: { response: { 200: SessionInfo } } }, async (request) => ({
        user: request.session.get('user') ?? null,
        signIn: {
          local: (options.localUsers?.length ?? 0) > 0,
          oidc: oidcSettings ? (oidcSettings.label ?? 'Sign in with NHS CIS2') : null,
        },
      }));

      auth.post('/local', { schema: { body: SignInRequest } }, async (request, reply) => {
        const { username, password } = request.body as { username: string; password: string };
        const name = username.trim();
        const userId = local.known(name) ? name : undefined;
        // 1. A client or user name that has used up its failures is refused before the password is
        //    checked: else a guesser would only have to wait for the one answer that is not a 429.
        const spent = await limiter.spent(request);
        if (spent) {
          const fromHere = spent.limit === 'client';
          const spell = refusals.whileLimited(fromHere ? `client ${clientOf(request)}` : `user ${name}`, spent.wait);
          if (spell.write)
            await refused(request, userId, {
              via: 'local',
              status: 429,
              reason: `too many failed sign-ins ${fromHere ? 'from this address' : 'for this user name'}`,
              refusedWhileLimited: spell.count,
            });
          return reply
            .code(429)
            .header('retry-after', String(spent.wait))
            .send({
              code: 'too-many-sign-ins',
              message: `Too many failed sign-ins ${fromHere ? 'from here' : 'for this user name'}; try again in ${spent.wait} seconds.`,
              retryAfter: spent.wait,
            });
        }
        // 2. The password.
        const user = await local.check(name, password);
        if (!user) {
          await limiter.fail(request);
          await refused(request, userId, {
            via: 'local',
            status: 401,
            reason: userId ? 'wrong password' : 'unknown user name',
          });
          return reply.code(401).send({ code: 'sign-in-refused', message: 'The user name or password is not right.' });
        }
        await request.session.regenerate();
        request.session.set('user', user);
        await record(request, { kind: 'signed-in', userId: user.id, details: { via: 'local' } });
        return { user };
      });

      auth.post('/sign-out', async (request) => {
        const user = request.session.get('user');
        await request.session.destroy();
        if (user) await record(request, { kind: 'signed-out', userId: user.id, details: { via: user.via } });
        return { signedOut: true };
      });

      auth.get('/oidc/start', async (request, reply) => {
        if (!oidcConfig || !oidcSettings)
          return reply.code(404).send({ code: 'not-found', message: 'OpenID Connect sign-in is not configured.' });
        // Someone signed in stays so: another site's link here cannot end their session.
        if (request.session.get('user')) return reply.redirect('/');
        let config: oidc.Configuration;
        try {
          config = await oidcConfig();
        } catch (err) {
          request.log.warn(err);
          return reply.redirect('/sign-in?problem=oidc-unavailable');
        }
        const verifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        const nonce = oidc.randomNonce();
        const redirectUrl =
          oidcSettings.redirectUrl ??
          `${publicUrl?.origin ?? `${request.protocol}://${request.headers.host}`}/auth/oidc/callback`;
        await request.session.regenerate();
        request.session.set('oidc', { verifier, state, nonce, redirectUrl });
        const url = oidc.buildAuthorizationUrl(config, {
          redirect_uri: redirectUrl,
          scope: oidcSettings.scopes ?? 'openid profile',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
        });
        return reply.redirect(url.href);
      });

      auth.get('/oidc/callback', async (request, reply) => {
        const pending = request.session.get('oidc');
        if (!oidcConfig || !oidcSettings || !pending) return reply.redirect('/sign-in?problem=oidc-no-pending');
        try {
          const config = await oidcConfig();
          const current = new URL(pending.redirectUrl);
          current.search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
          const tokens = await oidc.authorizationCodeGrant(config, current, {
            pkceCodeVerifier: pending.verifier,
            expectedState: pending.state,
            expectedNonce: pending.nonce,
            idTokenExpected: true,
          });
          const idClaims = tokens.claims()!;
          const info = config.serverMetadata().userinfo_endpoint
            ? await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub)
            : {};
          const user = userFromClaims({ ...info, ...idClaims }, oidcSettings.claims);
          await request.session.regenerate();
          request.session.set('user', user);
          await record(request, { kind: 'signed-in', userId: user.id, details: { via: 'oidc' } });
          return reply.redirect('/');
        } catch (err) {
          request.log.warn(err);
          await refused(request, undefined, {
            via: 'oidc',
            reason: `the identity provider's answer was refused: ${String((err as Error).message).slice(0, 200)}`,
          });
          await request.session.destroy();
          return reply.redirect('/sign-in?problem=oidc-refused');
        }
      });
    },
    { prefix: '/auth' },
  );
}

/** The signed-in person of a request (the `/api/*` hook has made sure there is one). */
export function signedInUser(request: FastifyRequest): SignedInUser {
  const user = request.session.get('user');
  if (!user) throw Object.assign(new Error('not signed in'), { statusCode: 401 });
  return user;
}
