/**
 * The directory search (like DoS `CheckCapacitySummary`): the services that accept the patient's
 * disposition and age, open ones first, then nearest first (ABUS.01).
 */
import type { Kysely } from 'kysely';
import { badRequest } from '../../fhir/outcome.js';
import type { Database } from '../../store/schema.js';
import type { ServiceSummary } from './model.js';
import { isOpen, nextOpening } from './opening.js';
import { distanceKm, positionOf } from './postcodes.js';
import { fromRow } from './repository.js';

export interface DirectoryQuery {
  disposition: string;
  postcode: string;
  age?: number;
  /** The moment to judge opening at (default now). */
  at?: Date;
  /** At most this many results (default 20, at most 100). */
  max?: number;
  /** Leave out services further than this (default 100 km). */
  radiusKm?: number;
}

export async function searchDirectory(db: Kysely<Database>, q: DirectoryQuery): Promise<ServiceSummary[]> {
  if (!/^Dx\d{1,4}$/.test(q.disposition)) throw badRequest(`disposition ${JSON.stringify(q.disposition)} is not a disposition code such as Dx05`, 'INVALID_PARAMETER');
  const from = positionOf(q.postcode);
  if (!from) throw badRequest(`postcode ${JSON.stringify(q.postcode)} is not a known UK postcode or postcode district`, 'INVALID_PARAMETER');
  const at = (q.at ?? new Date()).getTime();
  const radius = q.radiusKm ?? 100;
  let query = db.selectFrom('directory_service').selectAll().where('dispositions', 'like', `%"${q.disposition}"%`);
  if (q.age !== undefined) query = query.where('age_min', '<=', q.age).where('age_max', '>=', q.age);
  const candidates = (await query.execute()).map(fromRow);
  const ranked = candidates
    .map((s) => {
      const km = s.location ? distanceKm(from, s.location) : null;
      const open = isOpen(s, at);
      const next = open ? undefined : nextOpening(s, at);
      return { s, km, open, next };
    })
    .filter((c) => c.km === null || c.km <= radius)
    .sort((a, b) => Number(b.open) - Number(a.open) || (a.km ?? Infinity) - (b.km ?? Infinity) || a.s.id.localeCompare(b.s.id));
  return ranked.slice(0, Math.min(q.max ?? 20, 100)).map(({ s, km, open, next }, i) => ({
    rank: i + 1,
    id: s.id,
    name: s.name,
    type: s.type,
    ...(s.odsCode ? { odsCode: s.odsCode } : {}),
    address: s.address,
    ...(s.postcode ? { postcode: s.postcode } : {}),
    distanceKm: km === null ? null : Math.round(km * 10) / 10,
    distanceMiles: km === null ? null : Math.round((km / 1.609344) * 10) / 10,
    openNow: open,
    ...(next !== undefined ? { nextOpen: new Date(next).toISOString() } : {}),
    attributes: s.attributes,
  }));
}
