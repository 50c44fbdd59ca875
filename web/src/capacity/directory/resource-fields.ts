/**
 * The directory form's fields and the FHIR resource they make, both ways: the fields of a resource
 * (`fieldsOf`), the resource the fields make on top of the one being edited (`resourceOf`), a
 * starting point for a resource edited as JSON (`template`), and which field a refused save's
 * OperationOutcome issue is about (`placed`).
 */
import type { Problem } from '../../components';
import { CapacityError, type DirectoryResource, type DirectoryType, type Reference } from '../api';
import type { Directory } from '../CapacityArea';
import { problemsOf } from '../forms';
import { DOS_SERVICE_ID, ODS_CODE, addressOf, dosIdOf, idOf } from './resources';

export interface Fields {
  // Location
  name: string;
  line1: string;
  line2: string;
  city: string;
  postalCode: string;
  // Practitioner
  prefix: string;
  given: string;
  family: string;
  gender: string;
  // HealthcareService
  dosId: string;
  serviceName: string;
  typeText: string;
  locationId: string;
  providedBy: string;
  // Schedule
  serviceId: string;
  practitionerId: string;
  roleId: string;
  scheduleLocationId: string;
}

export function fieldsOf(r: DirectoryResource | undefined, directory: Directory): Fields {
  const address = r ? addressOf(r) : undefined;
  const human = Array.isArray(r?.name) ? r.name[0] : undefined;
  const actor = (type: string) => (r?.actor ?? []).map((a) => idOf(a, type)).find(Boolean) ?? '';
  return {
    name: typeof r?.name === 'string' ? r.name : '',
    line1: address?.line?.[0] ?? '',
    line2: address?.line?.slice(1).join(', ') ?? '',
    city: address?.city ?? '',
    postalCode: address?.postalCode ?? '',
    prefix: human?.prefix?.join(' ') ?? '',
    given: human?.given?.join(' ') ?? '',
    family: human?.family ?? '',
    gender: r?.gender ?? '',
    dosId: r ? dosIdOf(r) : '',
    serviceName: typeof r?.name === 'string' ? r.name : '',
    // A HealthcareService has a list of types (a Location one type).
    typeText: [r?.type ?? []].flat()[0]?.text ?? '',
    locationId: idOf(r?.location?.[0], 'Location'),
    providedBy: r ? idOf(r.providedBy, 'Organization') : (directory.organizations[0]?.id ?? ''),
    serviceId: actor('HealthcareService') || (r ? '' : (directory.services[0]?.id ?? '')),
    practitionerId: actor('Practitioner'),
    roleId: actor('PractitionerRole'),
    scheduleLocationId: actor('Location'),
  };
}

export type Json = Record<string, unknown>;
const words = (text: string) => text.trim().split(/\s+/).filter(Boolean);

/** Leaves out what is empty (the provider refuses empty strings, arrays and objects). */
function set(target: Json, key: string, value: unknown) {
  const empty =
    value === undefined ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
  if (empty) delete target[key];
  else target[key] = value;
}

/**
 * The resource the form makes: the one being edited (so elements the form does not show are kept),
 * with the form's elements written over it; and which field each OperationOutcome expression is about.
 */
export function resourceOf(
  type: DirectoryType,
  f: Fields,
  base: DirectoryResource | undefined,
): { resource: Json; fields: [string, string][] } {
  const { meta: _meta, id: _id, ...rest } = (base ?? {}) as Json;
  const r: Json = JSON.parse(JSON.stringify(rest)) as Json;
  r.resourceType = type;
  const t = (s: string) => s.trim();
  switch (type) {
    case 'Location': {
      set(r, 'name', t(f.name));
      const address: Json = { ...((addressOf(r as DirectoryResource) ?? {}) as Json) };
      set(address, 'line', [t(f.line1), ...f.line2.split(',').map(t)].filter(Boolean));
      set(address, 'city', t(f.city));
      set(address, 'postalCode', t(f.postalCode).toUpperCase());
      set(r, 'address', address);
      return {
        resource: r,
        fields: [
          ['Location.name', 'loc-name'],
          ['Location.address.line[1]', 'loc-line2'],
          ['Location.address.line', 'loc-line1'],
          ['Location.address.city', 'loc-city'],
          ['Location.address.postalCode', 'loc-postcode'],
        ],
      };
    }
    case 'Practitioner': {
      const names = Array.isArray(r.name) ? [...(r.name as Json[])] : [];
      const name: Json = { ...(names[0] ?? {}) };
      set(name, 'prefix', words(f.prefix));
      set(name, 'given', words(f.given));
      set(name, 'family', t(f.family));
      if (Object.keys(name).length) names[0] = name;
      else names.shift();
      set(r, 'name', names);
      set(r, 'gender', f.gender);
      return {
        resource: r,
        fields: [
          ['Practitioner.name[0].prefix', 'pr-prefix'],
          ['Practitioner.name[0].given', 'pr-given'],
          ['Practitioner.name[0].family', 'pr-family'],
          ['Practitioner.name', 'pr-family'],
          ['Practitioner.gender', 'pr-gender-0'],
        ],
      };
    }
    case 'HealthcareService': {
      const identifiers = ((r.identifier ?? []) as Json[]).filter((i) => i.system !== DOS_SERVICE_ID);
      if (t(f.dosId)) identifiers.unshift({ system: DOS_SERVICE_ID, value: t(f.dosId) });
      set(r, 'identifier', identifiers);
      set(r, 'name', t(f.serviceName));
      const types = [...((r.type ?? []) as Json[])];
      const first: Json = { ...(types[0] ?? {}) };
      set(first, 'text', t(f.typeText));
      if (Object.keys(first).length) types[0] = first;
      else types.shift();
      set(r, 'type', types);
      const locations = [...((r.location ?? []) as Json[])];
      if (f.locationId) locations[0] = { reference: `Location/${f.locationId}` };
      else locations.shift();
      set(r, 'location', locations);
      set(r, 'providedBy', f.providedBy ? { reference: `Organization/${f.providedBy}` } : undefined);
      return {
        resource: r,
        fields: [
          ['HealthcareService.identifier[0]', 'hs-dos'],
          ['HealthcareService.name', 'hs-name'],
          ['HealthcareService.type[0]', 'hs-type'],
          ['HealthcareService.location[0]', 'hs-location'],
          ['HealthcareService.providedBy', 'hs-providedBy'],
        ],
      };
    }
    case 'Schedule': {
      // The form's actors first (one of each), then any others the schedule names.
      const chosen: [string, string, string][] = (
        [
          ['HealthcareService', f.serviceId, 'sch-service'],
          ['Practitioner', f.practitionerId, 'sch-practitioner'],
          ['PractitionerRole', f.roleId, 'sch-role'],
          ['Location', f.scheduleLocationId, 'sch-location'],
        ] as [string, string, string][]
      ).filter(([, id]) => id);
      const shown = new Set<string>();
      const others = ((r.actor ?? []) as Reference[]).filter((a) => {
        const type = /^([A-Za-z]+)\//.exec(a.reference ?? '')?.[1] ?? '';
        if (!['HealthcareService', 'Practitioner', 'PractitionerRole', 'Location'].includes(type) || shown.has(type))
          return true;
        shown.add(type);
        return false;
      });
      set(r, 'actor', [...chosen.map(([type, id]) => ({ reference: `${type}/${id}` })), ...others]);
      return {
        resource: r,
        fields: [
          ...chosen.map(([, , field], i): [string, string] => [`Schedule.actor[${i}]`, field]),
          ['Schedule.actor', 'sch-service'],
        ],
      };
    }
    default:
      return { resource: r, fields: [] };
  }
}

/** A starting point for a resource edited as JSON. */
export function template(type: DirectoryType, directory: Directory): Json {
  switch (type) {
    case 'PractitionerRole':
      return {
        resourceType: type,
        practitioner: { reference: `Practitioner/${directory.practitioners[0]?.id ?? 'PRACTITIONER-ID'}` },
        ...(directory.organizations[0]
          ? { organization: { reference: `Organization/${directory.organizations[0].id}` } }
          : {}),
      };
    case 'Organization':
      return { resourceType: type, identifier: [{ system: ODS_CODE, value: 'ODS-CODE' }], name: 'Organisation name' };
    default:
      return resourceOf(type, fieldsOf(undefined, directory), undefined).resource;
  }
}

export const jsonOf = (r: Json) => JSON.stringify(r, null, 2);
export const withoutMeta = (r: DirectoryResource): Json => {
  const { meta: _meta, ...rest } = r;
  return rest;
};

/**
 * The problems of a refused save, each at its field: an issue's expression by the longest field
 * path it starts with (everything at the JSON box when editing JSON); the id's problems at the id.
 */
export function placed(err: unknown, fields: [string, string][], json: boolean): Problem[] {
  if (!(err instanceof CapacityError)) return problemsOf(err);
  return err.issues.map((i) => {
    if (/is not a FHIR id|differs from the URL/.test(i.message)) return { message: i.message, field: 'dir-id' };
    const at = i.expression;
    if (json)
      return { message: i.message, field: at || /must be a \w+ resource/.test(i.message) ? 'dir-json' : undefined };
    const match = at
      ? fields
          .filter(([path]) => at === path || at.startsWith(`${path}.`) || at.startsWith(`${path}[`))
          .sort((a, b) => b[0].length - a[0].length)[0]
      : undefined;
    return { message: i.message, field: match?.[1] };
  });
}
