/** The booking app's JSON API (src/consumer/web.ts). Every failure carries a message for the call handler. */

export interface Slot {
  id: string;
  start: string;
  end: string;
  deliveryChannel?: string;
  service?: { id: string; name?: string };
  location?: { name?: string; address?: string };
  practitioner?: { name?: string; gender?: string };
  role?: string;
  organisation?: string;
  /** Minutes past the disposition's time frame (0: within it). */
  breachMinutes?: number;
}

export interface FoundService {
  service: {
    rank: number;
    id: string;
    name: string;
    type: string;
    address: string[];
    distanceMiles: number | null;
    openNow: boolean;
    nextOpen?: string;
  };
  route: { bookable: boolean; message?: string; reason?: string };
  bookingOnly: boolean;
  availability?:
    { free: number; withinTimeFrame: number; earliest?: string; earliestWithinTimeFrame?: string } | { error: string };
}

export interface Booking {
  appointmentUrl: string;
  serviceId: string;
  status: string;
  start: string;
  end: string;
  versionId: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly body: { nextSlots?: Slot[]; breachMinutes?: number },
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
  if (!response.ok)
    throw new ApiError(json.code ?? 'error', json.message ?? `Something went wrong (${response.status}).`, json);
  return json as T;
}

export const api = {
  dispositions: () => call<{ code: string; text: string }[]>('/api/dispositions'),
  services: (q: { disposition: string; postcode: string; age?: number; encounterId: string }) =>
    call<{ services: FoundService[] }>(
      `/api/services?${new URLSearchParams({ disposition: q.disposition, postcode: q.postcode, encounterId: q.encounterId, ...(q.age !== undefined ? { age: String(q.age) } : {}) })}`,
    ),
  slots: (serviceId: string, q: { disposition?: string; encounterId?: string }) =>
    call<{ service: { id: string; name: string }; frame?: string; slots: Slot[] }>(
      `/api/services/${encodeURIComponent(serviceId)}/slots?${new URLSearchParams({ ...(q.disposition ? { disposition: q.disposition } : {}), ...(q.encounterId ? { encounterId: q.encounterId } : {}) })}`,
    ),
  reject: (serviceId: string, body: { encounterId: string; disposition: string }) =>
    call(`/api/services/${encodeURIComponent(serviceId)}/reject`, { method: 'POST', body }),
  refer: (serviceId: string, body: { encounterId: string; disposition: string }) =>
    call(`/api/services/${encodeURIComponent(serviceId)}/referral`, { method: 'POST', body }),
  book: (body: Record<string, unknown>) =>
    call<{
      appointmentUrl: string;
      appointmentId: string;
      versionId: string;
      slot: Slot;
      service: { id: string; name: string };
      breachMinutes: number;
    }>('/api/bookings', { method: 'POST', body }),
  bookings: (nhsNumber: string) =>
    call<{ bookings: Booking[] }>(`/api/bookings?nhsNumber=${encodeURIComponent(nhsNumber)}`),
  cancel: (appointmentUrl: string, encounterId: string) =>
    call<{ versionId: string; alreadyCancelled: boolean }>('/api/bookings/cancel', {
      method: 'POST',
      body: { appointmentUrl, encounterId },
    }),
  rebook: (appointmentUrl: string, slotId: string, encounterId: string) =>
    call<{ booked: { appointmentUrl: string; slot: Slot }; cancelled: { versionId: string } | { error: string } }>(
      '/api/bookings/rebook',
      { method: 'POST', body: { appointmentUrl, slotId, encounterId } },
    ),
};
