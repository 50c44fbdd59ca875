/** The directory's services in the store: validated writes, reads by ID. */
import type { Kysely } from 'kysely';
import { badRequest } from '../../fhir/outcome.js';
import type { Database, DirectoryServiceTable } from '../../store/schema.js';
import { DAYS, type DirectoryService } from './model.js';
import { positionOf } from './postcodes.js';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

function fail(field: string, message: string): never {
  throw badRequest(`${field}: ${message}`, 'INVALID_PARAMETER', [field]);
}

const isString = (v: unknown, max = 500): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isWhole = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** Checks a service from outside (the admin API, registration) and fills its position from the postcode. */
export function checkService(input: unknown): DirectoryService {
  if (!input || typeof input !== 'object' || Array.isArray(input)) fail('service', 'must be a JSON object');
  const s = input as Record<string, any>;
  if (!isString(s.id, 32) || !/^[A-Za-z0-9-]+$/.test(s.id)) fail('id', 'must be 1–32 letters, digits or -');
  if (!isString(s.name, 200)) fail('name', 'is required (at most 200 characters)');
  if (!isString(s.type, 60)) fail('type', 'is required (ED, UTC, GP Out of Hours, Pharmacy, Dental…)');
  if (s.odsCode !== undefined && (!isString(s.odsCode, 12) || !/^[A-Za-z0-9]+$/.test(s.odsCode))) fail('odsCode', 'must be an ODS code');
  const address = s.address ?? [];
  if (!Array.isArray(address) || address.length > 10 || !address.every((l) => isString(l, 200))) fail('address', 'must be a list of up to 10 lines');
  if (s.postcode !== undefined && !isString(s.postcode, 10)) fail('postcode', 'must be a postcode');
  let location = s.location;
  if (location !== undefined) {
    const { latitude, longitude } = location ?? {};
    if (typeof latitude !== 'number' || typeof longitude !== 'number' || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) fail('location', 'needs a latitude (±90) and a longitude (±180)');
    location = { latitude, longitude };
  } else if (s.postcode) {
    location = positionOf(s.postcode);
    if (!location) fail('postcode', `${s.postcode} is not a known UK postcode or postcode district`);
  }
  const openingTimes = s.openingTimes ?? [];
  if (!Array.isArray(openingTimes) || openingTimes.length > 50) fail('openingTimes', 'must be a list');
  openingTimes.forEach((t: any, i: number) => {
    if (!t || !DAYS.includes(t.day)) fail(`openingTimes[${i}].day`, `must be one of ${DAYS.join(', ')}`);
    if (!HHMM.test(String(t.open)) || !HHMM.test(String(t.close))) fail(`openingTimes[${i}]`, 'open and close must be HH:MM (close may be 24:00)');
    if (t.open >= t.close) fail(`openingTimes[${i}]`, 'must close after it opens');
  });
  if (s.openAllHours !== undefined && typeof s.openAllHours !== 'boolean') fail('openAllHours', 'must be true or false');
  const dispositions = s.dispositions ?? [];
  if (!Array.isArray(dispositions) || !dispositions.every((d) => typeof d === 'string' && /^Dx\d{1,4}$/.test(d))) fail('dispositions', 'must be a list of disposition codes such as Dx05');
  const ageRange = s.ageRange ?? { min: 0, max: 130 };
  if (!isWhole(ageRange?.min, 0, 130) || !isWhole(ageRange?.max, 0, 130) || ageRange.min > ageRange.max) fail('ageRange', 'needs whole-year min ≤ max between 0 and 130');
  const attributes = s.attributes ?? [];
  if (!Array.isArray(attributes) || !attributes.every((a) => a && isString(a.name, 100) && isString(a.dataType, 40) && typeof a.value === 'string' && (a.description === undefined || typeof a.description === 'string'))) {
    fail('attributes', 'each needs a name, dataType and a string value');
  }
  const endpoints = s.endpoints ?? [];
  if (!Array.isArray(endpoints) || endpoints.length > 20) fail('endpoints', 'must be a list');
  endpoints.forEach((e: any, i: number) => {
    if (!e || !isWhole(e.order, 0, 1000)) fail(`endpoints[${i}].order`, 'must be a whole number');
    for (const f of ['transport', 'format', 'interaction', 'address']) if (!isString(e[f], 500)) fail(`endpoints[${i}].${f}`, 'is required');
  });
  return {
    id: s.id,
    name: s.name,
    type: s.type,
    ...(s.odsCode ? { odsCode: s.odsCode.toUpperCase() } : {}),
    address,
    ...(s.postcode ? { postcode: s.postcode.toUpperCase() } : {}),
    ...(location ? { location } : {}),
    openingTimes: openingTimes.map((t: any) => ({ day: t.day, open: t.open, close: t.close })),
    ...(s.openAllHours !== undefined ? { openAllHours: s.openAllHours } : {}),
    dispositions: [...new Set<string>(dispositions)],
    ageRange: { min: ageRange.min, max: ageRange.max },
    attributes: attributes.map((a: any) => ({ name: a.name, dataType: a.dataType, ...(a.description ? { description: a.description } : {}), value: a.value })),
    endpoints: endpoints
      .map((e: any) => ({ order: e.order, transport: e.transport, format: e.format, interaction: e.interaction, ...(e.businessScenario ? { businessScenario: e.businessScenario } : {}), address: e.address, ...(e.compression ? { compression: e.compression } : {}), ...(e.comment ? { comment: e.comment } : {}) }))
      .sort((a: { order: number }, b: { order: number }) => a.order - b.order),
  };
}

export function fromRow(row: DirectoryServiceTable): DirectoryService {
  const extra = JSON.parse(row.opening_times) as { times: DirectoryService['openingTimes']; openAllHours?: boolean };
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    ...(row.ods_code ? { odsCode: row.ods_code } : {}),
    address: JSON.parse(row.address),
    ...(row.postcode ? { postcode: row.postcode } : {}),
    ...(row.latitude !== null && row.longitude !== null ? { location: { latitude: row.latitude, longitude: row.longitude } } : {}),
    openingTimes: extra.times,
    ...(extra.openAllHours !== undefined ? { openAllHours: extra.openAllHours } : {}),
    dispositions: JSON.parse(row.dispositions),
    ageRange: { min: row.age_min, max: row.age_max },
    attributes: JSON.parse(row.attributes),
    endpoints: JSON.parse(row.endpoints),
  };
}

/** Adds or replaces a service (by ID); returns whether it was new. */
export async function putDirectoryService(db: Kysely<Database>, input: unknown): Promise<boolean> {
  const s = checkService(input);
  const row: DirectoryServiceTable = {
    id: s.id,
    name: s.name,
    type: s.type,
    ods_code: s.odsCode ?? null,
    address: JSON.stringify(s.address),
    postcode: s.postcode ?? null,
    latitude: s.location?.latitude ?? null,
    longitude: s.location?.longitude ?? null,
    opening_times: JSON.stringify({ times: s.openingTimes, ...(s.openAllHours !== undefined ? { openAllHours: s.openAllHours } : {}) }),
    dispositions: JSON.stringify(s.dispositions),
    age_min: s.ageRange.min,
    age_max: s.ageRange.max,
    attributes: JSON.stringify(s.attributes),
    endpoints: JSON.stringify(s.endpoints),
    updated_at: new Date().toISOString(),
  };
  const existed = await db.selectFrom('directory_service').select('id').where('id', '=', s.id).executeTakeFirst();
  const { id: _id, ...changes } = row;
  await db.insertInto('directory_service').values(row).onConflict((oc) => oc.column('id').doUpdateSet(changes)).execute();
  return !existed;
}

export async function getDirectoryService(db: Kysely<Database>, id: string): Promise<DirectoryService | undefined> {
  const row = await db.selectFrom('directory_service').selectAll().where('id', '=', id).executeTakeFirst();
  return row && fromRow(row);
}

export async function deleteDirectoryService(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('directory_service').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function allDirectoryServices(db: Kysely<Database>): Promise<DirectoryService[]> {
  return (await db.selectFrom('directory_service').selectAll().orderBy('id').execute()).map(fromRow);
}
