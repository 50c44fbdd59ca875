/**
 * The directory search at regional scale (issue 13): one row per (disposition, service) that the
 * search reads through an index instead of matching `directory_service.dispositions` (JSON text)
 * with LIKE, carrying copies of what the search filters on: the service's position (its latitude and
 * longitude columns, for a bounding box around the patient) and its age range. The repository writes
 * these rows in the same transaction as the service. Existing services are copied in here.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { clusteredByPrimaryKey } from '../dialect.js';

type AnyDb = Kysely<any>; // migrations are frozen in time and must not follow later schema types

const BATCH = 500; // rows per INSERT: 3,000 parameters, far below either engine's limit

export async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  let table = db.schema
    .createTable('directory_disposition')
    .addColumn('disposition', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull().references('directory_service.id').onDelete('cascade'))
    // `real`, as in directory_service: the same stored value, so distances match the service's own.
    // Both null when the service has no position.
    .addColumn('latitude', 'real')
    .addColumn('longitude', 'real')
    .addColumn('age_min', 'integer', (c) => c.notNull())
    .addColumn('age_max', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('directory_disposition_pk', ['disposition', 'service_id']);
  const clause = clusteredByPrimaryKey(dialect);
  if (clause) table = table.modifyEnd(sql.raw(clause));
  await table.execute();
  // A service's rows, to replace or remove them (and for the cascade).
  await db.schema
    .createIndex('directory_disposition_service')
    .on('directory_disposition')
    .column('service_id')
    .execute();
  // The search: one disposition, a latitude range, then longitude and age read from the index itself.
  await db.schema
    .createIndex('directory_disposition_near')
    .on('directory_disposition')
    .columns(['disposition', 'latitude', 'longitude', 'age_min', 'age_max', 'service_id'])
    .execute();

  const services = (await db
    .selectFrom('directory_service')
    .select(['id', 'dispositions', 'latitude', 'longitude', 'age_min', 'age_max'])
    .execute()) as {
    id: string;
    dispositions: string;
    latitude: number | null;
    longitude: number | null;
    age_min: number;
    age_max: number;
  }[];
  const rows: Record<string, unknown>[] = [];
  for (const s of services) {
    let codes: unknown;
    try {
      codes = JSON.parse(s.dispositions);
    } catch {
      codes = [];
    }
    if (!Array.isArray(codes)) continue;
    const placed = s.latitude !== null && s.longitude !== null;
    for (const code of new Set(codes.filter((c): c is string => typeof c === 'string'))) {
      rows.push({
        disposition: code,
        service_id: s.id,
        latitude: placed ? s.latitude : null,
        longitude: placed ? s.longitude : null,
        age_min: s.age_min,
        age_max: s.age_max,
      });
    }
  }
  for (let i = 0; i < rows.length; i += BATCH) {
    await db
      .insertInto('directory_disposition')
      .values(rows.slice(i, i + BATCH))
      .execute();
  }
}
