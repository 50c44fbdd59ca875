/**
 * Enrolling a provider in the network with one call: its accredited system (ASID, party key, the
 * booking interactions it receives), one message-handling endpoint per interaction pointing at its
 * service root, and its services in the directory with a booking endpoint that names the ASID.
 * Afterwards any consumer finds it through the directory alone; nobody configures anything else.
 */
import type { Kysely } from 'kysely';
import { badRequest } from '../fhir/outcome.js';
import type { Database } from '../store/schema.js';
import type { DirectoryAttribute, DirectoryEndpoint, DirectoryService } from './directory/model.js';
import { getDirectoryService, putDirectoryService } from './directory/repository.js';
import {
  checkAsid,
  findMessageHandlingServices,
  putAccreditedSystem,
  putMessageHandlingService,
  deleteMessageHandlingService,
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
}

export interface RegistrationResult {
  asid: string;
  partyKey: string;
  serviceRoot: string;
  interactions: string[];
  services: string[];
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

export async function registerProvider(db: Kysely<Database>, reg: ProviderRegistration): Promise<RegistrationResult> {
  checkAsid(reg.asid);
  let root: URL;
  try {
    root = new URL(reg.serviceRoot);
  } catch {
    throw badRequest(`serviceRoot ${JSON.stringify(reg.serviceRoot)} is not an absolute URL`, 'INVALID_PARAMETER');
  }
  if (!/^https?:$/.test(root.protocol) || reg.serviceRoot.endsWith('/')) {
    throw badRequest('serviceRoot must be an http(s) URL without a trailing slash', 'INVALID_PARAMETER');
  }
  if (!Array.isArray(reg.services)) throw badRequest('services must be a list', 'INVALID_PARAMETER');
  const partyKey = partyKeyFor(reg.odsCode, reg.asid);

  await putAccreditedSystem(db, {
    uniqueIdentifier: reg.asid,
    nhsMHSPartyKey: partyKey,
    nhsIDCode: reg.odsCode,
    name: reg.name ?? `Booking provider ${reg.odsCode}`,
    nhsAsSvcIA: BOOKING_INTERACTIONS,
  });
  // One endpoint per interaction, replacing whatever the party key had before (a moved root).
  for (const old of await findMessageHandlingServices(db, partyKey))
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
    await putDirectoryService(db, { ...service, attributes, endpoints });
  }
  return {
    asid: reg.asid,
    partyKey,
    serviceRoot: reg.serviceRoot,
    interactions: BOOKING_INTERACTIONS,
    services: reg.services.map((s) => s.id),
  };
}

export interface ConsumerRegistration {
  asid: string;
  odsCode: string;
  name: string;
  /** Interactions it may send (default: every booking interaction). */
  interactions?: string[];
}

/** Enrols a consumer system (an accredited system with no endpoints): the proxy lets it send. */
export async function registerConsumer(
  db: Kysely<Database>,
  c: ConsumerRegistration,
): Promise<{ asid: string; partyKey: string; interactions: string[] }> {
  checkAsid(c.asid);
  if (typeof c.odsCode !== 'string') throw badRequest('odsCode is required', 'INVALID_PARAMETER');
  const interactions = c.interactions ?? BOOKING_INTERACTIONS;
  const partyKey = partyKeyFor(c.odsCode, c.asid);
  await putAccreditedSystem(db, {
    uniqueIdentifier: c.asid,
    nhsMHSPartyKey: partyKey,
    nhsIDCode: c.odsCode,
    name: c.name,
    nhsAsSvcIA: interactions,
  });
  return { asid: c.asid, partyKey, interactions };
}
