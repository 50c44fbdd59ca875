/**
 * The directory's resources as the pages show them: type names, the form page's route, and what a
 * resource says (its directory service ID, address, the services a schedule names) in words.
 */
import {
  DIRECTORY_TYPES,
  resourceName,
  type Address,
  type DirectoryResource,
  type DirectoryType,
  type Reference,
} from '../api';
import type { Directory } from '../CapacityArea';

export const DOS_SERVICE_ID = 'https://fhir.nhs.uk/Id/dos-service-id';
export const ODS_CODE = 'https://fhir.nhs.uk/Id/ods-organization-code';

export const TYPE_TEXT: Record<DirectoryType, string> = {
  HealthcareService: 'Healthcare service',
  Location: 'Location',
  Practitioner: 'Practitioner',
  PractitionerRole: 'Practitioner role',
  Organization: 'Organisation',
  Schedule: 'Schedule',
};

/** An id to suggest for a new resource of a type. */
export function exampleId(type: DirectoryType): string {
  if (type === 'Location') return 'LOC2';
  if (type === 'Schedule') return 'S3';
  if (type === 'HealthcareService') return '100003';
  return `${type.slice(0, 3).toUpperCase()}2`;
}

/** The types with a form; the others are edited as JSON. */
export const WITH_FORM: DirectoryType[] = ['Location', 'Practitioner', 'HealthcareService', 'Schedule'];

export const isDirectoryType = (t: string | null | undefined): t is DirectoryType =>
  DIRECTORY_TYPES.includes(t as DirectoryType);

/** The form page's route: `/capacity/directory/new?type=Location` or `/capacity/directory/{type}/{id}`; undefined for the list. */
export function directoryRoute(path: string, query: URLSearchParams): { type: DirectoryType; id?: string } | undefined {
  const rest = path.slice('/capacity/directory'.length).split('/').filter(Boolean).map(decodeURIComponent);
  if (rest[0] === 'new' && rest.length === 1) {
    const type = query.get('type');
    return { type: isDirectoryType(type) ? type : 'Location' };
  }
  if (rest.length === 2 && isDirectoryType(rest[0])) return { type: rest[0], id: rest[1] };
  return undefined;
}

export const listOf = (directory: Directory, type: DirectoryType): DirectoryResource[] =>
  ({
    HealthcareService: directory.services,
    Location: directory.locations,
    Practitioner: directory.practitioners,
    PractitionerRole: directory.roles,
    Organization: directory.organizations,
    Schedule: directory.schedules,
  })[type];

/** "Test ED (adults) (100001)" for `HealthcareService/100001`; the reference as written when the tenant has no such resource. */
export function referenceText(directory: Directory, ref: Reference | undefined): string {
  const m = /^([A-Za-z]+)\/(.+)$/.exec(ref?.reference ?? '');
  if (!m) return ref?.display ?? ref?.reference ?? '';
  const found = isDirectoryType(m[1]) ? listOf(directory, m[1]).find((r) => r.id === m[2]) : undefined;
  if (!found) return ref!.reference!;
  const name = resourceName(found);
  return name === found.id ? found.id : `${name} (${found.id})`;
}

export const idOf = (ref: Reference | undefined, type: string) =>
  ref?.reference?.startsWith(`${type}/`) ? ref.reference.slice(type.length + 1) : '';
export const dosIdOf = (r: DirectoryResource) => r.identifier?.find((i) => i.system === DOS_SERVICE_ID)?.value ?? '';
export const addressOf = (r: DirectoryResource): Address | undefined =>
  Array.isArray(r.address) ? r.address[0] : r.address;
export const addressText = (a: Address | undefined) =>
  a ? [...(a.line ?? []), a.city, a.district, a.postalCode].filter(Boolean).join(', ') : '';
export const serviceLabel = (s: DirectoryResource) =>
  resourceName(s) === s.id ? s.id : `${resourceName(s)} (${s.id})`;
/** The services a Schedule resource names as actors. */
export const actorServices = (r: { actor?: Reference[] } | undefined | null) =>
  (r?.actor ?? []).map((a) => idOf(a, 'HealthcareService')).filter(Boolean);
