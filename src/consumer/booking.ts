/**
 * Booking a slot (BOOK-*, fs_xfercare, ABUS.12–13): the Appointment with a contained Patient,
 * DocumentReference (the referral document's UUID, made first) and Slot, sent once with an
 * X-Request-ID and retried with the same one on a network failure or 5xx. A slot outside the
 * disposition's time frame needs explicit clinical approval; a slot taken meanwhile ("Slot no longer
 * available") offers the next free slots.
 */
import { randomUUID } from 'node:crypto';
import type { Appointment, Patient } from 'fhir/r3.js';
import { breachMinutes, describeMinutes, DISPOSITIONS } from './dispositions.js';
import { ConsumerError } from './errors.js';
import { INTERACTION } from './interactions.js';
import { invalidDetails, preparePatient, requirePhoneFor } from './patient.js';
import type { ProviderClient, Route } from './provider-client.js';
import { appointmentUrlOf } from './referral.js';
import type { SlotView } from './slots.js';
import { SCOPES } from '../fhir/token.js';
import { PATIENT_MESSAGES, type PatientField, type PatientProblem } from '../fhir/patient-details.js';

export const UUID_SYSTEM = 'https://tools.ietf.org/html/rfc4122';

export interface BookingRequest {
  slot: SlotView;
  patient: Patient;
  /** The reason for the appointment (Appointment.description; ABUS.12). */
  reason: string;
  /** The referral document's UUID, made before the booking (fs_xfercare). */
  documentId?: string;
  disposition?: string;
  /** When the patient was assessed (the time frame runs from here); default now. */
  assessedAt?: number;
  /** The clinician approved a slot outside the time frame (ABUS.13). */
  approveBreach?: boolean;
  requestId?: string;
}

export interface Booked {
  appointmentUrl: string;
  appointmentId: string;
  versionId: string;
  appointment: Appointment;
  documentId: string;
  requestId: string;
  /** Minutes beyond the disposition's time frame (0 when within it). */
  breachMinutes: number;
}

/** The Appointment the standard's booking example shows, for this slot and patient. */
export function buildAppointment(slot: SlotView, patient: Patient, reason: string, documentId: string): Appointment {
  if (!slot.identifier)
    throw new ConsumerError(
      'slot-unidentified',
      `Slot ${slot.id} carries no identifier, so it cannot be booked.`,
      'provider',
    );
  return {
    resourceType: 'Appointment',
    meta: { profile: ['https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Appointment-1'] },
    contained: [
      {
        resourceType: 'DocumentReference',
        id: 'referral',
        meta: { profile: ['https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-DocumentReference-1'] },
        identifier: [{ system: UUID_SYSTEM, value: documentId }],
        status: 'current',
        type: {
          coding: [
            {
              system: 'urn:oid:2.16.840.1.113883.2.1.3.2.4.18.17',
              code: 'POCD_MT200001GB02',
              display: 'Integrated Urgent Care Report',
            },
          ],
        },
        indexed: new Date().toISOString(),
        content: [{ attachment: { contentType: 'application/hl7-v3+xml', language: 'en-GB' } }],
      },
      { ...patient, id: 'patient' },
      {
        resourceType: 'Slot',
        id: 'slot',
        identifier: [{ system: UUID_SYSTEM, value: slot.identifier }],
        schedule: { reference: `Schedule/${slot.scheduleId}` },
        status: 'busy',
        start: slot.start,
        end: slot.end,
      },
    ] as Appointment['contained'],
    status: 'booked',
    description: reason,
    supportingInformation: [{ reference: '#referral' }],
    start: slot.start,
    end: slot.end,
    slot: [{ reference: '#slot' }],
    created: new Date().toISOString(),
    participant: [{ actor: { reference: '#patient' }, status: 'accepted' }],
  };
}

/** Refuses a slot outside the time frame unless the clinician approved it; returns the minutes beyond. */
export function checkTimeFrame(
  slot: SlotView,
  disposition: string | undefined,
  assessedAt: number,
  approved: boolean | undefined,
): number {
  const late = breachMinutes(disposition, assessedAt, slot.start);
  if (late > 0 && !approved) {
    const frame = DISPOSITIONS[disposition!]?.text ?? disposition;
    throw new ConsumerError(
      'breach-needs-approval',
      `This slot starts ${describeMinutes(late)} after the ${disposition} time frame ends (${frame}). ` +
        'Book it only with clinical approval (the patient should know it is later than advised).',
      'consumer',
      { breachMinutes: late },
    );
  }
  return late;
}

/** What the form says when the provider refuses one of the patient's elements (by its FHIR name). */
const REFUSED: Record<string, [PatientField, string]> = {
  identifier: ['nhsNumber', PATIENT_MESSAGES.nhsNumber],
  birthDate: ['birthDate', PATIENT_MESSAGES.birthDateReal],
  telecom: ['phone', PATIENT_MESSAGES.phone],
  gender: ['gender', PATIENT_MESSAGES.gender],
  name: ['family', 'The service could not accept the patient’s name: check how it is written'],
  address: ['addressLine', 'The service could not accept the patient’s address: check it with the patient'],
  postalCode: ['postcode', PATIENT_MESSAGES.postcode],
};

/**
 * A provider's refusal that points into the contained Patient (`Appointment.contained[1].identifier[0].value`)
 * as the form's fields and words, so the call handler sees it next to the field rather than a FHIR path.
 */
export function patientProblemsOf(outcome: unknown, appointment: Appointment): PatientProblem[] {
  const issues = (outcome as { issue?: { location?: string[]; expression?: string[] }[] } | undefined)?.issue;
  const problems: PatientProblem[] = [];
  for (const issue of Array.isArray(issues) ? issues : [])
    for (const path of [...(issue.location ?? []), ...(issue.expression ?? [])]) {
      const m = /^Appointment\.contained\[(\d+)\]\.(\w+)(?:\[\d+\])?(?:\.(\w+))?/.exec(String(path));
      if (!m || appointment.contained?.[Number(m[1])]?.resourceType !== 'Patient') continue;
      const refused = REFUSED[m[2] === 'address' && m[3] === 'postalCode' ? 'postalCode' : m[2]!];
      if (refused && !problems.some((p) => p.field === refused[0]))
        problems.push({ field: refused[0], message: refused[1] });
    }
  return problems;
}

export async function bookSlot(client: ProviderClient, route: Route, b: BookingRequest): Promise<Booked> {
  const patient = preparePatient(b.patient);
  requirePhoneFor(b.slot.deliveryChannel, patient);
  if (!b.reason.trim())
    throw new ConsumerError('reason-missing', 'A reason for the appointment is required.', 'consumer');
  const late = checkTimeFrame(b.slot, b.disposition, b.assessedAt ?? Date.now(), b.approveBreach);
  const documentId = b.documentId ?? randomUUID();
  const requestId = b.requestId ?? randomUUID();
  const appointment = buildAppointment(b.slot, patient, b.reason, documentId);
  const answer = await client
    .call<Appointment>(route, {
      interaction: INTERACTION.book,
      scope: SCOPES.appointmentWrite,
      method: 'POST',
      path: '/Appointment',
      body: appointment,
      requestId,
      retry: true,
      what: 'The booking',
    })
    .catch((err: unknown) => {
      if (err instanceof ConsumerError && err.details.status === 422 && /no longer available/i.test(err.message)) {
        throw new ConsumerError(
          'slot-gone',
          'That slot has just been taken by someone else. Choose another slot.',
          'provider',
          { ...err.details, slotId: b.slot.id },
        );
      }
      if (err instanceof ConsumerError && err.details.status === 422) {
        const problems = patientProblemsOf(err.details.outcome, appointment);
        if (problems.length) invalidDetails(problems, 'provider');
      }
      throw err;
    });
  const location = answer.headers.get('location');
  if (!location)
    throw new ConsumerError('bad-location', 'The provider booked the slot but sent no Location header.', 'provider', {
      requestId,
    });
  const appointmentUrl = appointmentUrlOf(location);
  const versionId = /\/_history\/([^/]+)/.exec(location)?.[1] ?? answer.body.meta?.versionId ?? '1';
  return {
    appointmentUrl,
    appointmentId: appointmentUrl.split('/').pop()!,
    versionId,
    appointment: answer.body,
    documentId,
    requestId,
    breachMinutes: late,
  };
}
