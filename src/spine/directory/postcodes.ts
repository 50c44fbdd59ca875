/**
 * Postcode → position, from the UK postcode district centres shipped beside this file
 * (uk-outcodes.csv: derived from Ordnance Survey open data, Open Government Licence; see README.md
 * here). A district centre is precise enough to rank services by distance, and needs no network.
 */
import { readFileSync } from 'node:fs';

export interface Position {
  latitude: number;
  longitude: number;
}

// Loaded on first use: most spine processes never search, and the file is read once per process.
let districts: Map<string, Position> | undefined;

function load(): Map<string, Position> {
  if (districts) return districts;
  const table = new Map<string, Position>();
  const text = readFileSync(new URL('./uk-outcodes.csv', import.meta.url), 'utf8');
  for (const line of text.split('\n').slice(1)) {
    const [code, lat, lon] = line.trim().split(',');
    const latitude = Number(lat);
    const longitude = Number(lon);
    if (code && lat && lon && Number.isFinite(latitude) && Number.isFinite(longitude))
      table.set(code.toUpperCase(), { latitude, longitude });
  }
  districts = table;
  return table;
}

const OUTWARD = /^[A-Z]{1,2}[0-9][A-Z0-9]?$/;
const INWARD = /^[0-9][A-Z]{2}$/;

/**
 * A postcode in its usual written form ("LS1 4AP", or "LS1" for a district alone), or undefined when
 * it is not shaped like one. Accepts any case and spacing; written without a space, the outward code
 * is everything but the last three characters. A space, when given, must sit between the two parts.
 */
export function normalisePostcode(postcode: string): string | undefined {
  if (typeof postcode !== 'string' || postcode.length > 16) return undefined;
  const parts = postcode.trim().toUpperCase().split(/\s+/);
  if (parts.length === 1) {
    const compact = parts[0]!;
    if (OUTWARD.test(compact)) return compact;
    const outward = compact.slice(0, -3);
    const inward = compact.slice(-3);
    return OUTWARD.test(outward) && INWARD.test(inward) ? `${outward} ${inward}` : undefined;
  }
  if (parts.length === 2 && OUTWARD.test(parts[0]!) && INWARD.test(parts[1]!)) return `${parts[0]} ${parts[1]}`;
  return undefined;
}

/** The outward code (district) of a full postcode ("LS1 4AP", "ls14ap") or of a district ("LS1"). */
export function outwardCode(postcode: string): string | undefined {
  return normalisePostcode(postcode)?.split(' ')[0];
}

/** The centre of the postcode's district, or undefined when the postcode is malformed or unknown. */
export function positionOf(postcode: string): Position | undefined {
  const district = outwardCode(postcode);
  return district ? load().get(district) : undefined;
}

const EARTH_RADIUS_KM = 6371.0088; // the mean radius (IUGG)

/** Great-circle distance in kilometres (haversine). */
export function distanceKm(a: Position, b: Position): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export const KM_PER_MILE = 1.609344;
