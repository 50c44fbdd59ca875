/**
 * The directory search (like DoS `CheckCapacitySummary`): the services that accept the patient's
 * disposition and age, within reach of their postcode, open ones first, then nearest first
 * (ABUS.01). Summaries carry the attributes (requirebooking, C2–C4) but no endpoints: those come
 * with one service's details, as with DoS `ServiceDetailsByID` (C1).
 */
import type { Kysely } from 'kysely';
import { badRequest } from '../../fhir/outcome.js';
import type { Database } from '../../store/schema.js';
import { KNOWN_DISPOSITIONS, isDispositionCode } from './dispositions.js';
import type { DirectoryService, ServiceSummary } from './model.js';
import { isOpen, nextOpening } from './opening.js';
import { KM_PER_MILE, distanceKm, normalisePostcode, positionOf } from './postcodes.js';
import { fromRow } from './repository.js';

export interface DirectoryQuery {
  /** An NHS Pathways disposition code, e.g. Dx05. */
  disposition: string;
  /** The patient's postcode or postcode district. */
  postcode: string;
  /** The patient's age in whole years; without it, age ranges are not checked. */
  age?: number;
  /** The moment to judge "open now" at (default: now). */
  at?: Date;
  /** At most this many results (default 20, at most 100). */
  max?: number;
  /** Leave out services further than this (default 100 km). Services with no position are kept. */
  radiusKm?: number;
}

export const DEFAULT_MAX = 20;
export const MAX_MAX = 100;
export const DEFAULT_RADIUS_KM = 100;

const likeDisposition = (code: string) => `%"${code}"%`; // codes are Dx and digits: no LIKE wildcards

/** Known from the standard's list, or because some listed service accepts it (local configuration). */
async function isKnownDisposition(db: Kysely<Database>, code: string): Promise<boolean> {
  if (KNOWN_DISPOSITIONS.has(code)) return true;
  return !!(await db
    .selectFrom('directory_service')
    .select('id')
    .where('dispositions', 'like', likeDisposition(code))
    .limit(1)
    .executeTakeFirst());
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** One ranked result: the whole service (with endpoints and opening times) and its summary. */
export interface RankedService {
  service: DirectoryService;
  summary: ServiceSummary;
}

/** Ranked summaries; 400 for a malformed or unknown disposition or postcode (named in the message). */
export async function searchDirectory(db: Kysely<Database>, q: DirectoryQuery): Promise<ServiceSummary[]> {
  return (await rankDirectory(db, q)).map((r) => r.summary);
}

/** The search, keeping each result's whole service (the DoS SOAP answer carries endpoints and rota sessions). */
export async function rankDirectory(db: Kysely<Database>, q: DirectoryQuery): Promise<RankedService[]> {
  if (!isDispositionCode(q.disposition)) {
    throw badRequest(
      `disposition ${JSON.stringify(String(q.disposition).slice(0, 40))} is not a disposition code such as Dx05`,
      'INVALID_PARAMETER',
      ['disposition'],
    );
  }
  const written = normalisePostcode(q.postcode);
  if (!written)
    throw badRequest(
      `postcode ${JSON.stringify(String(q.postcode).slice(0, 40))} is not a UK postcode or postcode district (e.g. LS1 4AP or LS1)`,
      'INVALID_PARAMETER',
      ['postcode'],
    );
  // ZZ99 is the pseudo-postcode district (ZZ99 3VZ no fixed abode, ZZ99 3WZ address not known, ZZ99 3CZ
  // and others a country only): it stands for no place, so there is nothing to be near. As with DoS,
  // which searches by location, the caller searches by where the patient is now.
  if (written.split(' ')[0] === 'ZZ99')
    throw badRequest(
      `postcode ${written} is a pseudo-postcode (no fixed abode or no known address) with no location: ` +
        'search by the postcode or district where the patient is now',
      'INVALID_PARAMETER',
      ['postcode'],
    );
  const from = positionOf(written);
  if (!from)
    throw badRequest(`postcode ${written} is not in a known UK postcode district`, 'INVALID_PARAMETER', ['postcode']);
  const at = (q.at ?? new Date()).getTime();
  if (!Number.isFinite(at)) throw badRequest('at must be a valid instant', 'INVALID_PARAMETER', ['at']);
  const radius = q.radiusKm ?? DEFAULT_RADIUS_KM;
  const max = Math.min(q.max ?? DEFAULT_MAX, MAX_MAX);

  let query = db
    .selectFrom('directory_service')
    .selectAll()
    .where('dispositions', 'like', likeDisposition(q.disposition));
  if (q.age !== undefined) query = query.where('age_min', '<=', q.age).where('age_max', '>=', q.age);
  const rows = await query.execute();
  if (rows.length === 0 && !(await isKnownDisposition(db, q.disposition))) {
    throw badRequest(
      `disposition ${q.disposition} is not one this directory knows (no listed service accepts it)`,
      'INVALID_PARAMETER',
      ['disposition'],
    );
  }

  const ranked = rows
    .map(fromRow)
    // The LIKE is a prefilter on JSON text; the list itself decides.
    .filter((s) => s.dispositions.includes(q.disposition))
    .map((service) => {
      const km = service.location ? distanceKm(from, service.location) : null;
      const open = isOpen(service, at);
      return { service, km, open, next: open ? undefined : nextOpening(service, at) };
    })
    .filter((c) => c.km === null || c.km <= radius)
    // Open before closed, then nearest (no position: last), then by ID so the order is stable.
    .sort(
      (a, b) =>
        Number(b.open) - Number(a.open) ||
        (a.km ?? Infinity) - (b.km ?? Infinity) ||
        (a.service.id < b.service.id ? -1 : a.service.id > b.service.id ? 1 : 0),
    );

  return ranked
    .slice(0, max)
    .map(({ service, km, open, next }, i) => ({ service, summary: summary(service, i + 1, km, open, next) }));
}

function summary(
  s: DirectoryService,
  rank: number,
  km: number | null,
  open: boolean,
  next: number | undefined,
): ServiceSummary {
  return {
    rank,
    id: s.id,
    name: s.name,
    type: s.type,
    ...(s.odsCode ? { odsCode: s.odsCode } : {}),
    address: s.address,
    ...(s.postcode ? { postcode: s.postcode } : {}),
    distanceKm: km === null ? null : round1(km),
    distanceMiles: km === null ? null : round1(km / KM_PER_MILE),
    openNow: open,
    ...(next !== undefined ? { nextOpen: new Date(next).toISOString() } : {}),
    attributes: s.attributes,
  };
}
