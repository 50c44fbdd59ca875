/**
 * Enrolling a provider in the network with one call: its accredited system (ASID, party key, the
 * booking interactions it receives), one message-handling endpoint per interaction pointing at its
 * service root, and its services in the directory with a booking endpoint that names the ASID.
 * Afterwards any consumer finds it through the directory alone; nobody configures anything else.
 */
import type { Kysely } from 'kysely';
import { OperationOutcomeError, badRequest } from '../fhir/outcome.js';
import type { Database } from '../store/schema.js';
import type { DirectoryAttribute, DirectoryEndpoint, DirectoryService } from './directory/model.js';
import { getDirectoryService, putDirectoryService } from './directory/repository.js';
import { checkService } from './directory/validate.js';
import {
  checkAsid,
  findMessageHandlingServices,
  getAccreditedSystem,
  putAccreditedSystem,
  putMessageHandlingService,
  deleteMessageHandlingService,
  type AccreditedSystem,
} from './endpoints/repository.js';
import { BOOKING_INTERACTIONS } from './interactions.js';

export interface ProviderRegistration {
  /** The tenant's service root, e.g. `http://localhost:4001/STU3/1/riverside-ed`. */
  serviceRoot: string;
  asid: string;
  odsCode: string;
  name?: string;
  /** The services to list; their booking endpoint is set here. */
  services: Omit<DirectoryService, 'endpoints'>[];
  /** `requirebooking` on every listed service: true, false, or absent (undefined). */
  requireBooking?: boolean;
  /**
   * Must be true to move an ASID that already has a service root to a different root: without it
   * such a registration is a 409 naming the current root, and nothing changes.
   */
  replace?: boolean;
  /** The client certificate the system presents under mutual TLS (`CN=…` or a SHA-256 fingerprint). */
  clientCertificate?: string;
}

/** What an ASID was before a registration changed it, and what it is after (for the spine's audit trail). */
export interface RegistrationChange {
  before: { system: AccreditedSystem; serviceRoots: string[] } | null;
  after: { system: AccreditedSystem; serviceRoots: string[] };
  /** True when an existing service root was replaced by a different one. */
  repointed: boolean;
}

export interface RegistrationResult {
  asid: string;
  partyKey: string;
  serviceRoot: string;
  interactions: string[];
  services: string[];
  change: RegistrationChange;
}

/** A party key of the form SDS uses (`A12345-1234567`), stable for an ODS code and ASID. */
export function partyKeyFor(odsCode: string, asid: string): string {
  return `${odsCode.toUpperCase()}-${asid.slice(-7).padStart(7, '0')}`;
}

export function bookingEndpoint(asid: string, order = 1): DirectoryEndpoint {
  return {
    order,
    transport: 'http',
    format: 'FHIR',
    interaction: 'Scheduling',
    address: `ASID:${asid}`,
    comment: 'Booking Standard (Care Connect) endpoint',
  };
}

const REQUIRE_BOOKING: Omit<DirectoryAttribute, 'value'> = {
  name: 'requirebooking',
  dataType: 'boolean',
  description: 'The service only accepts referrals with an accompanying booked appointment.',
};

/**
 * The service roots an ASID's system is registered at now (under its current party key), and the system.
 */
async function currentOf(db: Kysely<Database>, asid: string) {
  const system = await getAccreditedSystem(db, asid);
  if (!system) return null;
  const endpoints = await findMessageHandlingServices(db, system.nhsMHSPartyKey);
  return { system, serviceRoots: [...new Set(endpoints.map((m) => m.nhsMHSEndPoint))] };
}

function conflict(diagnostics: string): OperationOutcomeError {
  return new OperationOutcomeError(409, [
    { severity: 'error', code: 'conflict', spineCode: 'DUPLICATE_REJECTED', diagnostics, expression: ['replace'] },
  ]);
}

/**
 * Enrols (or re-enrols) a provider. Everything is checked before anything is written; run it in a
 * transaction (`store.transaction`) so a failure part-way leaves nothing behind.
 */
export async function registerProvider(db: Kysely<Database>, reg: ProviderRegistration): Promise<RegistrationResult> {
  checkAsid(reg.asid);
  if (typeof reg.odsCode !== 'string' || !/^[A-Za-z0-9]{1,12}$/.test(reg.odsCode))
    throw badRequest('odsCode must be an ODS code (1–12 letters and digits)', 'INVALID_PARAMETER', ['odsCode']);
  let root: URL;
  try {
    root = new URL(reg.serviceRoot);
  } catch {
    throw badRequest(`serviceRoot ${JSON.stringify(reg.serviceRoot)} is not an absolute URL`, 'INVALID_PARAMETER', [
      'serviceRoot',
    ]);
  }
  if (!/^https?:$/.test(root.protocol) || reg.serviceRoot.endsWith('/') || root.username || root.password) {
    throw badRequest(
      'serviceRoot must be an http(s) URL without a trailing slash or credentials',
      'INVALID_PARAMETER',
      ['serviceRoot'],
    );
  }
  if (!Array.isArray(reg.services)) throw badRequest('services must be a list', 'INVALID_PARAMETER', ['services']);
  // Every service is checked before anything is stored (a bad one must not leave a half-registration).
  for (const service of reg.services) checkService({ ...service, endpoints: [] });
  const partyKey = partyKeyFor(reg.odsCode, reg.asid);

  const before = await currentOf(db, reg.asid);
  const moved = (before?.serviceRoots ?? []).filter((r) => r !== reg.serviceRoot);
  if (moved.length && reg.replace !== true) {
    throw conflict(
      `ASID ${reg.asid} is registered at ${moved.join(', ')}; moving it to ${reg.serviceRoot} is an explicit change: ` +
        'send "replace": true (slotbridge spine register-provider --replace)',
    );
  }

  await putAccreditedSystem(db, {
    uniqueIdentifier: reg.asid,
    nhsMHSPartyKey: partyKey,
    nhsIDCode: reg.odsCode,
    name: reg.name ?? `Booking provider ${reg.odsCode}`,
    nhsAsSvcIA: BOOKING_INTERACTIONS,
    ...(reg.clientCertificate !== undefined ? { clientCertificate: reg.clientCertificate } : {}),
  });
  // One endpoint per interaction, replacing whatever the party key had before (a moved root), and
  // whatever the ASID's old party key had when its ODS code changed.
  const partyKeys = new Set([partyKey, ...(before ? [before.system.nhsMHSPartyKey] : [])]);
  for (const key of partyKeys)
    for (const old of await findMessageHandlingServices(db, key))
      await deleteMessageHandlingService(db, old.uniqueIdentifier);
  for (const interaction of BOOKING_INTERACTIONS) {
    await putMessageHandlingService(db, {
      uniqueIdentifier: `${partyKey}:${interaction.split(':').slice(-2).join('-')}`,
      nhsMHSPartyKey: partyKey,
      nhsMhsSvcIA: interaction,
      nhsMHSEndPoint: reg.serviceRoot,
    });
  }

  for (const service of reg.services) {
    const existing = await getDirectoryService(db, service.id);
    // Keep the service's other endpoints (ITK, email…); replace any booking endpoint.
    const others = (existing?.endpoints ?? []).filter(
      (e) => !(e.transport === 'http' && e.format === 'FHIR' && e.interaction === 'Scheduling'),
    );
    const endpoints = [...others, bookingEndpoint(reg.asid, others.length + 1)];
    // requirebooking: set when the registration says so; else the service's own, else as listed before.
    const given = service.attributes ?? [];
    const previous = (list: DirectoryAttribute[] | undefined) =>
      (list ?? []).filter((a) => a.name === REQUIRE_BOOKING.name);
    const requireBookingAttribute =
      reg.requireBooking !== undefined
        ? [{ ...REQUIRE_BOOKING, value: String(reg.requireBooking) }]
        : previous(given).length
          ? previous(given)
          : previous(existing?.attributes);
    const attributes = [...given.filter((a) => a.name !== REQUIRE_BOOKING.name), ...requireBookingAttribute];
    // Listed under the registering organisation's ODS code: the code its system is filed under in the
    // endpoint directory, which a consumer searches by (the SDS FHIR API has no search by ASID alone).
    await putDirectoryService(db, { ...service, odsCode: reg.odsCode.toUpperCase(), attributes, endpoints });
  }
  return {
    asid: reg.asid,
    partyKey,
    serviceRoot: reg.serviceRoot,
    interactions: BOOKING_INTERACTIONS,
    services: reg.services.map((s) => s.id),
    change: { before, after: (await currentOf(db, reg.asid))!, repointed: moved.length > 0 },
  };
}

export interface ConsumerRegistration {
  asid: string;
  odsCode: string;
  name: string;
  /** Interactions it may send (default: every booking interaction). */
  interactions?: string[];
  /** The client certificate the system presents under mutual TLS (`CN=…` or a SHA-256 fingerprint). */
  clientCertificate?: string;
}

/** Enrols a consumer system (an accredited system with no endpoints): the proxy lets it send. */
export async function registerConsumer(
  db: Kysely<Database>,
  c: ConsumerRegistration,
): Promise<{
  asid: string;
  partyKey: string;
  interactions: string[];
  change: { before: AccreditedSystem | null; after: AccreditedSystem };
}> {
  checkAsid(c.asid);
  if (typeof c.odsCode !== 'string') throw badRequest('odsCode is required', 'INVALID_PARAMETER', ['odsCode']);
  const interactions = c.interactions ?? BOOKING_INTERACTIONS;
  const partyKey = partyKeyFor(c.odsCode, c.asid);
  const before = (await getAccreditedSystem(db, c.asid)) ?? null;
  await putAccreditedSystem(db, {
    uniqueIdentifier: c.asid,
    nhsMHSPartyKey: partyKey,
    nhsIDCode: c.odsCode,
    name: c.name,
    nhsAsSvcIA: interactions,
    ...(c.clientCertificate !== undefined ? { clientCertificate: c.clientCertificate } : {}),
  });
  return { asid: c.asid, partyKey, interactions, change: { before, after: (await getAccreditedSystem(db, c.asid))! } };
}
