/** A stand-in consumer for tests: builds the standard's unsecured JWT and calls the provider over real HTTP. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ConsumerError } from '../../src/consumer/errors.js';
import { encodeUnsecured, tokenClaims } from '../../src/fhir/token.js';

export const SCOPE = {
  slotRead: 'organization/slot.read',
  read: 'patient/appointment.read',
  write: 'patient/appointment.write',
};

export interface TokenOptions {
  aud: string;
  scope: string;
  ods?: string;
  orgName?: string;
  iat?: number;
  exp?: number;
  practitioner?: boolean;
  /** Claims to override (undefined removes the claim). */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
}

/** The standard's token for tests, built by the consumer's own builder, with claims to override. */
export function token(o: TokenOptions): string {
  const payload = tokenClaims({
    audience: o.aud,
    scope: o.scope,
    issuedAt: o.iat,
    requester: {
      issuer: 'https://consumer.example.nhs.uk/',
      organisation: { odsCode: o.ods ?? 'A1001', name: o.orgName ?? '111 North East Service' },
      device: {
        system: 'https://consumersupplier.com/Id/device-identifier',
        value: 'CONS-APP-4',
        model: 'Test consumer',
        version: '1.0.0',
      },
      user:
        o.practitioner === false
          ? undefined
          : {
              id: 'user-10019',
              family: 'Jones',
              given: 'Claire',
              prefix: 'Dr',
              sdsUserId: '111222333444',
              sdsRoleProfileId: '444555666777',
              localSystem: 'https://consumersupplier.com/Id/user-guid',
            },
    },
  });
  if (o.practitioner === false) payload.sub = 'user-10019';
  if (o.exp !== undefined) payload.exp = o.exp;
  for (const [k, v] of Object.entries(o.claims ?? {})) {
    if (v === undefined) delete payload[k];
    else payload[k] = v;
  }
  return encodeUnsecured(payload, o.header);
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  /** Raw body text (sent as is). */
  text?: string;
  contentType?: string;
  accept?: string;
  scope?: string;
  ods?: string;
  /** Authorization header value; `null` sends none. */
  authorization?: string | null;
  headers?: Record<string, string>;
  requestId?: string;
  /** Call through this proxy: `{via}/{root}{path}` (the JWT's audience stays the service root). */
  via?: string;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** Calls `root + path` as a consumer would (JSON by default, a fresh JWT for `aud = root`). */
export async function call(root: string, path: string, o: CallOptions = {}): Promise<CallResult> {
  const method = o.method ?? 'GET';
  const scope =
    o.scope ?? (method === 'GET' ? (path.startsWith('/Appointment') ? SCOPE.read : SCOPE.slotRead) : SCOPE.write);
  const headers: Record<string, string> = {
    accept: o.accept ?? 'application/fhir+json',
    'x-request-id': o.requestId ?? randomUUID(),
    ...o.headers,
  };
  if (o.authorization !== null)
    headers.authorization = o.authorization ?? `Bearer ${token({ aud: root, scope, ods: o.ods })}`;
  let body: string | undefined;
  if (o.text !== undefined) body = o.text;
  else if (o.body !== undefined) body = JSON.stringify(o.body);
  if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/fhir+json';
  const res = await fetch(o.via ? `${o.via}/${root}${path}` : root + path, { method, headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The ConsumerError a promise rejects with (a test fails when it resolves or rejects with anything else). */
export async function consumerErrorOf(promise: Promise<unknown>): Promise<ConsumerError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ConsumerError, String(err));
    return err;
  }
  assert.fail('expected a ConsumerError');
}
