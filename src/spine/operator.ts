/**
 * The spine's operator credential (docs/security.md, "The spine: operator credential and the proxy"):
 * one bearer token, given when the spine starts, that every change to the network's national data
 * needs (registration, endpoint and directory writes) and that every read of `/monitor` needs. The
 * spine keeps only its SHA-256 and compares digests in constant time. Every change the operator
 * makes is written to the spine's audit trail (`spine_audit`) with who, when, before and after.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Kysely } from 'kysely';
import { OperationOutcomeError } from '../fhir/outcome.js';
import type { Database } from '../store/schema.js';
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

/**
 * A Fastify `onRequest` hook: the request goes on only with `Authorization: Bearer <operator token>`;
 * anything else is a 401 OperationOutcome with `WWW-Authenticate`, before the body is read.
 */
export function operatorGuard(token: string): onRequestHookHandler {
  const weakness = operatorTokenWeakness(token);
  if (weakness) throw new Error(`the spine's operator token is too weak: ${weakness}`);
  const expected = digest(token);
  return function requireOperator(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
    if (!match) {
      request.log.warn({ peer: request.ip, url: request.url.split('?')[0] }, 'operator call without a token');
      sendOutcome(reply, refusal("This is the spine operator's API: send Authorization: Bearer <operator token>"));
      return;
    }
    // Digests of equal length, compared in constant time: neither the token nor its length leaks.
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      request.log.warn({ peer: request.ip, url: request.url.split('?')[0] }, 'operator call with a wrong token');
      sendOutcome(reply, refusal('The operator token is not valid'));
      return;
    }
    done();
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
