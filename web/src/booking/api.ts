/**
 * The booking app's JSON API (src/consumer/web.ts). Every failure carries a message for the call handler.
 * The shapes are the API's route schemas' (src/consumer/web-schemas.ts), imported as types only so no
 * server code reaches the browser.
 */
import type {
  Booked,
  BookingList,
  BookingRequest,
  Cancelled,
  Disposition,
  FoundServices,
  Rebooked,
  ServiceSlots,
  Slot,
} from '../../../src/consumer/web-schemas';

import { sessionChanged } from '../account/session';
import type { PatientProblem } from '../../../src/fhir/patient-details.js';

export type { Booking, FoundService, Slot } from '../../../src/consumer/web-schemas';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly body: { nextSlots?: Slot[]; breachMinutes?: number; problems?: PatientProblem[] },
  ) {
    super(message);
  }
}

async function call<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: init?.method ?? 'GET',
      headers: init?.body === undefined ? undefined : { 'content-type': 'application/json' },
      body: init?.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiError('network', 'The booking app cannot be reached. Check your connection and try again.', {});
  }
  const json = await response.json().catch(() => ({}));
  // The session has ended (signed out elsewhere, or expired): the app sends the call handler to sign in.
  if (response.status === 401 && json.code === 'not-signed-in') sessionChanged();
  if (!response.ok)
    throw new ApiError(json.code ?? 'error', json.message ?? `Something went wrong (${response.status}).`, json);
  return json as T;
}

/** Where the app's national calls go (GET /api/settings); never a secret. */
export interface Settings {
  dos: string;
  dosUser: string;
  sds: string;
  proxy: string;
  clientCertificate: boolean;
  asid: string;
  odsCode: string;
}

export const api = {
  dispositions: () => call<Disposition[]>('/api/dispositions'),
  settings: () => call<Settings>('/api/settings'),
  services: (q: { disposition: string; postcode: string; location?: string; age?: number; encounterId: string }) => {
    const query = new URLSearchParams({ disposition: q.disposition, postcode: q.postcode, encounterId: q.encounterId });
    if (q.location) query.set('location', q.location);
    if (q.age !== undefined) query.set('age', String(q.age));
    return call<FoundServices>(`/api/services?${query}`);
  },
  slots: (serviceId: string, q: { disposition?: string; encounterId?: string; assessedAt?: string }) => {
    const query = new URLSearchParams();
    if (q.disposition) query.set('disposition', q.disposition);
    if (q.assessedAt) query.set('assessedAt', q.assessedAt);
    if (q.encounterId) query.set('encounterId', q.encounterId);
    return call<ServiceSlots>(`/api/services/${encodeURIComponent(serviceId)}/slots?${query}`);
  },
  reject: (serviceId: string, body: { encounterId: string; disposition: string }) =>
    call(`/api/services/${encodeURIComponent(serviceId)}/reject`, { method: 'POST', body }),
  refer: (serviceId: string, body: { encounterId: string; disposition: string }) =>
    call(`/api/services/${encodeURIComponent(serviceId)}/referral`, { method: 'POST', body }),
  book: (body: BookingRequest) => call<Booked>('/api/bookings', { method: 'POST', body }),
  bookings: (nhsNumber: string) => call<BookingList>(`/api/bookings?nhsNumber=${encodeURIComponent(nhsNumber)}`),
  cancel: (appointmentUrl: string, encounterId: string) =>
    call<Cancelled>('/api/bookings/cancel', {
      method: 'POST',
      body: { appointmentUrl, encounterId },
    }),
  rebook: (body: {
    appointmentUrl: string;
    slotId: string;
    encounterId: string;
    approveBreach: boolean;
    reason?: string;
  }) => call<Rebooked>('/api/bookings/rebook', { method: 'POST', body }),
};
