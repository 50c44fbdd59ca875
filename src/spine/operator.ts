/**
 * The spine's operator credential (docs/security.md, "The spine: operator credential and the proxy"):
 * one bearer token, given when the spine starts, that every change to the network's national data
 * needs (registration, endpoint and directory writes) and that every read of `/monitor` needs. The
 * spine keeps only its SHA-256 and compares digests in constant time. Every change the operator
 * makes is written to the spine's audit trail (`spine_audit`) with who, when, before and after; so is
 * every refused operator call, and failed credentials are limited per client address (429).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Kysely } from 'kysely';
import { OperationOutcomeError } from '../fhir/outcome.js';
import type { Database } from '../store/schema.js';
import { failureLimiter, refusalBudget, normalizeIP } from '../validation/failure-limit.js';
import { sendOutcome } from './http.js';
import { peerOf } from './tls.js';

/** The shortest operator token the spine accepts. */
export const MIN_OPERATOR_TOKEN_LENGTH = 32;

/** A new operator token: 32 random bytes (256 bits), base64url, with a prefix that says what it is. */
export function newOperatorToken(): string {
  return `sbop_${randomBytes(32).toString('base64url')}`;
}

/**
 * Why `token` is too weak to be the operator token, or undefined when it will do: at least 32
 * characters, of at least 10 different characters, and not one short run repeated.
 */
export function operatorTokenWeakness(token: string): string | undefined {
  if (token.length < MIN_OPERATOR_TOKEN_LENGTH)
    return `it has ${token.length} characters; an operator token needs at least ${MIN_OPERATOR_TOKEN_LENGTH}`;
  if (/\s/.test(token)) return 'it contains white space';
  if (new Set(token).size < 10) return 'it uses fewer than 10 different characters';
  if (/^(.{1,8}?)\1+$/.test(token)) return 'it is one short run of characters repeated';
  return undefined;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

function refusal(diagnostics: string): OperationOutcomeError {
  return new OperationOutcomeError(
    401,
    [{ severity: 'error', code: 'security', spineCode: 'NOT_AUTHORISED', diagnostics }],
    { 'WWW-Authenticate': 'Bearer realm="slotbridge-spine", error="invalid_token"' },
  );
}

export interface OperatorGuardOptions {
  /** The operator token; refused when weak. */
  token: string;
  /** Where refused calls are audited (`spine_audit`). */
  db: Kysely<Database>;
  /** Failed attempts a client address may make in a window (default 10 a minute). */
  failures?: { max?: number; windowMs?: number };
  /** Refusal rows written a minute at most, over all clients (default 600); the rest are counted. */
  refusalRowsPerMinute?: number;
}

const DEFAULT_MAX_FAILURES = 10;
const DEFAULT_WINDOW_MS = 60_000;
/** Client addresses the limiter and the refusal counter remember (least recently used go first). */
const REMEMBERED_CLIENTS = 10_000;
const DEFAULT_REFUSAL_ROWS_PER_MINUTE = 600;

function throttled(diagnostics: string, retryAfter: number): OperationOutcomeError {
  return new OperationOutcomeError(
    429,
    [{ severity: 'error', code: 'throttled', spineCode: 'ACCESS_DENIED', diagnostics }],
    { 'Retry-After': String(retryAfter) },
  );
}

/**
 * The operator's door, as a Fastify `onRequest` hook for every operator route: the request goes on
 * only with `Authorization: Bearer <operator token>`; anything else is a 401 OperationOutcome with
 * `WWW-Authenticate`, before the body is read.
 *
 * Failed attempts are limited per client address (src/validation/failure-limit.ts, on
 * @fastify/rate-limit's bounded store registered on `app`): after `max` failures in the window the
 * client gets 429 with Retry-After until the window is over, whatever it presents; accepted calls
 * never count. Every refused call is written to `spine_audit` (action `operator-refused`: who as far
 * as known and from where, what was tried, why; never the presented token), a rate-limited client's
 * only at its 1st, 10th, 100th … refusal, and all refusal rows together capped per minute (what the
 * cap holds back is one `operator-refused-summary` row).
 */
export async function registerOperatorGuard(
  app: FastifyInstance,
  options: OperatorGuardOptions,
): Promise<onRequestHookHandler> {
  const weakness = operatorTokenWeakness(options.token);
  if (weakness) throw new Error(`the spine's operator token is too weak: ${weakness}`);
  const expected = digest(options.token);
  const { db } = options;
  const max = options.failures?.max ?? DEFAULT_MAX_FAILURES;
  const windowMs = options.failures?.windowMs ?? DEFAULT_WINDOW_MS;
  const clientOf = (request: FastifyRequest) => normalizeIP(request.ip);
  const limiter = await failureLimiter(app, {
    windowMs,
    remembered: REMEMBERED_CLIENTS,
    limits: [{ name: 'client', max, key: clientOf }],
  });
  const refusals = refusalBudget(app, {
    rowsPerMinute: options.refusalRowsPerMinute ?? DEFAULT_REFUSAL_ROWS_PER_MINUTE,
    remembered: REMEMBERED_CLIENTS,
    writeHeld: (held) =>
      auditSpine(db, {
        actor: 'operator API',
        action: 'operator-refused-summary',
        target: 'refused operator calls not itemised',
        after: held,
      }),
  });

  const refuse = async (
    request: FastifyRequest,
    reply: FastifyReply,
    error: OperationOutcomeError,
    who: string,
    extra: Record<string, unknown> = {},
  ) => {
    const certificate = peerOf(request);
    await refusals.record(
      () =>
        auditSpine(db, {
          actor: `${who} from ${request.ip}${certificate ? ` (${certificate.subject})` : ''}`,
          action: 'operator-refused',
          target: `${request.method} ${request.url.split('?')[0]!.slice(0, 300)}`,
          after: { status: error.status, reason: error.issues[0]!.diagnostics, requestId: request.id, ...extra },
        }),
      // The refusal stands whether or not its row could be written.
      (err) => request.log.error({ err }, 'the spine audit could not record a refused operator call'),
    );
    return sendOutcome(reply, error);
  };

  return async function requireOperator(request: FastifyRequest, reply: FastifyReply) {
    // 1. A client that has used up its failures is refused before its token is looked at: else a
    //    guesser would only have to wait for the one answer that is not a 429.
    const spent = await limiter.spent(request);
    if (spent) {
      const spell = refusals.whileLimited(clientOf(request), spent.wait);
      const error = throttled(
        `Too many failed operator credentials from ${request.ip}: try again in ${spent.wait} s ` +
          `(${max} failures a ${windowMs / 1000} s window)`,
        spent.wait,
      );
      if (spell.write)
        return refuse(request, reply, error, 'not checked (rate-limited)', { refusedWhileLimited: spell.count });
      return sendOutcome(reply, error);
    }
    // 2. The token.
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
    // Digests of equal length, compared in constant time: neither the token nor its length leaks.
    if (match && timingSafeEqual(digest(match[1]!), expected)) return;
    await limiter.fail(request);
    request.log.warn({ peer: request.ip, url: request.url.split('?')[0] }, 'operator call refused');
    return match
      ? refuse(request, reply, refusal('The operator token is not valid'), 'wrong token')
      : refuse(
          request,
          reply,
          refusal("This is the spine operator's API: send Authorization: Bearer <operator token>"),
          'no token',
        );
  };
}

/** Who made an operator call, for the audit trail: the peer address, and the client certificate under mutual TLS. */
export function actorOf(request: FastifyRequest): string {
  const peer = peerOf(request);
  return `operator from ${request.ip}${peer ? ` (${peer.subject})` : ''}`;
}

export interface SpineAuditEntry {
  actor: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
}

/** Appends one row to the spine's audit trail (inside the caller's transaction when `db` is one). */
export async function auditSpine(db: Kysely<Database>, entry: SpineAuditEntry): Promise<void> {
  await db
    .insertInto('spine_audit')
    .values({
      at: new Date().toISOString(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
    })
    .execute();
}

/** The newest audit rows first, optionally for one target (e.g. `ASID:999000000001`). */
export async function spineAudit(db: Kysely<Database>, options: { target?: string; limit?: number } = {}) {
  let query = db
    .selectFrom('spine_audit')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(Math.min(options.limit ?? 100, 1000));
  if (options.target) query = query.where('target', '=', options.target);
  const rows = await query.execute();
  return rows.map((r) => ({
    ...r,
    before: r.before === null ? null : (JSON.parse(r.before) as unknown),
    after: r.after === null ? null : (JSON.parse(r.after) as unknown),
  }));
}
