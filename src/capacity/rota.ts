/**
 * Rotas: recurring sessions in a service's local time that make a schedule's slots for a rolling
 * horizon. Generating is idempotent (a slot's id says which rota, day and time made it), and it
 * changes only future free slots: a booked (or blocked) slot is never moved or removed; what was
 * kept that the rota no longer makes is reported.
 */
import type { Kysely } from 'kysely';
import { badRequest, unprocessable } from '../fhir/outcome.js';
import { LOCAL_TIME_ZONE, wallClockToUtc } from '../fhir/time.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { addSlots, type NewSlot } from './catalogue.js';
import { stableUuid } from './demo.js';

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const CHANNELS = ['In-person', 'Telephone', 'Video'] as const;

export interface Rota {
  id: string;
  scheduleId: string;
  days: Weekday[];
  /** Local wall-clock times, HH:MM. */
  start: string;
  end: string;
  slotMinutes: number;
  deliveryChannel: (typeof CHANNELS)[number] | null;
  /** Local dates, YYYY-MM-DD; `effectiveTo` inclusive. */
  effectiveFrom: string;
  effectiveTo?: string;
  /** Dates with no sessions (bank holidays, closures). */
  exceptions: string[];
  timeZone: string;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function fail(field: string, message: string): never {
  throw badRequest(`rota ${field}: ${message}`, 'INVALID_PARAMETER', [field]);
}

/** Checks a rota from outside; the schedule must exist in the tenant; sessions of one schedule must not overlap. */
export async function checkRota(db: Kysely<Database>, tenantId: string, input: unknown): Promise<Rota> {
  if (!input || typeof input !== 'object' || Array.isArray(input)) fail('body', 'must be a JSON object');
  const r = input as Record<string, any>;
  if (typeof r.id !== 'string' || !/^[a-z0-9][a-z0-9-]{0,39}$/.test(r.id)) fail('id', 'must be 1–40 lower-case letters, digits or - (no dots)');
  if (typeof r.scheduleId !== 'string' || !r.scheduleId) fail('scheduleId', 'is required');
  if (!Array.isArray(r.days) || r.days.length === 0 || !r.days.every((d: unknown) => WEEKDAYS.includes(d as Weekday))) fail('days', `must list days from ${WEEKDAYS.join(', ')}`);
  if (!HHMM.test(String(r.start)) || !HHMM.test(String(r.end))) fail('start/end', 'must be HH:MM (local time)');
  if (minutes(r.end) <= minutes(r.start)) fail('end', `${r.end} is not after the start ${r.start}`);
  if (!Number.isInteger(r.slotMinutes) || r.slotMinutes < 5 || r.slotMinutes > 480) fail('slotMinutes', 'must be a whole number of minutes from 5 to 480');
  if (r.slotMinutes > minutes(r.end) - minutes(r.start)) fail('slotMinutes', 'is longer than the session');
  const channel = r.deliveryChannel ?? null;
  if (channel !== null && !CHANNELS.includes(channel)) fail('deliveryChannel', `must be one of ${CHANNELS.join(', ')} (or null when not known)`);
  if (typeof r.effectiveFrom !== 'string' || !DATE.test(r.effectiveFrom) || Number.isNaN(Date.parse(r.effectiveFrom))) fail('effectiveFrom', 'must be a date, YYYY-MM-DD');
  if (r.effectiveTo !== undefined && (typeof r.effectiveTo !== 'string' || !DATE.test(r.effectiveTo) || r.effectiveTo < r.effectiveFrom)) fail('effectiveTo', 'must be a date on or after effectiveFrom');
  const exceptions = r.exceptions ?? [];
  if (!Array.isArray(exceptions) || !exceptions.every((d: unknown) => typeof d === 'string' && DATE.test(d))) fail('exceptions', 'must be a list of dates, YYYY-MM-DD');
  const timeZone = r.timeZone ?? LOCAL_TIME_ZONE;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
  } catch {
    fail('timeZone', `${String(timeZone)} is not a time zone`);
  }
  const schedule = await db.selectFrom('schedule').select('id').where('tenant_id', '=', tenantId).where('id', '=', r.scheduleId).executeTakeFirst();
  if (!schedule) throw unprocessable(`rota scheduleId: no schedule ${r.scheduleId} in ${tenantId}`, 'REFERENCE_NOT_FOUND', ['scheduleId']);
  const rota: Rota = { id: r.id, scheduleId: r.scheduleId, days: [...new Set<Weekday>(r.days)], start: r.start, end: r.end, slotMinutes: r.slotMinutes, deliveryChannel: channel, effectiveFrom: r.effectiveFrom, ...(r.effectiveTo ? { effectiveTo: r.effectiveTo } : {}), exceptions, timeZone };
  // Overlapping sessions on the same schedule would make two slots at one time.
  const others = await db.selectFrom('rota').select(['id', 'content']).where('tenant_id', '=', tenantId).where('schedule_id', '=', rota.scheduleId).where('id', '!=', rota.id).execute();
  for (const o of others) {
    const other = JSON.parse(o.content) as Rota;
    const sharedDay = other.days.some((d) => rota.days.includes(d));
    const datesMeet = (other.effectiveTo ?? '9999-12-31') >= rota.effectiveFrom && (rota.effectiveTo ?? '9999-12-31') >= other.effectiveFrom;
    const timesMeet = minutes(other.start) < minutes(rota.end) && minutes(rota.start) < minutes(other.end);
    if (sharedDay && datesMeet && timesMeet) throw unprocessable(`rota ${rota.id} overlaps rota ${o.id} (${other.days.join(', ')} ${other.start}–${other.end}) on schedule ${rota.scheduleId}`, 'INVALID_RESOURCE', ['start', 'end']);
  }
  return rota;
}

/** The local date (YYYY-MM-DD) and weekday of an instant in a time zone. */
function localDay(ms: number, timeZone: string): { date: string; utcMidnight: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  const date = `${get('year')}-${get('month')}-${get('day')}`;
  return { date, utcMidnight: Date.parse(`${date}T00:00:00Z`) };
}

function localWallClock(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(ms));
}

/**
 * The slots a rota makes on the local days from `from` for `days` days. A wall-clock time that does
 * not exist on a clock-change day (01:00–02:00 on the last Sunday of March in London) makes no slot;
 * a time that happens twice (last Sunday of October) makes one.
 */
export function rotaSlots(tenantId: string, rota: Rota, from: number, days: number): NewSlot[] {
  const first = localDay(from, rota.timeZone).utcMidnight;
  const out: NewSlot[] = [];
  for (let i = 0; i < days; i++) {
    const midnight = first + i * 86_400_000;
    const date = new Date(midnight).toISOString().slice(0, 10);
    const weekday = WEEKDAYS[(new Date(midnight).getUTCDay() + 6) % 7]!;
    if (!rota.days.includes(weekday) || date < rota.effectiveFrom || (rota.effectiveTo && date > rota.effectiveTo) || rota.exceptions.includes(date)) continue;
    for (let m = minutes(rota.start); m + rota.slotMinutes <= minutes(rota.end); m += rota.slotMinutes) {
      const hhmm = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      const start = wallClockToUtc(midnight + m * 60_000, rota.timeZone);
      if (localWallClock(start, rota.timeZone) !== hhmm) continue; // this local time does not exist today
      const id = `rota.${rota.id}.${date.replaceAll('-', '')}.${hhmm.replace(':', '')}`;
      out.push({
        id,
        identifier: stableUuid(`${tenantId}/${id}`),
        scheduleId: rota.scheduleId,
        start: new Date(start).toISOString(),
        end: new Date(start + rota.slotMinutes * 60_000).toISOString(),
        status: 'free',
        deliveryChannel: rota.deliveryChannel,
      });
    }
  }
  return out;
}

export interface GenerationReport {
  rota: string;
  added: number;
  removed: number;
  /** Slots the rota no longer makes but that are booked or blocked, so they stay. */
  kept: { id: string; start: string; status: string }[];
}

/**
 * Makes the rota's slots from now for `horizonDays`, removing its future free slots that it no
 * longer makes (a conditional delete: a slot booked meanwhile is never touched).
 */
export async function generateRotaSlots(store: Store, tenantId: string, rota: Rota, horizonDays = 28, now = Date.now()): Promise<GenerationReport> {
  const wanted = rotaSlots(tenantId, rota, now, horizonDays).filter((s) => Date.parse(s.start) > now);
  const wantedIds = new Set(wanted.map((s) => s.id));
  const nowText = new Date(now).toISOString();
  const existing = await store.db
    .selectFrom('slot')
    .select(['id', 'start', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'like', `rota.${rota.id}.%`)
    .where('start', '>', nowText)
    .execute();
  const stale = existing.filter((s) => !wantedIds.has(s.id));
  let removed = 0;
  if (stale.length) {
    await store.transaction(async (trx) => {
      for (let i = 0; i < stale.length; i += 500) {
        const ids = stale.slice(i, i + 500).map((s) => s.id);
        const result = await trx.deleteFrom('slot').where('tenant_id', '=', tenantId).where('id', 'in', ids).where('status', '=', 'free').where('appointment_id', 'is', null).executeTakeFirst();
        removed += Number(result.numDeletedRows);
      }
      await store.announceSlotChange(trx, tenantId);
    });
    store.slotChanges.bump(tenantId);
  }
  const keptRows = stale.length > removed
    ? await store.db.selectFrom('slot').select(['id', 'start', 'status']).where('tenant_id', '=', tenantId).where('id', 'in', stale.map((s) => s.id)).execute()
    : [];
  const added = await addSlots(store, tenantId, wanted);
  return { rota: rota.id, added, removed, kept: keptRows };
}

export async function putRota(db: Kysely<Database>, tenantId: string, rota: Rota): Promise<Rota | undefined> {
  const before = await getRota(db, tenantId, rota.id);
  const row = { tenant_id: tenantId, id: rota.id, schedule_id: rota.scheduleId, content: JSON.stringify(rota), updated_at: new Date().toISOString() };
  await db.insertInto('rota').values(row).onConflict((oc) => oc.columns(['tenant_id', 'id']).doUpdateSet({ schedule_id: row.schedule_id, content: row.content, updated_at: row.updated_at })).execute();
  return before;
}

export async function getRota(db: Kysely<Database>, tenantId: string, id: string): Promise<Rota | undefined> {
  const row = await db.selectFrom('rota').select('content').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row && (JSON.parse(row.content) as Rota);
}

export async function listRotas(db: Kysely<Database>, tenantId: string): Promise<Rota[]> {
  return (await db.selectFrom('rota').select('content').where('tenant_id', '=', tenantId).orderBy('id').execute()).map((r) => JSON.parse(r.content) as Rota);
}
