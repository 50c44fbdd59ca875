/** The patient's details as the call handler enters them, and the Patient resource they make. */

export interface PatientDetails {
  nhsNumber: string;
  given: string;
  family: string;
  birthDate: string;
  gender: string;
  phone: string;
  addressLine: string;
  town: string;
  postcode: string;
  disposition: string;
  practice: string;
}

export const EMPTY: PatientDetails = {
  nhsNumber: '',
  given: '',
  family: '',
  birthDate: '',
  gender: '',
  phone: '',
  addressLine: '',
  town: '',
  postcode: '',
  disposition: 'Dx05',
  practice: '',
};

export function patientResource(p: PatientDetails) {
  return {
    resourceType: 'Patient',
    identifier: p.nhsNumber
      ? [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: p.nhsNumber.replace(/\s/g, '') }]
      : [],
    name: [{ use: 'official', family: p.family, given: [p.given] }],
    gender: p.gender,
    birthDate: p.birthDate,
    telecom: [{ system: 'phone', value: p.phone, use: 'mobile', rank: 1 }],
    address: [{ use: 'home', line: [p.addressLine], city: p.town, postalCode: p.postcode }],
  };
}

export function ageOf(birthDate: string): number | undefined {
  const b = Date.parse(birthDate);
  if (Number.isNaN(b)) return undefined;
  return Math.floor((Date.now() - b) / (365.25 * 86_400_000));
}
