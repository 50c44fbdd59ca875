/** A stand-in consumer for tests: builds the standard's unsecured JWT and calls the provider over real HTTP. */
import { randomUUID } from 'node:crypto';

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

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function token(o: TokenOptions): string {
  const iat = o.iat ?? Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iss: 'https://consumer.example.nhs.uk/',
    sub: 'user-10019',
    aud: o.aud,
    exp: o.exp ?? iat + 300,
    iat,
    reason_for_request: 'directcare',
    requested_scope: o.scope,
    requesting_device: {
      resourceType: 'Device',
      identifier: [{ system: 'https://consumersupplier.com/Id/device-identifier', value: 'CONS-APP-4' }],
      model: 'Test consumer',
      version: '1.0.0',
    },
    requesting_organization: {
      resourceType: 'Organization',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: o.ods ?? 'A1001' }],
      name: o.orgName ?? '111 North East Service',
    },
  };
  if (o.practitioner !== false) {
    payload.requesting_practitioner = {
      resourceType: 'Practitioner',
      id: 'user-10019',
      identifier: [
        { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: '111222333444' },
        { system: 'https://fhir.nhs.uk/Id/sds-role-profile-id', value: '444555666777' },
        { system: 'https://consumersupplier.com/Id/user-guid', value: '98ed4f78-814d-4266-8d5b-cde742f3093c' },
      ],
      name: [{ family: 'Jones', given: ['Claire'], prefix: ['Dr'] }],
    };
  }
  for (const [k, v] of Object.entries(o.claims ?? {})) {
    if (v === undefined) delete payload[k];
    else payload[k] = v;
  }
  return `${b64(o.header ?? { alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
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
  const scope = o.scope ?? (method === 'GET' ? (path.startsWith('/Appointment') ? SCOPE.read : SCOPE.slotRead) : SCOPE.write);
  const headers: Record<string, string> = {
    accept: o.accept ?? 'application/fhir+json',
    'x-request-id': o.requestId ?? randomUUID(),
    ...o.headers,
  };
  if (o.authorization !== null) headers.authorization = o.authorization ?? `Bearer ${token({ aud: root, scope, ods: o.ods })}`;
  let body: string | undefined;
  if (o.text !== undefined) body = o.text;
  else if (o.body !== undefined) body = JSON.stringify(o.body);
  if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/fhir+json';
  const res = await fetch(root + path, { method, headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
