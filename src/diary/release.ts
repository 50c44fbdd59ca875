/**
 * Which slots a consumer organisation may see and book: the tenant's release rules (written by
 * src/capacity/release.ts, matching table in docs/capacity.md) applied to slots. Slot search and the
 * admin preview leave out what a consumer may not see, and a booking of such a slot is answered as if
 * it were taken, so nothing withheld is revealed.
 */
import type { Kysely } from 'kysely';
import { LOCAL_TIME_ZONE, wallClockToUtc } from '../fhir/time.js';
import type { Database } from '../store/schema.js';
import { sessionOf, type RotaSitting, type Session } from './sessions.js';

/** A schedule's release rule, as `release_rule.content` holds it (fields explained in src/capacity/release.ts). */
export interface ReleaseRule {
  scheduleId: string;
  bookable: boolean;
  organisations: string[];
  organisationTypes: string[];
  capPerDay?: number;
  capPerSession?: number;
  bookingWindowDays?: number;
  embargoMinutes?: number;
}

export interface Verdict {
  visible: boolean;
  /** Why a slot is withheld (for the admin preview). */
  reason?: string;
}

const localDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: LOCAL_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** A cap a booking must respect inside its transaction: at most `limit` booked slots on the slot's schedule in [from, to). */
export interface Cap {
  limit: number;
  from: string;
  to: string;
}

export class ReleaseView {
  private constructor(
    private readonly rules: Map<string, ReleaseRule>,
    private readonly consumerType: string | undefined,
    /** Booked slots per schedule and UK day, and per schedule and session start. */
    private readonly counts: Map<string, number>,
    /** The rotas of schedules with a per-session cap. */
    private readonly rotas: Map<string, RotaSitting[]>,
  ) {}

  get restricted(): boolean {
    return this.rules.size > 0;
  }

  /** The tenant's rules as they apply to one consumer organisation, with the booked counts capped schedules need. */
  static async load(db: Kysely<Database>, tenantId: string, ods: string): Promise<ReleaseView> {
    const rows = await db.selectFrom('release_rule').select('content').where('tenant_id', '=', tenantId).execute();
    const rules = new Map(rows.map((r) => JSON.parse(r.content) as ReleaseRule).map((r) => [r.scheduleId, r]));
    if (rules.size === 0) return new ReleaseView(rules, undefined, new Map(), new Map());
    const type = await db
      .selectFrom('consumer_organisation_type')
      .select('type')
      .where('tenant_id', '=', tenantId)
      .where('ods_code', '=', ods.toUpperCase())
      .executeTakeFirst();
    const capped = [...rules.values()]
      .filter((r) => r.capPerDay !== undefined || r.capPerSession !== undefined)
      .map((r) => r.scheduleId);
    const bySession = [...rules.values()].filter((r) => r.capPerSession !== undefined).map((r) => r.scheduleId);
    const rotas = new Map<string, RotaSitting[]>();
    if (bySession.length) {
      const rotaRows = await db
        .selectFrom('rota')
        .select(['schedule_id', 'content'])
        .where('tenant_id', '=', tenantId)
        .where('schedule_id', 'in', bySession)
        .orderBy('id')
        .execute();
      for (const r of rotaRows)
        rotas.set(r.schedule_id, [...(rotas.get(r.schedule_id) ?? []), JSON.parse(r.content) as RotaSitting]);
    }
    const view = new ReleaseView(rules, type?.type, new Map(), rotas);
    if (capped.length) {
      const booked = await db
        .selectFrom('slot')
        .select(['schedule_id', 'start'])
        .where('tenant_id', '=', tenantId)
        .where('schedule_id', 'in', capped)
        .where('appointment_id', 'is not', null)
        .where('start', '>=', new Date(Date.now() - 86_400_000).toISOString())
        .execute();
      for (const b of booked) for (const key of view.capKeys(b)) view.counts.set(key, (view.counts.get(key) ?? 0) + 1);
    }
    return view;
  }

  private dayKey(slot: { schedule_id: string; start: string }): string {
    return `${slot.schedule_id}\u0000day\u0000${localDate.format(new Date(slot.start))}`;
  }

  private session(slot: { schedule_id: string; start: string }): Session | undefined {
    const rotas = this.rotas.get(slot.schedule_id);
    return rotas && sessionOf(rotas, slot.start);
  }

  private capKeys(slot: { schedule_id: string; start: string }): string[] {
    const session = this.session(slot);
    return [this.dayKey(slot), ...(session ? [`${slot.schedule_id}\u0000session\u0000${session.from}`] : [])];
  }

  /** The caps a booking of this slot must respect inside its transaction (its UK day, its session), if any. */
  capsFor(slot: { schedule_id: string; start: string }): Cap[] {
    const rule = this.rules.get(slot.schedule_id);
    const caps: Cap[] = [];
    if (rule?.capPerDay !== undefined) {
      const midnight = Date.parse(`${localDate.format(new Date(slot.start))}T00:00:00Z`);
      caps.push({
        limit: rule.capPerDay,
        from: new Date(wallClockToUtc(midnight)).toISOString(),
        to: new Date(wallClockToUtc(midnight + 86_400_000)).toISOString(),
      });
    }
    const session = rule?.capPerSession !== undefined ? this.session(slot) : undefined;
    if (session) caps.push({ limit: rule!.capPerSession!, from: session.from, to: session.to });
    return caps;
  }

  decide(slot: { schedule_id: string; start: string }, ods: string, now: number): Verdict {
    const rule = this.rules.get(slot.schedule_id);
    if (!rule) return { visible: true };
    if (!rule.bookable) return { visible: false, reason: 'the schedule is not bookable by external consumers' };
    if (rule.organisationTypes.length && !(this.consumerType && rule.organisationTypes.includes(this.consumerType))) {
      const type = this.consumerType ? `of type ${this.consumerType}` : 'of no type here';
      return {
        visible: false,
        reason: `released only to organisation types ${rule.organisationTypes.join(', ')}; ${ods} is ${type}`,
      };
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
    if (rule.capPerDay !== undefined && (this.counts.get(this.dayKey(slot)) ?? 0) >= rule.capPerDay) {
      return { visible: false, reason: `the day's cap of ${rule.capPerDay} bookings on this schedule is reached` };
    }
    if (rule.capPerSession !== undefined) {
      const session = this.session(slot);
      if (
        session &&
        (this.counts.get(`${slot.schedule_id}\u0000session\u0000${session.from}`) ?? 0) >= rule.capPerSession
      ) {
        return {
          visible: false,
          reason: `the session's cap of ${rule.capPerSession} bookings is reached (${session.label})`,
        };
      }
    }
    return { visible: true };
  }
}
