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
import { unprocessable } from '../fhir/outcome.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { ReleaseRule as StoredReleaseRule } from '../diary/release.js';
import { checkInput } from './input.js';
import { OrganisationParams, OrganisationTypeBody, ReleaseRuleInput, type ReleaseRule } from './schemas.js';

export { ORGANISATION_TYPES, type ReleaseRule } from './schemas.js';

// The rule this API declares is the rule the diary stores and evaluates: if one changes without the
// other, this line stops compiling.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const RELEASE_RULE_IS_STORED_RULE: Same<ReleaseRule, StoredReleaseRule> = true;

/** Checks a rule from outside against its schema (./schemas.ts); the schedule must exist in the tenant. */
export async function checkReleaseRule(
  db: Kysely<Database>,
  tenantId: string,
  scheduleId: string,
  input: unknown,
): Promise<ReleaseRule> {
  const r = checkInput(ReleaseRuleInput, input);
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
    organisations: [...new Set((r.organisations ?? []).map((o) => o.trim().toUpperCase()))],
    organisationTypes: [...new Set(r.organisationTypes ?? [])],
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
  checkInput(OrganisationParams.properties.ods, odsCode, 'ods');
  checkInput(OrganisationTypeBody, { type: type ?? null });
  const ods = odsCode.trim().toUpperCase();
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
