/**
 * The patient a booking carries (fs_patientcontact): at least one way to contact them and one
 * address; the patient's own numbers in `Patient.telecom`, third parties in `Patient.contact` with a
 * relationship and a name; every contact point has a `rank`, and rank 1 (the primary) is unique.
 * Input may be looser than STU3 (the standard's own patient example writes `given` and `prefix` as
 * strings and `meta.profile` as a string): it is normalised, never sent as it came.
 */
import type { Address, CodeableConcept, ContactPoint, HumanName, Meta, Patient, PatientContact } from 'fhir/r3.js';
import {
  PATIENT_MESSAGES,
  birthDateProblem,
  isEmailAddress,
  isTelephone,
  nhsNumberProblem,
  phoneNumber,
  postcodeOf,
  type PatientProblem,
} from '../fhir/patient-details.js';
import { ConsumerError } from './errors.js';

export const PATIENT_PROFILE = 'https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1';
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
const NHS_VERIFICATION_URL =
  'https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-NHSNumberVerificationStatus-1';
const NHS_VERIFICATION_SYSTEM = 'https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1';

type OneOrMany<T> = T | T[];

const asList = <T>(v: OneOrMany<T> | undefined): T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

/** A patient as a booking may be given one: STU3, except that a single value may stand for a list. */
type LooseName = Omit<HumanName, 'given' | 'prefix'> & { given?: OneOrMany<string>; prefix?: OneOrMany<string> };
type LooseContact = Omit<PatientContact, 'relationship' | 'telecom'> & {
  relationship?: OneOrMany<CodeableConcept>;
  telecom?: OneOrMany<ContactPoint>;
};
type LoosePatient = Omit<Patient, 'meta' | 'name' | 'address' | 'telecom' | 'contact'> & {
  meta?: Omit<Meta, 'profile'> & { profile?: OneOrMany<string> };
  name?: OneOrMany<LooseName>;
  address?: OneOrMany<Address>;
  telecom?: OneOrMany<ContactPoint>;
  contact?: OneOrMany<LooseContact>;
};

function invalid(message: string): never {
  throw new ConsumerError('patient-invalid', `The patient's details cannot be sent: ${message}.`, 'consumer');
}

/**
 * The patient's details break the form's rules (src/fhir/patient-details.ts): refused with the form's
 * own words, each naming the form field it belongs to (`details.problems`), so the web app can show it there.
 */
export function invalidDetails(problems: PatientProblem[], source: 'consumer' | 'provider' = 'consumer'): never {
  throw new ConsumerError(
    'patient-invalid',
    `The patient's details cannot be sent: ${problems.map((p) => p.message).join('; ')}.`,
    source,
    { problems },
  );
}

/** Checks and normalises a patient for a booking; ranks missing ranks in order after the given ones. */
export function preparePatient(input: unknown): Patient {
  if (!input || typeof input !== 'object' || (input as { resourceType?: unknown }).resourceType !== 'Patient')
    invalid('expected a FHIR Patient resource');
  const loose = structuredClone(input) as LoosePatient;
  // Normalised in place, field by field, so the patient keeps its fields in the order they came in.
  const p = loose as Patient;
  p.meta = {
    ...(loose.meta ?? {}),
    profile: asList(loose.meta?.profile) ?? [PATIENT_PROFILE],
  };
  // The casts: a list field that is present is a list now, which TypeScript cannot follow through the spreads.
  p.name = (asList(loose.name) ?? []).map(
    (n) =>
      ({
        ...n,
        ...(n.given !== undefined ? { given: asList(n.given) } : {}),
        ...(n.prefix !== undefined ? { prefix: asList(n.prefix) } : {}),
      }) as HumanName,
  );
  if (!p.name!.length || !p.name!.some((n) => n.family || n.text)) invalid('a name with a family name is required');
  // The booking overrides require both (a provider answers 422 without them).
  // The form's rules, each problem with its field: all of them at once (the call handler fixes them together).
  const problems: PatientProblem[] = [];
  const birth = birthDateProblem(typeof p.birthDate === 'string' ? p.birthDate : undefined);
  if (birth) problems.push({ field: 'birthDate', message: birth });
  if (!p.gender || !['male', 'female', 'other', 'unknown'].includes(p.gender))
    problems.push({ field: 'gender', message: PATIENT_MESSAGES.gender });
  const nhsIdentifier = p.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM);
  const nhs = nhsIdentifier?.value;
  if (nhs !== undefined && (typeof nhs !== 'string' || nhsNumberProblem(nhs)))
    problems.push({ field: 'nhsNumber', message: PATIENT_MESSAGES.nhsNumber });
  if (nhsIdentifier && typeof nhs === 'string') {
    nhsIdentifier.value = nhs.replace(/\s/g, '');
    // CareConnect requires the number's verification status; a number typed in by the call handler
    // and not traced against PDS is "present but not traced" (02), never claimed as verified.
    if (!nhsIdentifier.extension?.some((e) => e.url === NHS_VERIFICATION_URL)) {
      nhsIdentifier.extension = [
        ...(nhsIdentifier.extension ?? []),
        {
          url: NHS_VERIFICATION_URL,
          valueCodeableConcept: {
            coding: [{ system: NHS_VERIFICATION_SYSTEM, code: '02', display: 'Number present but not traced' }],
          },
        },
      ];
    }
  }

  p.address = asList(loose.address) ?? [];
  const postcode = p.address[0]?.postalCode;
  if (postcode !== undefined && (typeof postcode !== 'string' || !postcodeOf(postcode)))
    problems.push({ field: 'postcode', message: PATIENT_MESSAGES.postcode });
  p.telecom = asList(loose.telecom) ?? [];
  for (const t of p.telecom) {
    if (t.system === 'phone' && (typeof t.value !== 'string' || !phoneNumber(t.value)))
      problems.push({ field: 'phone', message: PATIENT_MESSAGES.phone });
    if (t.system === 'email' && (typeof t.value !== 'string' || !isEmailAddress(t.value)))
      problems.push({ field: 'email', message: PATIENT_MESSAGES.email });
  }
  // One problem per field, as the form shows them.
  if (problems.length) invalidDetails(problems.filter((x, i) => problems.findIndex((y) => y.field === x.field) === i));
  if (p.address.length === 0) invalid('at least one address is required (fs_patientcontact)');
  p.contact = (asList(loose.contact) ?? []).map(
    (c) =>
      ({
        ...c,
        ...(c.relationship !== undefined ? { relationship: asList(c.relationship) } : {}),
        ...(c.telecom !== undefined ? { telecom: asList(c.telecom) } : {}),
      }) as PatientContact,
  );
  for (const [i, c] of p.contact!.entries()) {
    if (!c.relationship?.length) invalid(`contact ${i + 1} needs a relationship to the patient`);
    if (!c.name?.family && !c.name?.text) invalid(`contact ${i + 1} needs a name`);
  }
  const points: ContactPoint[] = [...p.telecom!, ...p.contact!.flatMap((c) => c.telecom ?? [])];
  if (!points.some((t) => t.value))
    invalid('at least one telephone number or other contact is required (fs_patientcontact)');
  const ranked = points.filter((t) => t.rank !== undefined);
  if (ranked.some((t) => !Number.isInteger(t.rank) || t.rank! < 1))
    invalid('every contact rank must be a whole number from 1');
  const firsts = ranked.filter((t) => t.rank === 1).length;
  if (firsts > 1) invalid('only one contact may have rank 1 (the primary contact)');
  let next = Math.max(0, ...ranked.map((t) => t.rank!)) + 1;
  if (firsts === 0 && points.length) {
    // No primary given: the first of the patient's own numbers (else the first contact's) is rank 1.
    const unranked = points.find((t) => t.rank === undefined);
    if (unranked) unranked.rank = 1;
    else invalid('one contact must have rank 1 (the primary contact)');
    next = Math.max(next, 2);
  }
  for (const t of points) if (t.rank === undefined) t.rank = next++;
  // STU3 JSON has no empty arrays: leave out what is empty.
  for (const key of ['telecom', 'contact', 'identifier'] as const)
    if (Array.isArray(p[key]) && p[key]!.length === 0) delete p[key];
  return p;
}

/**
 * A telephone consultation needs a phone number the service can ring: the patient's own, or a
 * contact's (a carer's, a parent's). Refused otherwise, next to the form's phone field.
 */
export function requirePhoneFor(channel: string | undefined, p: Patient): void {
  if (!isTelephone(channel)) return;
  const phones = [...(p.telecom ?? []), ...(p.contact ?? []).flatMap((c) => c.telecom ?? [])].filter(
    (t) => t.system === 'phone' && typeof t.value === 'string' && phoneNumber(t.value),
  );
  if (!phones.length) invalidDetails([{ field: 'phone', message: PATIENT_MESSAGES.phoneForTelephone }]);
}

export function patientName(p: Patient): string {
  const n = p.name?.[0];
  return [...(n?.prefix ?? []), ...(n?.given ?? []), n?.family].filter(Boolean).join(' ') || n?.text || 'the patient';
}

export function nhsNumberOf(p: Patient): string | undefined {
  return p.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value?.replace(/\s/g, '');
}
