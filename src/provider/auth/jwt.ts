/**
 * Validation of the consumer's unsecured JWT (P1–P4, fs_authentication). Every failure is a 401
 * with an OperationOutcome naming the claim at fault (docs/decisions.md).
 *
 * The token is `base64url(header).base64url(payload).` with `{"alg":"none","typ":"JWT"}`. We decode it
 * by hand: it is three lines, and JWT libraries either refuse `alg: none` or cannot check the claims
 * the standard adds.
 */
import { LRUCache } from 'lru-cache';
import { unauthorized } from '../../fhir/outcome.js';

export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const SDS_USER_SYSTEM = 'https://fhir.nhs.uk/Id/sds-user-id';
export const SDS_ROLE_PROFILE_SYSTEM = 'https://fhir.nhs.uk/Id/sds-role-profile-id';

/** Who is calling, taken from the token (P5 provenance). */
export interface ConsumerIdentity {
  issuer: string;
  subject: string;
  audience: string;
  scope: string;
  issuedAt: number;
  expiresAt: number;
  organisation: { ods: string; name: string };
  device: { system: string; value: string; model: string; version: string };
  practitioner?: {
    id: string;
    name?: string;
    sdsUserId?: string;
    sdsRoleProfileId?: string;
    localIdentifier?: string;
  };
}

/** Allowed drift between our clock and the consumer's (P2). */
export const CLOCK_SKEW_SECONDS = 60;
/** fs_authentication: `exp` SHALL be `iat` + 5 minutes. */
export const MAX_LIFETIME_SECONDS = 300;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

function decodePart(part: string, what: string): Json {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) throw unauthorized(`JWT ${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw unauthorized(`JWT ${what} is not JSON`);
  }
  if (!isObject(value)) throw unauthorized(`JWT ${what} is not a JSON object`);
  // Claims end up in the audit trail and provenance; PostgreSQL text cannot hold NUL, nor a lone
  // UTF-16 surrogate (a "\ud800" escape in the token's JSON). JSON.stringify escapes exactly those.
  const text = JSON.stringify(value);
  if (text.includes('\\u0000')) throw unauthorized(`JWT ${what} holds a NUL character`);
  if (/\\ud[89a-f][0-9a-f]{2}/i.test(text))
    throw unauthorized(`JWT ${what} holds text that is not well-formed Unicode (a lone surrogate escape)`);
  return value;
}

function identifierValue(identifiers: unknown, system: string): string | undefined {
  if (!Array.isArray(identifiers)) return undefined;
  for (const id of identifiers) {
    if (isObject(id) && id.system === system && typeof id.value === 'string') return id.value;
  }
  return undefined;
}

function humanName(names: unknown): string | undefined {
  if (!Array.isArray(names) || !isObject(names[0])) return undefined;
  const n = names[0];
  const parts = [
    ...(Array.isArray(n.prefix) ? n.prefix : []),
    ...(Array.isArray(n.given) ? n.given : []),
    typeof n.family === 'string' ? n.family : undefined,
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  return parts.length ? parts.join(' ') : typeof n.text === 'string' ? n.text : undefined;
}

function requireClaim(payload: Json, name: string, check: (v: unknown) => boolean, expected: string): void {
  if (!(name in payload)) throw unauthorized(`JWT claim ${name} is missing`);
  if (!check(payload[name])) throw unauthorized(`JWT claim ${name} must be ${expected}`);
}

/** Decodes the token and checks its construct and mandatory claims (P1). Time, aud and scope are checked by `authorise`. */
export function parseBearerToken(authorization: string | undefined): ConsumerIdentity {
  if (!authorization) throw unauthorized('No Authorization header: a Bearer JWT is required');
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) throw unauthorized('Authorization header must be "Bearer <JWT>"');
  const parts = match[1].split('.');
  if (parts.length !== 3) throw unauthorized('JWT must have three dot-separated parts (header.payload.)');
  if (parts[2] !== '') throw unauthorized('JWT signature must be empty for an unsecured token (alg none)');
  const header = decodePart(parts[0], 'header');
  if (header.alg !== 'none') throw unauthorized('JWT header alg must be "none"');
  if (header.typ !== undefined && header.typ !== 'JWT') throw unauthorized('JWT header typ must be "JWT"');
  const p = decodePart(parts[1], 'payload');

  requireClaim(p, 'iss', isText, 'a non-empty string (the consumer endpoint URL)');
  requireClaim(p, 'sub', isText, 'a non-empty string (the requesting user id)');
  requireClaim(p, 'aud', isText, 'the provider service root URL');
  requireClaim(p, 'exp', Number.isInteger, 'an integer (seconds since 1970)');
  requireClaim(p, 'iat', Number.isInteger, 'an integer (seconds since 1970)');
  requireClaim(p, 'reason_for_request', (v) => v === 'directcare', '"directcare"');
  requireClaim(p, 'requested_scope', isText, 'one of the Booking Standard scopes');
  requireClaim(p, 'requesting_device', isObject, 'a Device resource');
  requireClaim(p, 'requesting_organization', isObject, 'an Organization resource');

  const device = p.requesting_device as Json;
  if (device.resourceType !== 'Device')
    throw unauthorized('JWT claim requesting_device must have resourceType "Device"');
  const deviceId = Array.isArray(device.identifier) ? device.identifier.find(isObject) : undefined;
  if (!deviceId || !isText(deviceId.system) || !isText(deviceId.value)) {
    throw unauthorized('JWT claim requesting_device must carry an identifier with system and value');
  }
  if (!isText(device.model)) throw unauthorized('JWT claim requesting_device.model is missing');
  if (!isText(device.version)) throw unauthorized('JWT claim requesting_device.version is missing');

  const org = p.requesting_organization as Json;
  if (org.resourceType !== 'Organization') {
    throw unauthorized('JWT claim requesting_organization must have resourceType "Organization"');
  }
  const ods = identifierValue(org.identifier, ODS_SYSTEM);
  if (!isText(ods)) {
    throw unauthorized(`JWT claim requesting_organization must carry an identifier with system ${ODS_SYSTEM}`);
  }
  if (!isText(org.name)) throw unauthorized('JWT claim requesting_organization.name is missing');

  let practitioner: ConsumerIdentity['practitioner'];
  if (p.requesting_practitioner !== undefined) {
    const pr = p.requesting_practitioner;
    if (!isObject(pr) || pr.resourceType !== 'Practitioner') {
      throw unauthorized('JWT claim requesting_practitioner must be a Practitioner resource');
    }
    if (!isText(pr.id)) throw unauthorized('JWT claim requesting_practitioner.id is missing');
    if (pr.id !== p.sub) throw unauthorized('JWT claim sub must equal requesting_practitioner.id');
    const sdsUserId = identifierValue(pr.identifier, SDS_USER_SYSTEM);
    if (!isText(sdsUserId)) {
      throw unauthorized(
        `JWT claim requesting_practitioner must carry an identifier with system ${SDS_USER_SYSTEM} (UNK without a smartcard)`,
      );
    }
    const local = Array.isArray(pr.identifier)
      ? pr.identifier.find(
          (i) =>
            isObject(i) &&
            i.system !== SDS_USER_SYSTEM &&
            i.system !== SDS_ROLE_PROFILE_SYSTEM &&
            typeof i.value === 'string',
        )
      : undefined;
    practitioner = {
      id: pr.id,
      name: humanName(pr.name),
      sdsUserId,
      sdsRoleProfileId: identifierValue(pr.identifier, SDS_ROLE_PROFILE_SYSTEM),
      localIdentifier: isObject(local) ? String(local.value) : undefined,
    };
  }

  return {
    issuer: p.iss as string,
    subject: p.sub as string,
    audience: p.aud as string,
    scope: p.requested_scope as string,
    issuedAt: p.iat as number,
    expiresAt: p.exp as number,
    organisation: { ods, name: org.name as string },
    device: {
      system: deviceId.system as string,
      value: deviceId.value as string,
      model: device.model as string,
      version: device.version as string,
    },
    practitioner,
  };
}

/** Checks time (P2), audience (P3) and scope (P4) for one request. */
export function authorise(
  identity: ConsumerIdentity,
  expected: { audience: string; scope: string; nowSeconds?: number },
): void {
  const now = expected.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (identity.expiresAt <= identity.issuedAt) throw unauthorized('JWT claim exp must be after iat');
  if (identity.expiresAt - identity.issuedAt > MAX_LIFETIME_SECONDS) {
    throw unauthorized(`JWT lifetime exp - iat must not exceed ${MAX_LIFETIME_SECONDS} seconds`);
  }
  if (identity.issuedAt > now + CLOCK_SKEW_SECONDS) throw unauthorized('JWT claim iat is in the future');
  if (identity.expiresAt + CLOCK_SKEW_SECONDS <= now) throw unauthorized('JWT has expired (exp is in the past)');
  if (identity.audience !== expected.audience) {
    throw unauthorized(`JWT claim aud "${identity.audience}" is not this service root (${expected.audience})`);
  }
  if (identity.scope !== expected.scope) {
    throw unauthorized(
      `JWT claim requested_scope "${identity.scope}" does not permit this interaction (it needs "${expected.scope}")`,
    );
  }
}

/** Most bytes the parsed-token cache holds (token texts and what was read from them). */
export const TOKEN_CACHE_BYTES = 16 * 1024 * 1024;
/** A token lives five minutes (fs_authentication) plus the allowed clock drift; no entry outlives that. */
const TOKEN_CACHE_TTL_MS = (MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) * 1000;

/**
 * Parsed tokens by their text: consumers reuse a token for its five minutes' life. Bounded by bytes
 * (a padded token is as big as the header limit allows, 16 KB) and by time; the least recently used
 * go first. Only tokens that parse are kept, so garbage makes no entry.
 */
const parsed = new LRUCache<string, { identity: ConsumerIdentity; bytes: number }>({
  maxSize: TOKEN_CACHE_BYTES,
  sizeCalculation: (value) => value.bytes,
  ttl: TOKEN_CACHE_TTL_MS,
  ttlAutopurge: true,
});

export function parseBearerTokenCached(authorization: string | undefined): ConsumerIdentity {
  if (authorization) {
    const hit = parsed.get(authorization);
    if (hit) return hit.identity;
  }
  const identity = parseBearerToken(authorization);
  // The key, and the identity (its strings come from the token, so at most as long again), two bytes a character.
  const bytes = (authorization as string).length * 4 + 256;
  parsed.set(authorization as string, { identity, bytes });
  return identity;
}

/** The parsed-token cache's size and bound, for tests and operators. */
export function tokenCacheStats(): { entries: number; bytes: number; maxBytes: number } {
  return { entries: parsed.size, bytes: parsed.calculatedSize, maxBytes: TOKEN_CACHE_BYTES };
}
