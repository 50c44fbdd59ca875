/**
 * A service as the directory (a stand-in for NHS DoS) holds and returns it. Endpoints and attributes
 * keep DoS's own names (dos_endpoints_booking, dos_bookingonly): a booking endpoint has transport
 * `http`, format `FHIR`, interaction `Scheduling` and an address `ASID:…` (or `ODS:…`).
 */

export interface DirectoryEndpoint {
  order: number;
  transport: string;
  format: string;
  interaction: string;
  businessScenario?: string;
  address: string;
  compression?: string;
  comment?: string;
}

/** A DoS service attribute, e.g. `requirebooking` (dos_bookingonly); DoS sends every value as text. */
export interface DirectoryAttribute {
  name: string;
  dataType: string;
  description?: string;
  value: string;
}

export const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun', 'BankHoliday'] as const;
export type Day = (typeof DAYS)[number];

/** UK local time (Europe/London); `close` may be `24:00`. */
export interface OpeningTime {
  day: Day;
  open: string;
  close: string;
}

export interface DirectoryService {
  id: string;
  name: string;
  /** ED, UTC, GP Out of Hours, Pharmacy, Dental, Community Nursing, GP Practice… */
  type: string;
  odsCode?: string;
  address: string[];
  postcode?: string;
  location?: { latitude: number; longitude: number };
  openingTimes: OpeningTime[];
  openAllHours?: boolean;
  /** NHS Pathways dispositions the service accepts (Dx05, Dx06…). */
  dispositions: string[];
  ageRange: { min: number; max: number };
  attributes: DirectoryAttribute[];
  endpoints: DirectoryEndpoint[];
}

/** One ranked search result (DoS CheckCapacitySummary): no endpoints, those come with the details. */
export interface ServiceSummary {
  rank: number;
  id: string;
  name: string;
  type: string;
  odsCode?: string;
  address: string[];
  postcode?: string;
  /** From the patient's postcode district centre, to 0.1; null when the service has no position. */
  distanceKm: number | null;
  distanceMiles: number | null;
  openNow: boolean;
  /** The next opening (ISO instant, UTC) when closed now and it opens within a week. */
  nextOpen?: string;
  attributes: DirectoryAttribute[];
}

/** True for DoS's booking endpoint (transport http, format FHIR, interaction Scheduling). */
export function isBookingEndpoint(e: DirectoryEndpoint): boolean {
  return e.transport.toLowerCase() === 'http' && e.format.toUpperCase() === 'FHIR' && e.interaction === 'Scheduling';
}
