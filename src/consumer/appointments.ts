/**
 * After a booking (ABUS.20–21): read a patient's appointments at a provider, and cancel one by
 * reading its latest version, changing only `status`, and PUTting it with `If-Match`; when someone
 * changed it meanwhile (409) or the version was missing (412), read again and retry.
 */
import type { Appointment, Bundle } from 'fhir/r3.js';
import { ConsumerError } from './errors.js';
import { INTERACTION } from './interactions.js';
import { NHS_NUMBER_SYSTEM } from './patient.js';
import type { ProviderClient, Route } from './provider-client.js';
import { SCOPES } from '../fhir/token.js';

export interface AppointmentRead {
  appointment: Appointment;
  versionId: string;
}

/** The route-relative path of an appointment URL under the route's service root. */
export function appointmentPath(route: Route, appointmentUrl: string): string {
  const prefix = `${route.serviceRoot}/Appointment/`;
  if (!appointmentUrl.startsWith(prefix))
    throw new ConsumerError(
      'appointment-elsewhere',
      `${appointmentUrl} is not an appointment of ${route.serviceRoot}.`,
      'consumer',
    );
  const id = appointmentUrl.slice(prefix.length).split('/')[0]!;
  return `/Appointment/${encodeURIComponent(id)}`;
}

export async function readAppointment(
  client: ProviderClient,
  route: Route,
  appointmentUrl: string,
): Promise<AppointmentRead> {
  const answer = await client.call<Appointment>(route, {
    interaction: INTERACTION.read,
    scope: SCOPES.appointmentRead,
    method: 'GET',
    path: appointmentPath(route, appointmentUrl),
    what: 'Reading the appointment',
  });
  const versionId = /W\/"([^"]+)"/.exec(answer.headers.get('etag') ?? '')?.[1] ?? answer.body.meta?.versionId;
  if (!versionId)
    throw new ConsumerError(
      'no-version',
      'The provider sent the appointment without a version, so it cannot be changed safely.',
      'provider',
    );
  return { appointment: answer.body, versionId };
}

export interface Cancelled {
  appointmentUrl: string;
  versionId: string;
  /** The appointment was already cancelled before we asked. */
  alreadyCancelled: boolean;
}

export async function cancelAppointment(
  client: ProviderClient,
  route: Route,
  appointmentUrl: string,
  attempts = 3,
): Promise<Cancelled> {
  for (let attempt = 1; ; attempt++) {
    const { appointment, versionId } = await readAppointment(client, route, appointmentUrl);
    if (appointment.status === 'cancelled') return { appointmentUrl, versionId, alreadyCancelled: true };
    if (appointment.start && Date.parse(appointment.start) < Date.now()) {
      throw new ConsumerError(
        'appointment-past',
        `The appointment at ${new Date(appointment.start).toISOString()} is already in the past, so it cannot be cancelled.`,
        'consumer',
      );
    }
    try {
      const answer = await client.call<Appointment>(route, {
        interaction: INTERACTION.cancel,
        scope: SCOPES.appointmentWrite,
        method: 'PUT',
        path: appointmentPath(route, appointmentUrl),
        body: { ...appointment, status: 'cancelled' },
        ifMatch: `W/"${versionId}"`,
        what: 'The cancellation',
      });
      const newVersion =
        /W\/"([^"]+)"/.exec(answer.headers.get('etag') ?? '')?.[1] ??
        answer.body.meta?.versionId ??
        String(Number(versionId) + 1);
      return { appointmentUrl, versionId: newVersion, alreadyCancelled: false };
    } catch (err) {
      const status = err instanceof ConsumerError ? err.details.status : undefined;
      if ((status === 409 || status === 412) && attempt < attempts) continue;
      throw err;
    }
  }
}

/** The patient's appointments at a provider (ABUS.20), newest first. */
export async function patientAppointments(
  client: ProviderClient,
  route: Route,
  nhsNumber: string,
): Promise<Appointment[]> {
  const answer = await client.call<Bundle>(route, {
    interaction: INTERACTION.search,
    scope: SCOPES.appointmentRead,
    method: 'GET',
    path: `/Appointment?patient.identifier=${encodeURIComponent(`${NHS_NUMBER_SYSTEM}|${nhsNumber}`)}`,
    what: "Reading the patient's appointments",
  });
  return (answer.body.entry ?? [])
    .map((e) => e.resource as Appointment)
    .filter((a) => a?.resourceType === 'Appointment')
    .sort((a, b) => Date.parse(b.start ?? '') - Date.parse(a.start ?? ''));
}
