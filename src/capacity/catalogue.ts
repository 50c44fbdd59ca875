/**
 * Writes the provider's catalogue: tenants, the reference resources slot searches include, the
 * service-to-schedule mapping (fs_slotmanagement) and slots. Every write is idempotent: writing
 * the same thing twice changes nothing, and a changed resource gets a new version.
 */
import type {
  HealthcareService,
  Location,
  Organization,
  Practitioner,
  PractitionerRole,
  Schedule,
} from 'fhir/r3.js';
import type { Kysely } from 'kysely';
import type { Database, TenantTable } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { REFERENCE_TABLES } from '../provider/resources/representation.js';

export type ReferenceResource = HealthcareService | Location | Organization | Practitioner | PractitionerRole | Schedule;

export interface TenantSettings {
  id: string;
  name: string;
  odsCode: string;
  asid: string;
  refusedOrganisations?: string[];
}

export async function putTenant(db: Kysely<Database>, t: TenantSettings): Promise<void> {
  const row: TenantTable = {
    id: t.id,
    name: t.name,
    ods_code: t.odsCode,
    asid: t.asid,
    refused_organisations: JSON.stringify(t.refusedOrganisations ?? []),
    created_at: new Date().toISOString(),
  };
  await db
    .insertInto('tenant')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet({ name: row.name, ods_code: row.ods_code, asid: row.asid }))
    .execute();
}

/** P7: the consumer organisations a tenant refuses. */
export async function setRefusedOrganisations(db: Kysely<Database>, tenantId: string, odsCodes: string[]): Promise<boolean> {
  const result = await db
    .updateTable('tenant')
    .set({ refused_organisations: JSON.stringify([...new Set(odsCodes.map((c) => c.toUpperCase()))].sort()) })
    .where('id', '=', tenantId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

const idOf = (reference: string | undefined, type: string): string | null => {
  if (!reference) return null;
  const m = new RegExp(`(?:^|/)${type}/([^/]+)$`).exec(reference);
  return m ? m[1] : null;
};

/** The searchable columns each resource type keeps beside its content. */
function columnsOf(resource: ReferenceResource): Record<string, string | number | null> {
  switch (resource.resourceType) {
    case 'Organization':
      return {
        name: resource.name ?? '',
        ods_code: resource.identifier?.find((i) => i.system === 'https://fhir.nhs.uk/Id/ods-organization-code')?.value ?? null,
      };
    case 'Location':
      return { name: resource.name ?? '' };
    case 'Practitioner':
      return {};
    case 'PractitionerRole':
      return { practitioner_id: idOf(resource.practitioner?.reference, 'Practitioner') };
    case 'HealthcareService':
      return {
        name: resource.name ?? '',
        organization_id: idOf(resource.providedBy?.reference, 'Organization'),
        location_id: idOf(resource.location?.[0]?.reference, 'Location'),
        active: resource.active === false ? 0 : 1,
      };
    case 'Schedule': {
      const actors = ([] as { reference?: string }[]).concat(resource.actor);
      const actor = (type: string) => actors.map((a) => idOf(a.reference, type)).find((x) => x) ?? null;
      const service = actor('HealthcareService');
      if (!service) throw new Error(`Schedule ${resource.id} needs a HealthcareService actor (P13)`);
      return {
        healthcare_service_id: service,
        practitioner_id: actor('Practitioner'),
        practitioner_role_id: actor('PractitionerRole'),
        active: resource.active === false ? 0 : 1,
      };
    }
  }
}

/** Creates the resource, or stores a new version when its content changed. Returns its version. */
export async function putReference(db: Kysely<Database>, tenantId: string, resource: ReferenceResource): Promise<number> {
  if (!resource.id) throw new Error(`${resource.resourceType} needs an id`);
  const table = REFERENCE_TABLES[resource.resourceType] as 'location';
  const { resourceType: _t, id, meta: _m, ...rest } = resource;
  const content = JSON.stringify(rest);
  const columns = columnsOf(resource);
  const now = new Date().toISOString();
  const existing = await db
    .selectFrom(table)
    .select(['version_id', 'content'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  let version = existing?.version_id ?? 1;
  if (!existing) {
    await db
      .insertInto(table)
      .values({ tenant_id: tenantId, id, version_id: 1, last_updated: now, content, ...columns } as never)
      .execute();
  } else if (existing.content !== content) {
    version = existing.version_id + 1;
    await db
      .updateTable(table)
      .set({ version_id: version, last_updated: now, content, ...columns } as never)
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }
  if (resource.resourceType === 'Schedule') {
    await mapServiceToSchedule(db, tenantId, columns.healthcare_service_id as string, id);
  }
  return version;
}

/** fs_slotmanagement: the schedule serves this directory service (many-to-many). */
export async function mapServiceToSchedule(db: Kysely<Database>, tenantId: string, serviceId: string, scheduleId: string) {
  await db
    .insertInto('service_schedule')
    .values({ tenant_id: tenantId, healthcare_service_id: serviceId, schedule_id: scheduleId })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export interface NewSlot {
  id: string;
  identifier: string;
  scheduleId: string;
  start: string;
  end: string;
  status: 'free' | 'busy' | 'busy-unavailable' | 'busy-tentative';
  deliveryChannel: 'In-person' | 'Telephone' | 'Video' | null;
}

/** Adds slots that do not exist yet (by id); returns how many were new. */
export async function addSlots(store: Store, tenantId: string, slots: NewSlot[]): Promise<number> {
  const now = new Date().toISOString();
  let added = 0;
  for (let i = 0; i < slots.length; i += 500) {
    const batch = slots.slice(i, i + 500);
    await store.transaction(async (trx) => {
      const result = await trx
        .insertInto('slot')
        .values(
          batch.map((s) => ({
            tenant_id: tenantId,
            id: s.id,
            identifier: s.identifier,
            schedule_id: s.scheduleId,
            start: s.start,
            end: s.end,
            status: s.status,
            delivery_channel: s.deliveryChannel,
            appointment_id: null,
            version_id: 1,
            last_updated: now,
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      added += Number(result.numInsertedOrUpdatedRows ?? 0);
      await store.announceSlotChange(trx, tenantId);
    });
  }
  store.slotChanges.bump(tenantId);
  if (added >= 5000) await store.refreshStatistics();
  return added;
}
