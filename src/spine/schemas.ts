/**
 * Route schemas of the spine operator's API (TypeBox; checked by src/validation/route-schema.ts):
 * registration (`/admin/providers`, `/admin/consumers`) and the endpoint directory's writes. A body
 * that does not fit is a 400 OperationOutcome naming the field, before anything is read or stored.
 * What needs more than a schema (a service's postcode is a known district, a URL parses) is checked
 * in code after these, still before anything is stored.
 */
import { Type, type Static } from 'typebox';

const Asid = (field: string) =>
  Type.String({ pattern: '^\\d{1,20}$', errorMessage: `${field} must be an ASID: a number of up to 20 digits` });
const OdsCode = Type.String({
  pattern: '^[A-Za-z0-9]{1,12}$',
  errorMessage: 'odsCode must be an ODS code (1–12 letters and digits)',
});
const Name = (field: string) =>
  Type.String({ minLength: 1, maxLength: 200, errorMessage: `${field} must be text of 1–200 characters` });
const Interaction = Type.String({ pattern: '^urn:[A-Za-z0-9:._-]{1,200}$' });
const ClientCertificate = Type.String({
  maxLength: 200,
  errorMessage:
    "clientCertificate must name the system's client certificate: CN=<common name> or its SHA-256 fingerprint",
});
const PartyKey = Type.String({
  pattern: '^[A-Za-z0-9]{1,12}-\\d{1,10}$',
  errorMessage: 'nhsMHSPartyKey must look like A12345-1234567',
});

export const ProviderRegistrationBody = Type.Object(
  {
    serviceRoot: Type.String({
      minLength: 1,
      maxLength: 2000,
      errorMessage: "serviceRoot must be the provider's service root: an http(s) URL without a trailing slash",
    }),
    asid: Asid('asid'),
    odsCode: OdsCode,
    name: Type.Optional(Name('name')),
    services: Type.Array(
      Type.Object(
        { id: Type.String({ pattern: '^[A-Za-z0-9-]{1,32}$' }) },
        { additionalProperties: true, errorMessage: 'each service must be a directory service with an id' },
      ),
      { maxItems: 500, errorMessage: 'services must be a list of directory services (at most 500)' },
    ),
    requireBooking: Type.Optional(Type.Boolean({ errorMessage: 'requireBooking must be true or false' })),
    /** Must be true to move an ASID that already has a service root to a different one. */
    replace: Type.Optional(Type.Boolean({ errorMessage: 'replace must be true or false' })),
    clientCertificate: Type.Optional(ClientCertificate),
  },
  {
    additionalProperties: false,
    errorMessage:
      'The body must be a provider registration: {serviceRoot, asid, odsCode, name?, services, requireBooking?, ' +
      'replace?, clientCertificate?} and nothing else',
  },
);
export type ProviderRegistrationBody = Static<typeof ProviderRegistrationBody>;

export const ConsumerRegistrationBody = Type.Object(
  {
    asid: Asid('asid'),
    odsCode: OdsCode,
    name: Name('name'),
    interactions: Type.Optional(
      Type.Array(Interaction, {
        maxItems: 50,
        errorMessage: 'interactions must be a list of interaction IDs (urn:…), at most 50',
      }),
    ),
    clientCertificate: Type.Optional(ClientCertificate),
  },
  {
    additionalProperties: false,
    errorMessage:
      'The body must be a consumer registration: {asid, odsCode, name, interactions?, clientCertificate?} and nothing else',
  },
);
export type ConsumerRegistrationBody = Static<typeof ConsumerRegistrationBody>;

export const AsidParams = Type.Object({ asid: Asid('the ASID in the URL') });

export const AccreditedSystemBody = Type.Object(
  {
    uniqueIdentifier: Type.Optional(Asid('uniqueIdentifier')),
    nhsMHSPartyKey: PartyKey,
    nhsIDCode: Type.String({ pattern: '^[A-Za-z0-9]{1,12}$', errorMessage: 'nhsIDCode must be an ODS code' }),
    name: Name('name'),
    nhsAsSvcIA: Type.Array(Interaction, {
      maxItems: 50,
      errorMessage: 'nhsAsSvcIA must be a list of interaction IDs (urn:…), at most 50',
    }),
    clientCertificate: Type.Optional(ClientCertificate),
  },
  {
    additionalProperties: false,
    errorMessage:
      'The body must be an accredited system (nhsAS): {nhsMHSPartyKey, nhsIDCode, name, nhsAsSvcIA, clientCertificate?}',
  },
);
export type AccreditedSystemBody = Static<typeof AccreditedSystemBody>;

export const MhsParams = Type.Object({
  id: Type.String({
    pattern: '^[A-Za-z0-9:._-]{1,120}$',
    errorMessage: 'the id in the URL must be 1–120 letters, digits or :._-',
  }),
});

export const MessageHandlingServiceBody = Type.Object(
  {
    uniqueIdentifier: Type.Optional(Type.String({ maxLength: 120 })),
    nhsMHSPartyKey: PartyKey,
    nhsMhsSvcIA: Type.String({
      pattern: '^urn:[A-Za-z0-9:._-]{1,200}$',
      errorMessage: 'nhsMhsSvcIA must be an interaction ID (urn:…)',
    }),
    nhsMHSEndPoint: Type.String({ minLength: 1, maxLength: 2000, errorMessage: 'nhsMHSEndPoint is required' }),
  },
  {
    additionalProperties: false,
    errorMessage:
      'The body must be a message-handling endpoint (nhsMHS): {nhsMHSPartyKey, nhsMhsSvcIA, nhsMHSEndPoint}',
  },
);
export type MessageHandlingServiceBody = Static<typeof MessageHandlingServiceBody>;

export const AuditQuery = Type.Object(
  {
    target: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, errorMessage: 'limit must be a whole number from 1 to 1000' }),
    ),
  },
  { additionalProperties: false, errorMessage: 'The audit takes target and limit' },
);
