/** The slot queries of a search: which schedules serve a service, which slots match, what they include. */
import type { Kysely } from 'kysely';
import type { Resource } from 'fhir/r3.js';
import type { Database, SlotRow } from '../../store/schema.js';
import { textBoundsOf, type DateCondition } from '../../fhir/search.js';
import { readReferences } from '../resources/repository.js';
import type { IncludeTarget } from './params.js';

/** P10: the active schedules mapped to the given directory service IDs, and the IDs we do not know. */
export async function schedulesServing(db: Kysely<Database>, tenantId: string, services: string[]) {
  const known = await db
    .selectFrom('healthcare_service')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', services)
    .where('active', '=', 1)
    .execute();
  const rows = await db
    .selectFrom('service_schedule')
    .innerJoin('schedule', (join) =>
      join
        .onRef('schedule.tenant_id', '=', 'service_schedule.tenant_id')
        .onRef('schedule.id', '=', 'service_schedule.schedule_id'),
    )
    .select('service_schedule.schedule_id')
    .where('service_schedule.tenant_id', '=', tenantId)
    .where('service_schedule.healthcare_service_id', 'in', services)
    .where('schedule.active', '=', 1)
    .execute();
  const knownIds = new Set(known.map((r) => r.id));
  return {
    scheduleIds: [...new Set(rows.map((r) => r.schedule_id))],
    unknownServices: services.filter((s) => !knownIds.has(s)),
  };
}

export interface SlotQuery {
  /** undefined: every active schedule of the tenant. */
  scheduleIds?: string[];
  statuses?: string[];
  start: DateCondition[];
  /** Slots starting before this are never returned: they cannot be booked any more. */
  notBefore: number;
  limit: number;
}

export async function findSlots(db: Kysely<Database>, tenantId: string, q: SlotQuery): Promise<SlotRow[]> {
  if (q.scheduleIds?.length === 0 || q.statuses?.length === 0 || q.limit <= 0) return [];
  const bounds = textBoundsOf(q.start, q.notBefore);
  if (bounds.empty) return [];
  let query = db.selectFrom('slot').selectAll().where('tenant_id', '=', tenantId);
  query = q.scheduleIds
    ? query.where('schedule_id', 'in', q.scheduleIds)
    : query.where('schedule_id', 'in', (eb) =>
        eb.selectFrom('schedule').select('id').where('tenant_id', '=', tenantId).where('active', '=', 1),
      );
  if (bounds.from !== undefined) query = query.where('start', '>=', bounds.from);
  if (bounds.to !== undefined) query = query.where('start', '<', bounds.to);
  for (const { before, notBefore } of bounds.excluded) {
    query = query.where((eb) =>
      eb.or([
        ...(before !== undefined ? [eb('start', '<', before)] : []),
        ...(notBefore !== undefined ? [eb('start', '>=', notBefore)] : []),
      ]),
    );
  }
  if (q.statuses) query = query.where('status', 'in', q.statuses);
  return query.orderBy('start').orderBy('id').limit(q.limit).execute();
}

/**
 * P11–P13, P19: the resources the search asked to include, each once. Includes are followed from
 * the slots through their schedules whether or not the Schedule itself was asked for (docs/decisions.md:
 * resolved iteratively with or without `:iterate`); only the asked-for types are returned.
 */
export async function resolveIncludes(
  db: Kysely<Database>,
  tenantId: string,
  slots: SlotRow[],
  include: Set<IncludeTarget>,
): Promise<Resource[]> {
  if (include.size === 0 || slots.length === 0) return [];
  const scheduleIds = [...new Set(slots.map((s) => s.schedule_id))];
  const schedules = await db
    .selectFrom('schedule')
    .select([
      'id',
      'version_id',
      'last_updated',
      'content',
      'healthcare_service_id',
      'practitioner_id',
      'practitioner_role_id',
    ])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', scheduleIds)
    .orderBy('id')
    .execute();
  const unique = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => !!x))];
  const serviceIds = unique(schedules.map((s) => s.healthcare_service_id));
  const needServices = include.has('HealthcareService') || include.has('Location') || include.has('Organization');
  const services = needServices
    ? await db
        .selectFrom('healthcare_service')
        .select(['id', 'location_id', 'organization_id'])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', serviceIds)
        .execute()
    : [];

  const out: Resource[] = [];
  if (include.has('Schedule')) out.push(...(await readReferences(db, 'Schedule', tenantId, scheduleIds)));
  if (include.has('HealthcareService'))
    out.push(...(await readReferences(db, 'HealthcareService', tenantId, serviceIds)));
  if (include.has('Practitioner')) {
    out.push(...(await readReferences(db, 'Practitioner', tenantId, unique(schedules.map((s) => s.practitioner_id)))));
  }
  if (include.has('PractitionerRole')) {
    out.push(
      ...(await readReferences(db, 'PractitionerRole', tenantId, unique(schedules.map((s) => s.practitioner_role_id)))),
    );
  }
  if (include.has('Location')) {
    out.push(...(await readReferences(db, 'Location', tenantId, unique(services.map((s) => s.location_id)))));
  }
  if (include.has('Organization')) {
    out.push(...(await readReferences(db, 'Organization', tenantId, unique(services.map((s) => s.organization_id)))));
  }
  return out;
}
