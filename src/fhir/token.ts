/**
 * The Booking Standard's unsecured JWT as a caller builds it (fs_authentication, C18):
 * `{"alg":"none","typ":"JWT"}`, the mandatory claims, an empty signature. The consumer sends one on
 * every call; the spine sends one when it reads a provider's services (src/spine/enrol.ts); the
 * provider's checks of it are in src/provider/auth/jwt.ts. Built by hand because JWT libraries will
 * not add `typ` to an unsecured token.
 */

export const SCOPES = {
  slotRead: 'organization/slot.read',
  appointmentRead: 'patient/appointment.read',
  appointmentWrite: 'patient/appointment.write',
} as const;

/** Who is asking: the logged-in user, their organisation and the consumer system. */
export interface Requester {
  /** The consumer system's endpoint URL (`iss`). */
  issuer: string;
  organisation: { odsCode: string; name: string };
  device: { system: string; value: string; model: string; version: string };
  user?: {
    id: string;
    family: string;
    given: string;
    prefix?: string;
    sdsUserId?: string;
    sdsRoleProfileId?: string;
    localSystem?: string;
  };
}

export interface TokenRequest {
  audience: string;
  scope: string;
  requester: Requester;
  /** Seconds since 1970; defaults to now. */
  issuedAt?: number;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function tokenClaims(t: TokenRequest): Record<string, unknown> {
  const iat = t.issuedAt ?? Math.floor(Date.now() / 1000);
  const { requester: r } = t;
  const claims: Record<string, unknown> = {
    iss: r.issuer,
    sub: r.user?.id ?? r.device.value,
    aud: t.audience,
    exp: iat + 300,
    iat,
    reason_for_request: 'directcare',
    requested_scope: t.scope,
    requesting_device: {
      resourceType: 'Device',
      identifier: [{ system: r.device.system, value: r.device.value }],
      model: r.device.model,
      version: r.device.version,
    },
    requesting_organization: {
      resourceType: 'Organization',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: r.organisation.odsCode }],
      name: r.organisation.name,
    },
  };
  if (r.user) {
    const identifier = [
      { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: r.user.sdsUserId ?? 'UNK' },
      { system: 'https://fhir.nhs.uk/Id/sds-role-profile-id', value: r.user.sdsRoleProfileId ?? 'UNK' },
    ];
    if (r.user.localSystem) identifier.push({ system: r.user.localSystem, value: r.user.id });
    claims.requesting_practitioner = {
      resourceType: 'Practitioner',
      id: r.user.id,
      identifier,
      name: [{ family: r.user.family, given: [r.user.given], ...(r.user.prefix ? { prefix: [r.user.prefix] } : {}) }],
    };
  }
  return claims;
}

/** Encodes claims as an unsecured JWT (`header.payload.`). */
export function encodeUnsecured(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'none', typ: 'JWT' },
): string {
  return `${b64(header)}.${b64(claims)}.`;
}

export function consumerToken(t: TokenRequest): string {
  return encodeUnsecured(tokenClaims(t));
}
