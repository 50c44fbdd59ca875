/**
 * A provider's own directory through the admin API: healthcare services (with their directory
 * service IDs), locations, practitioners, roles, organisations and schedules, and the many-to-many
 * mapping of services to schedules (fs_slotmanagement: one schedule may serve several services, one
 * service several schedules). Every reference a resource makes must already exist in the tenant.
 */
import type { Kysely } from 'kysely';
import { badRequest, notFound, unprocessable, unprocessableIssues } from '../fhir/outcome.js';
import { checkStructure } from '../fhir/structure.js';
import { REFERENCE_TABLES, type ReferenceType } from '../diary/representation.js';
import type { Database } from '../store/schema.js';
import { mapServiceToSchedule, putReference, type ReferenceResource } from './catalogue.js';
import { checkInput } from './input.js';
import { ResourceParams } from './schemas.js';

/** The resource type a URL segment names; own keys only, so `__proto__` or `toString` is a 404 like any unknown type. */
export function referenceType(type: string): ReferenceType {
  if (!Object.hasOwn(REFERENCE_TABLES, type))
    throw notFound(`The admin API keeps ${Object.keys(REFERENCE_TABLES).join(', ')}; not ${type}`);
  return type as ReferenceType;
}

async function exists(db: Kysely<Database>, tenantId: string, type: ReferenceType, id: string): Promise<boolean> {
  const row = await db
    .selectFrom(REFERENCE_TABLES[type] as 'location')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Boolean(row);
}

/** The references a resource makes, as [type, id, where] (only the ones we store and serve). */
function referencesOf(resource: Record<string, unknown>): [ReferenceType, string, string][] {
  const out: [ReferenceType, string, string][] = [];
  const add = (ref: unknown, where: string) => {
    const reference = (ref as { reference?: unknown } | null | undefined)?.reference;
    const m =
      typeof reference === 'string'
        ? /^(HealthcareService|Location|Practitioner|PractitionerRole|Organization|Schedule)\/([^/]+)$/.exec(reference)
        : null;
    if (m) out.push([m[1] as ReferenceType, m[2]!, where]);
  };
  const each = (refs: unknown, where: string) =>
    ([] as unknown[]).concat(refs ?? []).forEach((ref, i) => add(ref, `${where}[${i}]`));
  switch (resource.resourceType) {
    case 'HealthcareService':
      add(resource.providedBy, 'HealthcareService.providedBy');
      each(resource.location, 'HealthcareService.location');
      break;
    case 'PractitionerRole':
      add(resource.practitioner, 'PractitionerRole.practitioner');
      add(resource.organization, 'PractitionerRole.organization');
      break;
    case 'Schedule':
      each(resource.actor, 'Schedule.actor');
      break;
  }
  return out;
}

/** Checks and stores a resource; returns its version. */
export async function putResource(
  db: Kysely<Database>,
  tenantId: string,
  type: ReferenceType,
  id: string,
  body: unknown,
): Promise<{ version: number; before?: unknown }> {
  checkInput(ResourceParams.properties.id, id, 'id');
  const { resource, issues } = checkStructure(body, type);
  if (!resource) throw badRequest(`The body must be a ${type} resource`, 'INVALID_RESOURCE');
  if (issues.length)
    throw unprocessableIssues(issues.map((i) => ({ diagnostics: `${i.path}: ${i.message}`, expression: [i.path] })));
  if (resource.id !== undefined && resource.id !== id)
    throw badRequest(`The body's id ${JSON.stringify(resource.id)} differs from the URL's ${id}`, 'INVALID_PARAMETER');
  const missing: { diagnostics: string; expression: string[] }[] = [];
  for (const [refType, refId, where] of referencesOf(resource)) {
    if (!(await exists(db, tenantId, refType, refId)))
      missing.push({
        diagnostics: `${where} names ${refType}/${refId}, which ${tenantId} does not have`,
        expression: [where],
      });
  }
  if (missing.length) throw unprocessableIssues(missing);
  if (type === 'Schedule' && !referencesOf(resource).some(([t]) => t === 'HealthcareService')) {
    throw unprocessable(
      'Schedule.actor must name one of this provider’s HealthcareServices (P13)',
      'INVALID_RESOURCE',
      ['Schedule.actor'],
    );
  }
  const table = REFERENCE_TABLES[type] as 'location';
  const before = await db
    .selectFrom(table)
    .select('content')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  const version = await putReference(db, tenantId, { ...resource, id } as unknown as ReferenceResource);
  return { version, before: before && JSON.parse(before.content) };
}

export async function mapService(
  db: Kysely<Database>,
  tenantId: string,
  serviceId: string,
  scheduleId: string,
  mapped: boolean,
): Promise<void> {
  if (!(await exists(db, tenantId, 'HealthcareService', serviceId)))
    throw notFound(`No HealthcareService ${serviceId} in ${tenantId}`);
  const schedule = await db
    .selectFrom('schedule')
    .select('healthcare_service_id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', scheduleId)
    .executeTakeFirst();
  if (!schedule) throw notFound(`No Schedule ${scheduleId} in ${tenantId}`);
  if (mapped) return mapServiceToSchedule(db, tenantId, serviceId, scheduleId);
  if (schedule.healthcare_service_id === serviceId) {
    throw unprocessable(
      `Schedule ${scheduleId} names HealthcareService ${serviceId} as its actor; change the schedule to move it`,
      'INVALID_RESOURCE',
    );
  }
  await db
    .deleteFrom('service_schedule')
    .where('tenant_id', '=', tenantId)
    .where('healthcare_service_id', '=', serviceId)
    .where('schedule_id', '=', scheduleId)
    .execute();
}

/** Each schedule with the services it serves: its own (the actor) and those mapped to it. */
export async function listMappings(
  db: Kysely<Database>,
  tenantId: string,
): Promise<{ scheduleId: string; ownService: string; services: string[] }[]> {
  const schedules = await db
    .selectFrom('schedule')
    .select(['id', 'healthcare_service_id'])
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
  const mapped = await db
    .selectFrom('service_schedule')
    .select(['healthcare_service_id', 'schedule_id'])
    .where('tenant_id', '=', tenantId)
    .orderBy('healthcare_service_id')
    .execute();
  return schedules.map((s) => ({
    scheduleId: s.id,
    ownService: s.healthcare_service_id,
    services: [
      ...new Set([
        s.healthcare_service_id,
        ...mapped.filter((m) => m.schedule_id === s.id).map((m) => m.healthcare_service_id),
      ]),
    ],
  }));
}
