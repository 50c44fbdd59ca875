/**
 * The patient's details as the call handler enters them, the Patient resource they make, and where
 * they are kept while the journey lasts.
 */
import {
  birthDateFromParts,
  phoneNumber,
  postcodeOf,
  type DateParts,
  type PatientFormDetails,
} from '../../../src/fhir/patient-details.js';

export interface PatientDetails extends PatientFormDetails {
  town: string;
  disposition: string;
  practice: string;
}

export const EMPTY: PatientDetails = {
  nhsNumber: '',
  given: '',
  family: '',
  birthDate: { day: '', month: '', year: '' },
  gender: '',
  phone: '',
  email: '',
  addressLine: '',
  town: '',
  postcode: '',
  disposition: 'Dx05',
  practice: '',
};

/** The date of birth as YYYY-MM-DD, or '' while it is not a valid one. */
export function birthDateOf(parts: DateParts): string {
  const birth = birthDateFromParts(parts);
  return 'date' in birth ? birth.date : '';
}

export function patientResource(p: PatientDetails) {
  const phone = p.phone.trim() ? (phoneNumber(p.phone) ?? p.phone.trim()) : undefined;
  const email = p.email.trim() || undefined;
  return {
    resourceType: 'Patient',
    identifier: p.nhsNumber.trim()
      ? [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: p.nhsNumber.replace(/\s/g, '') }]
      : [],
    name: [{ use: 'official', family: p.family.trim(), given: [p.given.trim()] }],
    gender: p.gender,
    birthDate: birthDateOf(p.birthDate),
    // The phone, when given, is the primary contact (rank 1); an email address comes after it.
    telecom: [
      ...(phone ? [{ system: 'phone', value: phone, use: 'mobile', rank: 1 }] : []),
      ...(email ? [{ system: 'email', value: email, use: 'home', rank: phone ? 2 : 1 }] : []),
    ],
    address: [
      {
        use: 'home',
        line: [p.addressLine.trim()],
        city: p.town.trim(),
        postalCode: postcodeOf(p.postcode) ?? p.postcode.trim(),
      },
    ],
  };
}

export function ageOf(birthDate: string): number | undefined {
  const b = Date.parse(birthDate);
  if (Number.isNaN(b)) return undefined;
  return Math.floor((Date.now() - b) / (365.25 * 86_400_000));
}

/**
 * The journey in progress (the patient's details and the steps reached), kept in this tab's
 * sessionStorage so that browser Back and a reload keep it. Patient details are sensitive: never in
 * localStorage or the URL, and cleared at sign-out and once the booking or referral is made.
 */
const JOURNEY_KEY = 'slotbridge:booking-journey';

export function loadJourney<T>(): T | undefined {
  try {
    const text = window.sessionStorage.getItem(JOURNEY_KEY);
    return text ? (JSON.parse(text) as T) : undefined;
  } catch {
    return undefined;
  }
}

export function saveJourney(journey: unknown): void {
  try {
    window.sessionStorage.setItem(JOURNEY_KEY, JSON.stringify(journey));
  } catch {
    // Storage full or refused (private browsing): the journey still works, it just does not survive a reload.
  }
}

export function forgetJourney(): void {
  try {
    window.sessionStorage.removeItem(JOURNEY_KEY);
  } catch {
    // Nothing was kept.
  }
}
