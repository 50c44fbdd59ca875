/**
 * What the call handler sees when choosing a service and confirming a booking (docs/consumer.md,
 * "Choosing a service"): the directory's list put in the order a call handler can act on without
 * losing the directory's own ranking, each "cannot book" reason in plain words (the technical one
 * stays beside it for support), no-fixed-abode postcodes, and the short reference read to a patient.
 */
import type { NoBookingReason } from './discovery.js';

/** The parts of a found service the order depends on (./consumer.ts FoundService). */
interface Choosable {
  service: { rank: number };
  route: { bookable: boolean };
  bookingOnly: boolean;
}

/**
 * The directory's first service stays first: its ranking is the clinical one (DoS weighs the
 * disposition, service type and commissioning), and passing over it is reported (rep-cons-05). After
 * it come the services that can be booked, then those that take a referral without a booking, then
 * booking-only services that cannot be booked here (shown, so nobody wonders where they went, but
 * last). Within each group the directory's order is kept, and each service keeps its directory rank.
 */
export function orderForChoice<T extends Choosable>(found: readonly T[]): T[] {
  const byRank = [...found].sort((a, b) => a.service.rank - b.service.rank);
  const [top, ...rest] = byRank;
  if (!top) return [];
  const group = (f: T) => (f.route.bookable ? 0 : f.bookingOnly ? 2 : 1);
  // Array.prototype.sort is stable: each group keeps the directory's order.
  return [top, ...rest.sort((a, b) => group(a) - group(b))];
}

/** Why a service cannot be booked, as a call handler says it; the technical reason stays with it. */
export function plainReason(reason: NoBookingReason | string | undefined): string {
  switch (reason) {
    case 'no-booking-endpoint':
      return 'This service does not take bookings from this system.';
    case 'several-booking-endpoints':
      return (
        'This service’s directory entry does not say clearly where to book, so booking has been stopped. ' +
        'Tell your service desk.'
      );
    default:
      return 'This service’s booking system is not set up correctly, so it cannot be booked at the moment.';
  }
}

/**
 * The pseudo-postcodes of the ZZ99 district (ZZ99 3VZ: no fixed abode; ZZ99 3WZ: address not known;
 * ZZ99 3CZ and the like: a country but no address). They stand for no place, so nobody can be
 * found near one: the directory is searched by where the patient is now.
 */
export const isNoFixedAbode = (postcode: string | undefined): boolean => /^\s*ZZ99(\s|\d|$)/i.test(postcode ?? '');

/**
 * A short reference for an appointment, to read out to a patient: the first 8 characters of the
 * provider's Appointment id (a UUID), upper case. The provider's staff find the appointment whose id
 * begins with it (the capacity day view lists each booking's appointment id); 8 hexadecimal
 * characters make about 4 billion references, so a clash between two live appointments of one provider
 * is unlikely but possible, and the patient's name settles it.
 */
export function shortReference(appointmentId: string): string {
  return appointmentId
    .replace(/[^0-9a-z]/gi, '')
    .slice(0, 8)
    .toUpperCase();
}
