/**
 * The directory's services in the store (`directory_service`, migration 002-spine): validated
 * upserts, reads and deletes by directory service ID. Lists and objects are JSON text columns, the
 * same on SQLite and PostgreSQL. Each service's dispositions are also rows of `directory_disposition`
 * (migration 009, with copies of its position and age range) for the search's index; they are
 * written and removed in the same transaction as the service.
 */
import type { Kysely, Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database, DirectoryDispositionTable, DirectoryServiceTable } from '../../store/schema.js';
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

/** A service's rows of the search's index: one per disposition, position only when it has both coordinates. */
function dispositionRows(row: DirectoryServiceTable, dispositions: string[]): DirectoryDispositionTable[] {
  const placed = row.latitude !== null && row.longitude !== null;
  return [...new Set(dispositions)].map((disposition) => ({
    disposition,
    service_id: row.id,
    latitude: placed ? row.latitude : null,
    longitude: placed ? row.longitude : null,
    age_min: row.age_min,
    age_max: row.age_max,
  }));
}

type Hours = Pick<DirectoryService, 'openingTimes' | 'openAllHours'>;

/**
 * Parsed opening times by their stored text. A search judges "open now" for every candidate it walks,
 * and most services share a few weekly patterns, so each pattern is parsed once; bounded by entries and
 * by the text's size (one service's sessions are a few hundred bytes), and frozen, since callers share it.
 */
const HOURS = new LRUCache<string, Readonly<Hours>>({
  max: 2_000,
  maxSize: 4 * 2 ** 20,
  sizeCalculation: (_v, k) => k.length,
});

/** The weekly sessions and the 24/7 flag from `opening_times` (all the search needs to judge "open now"). */
export function hoursFromColumn(openingTimes: string): Readonly<Hours> {
  const known = HOURS.get(openingTimes);
  if (known) return known;
  // The column's default is a bare list ('[]'); our writes store {times, openAllHours}.
  const stored = JSON.parse(openingTimes) as StoredOpening | OpeningTime[];
  const opening: StoredOpening = Array.isArray(stored) ? { times: stored } : stored;
  const hours: Hours = {
    openingTimes: Object.freeze(opening.times ?? []) as OpeningTime[],
    ...(opening.openAllHours !== undefined ? { openAllHours: opening.openAllHours } : {}),
  };
  if (openingTimes.length <= 64 * 1024) HOURS.set(openingTimes, Object.freeze(hours));
  return hours;
}

export function fromRow(row: DirectoryServiceTable): DirectoryService {
  const hours = hoursFromColumn(row.opening_times);
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
    openingTimes: [...hours.openingTimes],
    ...(hours.openAllHours !== undefined ? { openAllHours: hours.openAllHours } : {}),
    dispositions: JSON.parse(row.dispositions),
    ageRange: { min: Number(row.age_min), max: Number(row.age_max) },
    attributes: JSON.parse(row.attributes),
    endpoints: JSON.parse(row.endpoints),
  };
}

/** Runs `fn` in the caller's transaction, or in a new one when `db` is not a transaction. */
function inTransaction<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<Database>) : db.transaction().execute(fn);
}

/**
 * Adds or replaces a service by its ID after checking it (`checkService`: 400 naming the field at
 * fault); safe to repeat. Returns true when the ID was new. Typed as a DirectoryService for callers
 * in code, but checked whatever arrives, since the admin API passes a request body straight in.
 * The service and its rows of the search's index are written in one transaction (the caller's, if
 * `db` is one).
 */
export async function putDirectoryService(db: Kysely<Database>, service: DirectoryService): Promise<boolean> {
  const checked = checkService(service);
  const row = toRow(checked);
  const { id: _id, ...changes } = row;
  const index = dispositionRows(row, checked.dispositions);
  return inTransaction(db, async (trx) => {
    const created = await writeService(trx, row, changes);
    // After the service's own write, which on PostgreSQL holds its row's lock: concurrent writers of
    // one service replace its index rows one after the other.
    await trx.deleteFrom('directory_disposition').where('service_id', '=', row.id).execute();
    if (index.length) await trx.insertInto('directory_disposition').values(index).execute();
    return created;
  });
}

/** The service's row: true when this write created it. */
async function writeService(
  trx: Transaction<Database>,
  row: DirectoryServiceTable,
  changes: Omit<DirectoryServiceTable, 'id'>,
): Promise<boolean> {
  // Insert-if-absent then update, rather than read-then-upsert: of two concurrent first writes of an
  // ID exactly one is told it created the service, on both engines.
  const inserted = await trx
    .insertInto('directory_service')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return true;
  const updated = await trx.updateTable('directory_service').set(changes).where('id', '=', row.id).executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) return false;
  // Deleted between the two statements: write it again.
  await trx
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
  return inTransaction(db, async (trx) => {
    // The service first, as putDirectoryService locks it first (no deadlock between the two on
    // PostgreSQL, whose foreign key cascades to the index rows). SQLite leaves foreign keys
    // unenforced, so they are removed here too.
    const result = await trx.deleteFrom('directory_service').where('id', '=', id).executeTakeFirst();
    await trx.deleteFrom('directory_disposition').where('service_id', '=', id).execute();
    return Number(result.numDeletedRows) > 0;
  });
}

export async function allDirectoryServices(db: Kysely<Database>): Promise<DirectoryService[]> {
  return (await db.selectFrom('directory_service').selectAll().orderBy('id').execute()).map(fromRow);
}
