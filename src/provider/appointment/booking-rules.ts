/**
 * What a booking body must be (BOOK-1, fs_fhir_overrides, docs/decisions.md): an STU3 Appointment with
 * exactly one contained DocumentReference, Patient and Slot, start/end/description, one
 * participant (the patient) and one supportingInformation (the document). Structural faults are a
 * 400; profile and override faults are one 422 listing every problem found.
 */
import type { Appointment, DocumentReference, Patient, Resource, Slot } from 'fhir/r3.js';
import { NHS_NUMBER_SYSTEM, NHS_NUMBER_VERIFICATION_EXTENSION, isValidNhsNumber } from '../../fhir/nhs-number.js';
import { OperationOutcomeError, badRequest, unprocessableIssues } from '../../fhir/outcome.js';
import { checkStructure } from '../../fhir/structure.js';
import { parseInstant } from '../../fhir/time.js';
import { UUID_SYSTEM } from '../../diary/representation.js';

export const DOCUMENT_TYPE_SYSTEM = 'urn:oid:2.16.840.1.113883.2.1.3.2.4.18.17';
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const GENDERS = ['male', 'female', 'other', 'unknown'];
const PARTICIPANT_STATUSES = ['accepted', 'declined', 'tentative', 'needs-action'];

export interface Booking {
  /** The Appointment as it will be stored (unknown elements dropped). */
  appointment: Appointment;
  patient: Patient;
  document: DocumentReference;
  /** The contained Slot: names the slot being booked. */
  slot: Slot;
  start: number;
  end: number;
  nhsNumber?: string;
  /** The referral document's UUID (BOOK-4). */
  documentId: string;
}

interface Problem {
  diagnostics: string;
  expression?: string[];
  code?: 'required' | 'value' | 'invalid' | 'business-rule';
}

/**
 * Parses a request body as an STU3 resource of `resourceType`: a 400 for anything that is not
 * one (not an object, wrong type, wrong JSON shapes), a 422 listing STU3 required/value faults.
 */
export function readResourceBody<T extends Resource>(body: unknown, resourceType: string): T {
  const value = (body as { value?: unknown } | undefined)?.value;
  if (value === undefined)
    throw badRequest(`The request needs a ${resourceType} resource as its body`, 'INVALID_REQUEST_MESSAGE');
  const { resource, issues } = checkStructure(value, resourceType);
  const structural = issues.filter((i) => i.kind === 'type' || i.kind === 'array');
  if (!resource || structural.length) {
    const list = structural.length ? structural : issues;
    throw new OperationOutcomeError(
      400,
      (list.length ? list : [{ path: resourceType, message: `not a ${resourceType}` }]).slice(0, 50).map((i) => ({
        severity: 'error' as const,
        code: 'structure' as const,
        spineCode: 'INVALID_REQUEST_MESSAGE' as const,
        diagnostics: `${i.path}: ${i.message}`,
        expression: [i.path],
      })),
    );
  }
  if (issues.length) {
    throw unprocessableIssues(
      issues.slice(0, 50).map((i) => ({
        diagnostics: `${i.path}: ${i.message}`,
        expression: [i.path],
        code: i.kind === 'required' ? ('required' as const) : ('value' as const),
      })),
    );
  }
  return resource as unknown as T;
}

function containedOf<T extends Resource>(
  appointment: Appointment,
  type: string,
  problems: Problem[],
): [T, number] | undefined {
  const found = (appointment.contained ?? [])
    .map((r, i) => [r, i] as [Resource, number])
    .filter(([r]) => r.resourceType === type);
  if (found.length !== 1) {
    problems.push({
      code: 'required',
      diagnostics: `Appointment.contained must hold exactly one ${type} (found ${found.length})`,
      expression: ['Appointment.contained'],
    });
    return undefined;
  }
  const [resource, index] = found[0];
  if (!resource.id) {
    problems.push({
      code: 'required',
      diagnostics: `contained ${type} needs an id`,
      expression: [`Appointment.contained[${index}].id`],
    });
  }
  return [resource as T, index];
}

function exactlyOneReference(
  list: { reference?: string }[] | undefined,
  element: string,
  target: Resource | undefined,
  problems: Problem[],
): void {
  if (!list || list.length !== 1) {
    problems.push({
      code: 'required',
      diagnostics: `${element} must have exactly one entry (found ${list?.length ?? 0})`,
      expression: [element],
    });
    return;
  }
  if (target?.id && list[0].reference !== `#${target.id}`) {
    problems.push({
      diagnostics: `${element}[0].reference must be "#${target.id}", the contained ${target.resourceType}`,
      expression: [`${element}[0].reference`],
    });
  }
}

function checkPatient(patient: Patient, at: string, problems: Problem[]): string | undefined {
  if (patient.name?.length !== 1)
    problems.push({
      code: 'required',
      diagnostics: `${at}.name must have exactly one name`,
      expression: [`${at}.name`],
    });
  if (!patient.gender || !GENDERS.includes(patient.gender)) {
    problems.push({
      code: 'required',
      diagnostics: `${at}.gender must be one of ${GENDERS.join(', ')}`,
      expression: [`${at}.gender`],
    });
  }
  if (!patient.birthDate)
    problems.push({ code: 'required', diagnostics: `${at}.birthDate is required`, expression: [`${at}.birthDate`] });
  if (patient.address?.length !== 1) {
    problems.push({
      code: 'required',
      diagnostics: `${at}.address must have exactly one address`,
      expression: [`${at}.address`],
    });
  }
  patient.telecom?.forEach((t, i) => {
    if (t.rank === undefined)
      problems.push({
        code: 'required',
        diagnostics: `${at}.telecom[${i}].rank is required`,
        expression: [`${at}.telecom[${i}].rank`],
      });
  });
  patient.contact?.forEach((c, ci) =>
    c.telecom?.forEach((t, i) => {
      if (t.rank === undefined) {
        const path = `${at}.contact[${ci}].telecom[${i}].rank`;
        problems.push({ code: 'required', diagnostics: `${path} is required`, expression: [path] });
      }
    }),
  );

  const identifiers = patient.identifier ?? [];
  if (identifiers.length > 1) {
    problems.push({
      diagnostics: `${at}.identifier allows at most one identifier, the NHS number`,
      expression: [`${at}.identifier`],
    });
  }
  const nhs = identifiers[0];
  if (!nhs) return undefined; // BOOK-3: no NHS number, the provider assigns a local identifier
  const path = `${at}.identifier[0]`;
  if (nhs.system !== NHS_NUMBER_SYSTEM) {
    problems.push({
      diagnostics: `${path}.system must be ${NHS_NUMBER_SYSTEM}; send no identifier when the NHS number is unknown`,
      expression: [`${path}.system`],
    });
    return undefined;
  }
  if (!nhs.value || !isValidNhsNumber(nhs.value)) {
    problems.push({
      diagnostics: `${path}.value "${nhs.value ?? ''}" is not a valid NHS number`,
      expression: [`${path}.value`],
    });
  }
  if (!nhs.extension?.some((e) => e.url === NHS_NUMBER_VERIFICATION_EXTENSION)) {
    problems.push({
      code: 'required',
      diagnostics: `${path} needs the NHS number verification status extension`,
      expression: [`${path}.extension`],
    });
  }
  if (nhs.use !== undefined && nhs.use !== 'official') {
    problems.push({ diagnostics: `${path}.use must be "official"`, expression: [`${path}.use`] });
  }
  return nhs.value;
}

function checkDocument(document: DocumentReference, at: string, problems: Problem[]): string | undefined {
  const id = document.identifier?.find((i) => i.system === UUID_SYSTEM);
  if (!id?.value || !UUID.test(id.value)) {
    problems.push({
      code: 'required',
      diagnostics: `${at}.identifier needs system ${UUID_SYSTEM} and the referral document's UUID`,
      expression: [`${at}.identifier`],
    });
  }
  if (document.status !== 'current')
    problems.push({ diagnostics: `${at}.status must be "current"`, expression: [`${at}.status`] });
  if (!document.type?.coding?.some((c) => c.system === DOCUMENT_TYPE_SYSTEM && c.code)) {
    problems.push({ diagnostics: `${at}.type needs a code from ${DOCUMENT_TYPE_SYSTEM}`, expression: [`${at}.type`] });
  }
  const attachment = document.content?.[0]?.attachment;
  if (!attachment?.contentType)
    problems.push({
      code: 'required',
      diagnostics: `${at}.content[0].attachment.contentType is required`,
      expression: [`${at}.content[0].attachment.contentType`],
    });
  if (!attachment?.language)
    problems.push({
      code: 'required',
      diagnostics: `${at}.content[0].attachment.language is required`,
      expression: [`${at}.content[0].attachment.language`],
    });
  return id?.value?.toLowerCase();
}

/** Validates a booking body (BOOK-1) and picks out its parts. */
export function readBooking(body: unknown): Booking {
  // docs/decisions.md: a participant without a status (as in the standard's own example) is accepted.
  const raw = (body as { value?: unknown } | undefined)?.value as { participant?: unknown } | undefined;
  if (raw && Array.isArray(raw.participant)) {
    for (const p of raw.participant) {
      if (p && typeof p === 'object' && !Array.isArray(p) && (p as Record<string, unknown>).status === undefined) {
        (p as Record<string, unknown>).status = 'accepted';
      }
    }
  }
  const appointment = readResourceBody<Appointment>(body, 'Appointment');
  const problems: Problem[] = [];

  if (appointment.status !== 'booked') {
    problems.push({
      diagnostics: `Appointment.status must be "booked" for a booking (got "${appointment.status}")`,
      expression: ['Appointment.status'],
    });
  }
  const start = parseInstant(appointment.start);
  const end = parseInstant(appointment.end);
  if (start === undefined)
    problems.push({
      code: 'required',
      diagnostics: 'Appointment.start (an instant) is required',
      expression: ['Appointment.start'],
    });
  if (end === undefined)
    problems.push({
      code: 'required',
      diagnostics: 'Appointment.end (an instant) is required',
      expression: ['Appointment.end'],
    });
  if (start !== undefined && end !== undefined && end <= start) {
    problems.push({ diagnostics: 'Appointment.end must be after Appointment.start', expression: ['Appointment.end'] });
  }
  if (!appointment.description?.trim()) {
    problems.push({
      code: 'required',
      diagnostics: 'Appointment.description (the reason for the appointment) is required',
      expression: ['Appointment.description'],
    });
  }
  if ((appointment.incomingReferral?.length ?? 0) > 1) {
    problems.push({
      diagnostics: 'Appointment.incomingReferral allows at most one referral',
      expression: ['Appointment.incomingReferral'],
    });
  }

  const document = containedOf<DocumentReference>(appointment, 'DocumentReference', problems);
  const patient = containedOf<Patient>(appointment, 'Patient', problems);
  const slot = containedOf<Slot>(appointment, 'Slot', problems);

  exactlyOneReference(appointment.supportingInformation, 'Appointment.supportingInformation', document?.[0], problems);
  exactlyOneReference(appointment.slot, 'Appointment.slot', slot?.[0], problems);
  const participants = appointment.participant ?? [];
  exactlyOneReference(
    participants.map((p) => p.actor ?? {}),
    'Appointment.participant',
    undefined,
    problems,
  );
  if (participants.length === 1) {
    const actor = participants[0].actor?.reference;
    if (patient?.[0].id && actor !== `#${patient[0].id}`) {
      problems.push({
        diagnostics: `Appointment.participant[0].actor.reference must be "#${patient[0].id}", the contained Patient`,
        expression: ['Appointment.participant[0].actor.reference'],
      });
    }
    const status = participants[0].status;
    if (status !== undefined && !PARTICIPANT_STATUSES.includes(status)) {
      problems.push({
        diagnostics: `Appointment.participant[0].status must be one of ${PARTICIPANT_STATUSES.join(', ')}`,
        expression: ['Appointment.participant[0].status'],
      });
    }
  }

  const nhsNumber = patient ? checkPatient(patient[0], `Appointment.contained[${patient[1]}]`, problems) : undefined;
  const documentId = document
    ? checkDocument(document[0], `Appointment.contained[${document[1]}]`, problems)
    : undefined;
  if (slot && !slot[0].identifier?.length && !slot[0].id) {
    problems.push({
      code: 'required',
      diagnostics: `Appointment.contained[${slot[1]}].identifier (the slot's UUID) is required`,
      expression: [`Appointment.contained[${slot[1]}].identifier`],
    });
  }

  if (problems.length || !patient || !document || !slot || start === undefined || end === undefined || !documentId) {
    throw unprocessableIssues(problems.length ? problems : [{ diagnostics: 'Appointment is incomplete' }]);
  }
  return { appointment, patient: patient[0], document: document[0], slot: slot[0], start, end, nhsNumber, documentId };
}
