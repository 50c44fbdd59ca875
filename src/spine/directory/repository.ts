/**
 * The directory's services in the store (`directory_service`, migration 002-spine): validated
 * upserts, reads and deletes by directory service ID. Lists and objects are JSON text columns, the
 * same on SQLite and PostgreSQL.
 */
import type { Kysely } from 'kysely';
import type { Database, DirectoryServiceTable } from '../../store/schema.js';
import type { DirectoryService, OpeningTime } from './model.js';
import { checkService, isDirectoryId } from './validate.js';

/** `opening_times` holds the weekly sessions and the 24/7 flag together (the table has no column for the flag). */
interface StoredOpening {
  times: OpeningTime[];
  openAllHours?: boolean;
}

function toRow(s: DirectoryService): DirectoryServiceTable {
  const opening: StoredOpening = {
    times: s.openingTimes,
    ...(s.openAllHours !== undefined ? { openAllHours: s.openAllHours } : {}),
  };
  return {
    id: s.id,
    name: s.name,
    type: s.type,
    ods_code: s.odsCode ?? null,
    address: JSON.stringify(s.address),
    postcode: s.postcode ?? null,
    latitude: s.location?.latitude ?? null,
    longitude: s.location?.longitude ?? null,
    opening_times: JSON.stringify(opening),
    dispositions: JSON.stringify(s.dispositions),
    age_min: s.ageRange.min,
    age_max: s.ageRange.max,
    attributes: JSON.stringify(s.attributes),
    endpoints: JSON.stringify(s.endpoints),
    updated_at: new Date().toISOString(),
  };
}

export function fromRow(row: DirectoryServiceTable): DirectoryService {
  // The column's default is a bare list ('[]'); our writes store {times, openAllHours}.
  const stored = JSON.parse(row.opening_times) as StoredOpening | OpeningTime[];
  const opening: StoredOpening = Array.isArray(stored) ? { times: stored } : stored;
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    ...(row.ods_code ? { odsCode: row.ods_code } : {}),
    address: JSON.parse(row.address),
    ...(row.postcode ? { postcode: row.postcode } : {}),
    ...(row.latitude !== null && row.longitude !== null
      ? { location: { latitude: Number(row.latitude), longitude: Number(row.longitude) } }
      : {}),
    openingTimes: opening.times ?? [],
    ...(opening.openAllHours !== undefined ? { openAllHours: opening.openAllHours } : {}),
    dispositions: JSON.parse(row.dispositions),
    ageRange: { min: Number(row.age_min), max: Number(row.age_max) },
    attributes: JSON.parse(row.attributes),
    endpoints: JSON.parse(row.endpoints),
  };
}

/**
 * Adds or replaces a service by its ID after checking it (`checkService`: 400 naming the field at
 * fault); safe to repeat. Returns true when the ID was new. Typed as a DirectoryService for callers
 * in code, but checked whatever arrives, since the admin API passes a request body straight in.
 */
export async function putDirectoryService(db: Kysely<Database>, service: DirectoryService): Promise<boolean> {
  const row = toRow(checkService(service));
  const { id: _id, ...changes } = row;
  // Insert-if-absent then update, rather than read-then-upsert: of two concurrent first writes of an
  // ID exactly one is told it created the service, on both engines.
  const inserted = await db
    .insertInto('directory_service')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return true;
  const updated = await db.updateTable('directory_service').set(changes).where('id', '=', row.id).executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) return false;
  // Deleted between the two statements: write it again.
  await db
    .insertInto('directory_service')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet(changes))
    .execute();
  return true;
}

export async function getDirectoryService(db: Kysely<Database>, id: string): Promise<DirectoryService | undefined> {
  // An ID that cannot exist is not looked up (and PostgreSQL would refuse a NUL in it).
  if (!isDirectoryId(id)) return undefined;
  const row = await db.selectFrom('directory_service').selectAll().where('id', '=', id).executeTakeFirst();
  return row && fromRow(row);
}

/** Removes a service; returns whether there was one. */
export async function deleteDirectoryService(db: Kysely<Database>, id: string): Promise<boolean> {
  if (!isDirectoryId(id)) return false;
  const result = await db.deleteFrom('directory_service').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function allDirectoryServices(db: Kysely<Database>): Promise<DirectoryService[]> {
  return (await db.selectFrom('directory_service').selectAll().orderBy('id').execute()).map(fromRow);
}
