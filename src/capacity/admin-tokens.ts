/**
 * The admin API's credentials (docs/security.md, "The provider's admin API: admin tokens").
 *
 * - A made token (`slotbridge provider admin-token`) is bound to the tenants it was made for, or to
 *   every tenant when made with `--all-tenants` (an operator's); it expires (90 days unless told,
 *   at most 366) and can be revoked. The store keeps its SHA-256, never the token.
 * - The start-up token (`--admin-token` / SLOTBRIDGE_ADMIN_TOKEN) is the operator's: every tenant,
 *   no expiry, and it must be strong (at least 32 characters, at least 8 different ones).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** How long a made token lasts when `--expires` is not given, and the longest it may last. */
export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_TOKEN_DAYS = 366;
const DAY_MS = 86_400_000;

/** A mistake in what a token was asked to be (the command line shows it as a usage error). */
export class AdminTokenRequestError extends Error {}

/** Why a start-up token is too weak to guard every tenant, or undefined when it is strong enough. */
export function weakStartupToken(token: string): string | undefined {
  if (token.length < 32) return `it is ${token.length} characters long; it must be at least 32`;
  if (token.length > 512) return 'it is longer than 512 characters';
  if (!/^[\x21-\x7e]+$/.test(token)) return 'it must be printable ASCII without spaces (it is sent as a Bearer token)';
  const distinct = new Set(token).size;
  if (distinct < 8) return `it uses only ${distinct} different characters; it must use at least 8`;
  return undefined;
}

/** Whether the start-up token was presented (in constant time for tokens of its length). */
export function isStartupToken(presented: string, startup: string | undefined): boolean {
  return (
    startup !== undefined &&
    presented.length === startup.length &&
    timingSafeEqual(Buffer.from(presented), Buffer.from(startup))
  );
}

/**
 * When a token made now expires: `30d`, `12h`, or a date or instant (a date is the start of that UTC
 * day). Undefined: DEFAULT_TOKEN_DAYS from now. It must be in the future and at most MAX_TOKEN_DAYS away.
 */
export function expiryOf(text: string | undefined, now = Date.now()): string {
  let at: number;
  const relative = text === undefined ? ['', String(DEFAULT_TOKEN_DAYS), 'd'] : /^(\d{1,5})([dh])$/.exec(text);
  if (relative) at = now + Number(relative[1]) * (relative[2] === 'd' ? DAY_MS : DAY_MS / 24);
  else if (/^\d{4}-\d{2}-\d{2}(T.+)?$/.test(text!)) at = Date.parse(text!);
  else at = NaN;
  if (Number.isNaN(at))
    throw new AdminTokenRequestError(
      `--expires ${text}: use a number of days or hours (30d, 12h) or a date (2027-01-31)`,
    );
  if (at <= now) throw new AdminTokenRequestError(`--expires ${text}: that is not in the future`);
  if (at > now + MAX_TOKEN_DAYS * DAY_MS)
    throw new AdminTokenRequestError(`--expires ${text}: a token lasts at most ${MAX_TOKEN_DAYS} days`);
  return new Date(at).toISOString();
}

export interface AdminTokenRequest {
  name: string;
  /** The tenants it may act on (at least one, unless allTenants). */
  tenants?: string[];
  /** Every tenant, now and later: an operator's token. */
  allTenants?: boolean;
  /** `30d`, `12h`, a date or an instant; DEFAULT_TOKEN_DAYS unless given. */
  expires?: string;
}

export interface AdminTokenInfo {
  id: string;
  name: string;
  /** The tenants it may act on, or "all". */
  tenants: string[] | 'all';
  created: string;
  expires: string | null;
  revoked: string | null;
}

/** Makes a new admin token; only its hash is kept, so the token is shown once. */
export async function createAdminToken(
  db: Kysely<Database>,
  request: AdminTokenRequest,
): Promise<AdminTokenInfo & { token: string }> {
  const { name } = request;
  if (!/^[\w .@,'-]{1,80}$/.test(name))
    throw new AdminTokenRequestError("the token name must be 1–80 letters, digits, spaces or ._@,'-");
  const tenants = [...new Set(request.tenants ?? [])];
  if (request.allTenants && tenants.length)
    throw new AdminTokenRequestError('give either --tenant (one or more) or --all-tenants, not both');
  if (!request.allTenants && !tenants.length)
    throw new AdminTokenRequestError(
      'an admin token is bound to tenants: give --tenant ID (repeatable), or --all-tenants for an operator',
    );
  if (tenants.length) {
    const known = new Set(
      (await db.selectFrom('tenant').select('id').where('id', 'in', tenants).execute()).map((t) => t.id),
    );
    const unknown = tenants.filter((t) => !known.has(t));
    if (unknown.length) throw new AdminTokenRequestError(`no tenant ${unknown.join(', ')} in this store`);
  }
  const expiresAt = expiryOf(request.expires);
  const token = `sbadm_${randomBytes(24).toString('base64url')}`;
  const id = randomBytes(6).toString('hex');
  const created = new Date().toISOString();
  await db
    .insertInto('admin_token')
    .values({
      token_hash: sha256(token),
      id,
      name,
      created_at: created,
      tenants: JSON.stringify(tenants.sort()),
      all_tenants: request.allTenants ? 1 : 0,
      expires_at: expiresAt,
      revoked_at: null,
    })
    .execute();
  return {
    token,
    id,
    name,
    tenants: request.allTenants ? 'all' : tenants,
    created,
    expires: expiresAt,
    revoked: null,
  };
}

type TokenRow = {
  id: string | null;
  name: string;
  created_at: string;
  tenants: string;
  all_tenants: number;
  expires_at: string | null;
  revoked_at: string | null;
};

const infoOf = (row: TokenRow): AdminTokenInfo => ({
  id: row.id ?? '',
  name: row.name,
  tenants: Number(row.all_tenants) === 1 ? 'all' : (JSON.parse(row.tenants) as string[]),
  created: row.created_at,
  expires: row.expires_at,
  revoked: row.revoked_at,
});

const TOKEN_COLUMNS = ['id', 'name', 'created_at', 'tenants', 'all_tenants', 'expires_at', 'revoked_at'] as const;

/** Every made token, oldest first: name, tenants, dates; never the token or its hash. */
export async function listAdminTokens(db: Kysely<Database>): Promise<AdminTokenInfo[]> {
  const rows = await db.selectFrom('admin_token').select(TOKEN_COLUMNS).orderBy('created_at').orderBy('id').execute();
  return rows.map(infoOf);
}

/** Revokes the live tokens with this name or id; returns those revoked (none: nothing matched). */
export async function revokeAdminTokens(
  db: Kysely<Database>,
  which: { name?: string; id?: string },
): Promise<AdminTokenInfo[]> {
  if (!which.name === !which.id) throw new AdminTokenRequestError('give --name NAME or --id ID');
  const now = new Date().toISOString();
  const matching = db
    .selectFrom('admin_token')
    .select(TOKEN_COLUMNS)
    .where('revoked_at', 'is', null)
    .where(which.name ? 'name' : 'id', '=', (which.name ?? which.id)!);
  const rows = await matching.execute();
  if (!rows.length) return [];
  await db
    .updateTable('admin_token')
    .set({ revoked_at: now })
    .where('revoked_at', 'is', null)
    .where(
      'id',
      'in',
      rows.map((r) => r.id!),
    )
    .execute();
  return rows.map((r) => infoOf({ ...r, revoked_at: now }));
}

/** What a presented token may do on a tenant. */
export type TokenVerdict =
  { ok: true; actor: string; allTenants: boolean } | { ok: false; status: 401 | 403; actor: string; reason: string };

/**
 * Checks a presented token for a tenant: unknown, expired or revoked is 401; a live token not bound
 * to the tenant is 403 (the same whether or not that tenant exists).
 */
export async function verifyAdminToken(
  db: Kysely<Database>,
  presented: string,
  tenant: string,
  startup: string | undefined,
  now = Date.now(),
): Promise<TokenVerdict> {
  if (isStartupToken(presented, startup)) return { ok: true, actor: 'start-up admin token', allTenants: true };
  const row = await db
    .selectFrom('admin_token')
    .select(TOKEN_COLUMNS)
    .where('token_hash', '=', sha256(presented))
    .executeTakeFirst();
  if (!row) return { ok: false, status: 401, actor: 'unknown token', reason: 'The admin token is not known' };
  const actor = row.name;
  if (row.revoked_at)
    return { ok: false, status: 401, actor, reason: `The admin token "${actor}" was revoked at ${row.revoked_at}` };
  if (row.expires_at && Date.parse(row.expires_at) <= now)
    return { ok: false, status: 401, actor, reason: `The admin token "${actor}" expired at ${row.expires_at}` };
  const info = infoOf(row);
  if (info.tenants === 'all') return { ok: true, actor, allTenants: true };
  if (!info.tenants.includes(tenant))
    return { ok: false, status: 403, actor, reason: `The admin token "${actor}" is not for ${tenant}` };
  return { ok: true, actor, allTenants: false };
}
