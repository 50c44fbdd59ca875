/**
 * The directory search (like DoS `CheckCapacitySummary`): the services that accept the patient's
 * disposition and age, within reach of their postcode, open ones first, then nearest first
 * (ABUS.01). Summaries carry the attributes (requirebooking, C2–C4) but no endpoints: those come
 * with one service's details, as with DoS `ServiceDetailsByID` (C1).
 */
import type { Kysely } from 'kysely';
import { badRequest } from '../../fhir/outcome.js';
import type { Database, DirectoryServiceTable } from '../../store/schema.js';
import { KNOWN_DISPOSITIONS, isDispositionCode } from './dispositions.js';
import type { DirectoryService, ServiceSummary } from './model.js';
import { isOpen, nextOpening } from './opening.js';
import { KM_PER_MILE, distanceKm, normalisePostcode, positionOf, type Position } from './postcodes.js';
import { fromRow, hoursFromColumn } from './repository.js';

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

/** Known from the standard's list, or because some listed service accepts it (local configuration). */
async function isKnownDisposition(db: Kysely<Database>, code: string): Promise<boolean> {
  if (KNOWN_DISPOSITIONS.has(code)) return true;
  return !!(await db
    .selectFrom('directory_disposition')
    .select('service_id')
    .where('disposition', '=', code)
    .limit(1)
    .executeTakeFirst());
}

/** Latitude and (unless the circle reaches a pole or the antimeridian) longitude limits, in degrees. */
interface Box {
  minLat: number;
  maxLat: number;
  lon?: { min: number; max: number };
}

// A little under postcodes.ts's mean radius, so the box's angle is never too small.
const BOX_EARTH_RADIUS_KM = 6371;
const DEG = 180 / Math.PI;

/**
 * A box of latitudes and longitudes holding every point within `radiusKm` of `from` (the bounding
 * coordinates of a spherical cap), widened by 0.1% and 0.0001° (about 11 m) so that rounding, such as
 * PostgreSQL's single-precision `real` columns, never leaves out a service that is within reach: the
 * box only narrows the candidates, the haversine distance decides. Undefined: no limit at all.
 */
export function boundingBox(from: Position, radiusKm: number): Box | undefined {
  const angle = (radiusKm / BOX_EARTH_RADIUS_KM) * 1.001; // radians
  if (!(angle < Math.PI / 2)) return undefined;
  const pad = 1e-4;
  const minLat = from.latitude - angle * DEG - pad;
  const maxLat = from.latitude + angle * DEG + pad;
  if (minLat <= -90 || maxLat >= 90) return { minLat, maxLat }; // a pole inside: every longitude
  const spread = Math.sin(angle) / Math.cos(from.latitude / DEG);
  if (!(spread < 1)) return { minLat, maxLat };
  const dLon = Math.asin(spread) * DEG + pad;
  const lon = { min: from.longitude - dLon, max: from.longitude + dLon };
  return lon.min < -180 || lon.max > 180 ? { minLat, maxLat } : { minLat, maxLat, lon };
}

/** A service that passed the index's filters and the radius, in the order of the ranking's later keys. */
interface Candidate {
  id: string;
  km: number | null;
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The services accepting `disposition` (and the age) with a position inside the box, and with
 * `unplaced` those with no position too: ranges of the index `directory_disposition_near`.
 */
async function candidates(
  db: Kysely<Database>,
  disposition: string,
  age: number | undefined,
  box: Box | undefined,
  unplaced: boolean,
): Promise<{ service_id: string; latitude: number | null; longitude: number | null }[]> {
  const base = () => {
    let q = db
      .selectFrom('directory_disposition')
      .select(['service_id', 'latitude', 'longitude'])
      .where('disposition', '=', disposition);
    if (age !== undefined) q = q.where('age_min', '<=', age).where('age_max', '>=', age);
    return q;
  };
  if (!box) return base().execute(); // the whole disposition, with and without a position
  let placed = base().where('latitude', '>=', box.minLat).where('latitude', '<=', box.maxLat);
  if (box.lon) placed = placed.where('longitude', '>=', box.lon.min).where('longitude', '<=', box.lon.max);
  return unplaced ? placed.unionAll(base().where('latitude', 'is', null)).execute() : placed.execute();
}

/**
 * The search reads the candidates ring by ring out from the patient: within a ninth of the radius,
 * then a third, then all of it (and the services with no position). In a city most answers are
 * complete within the first ring, so a search reads about the same number of services whatever the
 * size of the directory.
 */
const RINGS = [1 / 9, 1 / 3, 1];

const ids = (of: Candidate[]) => of.map((c) => c.id);
const openingTimesOf = (db: Kysely<Database>, of: Candidate[]) =>
  db.selectFrom('directory_service').select(['id', 'opening_times']).where('id', 'in', ids(of)).execute();
const servicesOf = (db: Kysely<Database>, of: Candidate[]) =>
  db.selectFrom('directory_service').selectAll().where('id', 'in', ids(of)).execute();

/** Services read per statement while looking for open ones: the first few, then more each time. */
const FIRST_READ = 32;
const LARGEST_READ = 1000;

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

  // The ranking is: open before closed, then nearest (no position: last), then by ID so the order is
  // stable. Walking the candidates by (distance, ID) and judging "open now" as they come, the first
  // `max` open ones are the answer as soon as they are found; otherwise every candidate has been
  // judged, and the closed ones fill the rest in the same order. The walk goes ring by ring (RINGS):
  // each ring's box holds every candidate within its radius, so once the candidates up to that
  // distance are sorted, none found later can come before them. Only what is walked is read.
  const open: Candidate[] = [];
  const closed: Candidate[] = [];
  // When the first read takes in every candidate so far (a small directory, a sparse area), it reads
  // them whole: they are usually the whole answer, and the last statement is then not needed.
  const whole = new Map<string, DirectoryServiceTable>();
  const judge = async (walk: Candidate[]) => {
    let read = Math.max(FIRST_READ, max);
    for (let i = 0; i < walk.length && open.length < max; i += read, read = Math.min(read * 4, LARGEST_READ)) {
      const part = walk.slice(i, i + read);
      const hours = new Map<string, string>();
      if (i === 0 && walk.length <= read && whole.size === 0) {
        for (const row of await servicesOf(db, part)) {
          whole.set(row.id, row);
          hours.set(row.id, row.opening_times);
        }
      } else for (const row of await openingTimesOf(db, part)) hours.set(row.id, row.opening_times);
      for (const c of part) {
        const times = hours.get(c.id);
        if (times === undefined) continue; // removed since the index was read
        if (isOpen(hoursFromColumn(times), at)) {
          open.push(c);
          if (open.length === max) break;
        } else if (closed.length < max) closed.push(c);
      }
    }
  };
  let found = 0;
  let inner = -Infinity;
  let within = 0; // candidates with a position, out to the last ring read
  let pending: Candidate[] = []; // read, in order, not yet judged
  for (let k = 0; k < RINGS.length && open.length < max; k++) {
    const last = k === RINGS.length - 1;
    const outer = last ? radius : radius * RINGS[k]!;
    const rows = await candidates(db, q.disposition, q.age, boundingBox(from, outer), last);
    found += rows.length;
    const ring: Candidate[] = [];
    const unplaced: Candidate[] = [];
    for (const r of rows) {
      if (r.latitude === null || r.longitude === null) {
        if (last) unplaced.push({ id: r.service_id, km: null });
        continue;
      }
      const km = distanceKm(from, { latitude: Number(r.latitude), longitude: Number(r.longitude) });
      if (km > inner && km <= outer) ring.push({ id: r.service_id, km });
    }
    ring.sort((a, b) => a.km! - b.km! || byId(a.id, b.id));
    unplaced.sort((a, b) => byId(a.id, b.id));
    within += ring.length;
    pending.push(...ring, ...unplaced);
    // Judging can end the search only when there are enough candidates to be the `max` open ones.
    if (last || pending.length >= max - open.length) {
      await judge(pending);
      pending = [];
    }
    inner = outer;
    // Sparse so far (the next ring would hold too few even at this density): straight to the whole radius.
    const next = RINGS[k + 1];
    if (next !== undefined && next < 1 && within * (next / RINGS[k]!) ** 2 < max - open.length) k = RINGS.length - 2;
  }
  if (found === 0 && !(await isKnownDisposition(db, q.disposition))) {
    throw badRequest(
      `disposition ${q.disposition} is not one this directory knows (no listed service accepts it)`,
      'INVALID_PARAMETER',
      ['disposition'],
    );
  }
  const chosen = [...open, ...closed].slice(0, max);
  if (chosen.length === 0) return [];

  const unread = chosen.filter((c) => !whole.has(c.id));
  if (unread.length) for (const row of await servicesOf(db, unread)) whole.set(row.id, row);
  const services = new Map(chosen.filter((c) => whole.has(c.id)).map((c) => [c.id, fromRow(whole.get(c.id)!)]));
  const ranked = chosen
    .map((c) => services.get(c.id))
    // A service changed since the index was read is judged by what it is now.
    .filter(
      (s): s is DirectoryService =>
        !!s &&
        s.dispositions.includes(q.disposition) &&
        (q.age === undefined || (s.ageRange.min <= q.age && q.age <= s.ageRange.max)),
    )
    .map((service) => {
      const km = service.location ? distanceKm(from, service.location) : null;
      const isOpenNow = isOpen(service, at);
      return { service, km, open: isOpenNow, next: isOpenNow ? undefined : nextOpening(service, at) };
    })
    .filter((c) => c.km === null || c.km <= radius)
    .sort(
      (a, b) =>
        Number(b.open) - Number(a.open) || (a.km ?? Infinity) - (b.km ?? Infinity) || byId(a.service.id, b.service.id),
    );

  return ranked.map(({ service, km, open, next }, i) => ({
    service,
    summary: summary(service, i + 1, km, open, next),
  }));
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
