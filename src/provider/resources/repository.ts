/** Reads of the reference resources (HealthcareService, Schedule, Location, Practitioner, PractitionerRole, Organization). */
import type { Kysely } from 'kysely';
import type { Resource } from 'fhir/r3.js';
import type { Database } from '../../store/schema.js';
import { REFERENCE_TABLES, storedResource, type ReferenceType, type StoredRow } from '../../diary/representation.js';

export async function readReferences(
  db: Kysely<Database>,
  type: ReferenceType,
  tenantId: string,
  ids?: string[],
  limit = 1000,
): Promise<Resource[]> {
  if (ids && ids.length === 0) return [];
  let query = db
    .selectFrom(REFERENCE_TABLES[type] as 'location')
    .select(['id', 'version_id', 'last_updated', 'content'])
    .where('tenant_id', '=', tenantId);
  if (ids) query = query.where('id', 'in', ids);
  const rows: StoredRow[] = await query.orderBy('id').limit(limit).execute();
  return rows.map((row) => storedResource(type, row));
}

export async function readReference(
  db: Kysely<Database>,
  type: ReferenceType,
  tenantId: string,
  id: string,
): Promise<Resource | undefined> {
  const [resource] = await readReferences(db, type, tenantId, [id]);
  return resource;
}
