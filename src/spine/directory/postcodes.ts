/**
 * Postcode → position, from the UK postcode district centres shipped beside this file
 * (uk-outcodes.csv: derived from Ordnance Survey open data, Open Government Licence). A district
 * centre is precise enough to rank services by distance, and needs no network.
 */
import { readFileSync } from 'node:fs';

let districts: Map<string, { latitude: number; longitude: number }> | undefined;

function load(): Map<string, { latitude: number; longitude: number }> {
  if (districts) return districts;
  districts = new Map();
  const text = readFileSync(new URL('./uk-outcodes.csv', import.meta.url), 'utf8');
  for (const line of text.split('\n').slice(1)) {
    const [code, lat, lon] = line.trim().split(',');
    if (code && lat && lon) districts.set(code.toUpperCase(), { latitude: Number(lat), longitude: Number(lon) });
  }
  return districts;
}

/** The outward code (district) of a full postcode ("LS1 4AP", "ls14ap") or of a district ("LS1"). */
export function outwardCode(postcode: string): string | undefined {
  const compact = postcode.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z0-9]{2,8}$/.test(compact)) return undefined;
  if (/^[A-Z]{1,2}[0-9][A-Z0-9]?$/.test(compact)) return compact; // a district alone
  if (/^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$/.test(compact)) return compact.slice(0, -3);
  return undefined;
}

/** The centre of the postcode's district, or undefined when the postcode is malformed or unknown. */
export function positionOf(postcode: string): { latitude: number; longitude: number } | undefined {
  const district = outwardCode(postcode);
  return district ? load().get(district) : undefined;
}

/** Great-circle distance in kilometres (haversine). */
export function distanceKm(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
}
