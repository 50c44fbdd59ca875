/**
 * The admin API's door (docs/security.md, "The provider's admin API: admin tokens"): every call to
 * `/admin/{tenant}/…` shows a token that is live and bound to that tenant, or is refused.
 *
 * - Unknown, expired or revoked token, or none: 401. A live token not bound to the tenant: 403.
 * - Failed attempts are limited per client address with @fastify/rate-limit (its in-memory store,
 *   bounded by its `cache` option): after `max` failures in `windowMs` the client gets 429 with
 *   Retry-After for the rest of the window, whatever it presents, while other clients are untouched.
 *   Only failures count: a rota manager's own calls never use up the allowance.
 * - A call forwarded by a trusted proxy (the web app's capacity forwarder) is limited by the address
 *   the proxy names in X-Forwarded-For, and the proxy itself by ten times the allowance, so one
 *   browser cannot lock out the others and a proxy cannot be used to guess without limit.
 * - Every refused call is audited (admin_audit, action `admin.refused`): who as far as known (the
 *   token's name, "unknown token", "no token"), the peer address, what was tried and why refused;
 *   never the presented token. While a client is rate-limited its refusals are counted, not written
 *   one by one (rows at the 1st, 10th, 100th … refusal of the window), and all refusal rows together
 *   are capped per minute; what the cap holds back is written as one count when the next minute's
 *   first refusal comes, or when the server closes.
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { OperationOutcomeError, forbidden, notFound } from '../fhir/outcome.js';
import type { Database } from '../store/schema.js';
import { failureLimiter, refusalBudget, normalizeIP } from '../validation/failure-limit.js';
import { audit } from './admin-audit.js';
import { verifyAdminToken, weakStartupToken, type TokenVerdict } from './admin-tokens.js';

export interface AdminGuardOptions {
  db: Kysely<Database>;
  /** The start-up token (the operator's: every tenant); refused at start when weak. */
  adminToken?: string;
  /** Addresses whose X-Forwarded-For names the client (the web app's capacity forwarder). */
  trustedProxies?: string[];
  /** Failed attempts a client may make in a window (default 10 a minute). */
  failures?: { max?: number; windowMs?: number };
  /** Refusal rows written a minute at most, over all clients (default 600); the rest are counted. */
  refusalRowsPerMinute?: number;
}

export interface CallSource {
  /** The address the connection came from. */
  peer: string;
  /** The client: the peer, or the address a trusted proxy forwarded for. */
  client: string;
  forwarded: boolean;
}

export interface AdminGuard {
  /** The token's name behind an accepted call. */
  actor(request: FastifyRequest): string;
  /** The address the call came from, as audited ("198.51.100.7" or "198.51.100.7 via 127.0.0.1"). */
  peer(request: FastifyRequest): string | undefined;
}

const DEFAULT_MAX_FAILURES = 10;
const DEFAULT_WINDOW_MS = 60_000;
/** A trusted proxy may fail this many times a client's allowance before it is limited itself. */
const PROXY_FACTOR = 10;
/** Client addresses the limiter and the refusal counter remember (least recently used go first). */
const REMEMBERED_CLIENTS = 10_000;
const DEFAULT_REFUSAL_ROWS_PER_MINUTE = 600;

function unauthorised(message: string): OperationOutcomeError {
  return new OperationOutcomeError(
    401,
    [{ severity: 'error', code: 'security', spineCode: 'NOT_AUTHORISED', diagnostics: message }],
    { 'WWW-Authenticate': 'Bearer realm="slotbridge-admin"' },
  );
}

function throttled(message: string, retryAfter: number): OperationOutcomeError {
  return new OperationOutcomeError(
    429,
    [{ severity: 'error', code: 'throttled', spineCode: 'ACCESS_DENIED', diagnostics: message }],
    { 'Retry-After': String(retryAfter) },
  );
}

/** Registers the check on every admin route of `app` (call it inside the admin plugin). */
export async function registerAdminGuard(app: FastifyInstance, options: AdminGuardOptions): Promise<AdminGuard> {
  const { db } = options;
  if (options.adminToken !== undefined) {
    const weak = weakStartupToken(options.adminToken);
    if (weak) throw new Error(`The start-up admin token is too weak: ${weak}`);
  }
  const max = options.failures?.max ?? DEFAULT_MAX_FAILURES;
  const windowMs = options.failures?.windowMs ?? DEFAULT_WINDOW_MS;
  const rowsPerMinute = options.refusalRowsPerMinute ?? DEFAULT_REFUSAL_ROWS_PER_MINUTE;
  const trusted = new Set((options.trustedProxies ?? []).map((a) => normalizeIP(a, 128)));

  const sources = new WeakMap<FastifyRequest, CallSource>();
  const actors = new WeakMap<FastifyRequest, string>();
  const sourceOf = (request: FastifyRequest): CallSource => {
    let source = sources.get(request);
    if (source) return source;
    const peer = normalizeIP(request.socket.remoteAddress ?? 'unknown', 128);
    const forwardedFor = request.headers['x-forwarded-for'];
    const named = typeof forwardedFor === 'string' ? forwardedFor.split(',').at(-1)!.trim() : '';
    source =
      trusted.has(peer) && isIP(named)
        ? { peer, client: normalizeIP(named, 128), forwarded: true }
        : { peer, client: peer, forwarded: false };
    sources.set(request, source);
    return source;
  };
  const describe = (s: CallSource) => (s.forwarded ? `${s.client} via ${s.peer}` : s.peer);

  const limiter = await failureLimiter(app, {
    windowMs,
    remembered: REMEMBERED_CLIENTS,
    limits: [
      { name: 'client', max, key: (request) => normalizeIP(sourceOf(request).client) },
      {
        name: 'proxy',
        max: max * PROXY_FACTOR,
        key: (request) => (sourceOf(request).forwarded ? sourceOf(request).peer : undefined),
      },
    ],
  });
  // Refusal rows: a limited client's at its 1st, 10th, 100th … refusal; all together at most rowsPerMinute a minute.
  const refusals = refusalBudget(app, {
    rowsPerMinute,
    remembered: REMEMBERED_CLIENTS,
    writeHeld: (held) =>
      audit(db, {
        tenantId: '*',
        actor: 'admin API',
        action: 'admin.refused.summary',
        target: 'refused admin calls not itemised',
        after: held,
      }),
  });

  const refuse = async (
    request: FastifyRequest,
    tenant: string,
    verdict: { status: 401 | 403 | 429; actor: string; reason: string },
    extra: Record<string, unknown> = {},
  ): Promise<void> =>
    refusals.record(
      () =>
        audit(db, {
          tenantId: tenant,
          actor: verdict.actor,
          action: 'admin.refused',
          target: `${request.method} ${request.url.split('?')[0]!.slice(0, 300)}`,
          after: { status: verdict.status, reason: verdict.reason, requestId: request.id, ...extra },
          peer: describe(sourceOf(request)),
        }),
      // The refusal stands whether or not its row could be written.
      (err) => request.log.error({ err }, 'the admin audit could not record a refused call'),
    );

  app.addHook('onRequest', async (request) => {
    // A URL the admin API does not have is answered as such (by the not-found handler), with or without a token.
    if (request.is404) return;
    const tenant = (request.params as { tenant?: string } | undefined)?.tenant ?? '';
    const source = sourceOf(request);

    // 1. A client that has used up its failures is refused before its token is looked at: else a
    //    guesser would only have to wait for the one answer that is not a 429.
    const spent = await limiter.spent(request);
    if (spent) {
      const { wait } = spent;
      const spell = refusals.whileLimited(normalizeIP(source.client), wait);
      const reason =
        `Too many failed admin credentials from ${source.client}: ` +
        `try again in ${wait} s (${max} failures a ${windowMs / 1000} s window)`;
      if (spell.write)
        await refuse(
          request,
          tenant,
          { status: 429, actor: 'not checked (rate-limited)', reason },
          { refusedWhileLimited: spell.count },
        );
      throw throttled(reason, wait);
    }

    // 2. The token: live, and bound to this tenant.
    const header = request.headers.authorization;
    const token = typeof header === 'string' && /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const verdict: TokenVerdict = token
      ? await verifyAdminToken(db, token, tenant, options.adminToken)
      : {
          ok: false,
          status: 401,
          actor: 'no token',
          reason: 'The admin API needs an admin token (Authorization: Bearer …); consumer JWTs are not accepted here',
        };
    if (!verdict.ok) {
      await limiter.fail(request);
      await refuse(request, tenant, verdict);
      throw verdict.status === 403 ? forbidden(verdict.reason) : unauthorised(verdict.reason);
    }
    actors.set(request, verdict.actor);

    // 3. Only a token for every tenant reaches here for a tenant it was not made for: it may learn
    //    which tenants exist.
    if (tenant && !(await db.selectFrom('tenant').select('id').where('id', '=', tenant).executeTakeFirst()))
      throw notFound(`No tenant ${tenant}`);
  });

  return {
    actor: (request) => actors.get(request) ?? 'unknown',
    peer: (request) => {
      const source = sources.get(request);
      return source && describe(source);
    },
  };
}
