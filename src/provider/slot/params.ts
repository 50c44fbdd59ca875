/**
 * Reads a slot search's query (P10, P23, SLOT-1, docs/decisions.md): `service` or its alias
 * `schedule.actor:healthcareservice`, `status` (comma list), `start` with prefixes, `_include`
 * in every spelling the sources use, and `_count`. Unknown parameters are ignored (API-8);
 * malformed values of known ones are a 400.
 */
import { invalidParameter } from '../../fhir/outcome.js';
import { orList, parseDateCondition, parseToken, values, type DateCondition } from '../../fhir/search.js';

export type IncludeTarget =
  'Schedule' | 'Practitioner' | 'PractitionerRole' | 'HealthcareService' | 'Location' | 'Organization';

/** Every `_include` spelling the standard's sources use, compared without regard to case. */
const INCLUDE_SPELLINGS: Record<string, IncludeTarget[]> = {
  'slot:schedule': ['Schedule'],
  'slot.schedule': ['Schedule'],
  'slot:schedule:schedule': ['Schedule'],
  'schedule:actor': ['Practitioner', 'PractitionerRole', 'HealthcareService'],
  'schedule:actor:practitioner': ['Practitioner'],
  'schedule:actor:practitionerrole': ['PractitionerRole'],
  'schedule:actor:healthcareservice': ['HealthcareService'],
  'healthcareservice:location': ['Location'],
  'healthcareservice.location': ['Location'],
  'healthcareservice:location:location': ['Location'],
  'healthcareservice:providedby': ['Organization'],
  'healthcareservice.providedby': ['Organization'],
  'healthcareservice:organization': ['Organization'],
  'healthcareservice:providedby:organization': ['Organization'],
  '*': ['Schedule', 'Practitioner', 'PractitionerRole', 'HealthcareService', 'Location', 'Organization'],
};
const INCLUDE_PARAMS = ['_include', '_include:iterate', '_include:recurse'];

export const SLOT_STATUSES = ['busy', 'free', 'busy-unavailable', 'busy-tentative', 'entered-in-error'];
const SERVICE_PARAMS = ['service', 'schedule.actor:healthcareservice'];
const KNOWN_BASES = new Set(['service', 'status', 'start', '_count']);

/** The spellings this server accepts, for the CapabilityStatement. */
export const SEARCH_INCLUDES = [
  'Slot:schedule',
  'Schedule:actor:Practitioner',
  'Schedule:actor:PractitionerRole',
  'Schedule:actor:HealthcareService',
  'HealthcareService:location',
  'HealthcareService.location',
  'HealthcareService:Location',
  'HealthcareService:providedBy',
  'HealthcareService.providedBy',
  'HealthcareService:Organization',
];

export interface SlotSearch {
  /** Directory service IDs (any of them); undefined searches every service of the tenant. */
  services?: string[];
  statuses?: string[];
  start: DateCondition[];
  include: Set<IncludeTarget>;
  count?: number;
}

/** The spelling the self link uses for each include target. */
const CANONICAL_INCLUDE: Record<IncludeTarget, string> = {
  Schedule: 'Slot:schedule',
  Practitioner: 'Schedule:actor:Practitioner',
  PractitionerRole: 'Schedule:actor:PractitionerRole',
  HealthcareService: 'Schedule:actor:HealthcareService',
  Location: 'HealthcareService:location',
  Organization: 'HealthcareService:providedBy',
};
const INCLUDE_ORDER: IncludeTarget[] = [
  'Schedule',
  'Practitioner',
  'PractitionerRole',
  'HealthcareService',
  'Location',
  'Organization',
];

/**
 * The search as this server understood it, as a query string in one fixed spelling and order:
 * unknown parameters, repeats, order, `system|` prefixes and alias names leave no trace, so two
 * requests that mean the same search give the same text. It keys the answer cache and is the
 * Bundle's self link (FHIR: the self link states the parameters actually used).
 */
export function canonicalQuery(search: SlotSearch): string {
  const params = new URLSearchParams();
  if (search.services) params.append('service', [...new Set(search.services)].sort().join(','));
  if (search.statuses) params.append('status', [...new Set(search.statuses)].sort().join(','));
  for (const start of [...new Set(search.start.map((c) => `${c.prefix}${c.text}`))].sort())
    params.append('start', start);
  for (const target of INCLUDE_ORDER)
    if (search.include.has(target)) params.append('_include', CANONICAL_INCLUDE[target]);
  if (search.count !== undefined) params.append('_count', String(search.count));
  return params.toString().replace(/%2C/g, ',').replace(/%3A/g, ':');
}

export function parseSlotSearch(query: Record<string, unknown>, now = Date.now()): SlotSearch {
  for (const key of Object.keys(query)) {
    const [base, modifier] = key.split(':');
    if (modifier !== undefined && KNOWN_BASES.has(base)) {
      throw invalidParameter(`${key}: the modifier :${modifier} is not supported on ${base}`, [key]);
    }
  }

  let services: string[] | undefined;
  let servicesFrom = '';
  for (const name of SERVICE_PARAMS) {
    for (const raw of values(query, name)) {
      const ids = orList(raw).map((v) => parseToken(name, v).code);
      if (ids.length === 0) throw invalidParameter(`${name}: no service id given`, [name]);
      if (services && [...new Set(ids)].sort().join(',') !== [...new Set(services)].sort().join(',')) {
        throw invalidParameter(
          `${name}=${raw} disagrees with ${servicesFrom}: both name the healthcare service, so they must agree`,
          [name, servicesFrom.split('=')[0]],
        );
      }
      services = ids;
      servicesFrom = `${name}=${raw}`;
    }
  }

  let statuses: string[] | undefined;
  for (const raw of values(query, 'status')) {
    const list = orList(raw);
    for (const s of list) {
      if (!SLOT_STATUSES.includes(s)) {
        throw invalidParameter(`status: "${s}" is not a slot status (${SLOT_STATUSES.join(', ')})`, ['status']);
      }
    }
    if (list.length === 0) throw invalidParameter('status: no value given', ['status']);
    statuses = statuses ? statuses.filter((s) => list.includes(s)) : list;
  }

  const start = values(query, 'start').map((raw) => parseDateCondition('start', raw, now));

  const include = new Set<IncludeTarget>();
  for (const name of INCLUDE_PARAMS) {
    for (const raw of values(query, name)) {
      const spelling = raw.trim().toLowerCase();
      for (const target of Object.hasOwn(INCLUDE_SPELLINGS, spelling) ? INCLUDE_SPELLINGS[spelling] : [])
        include.add(target);
    }
  }

  let count: number | undefined;
  const counts = values(query, '_count');
  if (counts.length) {
    const n = Number(counts[counts.length - 1]);
    if (!Number.isInteger(n) || n < 0) {
      throw invalidParameter(`_count: "${counts[counts.length - 1]}" is not a whole number`, ['_count']);
    }
    count = n;
  }

  return { services, statuses, start, include, count };
}
