/**
 * Release rules: the provider decides which consumer sees which slot (fs_slotmanagement), modelled on
 * GP Connect's slot availability management ("organisation access profiles"). Per schedule:
 *   bookable            false: no external consumer sees or books its slots
 *   organisations       ODS codes it is released to (empty: no restriction by organisation)
 *   organisationTypes   organisation types it is released to (empty: no restriction by type)
 *   capPerDay           at most N booked slots a day on this schedule through the API
 *   capPerSession       at most N booked slots in each rota session (src/diary/sessions.ts)
 *   bookingWindowDays   slots no further ahead than this
 *   embargoMinutes      slots no sooner than this before their start
 * A schedule without a rule is released to everyone. The matching table is in docs/capacity.md; the
 * provider applies it (src/diary/release.ts) to slot search and booking alike.
 */
import type { Kysely } from 'kysely';
import { badRequest, unprocessable } from '../fhir/outcome.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { ReleaseRule } from '../diary/release.js';

export type { ReleaseRule };

export const ORGANISATION_TYPES = [
  'urgent-care',
  'nhs-111',
  'gp-practice',
  'out-of-hours',
  'emergency-department',
  'pharmacy',
  'other',
] as const;

const ODS = /^[A-Z0-9]{1,12}$/;

function fail(field: string, message: string): never {
  throw badRequest(`release rule ${field}: ${message}`, 'INVALID_PARAMETER', [field]);
}

const whole = (v: unknown, min: number, max: number) =>
  v === undefined || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max);

export async function checkReleaseRule(
  db: Kysely<Database>,
  tenantId: string,
  scheduleId: string,
  input: unknown,
): Promise<ReleaseRule> {
  if (!input || typeof input !== 'object' || Array.isArray(input)) fail('body', 'must be a JSON object');
  const r = input as Record<string, any>;
  if (r.bookable !== undefined && typeof r.bookable !== 'boolean') fail('bookable', 'must be true or false');
  const organisations = (r.organisations ?? []).map((o: unknown) =>
    typeof o === 'string' ? o.trim().toUpperCase() : o,
  );
  if (!Array.isArray(organisations) || !organisations.every((o: unknown) => typeof o === 'string' && ODS.test(o)))
    fail('organisations', 'must be a list of ODS codes');
  const types = r.organisationTypes ?? [];
  if (!Array.isArray(types) || !types.every((t: unknown) => ORGANISATION_TYPES.includes(t as never)))
    fail('organisationTypes', `must be a list of ${ORGANISATION_TYPES.join(', ')}`);
  if (!whole(r.capPerDay, 0, 10_000)) fail('capPerDay', 'must be a whole number from 0');
  if (!whole(r.capPerSession, 0, 10_000)) fail('capPerSession', 'must be a whole number from 0');
  if (!whole(r.bookingWindowDays, 0, 366)) fail('bookingWindowDays', 'must be a whole number of days from 0 to 366');
  if (!whole(r.embargoMinutes, 0, 10_080)) fail('embargoMinutes', 'must be a whole number of minutes from 0 to 10,080');
  const schedule = await db
    .selectFrom('schedule')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', scheduleId)
    .executeTakeFirst();
  if (!schedule) throw unprocessable(`no schedule ${scheduleId} in ${tenantId}`, 'REFERENCE_NOT_FOUND', ['scheduleId']);
  return {
    scheduleId,
    bookable: r.bookable ?? true,
    organisations: [...new Set<string>(organisations)],
    organisationTypes: [...new Set<string>(types)],
    ...(r.capPerDay !== undefined ? { capPerDay: r.capPerDay } : {}),
    ...(r.capPerSession !== undefined ? { capPerSession: r.capPerSession } : {}),
    ...(r.bookingWindowDays !== undefined ? { bookingWindowDays: r.bookingWindowDays } : {}),
    ...(r.embargoMinutes !== undefined ? { embargoMinutes: r.embargoMinutes } : {}),
  };
}

/** Sets (or with `rule` undefined, removes) a schedule's rule; slot searches see it at once. */
export async function putReleaseRule(
  store: Store,
  tenantId: string,
  scheduleId: string,
  rule: ReleaseRule | undefined,
): Promise<ReleaseRule | undefined> {
  const before = await getReleaseRule(store.db, tenantId, scheduleId);
  await store.transaction(async (trx) => {
    if (rule) {
      const row = {
        tenant_id: tenantId,
        schedule_id: scheduleId,
        content: JSON.stringify(rule),
        updated_at: new Date().toISOString(),
      };
      await trx
        .insertInto('release_rule')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'schedule_id']).doUpdateSet({ content: row.content, updated_at: row.updated_at }),
        )
        .execute();
    } else {
      await trx
        .deleteFrom('release_rule')
        .where('tenant_id', '=', tenantId)
        .where('schedule_id', '=', scheduleId)
        .execute();
    }
    await store.announceSlotChange(trx, tenantId);
  });
  store.slotChanges.bump(tenantId);
  return before;
}

export async function getReleaseRule(
  db: Kysely<Database>,
  tenantId: string,
  scheduleId: string,
): Promise<ReleaseRule | undefined> {
  const row = await db
    .selectFrom('release_rule')
    .select('content')
    .where('tenant_id', '=', tenantId)
    .where('schedule_id', '=', scheduleId)
    .executeTakeFirst();
  return row && (JSON.parse(row.content) as ReleaseRule);
}

/** Gives a consumer organisation its type for this tenant's release rules (undefined removes it). */
export async function setOrganisationType(
  store: Store,
  tenantId: string,
  odsCode: string,
  type: string | undefined,
): Promise<void> {
  const ods = odsCode.trim().toUpperCase();
  if (!ODS.test(ods)) throw badRequest(`${odsCode} is not an ODS code`, 'INVALID_PARAMETER');
  if (type !== undefined && !ORGANISATION_TYPES.includes(type as never))
    throw badRequest(`type must be one of ${ORGANISATION_TYPES.join(', ')}`, 'INVALID_PARAMETER');
  await store.transaction(async (trx) => {
    await trx
      .deleteFrom('consumer_organisation_type')
      .where('tenant_id', '=', tenantId)
      .where('ods_code', '=', ods)
      .execute();
    if (type)
      await trx.insertInto('consumer_organisation_type').values({ tenant_id: tenantId, ods_code: ods, type }).execute();
    await store.announceSlotChange(trx, tenantId);
  });
  store.slotChanges.bump(tenantId);
}
