/**
 * Which slots a consumer organisation may see and book: the tenant's release rules (written by
 * src/capacity/release.ts, matching table in docs/capacity.md) applied to slots. Slot search leaves
 * out what a consumer may not see, and a booking of such a slot is answered as if it were taken, so
 * nothing withheld is revealed.
 */
import type { Kysely } from 'kysely';
import type { ReleaseRule } from '../../capacity/release.js';
import { LOCAL_TIME_ZONE, wallClockToUtc } from '../../fhir/time.js';
import type { Database } from '../../store/schema.js';

export interface Verdict {
  visible: boolean;
  /** Why a slot is withheld (for the admin preview). */
  reason?: string;
}

const localDate = new Intl.DateTimeFormat('en-CA', { timeZone: LOCAL_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

export class ReleaseView {
  private constructor(
    private readonly rules: Map<string, ReleaseRule>,
    private readonly consumerType: string | undefined,
    private readonly counts: Map<string, number>,
  ) {}

  get restricted(): boolean {
    return this.rules.size > 0;
  }

  /** The tenant's rules as they apply to one consumer organisation, with the booked counts capped schedules need. */
  static async load(db: Kysely<Database>, tenantId: string, ods: string): Promise<ReleaseView> {
    const rows = await db.selectFrom('release_rule').select('content').where('tenant_id', '=', tenantId).execute();
    const rules = new Map(rows.map((r) => JSON.parse(r.content) as ReleaseRule).map((r) => [r.scheduleId, r]));
    if (rules.size === 0) return new ReleaseView(rules, undefined, new Map());
    const type = await db.selectFrom('consumer_organisation_type').select('type').where('tenant_id', '=', tenantId).where('ods_code', '=', ods.toUpperCase()).executeTakeFirst();
    const capped = [...rules.values()].filter((r) => r.capPerDay !== undefined).map((r) => r.scheduleId);
    const counts = new Map<string, number>();
    if (capped.length) {
      const booked = await db
        .selectFrom('slot')
        .select(['schedule_id', 'start'])
        .where('tenant_id', '=', tenantId)
        .where('schedule_id', 'in', capped)
        .where('appointment_id', 'is not', null)
        .where('start', '>=', new Date(Date.now() - 86_400_000).toISOString())
        .execute();
      for (const b of booked) {
        const key = `${b.schedule_id}\u0000${localDate.format(new Date(b.start))}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    return new ReleaseView(rules, type?.type, counts);
  }

  /** The cap a booking of this slot must respect inside its transaction (the slot's UK day), if any. */
  capFor(slot: { schedule_id: string; start: string }): { limit: number; from: string; to: string } | undefined {
    const rule = this.rules.get(slot.schedule_id);
    if (rule?.capPerDay === undefined) return undefined;
    const midnight = Date.parse(`${localDate.format(new Date(slot.start))}T00:00:00Z`);
    return { limit: rule.capPerDay, from: new Date(wallClockToUtc(midnight)).toISOString(), to: new Date(wallClockToUtc(midnight + 86_400_000)).toISOString() };
  }

  decide(slot: { schedule_id: string; start: string }, ods: string, now: number): Verdict {
    const rule = this.rules.get(slot.schedule_id);
    if (!rule) return { visible: true };
    if (!rule.bookable) return { visible: false, reason: 'the schedule is not bookable by external consumers' };
    if (rule.organisationTypes.length && !(this.consumerType && rule.organisationTypes.includes(this.consumerType))) {
      return { visible: false, reason: `released only to organisation types ${rule.organisationTypes.join(', ')}; ${ods} is ${this.consumerType ? `of type ${this.consumerType}` : 'of no type here'}` };
    }
    if (rule.organisations.length && !rule.organisations.includes(ods.toUpperCase())) {
      return { visible: false, reason: `released only to ${rule.organisations.join(', ')}` };
    }
    const start = Date.parse(slot.start);
    if (rule.bookingWindowDays !== undefined && start > now + rule.bookingWindowDays * 86_400_000) {
      return { visible: false, reason: `beyond the booking window of ${rule.bookingWindowDays} days` };
    }
    if (rule.embargoMinutes !== undefined && start < now + rule.embargoMinutes * 60_000) {
      return { visible: false, reason: `within the embargo of ${rule.embargoMinutes} minutes before the start` };
    }
    if (rule.capPerDay !== undefined && (this.counts.get(`${slot.schedule_id}\u0000${localDate.format(new Date(start))}`) ?? 0) >= rule.capPerDay) {
      return { visible: false, reason: `the day's cap of ${rule.capPerDay} bookings on this schedule is reached` };
    }
    return { visible: true };
  }
}
