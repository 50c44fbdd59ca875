/**
 * Writes the provider's catalogue: tenants, the reference resources slot searches include, the
 * service-to-schedule mapping (fs_slotmanagement) and slots. Every write is idempotent: writing
 * the same thing twice changes nothing, and a changed resource gets a new version.
 */
import type { HealthcareService, Location, Organization, Practitioner, PractitionerRole, Schedule } from 'fhir/r3.js';
import { CompiledQuery, type Kysely } from 'kysely';
import type { Database, TenantTable } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { REFERENCE_TABLES } from '../diary/representation.js';

export type ReferenceResource =
  HealthcareService | Location | Organization | Practitioner | PractitionerRole | Schedule;

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
export async function setRefusedOrganisations(
  db: Kysely<Database>,
  tenantId: string,
  odsCodes: string[],
): Promise<boolean> {
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
        ods_code:
          resource.identifier?.find((i) => i.system === 'https://fhir.nhs.uk/Id/ods-organization-code')?.value ?? null,
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
export async function putReference(
  db: Kysely<Database>,
  tenantId: string,
  resource: ReferenceResource,
): Promise<number> {
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
export async function mapServiceToSchedule(
  db: Kysely<Database>,
  tenantId: string,
  serviceId: string,
  scheduleId: string,
) {
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

const SLOT_COLUMNS =
  '"tenant_id", "id", "identifier", "schedule_id", "start", "end", "status", "delivery_channel", ' +
  '"appointment_id", "version_id", "last_updated"';
/** SQLite: rows per INSERT statement (9 parameters a row) and per transaction. */
const SQLITE_ROWS_PER_STATEMENT = 500;
const SQLITE_ROWS_PER_TRANSACTION = 2000;
/** PostgreSQL: rows per INSERT (one array parameter per column) and per transaction. */
const POSTGRES_ROWS_PER_TRANSACTION = 5000;
const sqliteInsertText = new Map<number, string>();

/**
 * One INSERT … ON CONFLICT DO NOTHING for a batch of slots, written out per engine instead of built
 * with the query builder (building and compiling a 500-row insert cost more than running it). SQLite:
 * a multi-row VALUES list whose text is the same for every full batch, so its prepared statement is
 * reused; PostgreSQL: one array parameter per column, unpacked by unnest.
 */
/**
 * How far back a slot that might overlap a new one can start: the no-double rule looks at slots
 * starting in [start − this, end) on the schedule (an index range), so no slot may be longer
 * (./day.ts refuses longer extra slots; a rota's slots are at most 8 hours).
 */
export const LONGEST_SLOT_MS = 24 * 3_600_000;

/**
 * The no-double rule, as the WHERE of a conditional insert (`u` the new row, with its `lookback`):
 * no slot of the same schedule (other than one marked entered-in-error) overlaps it in time. Text
 * instants compare as times because every slot's start and end are written by toISOString.
 */
const NO_OVERLAP =
  'not exists (select 1 from "slot" e where e.tenant_id = %T and e.schedule_id = u.schedule_id ' +
  'and e.start >= u.lookback and e.start < u."end" and e."end" > u.start and e.status <> \'entered-in-error\')';

function insertSlots(
  dialect: Store['dialect'],
  tenantId: string,
  slots: NewSlot[],
  now: string,
  skipOverlapping = false,
): CompiledQuery {
  if (skipOverlapping) return insertSlotsWithoutOverlap(dialect, tenantId, slots, now);
  if (dialect === 'postgres') {
    const column = <K extends keyof NewSlot>(k: K) => slots.map((s) => s[k]);
    return CompiledQuery.raw(
      `insert into "slot" (${SLOT_COLUMNS}) ` +
        'select $1, u.id, u.identifier, u.schedule_id, u.start, u."end", u.status, u.delivery_channel, null, 1, $2 ' +
        'from unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) ' +
        'as u(id, identifier, schedule_id, start, "end", status, delivery_channel) on conflict do nothing',
      [
        tenantId,
        now,
        column('id'),
        column('identifier'),
        column('scheduleId'),
        column('start'),
        column('end'),
        column('status'),
        column('deliveryChannel'),
      ],
    );
  }
  let text = sqliteInsertText.get(slots.length);
  if (!text) {
    const rows = Array.from({ length: slots.length }, () => '(?, ?, ?, ?, ?, ?, ?, ?, null, 1, ?)');
    text = `insert into "slot" (${SLOT_COLUMNS}) values ${rows.join(', ')} on conflict do nothing`;
    if (sqliteInsertText.size > 20) sqliteInsertText.clear();
    sqliteInsertText.set(slots.length, text);
  }
  const parameters: unknown[] = new Array(slots.length * 9);
  let p = 0;
  for (const s of slots) {
    parameters[p++] = tenantId;
    parameters[p++] = s.id;
    parameters[p++] = s.identifier;
    parameters[p++] = s.scheduleId;
    parameters[p++] = s.start;
    parameters[p++] = s.end;
    parameters[p++] = s.status;
    parameters[p++] = s.deliveryChannel;
    parameters[p++] = now;
  }
  return CompiledQuery.raw(text, parameters);
}

const lookbackOf = (start: string) => new Date(Date.parse(start) - LONGEST_SLOT_MS).toISOString();

/** insertSlots for slots that must not overlap another slot of their schedule (the rota's). */
function insertSlotsWithoutOverlap(
  dialect: Store['dialect'],
  tenantId: string,
  slots: NewSlot[],
  now: string,
): CompiledQuery {
  if (dialect === 'postgres') {
    const column = <K extends keyof NewSlot>(k: K) => slots.map((s) => s[k]);
    return CompiledQuery.raw(
      `insert into "slot" (${SLOT_COLUMNS}) ` +
        'select $1, u.id, u.identifier, u.schedule_id, u.start, u."end", u.status, u.delivery_channel, null, 1, $2 ' +
        'from unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) ' +
        'as u(id, identifier, schedule_id, start, "end", status, delivery_channel, lookback) ' +
        `where ${NO_OVERLAP.replace('%T', '$1')} on conflict do nothing`,
      [
        tenantId,
        now,
        column('id'),
        column('identifier'),
        column('scheduleId'),
        column('start'),
        column('end'),
        column('status'),
        column('deliveryChannel'),
        slots.map((s) => lookbackOf(s.start)),
      ],
    );
  }
  const rows = Array.from({ length: slots.length }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
  const text =
    `insert into "slot" (${SLOT_COLUMNS}) ` +
    'select ?, u.id, u.identifier, u.schedule_id, u.start, u."end", u.status, u.delivery_channel, null, 1, ? ' +
    'from (select column1 as id, column2 as identifier, column3 as schedule_id, column4 as start, column5 as "end", ' +
    `column6 as status, column7 as delivery_channel, column8 as lookback from (values ${rows})) u ` +
    `where ${NO_OVERLAP.replace('%T', '?')} on conflict do nothing`;
  const parameters: unknown[] = [tenantId, now];
  for (const s of slots)
    parameters.push(s.id, s.identifier, s.scheduleId, s.start, s.end, s.status, s.deliveryChannel, lookbackOf(s.start));
  parameters.push(tenantId);
  return CompiledQuery.raw(text, parameters);
}

export interface AddSlotsOptions {
  /** Told how many of the slots have been dealt with after each transaction. */
  onProgress?: (done: number) => void;
  /** Rows per transaction (default: 2,000 on SQLite, 5,000 on PostgreSQL). */
  rowsPerTransaction?: number;
  /** Refresh the planner's statistics after a large load (default true; bulk callers do it once at the end). */
  refreshStatistics?: boolean;
  /**
   * The no-double rule (a rota's slots): a slot is inserted only if no slot of its schedule overlaps
   * it, decided by the insert itself. SQLite's write transactions run one at a time (BEGIN
   * IMMEDIATE); on PostgreSQL each transaction first takes a lock per schedule it writes
   * (pg_advisory_xact_lock), so two generations at once cannot both see a time as empty. The slots
   * given must not overlap one another (one statement does not see its own rows).
   */
  skipOverlapping?: boolean;
}

/**
 * Adds slots that do not exist yet (by id); returns how many were new. Batched: by default on SQLite
 * 2,000 rows a transaction (so bookings never wait long for the write lock), on PostgreSQL 5,000.
 */
export async function addSlots(
  store: Store,
  tenantId: string,
  slots: NewSlot[],
  options: AddSlotsOptions = {},
): Promise<number> {
  const now = new Date().toISOString();
  const perTransaction =
    options.rowsPerTransaction ??
    (store.dialect === 'postgres' ? POSTGRES_ROWS_PER_TRANSACTION : SQLITE_ROWS_PER_TRANSACTION);
  const perStatement = store.dialect === 'postgres' ? POSTGRES_ROWS_PER_TRANSACTION : SQLITE_ROWS_PER_STATEMENT;
  let added = 0;
  for (let i = 0; i < slots.length; i += perTransaction) {
    const batch = slots.slice(i, i + perTransaction);
    await store.transaction(async (trx) => {
      if (options.skipOverlapping && store.dialect === 'postgres') {
        // In a fixed order, so two transactions locking several schedules never wait on each other.
        for (const scheduleId of [...new Set(batch.map((s) => s.scheduleId))].sort())
          await trx.executeQuery(
            CompiledQuery.raw('select pg_advisory_xact_lock(hashtext($1), hashtext($2))', [tenantId, scheduleId]),
          );
      }
      for (let j = 0; j < batch.length; j += perStatement) {
        const result = await trx.executeQuery(
          insertSlots(store.dialect, tenantId, batch.slice(j, j + perStatement), now, options.skipOverlapping),
        );
        added += Number(result.numAffectedRows ?? 0n);
      }
      await store.announceSlotChange(trx, tenantId);
    });
    options.onProgress?.(i + batch.length);
  }
  store.slotChanges.bump(tenantId);
  if (added >= 5000 && options.refreshStatistics !== false) await store.refreshStatistics();
  return added;
}
