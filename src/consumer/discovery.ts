/**
 * From a chosen service to the provider's service root, over the national directories' real
 * interfaces (docs/going-live.md, "How a booking endpoint is found", walks through it):
 *   1. DoS: the service's booking endpoint (transport http, format FHIR, interaction Scheduling; C1, C6–C8)
 *      gives an ASID (`ASID:…`) or an organisation (`ODS:…`).
 *   2. SDS `GET /Device?organization={ODS}&identifier={interaction}`: the accredited systems of that
 *      organisation registered for the interaction. The SDS FHIR API has no search by ASID alone, so an
 *      `ASID:` endpoint is looked up under the service's ODS code from DoS and the Device whose nhsSpineASID
 *      is that ASID is the one; an `ODS:` endpoint's organisation must have exactly one such system.
 *      Its interactions (all of them, listed on the Device) must include the Booking Standard's and no
 *      GP Connect one (C9–C12).
 *   3. SDS `GET /Endpoint?organization={ODS}&identifier={interaction}&identifier={party key}` for each
 *      interaction the booking needs: exactly one service root, a valid http(s) URL (C13–C17).
 * Every failure of the spec ends in a route that says "no booking, and why", so the call handler carries
 * on with the non-booking workflow; nothing here throws for a directory entry that is merely unusable.
 */
import { ConsumerError } from './errors.js';
import { INTERACTION, SLOT_SEARCH_ALIAS, isCareConnect, isGpConnect } from './interactions.js';
import {
  serviceLabel,
  type DirectoryEndpoint,
  type EndpointDirectory,
  type SdsDevice,
  type ServiceDetails,
  type ServiceDirectory,
} from './national.js';

export type NoBookingReason =
  | 'no-booking-endpoint' // C8: continue the non-booking workflow
  | 'several-booking-endpoints' // C7: halt with an error to the user
  | 'unsupported-endpoint-address' // the booking endpoint names neither an ASID nor an organisation
  | 'no-ods-code' // an ASID: endpoint on a service without an ODS code: SDS cannot be searched
  | 'no-such-asid' // C10: no accredited system with the ASID (for the Booking Standard) at the organisation
  | 'several-booking-systems' // an ODS: endpoint whose organisation has several booking systems
  | 'no-booking-interactions' // C11
  | 'care-connect-and-gp-connect' // C12
  | 'no-endpoint' // no endpoint registered for an interaction the booking needs
  | 'several-endpoints' // C14
  | 'invalid-endpoint'; // C17

export type BookingRoute =
  | { bookable: true; serviceId: string; asid: string; partyKey: string; serviceRoot: string }
  | { bookable: false; serviceId: string; reason: NoBookingReason; message: string; asid?: string };

export function isBookingEndpoint(e: DirectoryEndpoint): boolean {
  return e.transport?.toLowerCase() === 'http' && e.format?.toUpperCase() === 'FHIR' && e.interaction === 'Scheduling';
}

/** True when the directory says referrals need a booking (requirebooking present and true; C2–C4). */
export function requiresBooking(service: { attributes?: { name: string; value: string }[] }): boolean {
  return (service.attributes ?? []).some(
    (a) => a.name.toLowerCase() === 'requirebooking' && a.value.trim().toLowerCase() === 'true',
  );
}

function noBooking(serviceId: string, reason: NoBookingReason, message: string, asid?: string): BookingRoute {
  return { bookable: false, serviceId, reason, message, ...(asid ? { asid } : {}) };
}

/** The interactions a booking needs the provider's system to receive. */
const NEEDED = [INTERACTION.slotSearch, INTERACTION.book];

/** The Device searches of step 2: for the slot search (under both of its names), then for booking. */
async function systemsFor(endpoints: EndpointDirectory, odsCode: string, interaction: string): Promise<SdsDevice[]> {
  const found = await endpoints.devices({ odsCode, interaction });
  if (found.length > 0 || interaction !== INTERACTION.slotSearch) return found;
  // Some systems register the slot search as …:search:slot (docs/decisions.md): the same interaction.
  return endpoints.devices({ odsCode, interaction: SLOT_SEARCH_ALIAS });
}

const receives = (device: SdsDevice, interaction: string) =>
  device.interactions.includes(interaction) ||
  (interaction === INTERACTION.slotSearch && device.interactions.includes(SLOT_SEARCH_ALIAS));

export async function resolveBookingRoute(
  endpoints: EndpointDirectory,
  service: Pick<ServiceDetails, 'id' | 'name' | 'odsCode' | 'endpoints'>,
): Promise<BookingRoute> {
  const id = service.id;
  const name = serviceLabel(service);
  const booking = (service.endpoints ?? []).filter(isBookingEndpoint);
  if (booking.length === 0)
    return noBooking(
      id,
      'no-booking-endpoint',
      `${name} takes no bookings through the Booking Standard; refer the patient without a booking.`,
    );
  if (booking.length > 1) {
    return noBooking(
      id,
      'several-booking-endpoints',
      `${name} lists ${booking.length} booking endpoints in the directory, so it is not clear where to book: ` +
        `booking stopped. Report the directory entry (service ${id}).`,
    );
  }
  const address = booking[0]!.address.trim();
  const wantedAsid = /^ASID:\s*(\d+)$/i.exec(address)?.[1];
  const addressOds = /^ODS:\s*([A-Za-z0-9]{1,12})$/i.exec(address)?.[1]?.toUpperCase();
  if (!wantedAsid && !addressOds)
    return noBooking(
      id,
      'unsupported-endpoint-address',
      `${name}'s booking endpoint (${address}) names no ASID or organisation; refer the patient without a booking.`,
    );
  const odsCode = addressOds ?? service.odsCode?.trim().toUpperCase();
  if (!odsCode)
    return noBooking(
      id,
      'no-ods-code',
      `${name} has no ODS code in the directory, so its booking system (ASID ${wantedAsid}) cannot be ` +
        'looked up in the endpoint directory; refer the patient without a booking.',
      wantedAsid,
    );

  // Step 2: the accredited system, from the Device searches (C9–C12).
  const label = wantedAsid ? `ASID ${wantedAsid}` : `organisation ${odsCode}`;
  const pick = (devices: SdsDevice[]) => (wantedAsid ? devices.filter((d) => d.asid === wantedAsid) : devices);
  let systems = pick(await systemsFor(endpoints, odsCode, INTERACTION.slotSearch));
  if (systems.length === 0) {
    // Registered, but not for the slot search? A search for booking tells "no such system" from "not for booking".
    const bookingOnly = pick(await systemsFor(endpoints, odsCode, INTERACTION.book));
    if (bookingOnly.length > 0)
      return noBooking(
        id,
        'no-booking-interactions',
        `${name}'s system (${label}) is not registered for all the Booking Standard's interactions; ` +
          'refer the patient without a booking.',
        bookingOnly[0]!.asid,
      );
    return noBooking(
      id,
      'no-such-asid',
      `${name}'s booking system (${label}) is not registered in the endpoint directory for the Booking ` +
        `Standard at ${odsCode}; refer the patient without a booking.`,
      wantedAsid,
    );
  }
  const asids = [...new Set(systems.map((d) => d.asid))];
  if (asids.length > 1)
    return noBooking(
      id,
      'several-booking-systems',
      `${name}'s organisation (${odsCode}) has ${asids.length} booking systems registered (ASIDs ` +
        `${asids.join(', ')}), so where to book is unclear; refer the patient without a booking.`,
    );
  systems = systems.filter((d) => d.asid === asids[0]);
  const system = systems.find((d) => d.partyKey) ?? systems[0]!;
  const asid = system.asid;
  if (!NEEDED.every((i) => receives(system, i)) || !system.interactions.some(isCareConnect))
    return noBooking(
      id,
      'no-booking-interactions',
      `${name}'s system (ASID ${asid}) is not registered for Booking Standard interactions; refer the patient without a booking.`,
      asid,
    );
  if (system.interactions.some(isGpConnect)) {
    return noBooking(
      id,
      'care-connect-and-gp-connect',
      `${name}'s system (ASID ${asid}) is registered for both Care Connect and GP Connect, ` +
        'so which API to use is unclear; refer the patient without a booking.',
      asid,
    );
  }
  if (!system.partyKey)
    return noBooking(
      id,
      'no-endpoint',
      `${name}'s system (ASID ${asid}) has no party key in the endpoint directory, so its endpoint cannot be ` +
        'found; refer the patient without a booking.',
      asid,
    );

  // Step 3: the endpoints, one search per interaction the booking needs (C13–C17).
  const roots = new Set<string>();
  for (const interaction of NEEDED) {
    let entries = await endpoints.endpoints({ odsCode, interaction, partyKey: system.partyKey });
    if (entries.length === 0 && interaction === INTERACTION.slotSearch)
      entries = await endpoints.endpoints({ odsCode, interaction: SLOT_SEARCH_ALIAS, partyKey: system.partyKey });
    if (entries.length === 0)
      return noBooking(
        id,
        'no-endpoint',
        `${name}'s system (ASID ${asid}) has no endpoint for ${interaction.split(':').slice(-2).join(' ')}; ` +
          'refer the patient without a booking.',
        asid,
      );
    for (const e of entries) roots.add(e.address.trim());
  }
  if (roots.size > 1)
    return noBooking(
      id,
      'several-endpoints',
      `${name}'s system (ASID ${asid}) has ${roots.size} different endpoints registered, ` +
        'so where to book is unclear; refer the patient without a booking.',
      asid,
    );
  const root = [...roots][0]!;
  let url: URL;
  try {
    url = new URL(root);
  } catch {
    return noBooking(
      id,
      'invalid-endpoint',
      `${name}'s registered endpoint (${root}) is not a valid URL; refer the patient without a booking.`,
      asid,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return noBooking(
      id,
      'invalid-endpoint',
      `${name}'s registered endpoint (${root}) is not an http(s) URL; refer the patient without a booking.`,
      asid,
    );
  return {
    bookable: true,
    serviceId: id,
    asid,
    partyKey: system.partyKey,
    serviceRoot: root.replace(/\/+$/, ''),
  };
}

/** Resolves a service ID straight to a bookable route, or throws the reason as a ConsumerError. */
export async function bookableRoute(
  directory: ServiceDirectory,
  endpoints: EndpointDirectory,
  serviceId: string,
): Promise<{ service: ServiceDetails; route: Extract<BookingRoute, { bookable: true }> }> {
  const service = await directory.serviceDetails(serviceId);
  const route = await resolveBookingRoute(endpoints, service);
  if (!route.bookable) throw new ConsumerError(route.reason, route.message, 'directory', { serviceId });
  return { service, route };
}
