/**
 * From a chosen service to the provider's service root: the booking endpoint's ASID from the
 * directory (C1, C6–C8), then the endpoint directory's two steps (C9–C17). Every failure of the spec
 * ends in a route that says "no booking, and why", so the call handler carries on with the
 * non-booking workflow; nothing here throws for a directory entry that is merely unusable.
 */
import { ConsumerError } from './errors.js';
import { INTERACTION, isCareConnect, isGpConnect } from './interactions.js';
import type { DirectoryEndpoint, ServiceDetails, SpineClient } from './spine-client.js';

export type NoBookingReason =
  | 'no-booking-endpoint' // C8: continue the non-booking workflow
  | 'several-booking-endpoints' // C7: halt with an error to the user
  | 'unsupported-endpoint-address' // the booking endpoint names no ASID
  | 'no-such-asid' // C11
  | 'no-booking-interactions' // C12
  | 'care-connect-and-gp-connect' // C14
  | 'no-endpoint' // C13
  | 'several-endpoints' // C15
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

export async function resolveBookingRoute(spine: SpineClient, service: ServiceDetails): Promise<BookingRoute> {
  const id = service.id;
  const booking = (service.endpoints ?? []).filter(isBookingEndpoint);
  if (booking.length === 0)
    return noBooking(
      id,
      'no-booking-endpoint',
      `${service.name} takes no bookings through the Booking Standard; refer the patient without a booking.`,
    );
  if (booking.length > 1) {
    return noBooking(
      id,
      'several-booking-endpoints',
      `${service.name} lists ${booking.length} booking endpoints in the directory, so it is not clear where to book: ` +
        `booking stopped. Report the directory entry (service ${id}).`,
    );
  }
  const address = booking[0]!.address.trim();
  const asid = /^ASID:\s*(\d+)$/i.exec(address)?.[1];
  if (!asid)
    return noBooking(
      id,
      'unsupported-endpoint-address',
      `${service.name}'s booking endpoint (${address}) names no ASID; refer the patient without a booking.`,
    );

  const system = await spine.accreditedSystem(asid);
  if (!system)
    return noBooking(
      id,
      'no-such-asid',
      `${service.name}'s booking system (ASID ${asid}) is not in the endpoint directory; refer the patient without a booking.`,
      asid,
    );
  const careConnect = system.nhsAsSvcIA.filter(isCareConnect);
  const needed = [INTERACTION.slotSearch, INTERACTION.book];
  const hasBooking = needed.every(
    (i) =>
      careConnect.includes(i) || (i === INTERACTION.slotSearch && careConnect.some((c) => c.endsWith(':search:slot'))),
  );
  if (!hasBooking)
    return noBooking(
      id,
      'no-booking-interactions',
      `${service.name}'s system (ASID ${asid}) is not registered for Booking Standard interactions; refer the patient without a booking.`,
      asid,
    );
  if (system.nhsAsSvcIA.some(isGpConnect)) {
    return noBooking(
      id,
      'care-connect-and-gp-connect',
      `${service.name}'s system (ASID ${asid}) is registered for both Care Connect and GP Connect, ` +
        'so which API to use is unclear; refer the patient without a booking.',
      asid,
    );
  }

  const roots = new Set<string>();
  for (const interaction of needed) {
    const entries = await spine.endpoints(system.nhsMHSPartyKey, interaction);
    if (entries.length === 0)
      return noBooking(
        id,
        'no-endpoint',
        `${service.name}'s system (ASID ${asid}) has no endpoint for ${interaction.split(':').slice(-2).join(' ')}; ` +
          'refer the patient without a booking.',
        asid,
      );
    for (const e of entries) roots.add(e.nhsMHSEndPoint.trim());
  }
  if (roots.size > 1)
    return noBooking(
      id,
      'several-endpoints',
      `${service.name}'s system (ASID ${asid}) has ${roots.size} different endpoints registered, ` +
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
      `${service.name}'s registered endpoint (${root}) is not a valid URL; refer the patient without a booking.`,
      asid,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return noBooking(
      id,
      'invalid-endpoint',
      `${service.name}'s registered endpoint (${root}) is not an http(s) URL; refer the patient without a booking.`,
      asid,
    );
  return {
    bookable: true,
    serviceId: id,
    asid,
    partyKey: system.nhsMHSPartyKey,
    serviceRoot: root.replace(/\/+$/, ''),
  };
}

/** Resolves a service ID straight to a bookable route, or throws the reason as a ConsumerError. */
export async function bookableRoute(
  spine: SpineClient,
  serviceId: string,
): Promise<{ service: ServiceDetails; route: Extract<BookingRoute, { bookable: true }> }> {
  const service = await spine.serviceDetails(serviceId);
  const route = await resolveBookingRoute(spine, service);
  if (!route.bookable) throw new ConsumerError(route.reason, route.message, 'directory', { serviceId });
  return { service, route };
}
