/**
 * The checks a patient's details pass before a booking, in the words the call handler's form uses. One
 * module for both sides: the web app's patient form (web/src/booking/PatientForm.tsx) checks as the call
 * handler types, and the consumer (src/consumer/patient.ts) checks the same rules again on whatever
 * Patient it is given, so a page that skipped them is refused with the same words, next to the same field.
 *
 * It imports nothing, so the browser build can carry it.
 */
import { isValidNhsNumber } from './nhs-number.js';

/** The patient form's fields a problem can belong to (their ids on the page). */
export type PatientField =
  'nhsNumber' | 'given' | 'family' | 'birthDate' | 'gender' | 'phone' | 'email' | 'addressLine' | 'postcode';

export interface PatientProblem {
  field: PatientField;
  message: string;
}

export const PATIENT_MESSAGES = {
  nhsNumber: 'Enter a valid NHS number: it is 10 digits and the last one is a check digit',
  givenMissing: 'Enter the patient’s first name',
  familyMissing: 'Enter the patient’s last name',
  birthDateMissing: 'Enter the patient’s date of birth',
  birthDateReal: 'Date of birth must be a real date',
  birthDateFuture: 'Date of birth must be today or in the past',
  birthDateTooOld: 'Date of birth must be after 1 January 1890',
  gender: 'Select the patient’s gender',
  phone: 'Enter a UK phone number, like 0113 496 0000 or 07700 900 982, or an international number starting with +',
  contactMissing: 'Enter a phone number or an email address to contact the patient',
  phoneForTelephone:
    'This is a telephone appointment: enter a phone number the service can call the patient on, ' +
    'or choose a face-to-face appointment',
  email: 'Enter an email address in the correct format, like name@example.com',
  addressMissing: 'Enter the patient’s address',
  postcodeMissing: 'Enter the patient’s postcode',
  postcode: 'Enter a real postcode, like LS1 4AP',
} as const;

/** The directory knows no services near the postcode because it does not know the postcode. */
export const unknownPostcodeMessage = (postcode: string) =>
  `The service directory does not know the postcode ${postcode.trim().toUpperCase()}: check it with the patient, ` +
  'or enter the postcode of where they are now';

/** An NHS number as typed (spaces allowed), or the message when it is not a valid one. */
export function nhsNumberProblem(value: string): string | undefined {
  return isValidNhsNumber(value.replace(/\s/g, '')) ? undefined : PATIENT_MESSAGES.nhsNumber;
}

/**
 * A phone number written the usual ways ("0113 496 0000", "(0113) 4960000", "+44 (0)7700 900982",
 * "07700-900-982") as its digits: a UK number from 0, or an international one from +. Undefined when it
 * is not a number one can ring: a UK number is 0 and 9 or 10 more digits, starting 01, 02, 03 (ordinary
 * numbers), 07 (mobiles) or 080 (freephone); an international number (not +44) is + and 8 to 15 digits.
 */
export function phoneNumber(value: string): string | undefined {
  const trimmed = value.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return undefined;
  let digits = trimmed.replace(/\(0\)/, '').replace(/[\s().-]/g, '');
  if (digits.startsWith('0044')) digits = `+44${digits.slice(4)}`;
  if (digits.startsWith('+44')) digits = `0${digits.slice(3)}`;
  if (digits.startsWith('+')) return /^\+[1-9]\d{7,14}$/.test(digits) ? digits : undefined;
  return /^0(?:[123]\d{8,9}|7\d{9}|80\d{7,8})$/.test(digits) ? digits : undefined;
}

/** A simple shape check: something, @, a domain with a dot; no spaces. */
export function isEmailAddress(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());
}

const OUTWARD = /^[A-Z]{1,2}[0-9][A-Z0-9]?$/;
const INWARD = /^[0-9][A-Z]{2}$/;

/** A UK postcode in its written form ("LS1 4AP"), or undefined when it is not shaped like one. */
export function postcodeOf(value: string): string | undefined {
  const compact = value.replace(/\s+/g, '').toUpperCase();
  const outward = compact.slice(0, -3);
  const inward = compact.slice(-3);
  return OUTWARD.test(outward) && INWARD.test(inward) ? `${outward} ${inward}` : undefined;
}

/** Today's date (YYYY-MM-DD) in the UK, which is the day a date of birth may not be after. */
export function ukToday(now: Date = new Date()): string {
  return now.toLocaleDateString('en-CA', { timeZone: 'Europe/London' });
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Whether year-month-day is a date on the calendar (no 31 February). */
function realDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export interface DateParts {
  day: string;
  month: string;
  year: string;
}

/**
 * The NHS.UK date input's three fields as a date of birth: the date (YYYY-MM-DD), or the message and
 * which of the fields are wrong (all three when the date as a whole is).
 */
export function birthDateFromParts(
  parts: DateParts,
  today = ukToday(),
): { date: string } | { message: string; parts: (keyof DateParts)[] } {
  const given = (['day', 'month', 'year'] as const).filter((k) => parts[k].trim() !== '');
  if (given.length === 0) return { message: PATIENT_MESSAGES.birthDateMissing, parts: ['day', 'month', 'year'] };
  const missing = (['day', 'month', 'year'] as const).filter((k) => parts[k].trim() === '');
  if (missing.length) return { message: `Date of birth must include a ${missing.join(' and a ')}`, parts: missing };
  const wrong = (['day', 'month', 'year'] as const).filter((k) => !/^\d+$/.test(parts[k].trim()));
  if (wrong.length || parts.year.trim().length !== 4)
    return { message: PATIENT_MESSAGES.birthDateReal, parts: wrong.length ? wrong : ['year'] };
  const [day, month, year] = [Number(parts.day), Number(parts.month), Number(parts.year)];
  if (!realDate(year, month, day)) return { message: PATIENT_MESSAGES.birthDateReal, parts: ['day', 'month', 'year'] };
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  const problem = birthDateProblem(date, today);
  return problem ? { message: problem, parts: ['day', 'month', 'year'] } : { date };
}

/** A FHIR date of birth (YYYY, YYYY-MM or YYYY-MM-DD): the message when it is not a real date in the past. */
export function birthDateProblem(value: string | undefined, today = ukToday()): string | undefined {
  if (!value) return PATIENT_MESSAGES.birthDateMissing;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  if (!m) return PATIENT_MESSAGES.birthDateReal;
  const [year, month, day] = [Number(m[1]), m[2] ? Number(m[2]) : 1, m[3] ? Number(m[3]) : 1];
  if (!realDate(year, month, day)) return PATIENT_MESSAGES.birthDateReal;
  // A partial date is compared by what it gives: 2030 is in the future, this year is not.
  if (value > today.slice(0, value.length)) return PATIENT_MESSAGES.birthDateFuture;
  if (year < 1890) return PATIENT_MESSAGES.birthDateTooOld;
  return undefined;
}

/** Whether a slot's delivery channel is a telephone consultation (the standard's "Telephone"). */
export const isTelephone = (channel: string | undefined): boolean => /^telephone$/i.test(channel?.trim() ?? '');

/** The patient form's details as text, as typed. */
export interface PatientFormDetails {
  nhsNumber: string;
  given: string;
  family: string;
  birthDate: DateParts;
  gender: string;
  phone: string;
  email: string;
  addressLine: string;
  postcode: string;
}

/**
 * Every problem with the form's details at once, in the order of the form. `telephone`: the chosen
 * appointment is by telephone, so a phone number is needed.
 */
export function patientFormProblems(
  p: PatientFormDetails,
  options: { today?: string; telephone?: boolean } = {},
): PatientProblem[] {
  const found: PatientProblem[] = [];
  const add = (field: PatientField, message: string | undefined) => message && found.push({ field, message });
  if (p.nhsNumber.trim()) add('nhsNumber', nhsNumberProblem(p.nhsNumber));
  if (!p.given.trim()) add('given', PATIENT_MESSAGES.givenMissing);
  if (!p.family.trim()) add('family', PATIENT_MESSAGES.familyMissing);
  const birth = birthDateFromParts(p.birthDate, options.today);
  if ('message' in birth) add('birthDate', birth.message);
  if (!['male', 'female', 'other', 'unknown'].includes(p.gender)) add('gender', PATIENT_MESSAGES.gender);
  if (p.phone.trim()) add('phone', phoneNumber(p.phone) ? undefined : PATIENT_MESSAGES.phone);
  else if (options.telephone) add('phone', PATIENT_MESSAGES.phoneForTelephone);
  if (p.email.trim()) add('email', isEmailAddress(p.email) ? undefined : PATIENT_MESSAGES.email);
  if (!p.phone.trim() && !p.email.trim() && !options.telephone) add('phone', PATIENT_MESSAGES.contactMissing);
  if (!p.addressLine.trim()) add('addressLine', PATIENT_MESSAGES.addressMissing);
  if (!p.postcode.trim()) add('postcode', PATIENT_MESSAGES.postcodeMissing);
  else if (!postcodeOf(p.postcode)) add('postcode', PATIENT_MESSAGES.postcode);
  return found;
}
