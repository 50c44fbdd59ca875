/**
 * Rotas: recurring sessions in a service's local time that make a schedule's slots for a rolling
 * horizon. Generating is idempotent (a slot's id says which rota, day and time made it), and it
 * changes only future free slots: a booked (or blocked) slot is never moved or removed; what was
 * kept that the rota no longer makes is reported.
 */
import { createHash, hash as oneShotHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { badRequest, unprocessable } from '../fhir/outcome.js';
import { LOCAL_TIME_ZONE, isFhirDate, wallClockToUtc, zoneOffsetAt } from '../fhir/time.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { isBankHoliday } from './bank-holidays.js';
import { addSlots, LONGEST_SLOT_MS, type AddSlotsOptions, type NewSlot } from './catalogue.js';
import { minutes } from '../diary/sessions.js';
import { checkInput } from './input.js';
import {
  RotaInput,
  WEEKDAYS,
  type GenerationReport,
  type Rota,
  type RotaPreview,
  type SkipSummary,
  type Weekday,
} from './schemas.js';

/** Node's one-shot hash (20.12+), a good deal cheaper per slot than createHash; createHash where it is missing. */
const sha1Hex = (text: string): string =>
  typeof oneShotHash === 'function' ? oneShotHash('sha1', text) : createHash('sha1').update(text).digest('hex');

/** ./demo.ts's stableUuid (a name-based UUID from a SHA-1), computed with the one-shot hash: the same UUIDs. */
function slotUuid(text: string): string {
  const h = sha1Hex(text);
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export { CHANNELS, WEEKDAYS, type Rota, type Weekday } from './schemas.js';

function fail(field: string, message: string): never {
  throw badRequest(`rota ${field}: ${message}`, 'INVALID_PARAMETER', [field]);
}

/**
 * Checks a rota from outside against its schema (./schemas.ts) and what the schema cannot say: the
 * session ends after it starts and holds a slot, the dates exist, the time zone is known, the schedule,
 * practitioner and location exist in the tenant, and sessions of one schedule do not overlap.
 */
export async function checkRota(db: Kysely<Database>, tenantId: string, input: unknown): Promise<Rota> {
  const r = checkInput(RotaInput, input);
  // 8:00 is 08:00: times are kept with two-digit hours.
  r.start = r.start.padStart(5, '0');
  r.end = r.end.padStart(5, '0');
  if (minutes(r.end) <= minutes(r.start)) fail('end', `${r.end} is not after the start ${r.start}`);
  if (r.slotMinutes > minutes(r.end) - minutes(r.start)) fail('slotMinutes', 'is longer than the session');
  // The schema has checked the dates are written YYYY-MM-DD; these are days that exist (not 2026-02-31).
  if (!isFhirDate(r.effectiveFrom)) fail('effectiveFrom', 'must be a date, YYYY-MM-DD');
  if (r.effectiveTo !== undefined && (!isFhirDate(r.effectiveTo) || r.effectiveTo < r.effectiveFrom))
    fail('effectiveTo', 'must be a date on or after effectiveFrom');
  const exceptions = r.exceptions ?? [];
  if (!exceptions.every((d) => isFhirDate(d))) fail('exceptions', 'must be a list of dates, YYYY-MM-DD');
  const timeZone = r.timeZone ?? LOCAL_TIME_ZONE;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
  } catch {
    fail('timeZone', `${timeZone} is not a time zone`);
  }
  const schedule = await db
    .selectFrom('schedule')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', r.scheduleId)
    .executeTakeFirst();
  if (!schedule)
    throw unprocessable(`rota scheduleId: no schedule ${r.scheduleId} in ${tenantId}`, 'REFERENCE_NOT_FOUND', [
      'scheduleId',
    ]);
  const practitionerId = r.practitionerId ?? undefined;
  const locationId = r.locationId ?? undefined;
  if (
    practitionerId &&
    !(await db
      .selectFrom('practitioner')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', practitionerId)
      .executeTakeFirst())
  ) {
    throw unprocessable(
      `rota practitionerId: no Practitioner ${practitionerId} in ${tenantId}`,
      'REFERENCE_NOT_FOUND',
      ['practitionerId'],
    );
  }
  if (
    locationId &&
    !(await db
      .selectFrom('location')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', locationId)
      .executeTakeFirst())
  ) {
    throw unprocessable(`rota locationId: no Location ${locationId} in ${tenantId}`, 'REFERENCE_NOT_FOUND', [
      'locationId',
    ]);
  }
  const rota: Rota = {
    id: r.id,
    scheduleId: r.scheduleId,
    days: [...new Set(r.days)],
    start: r.start,
    end: r.end,
    slotMinutes: r.slotMinutes,
    deliveryChannel: r.deliveryChannel ?? null,
    effectiveFrom: r.effectiveFrom,
    ...(r.effectiveTo ? { effectiveTo: r.effectiveTo } : {}),
    exceptions,
    timeZone,
    bankHolidays: r.bankHolidays ?? 'open',
    ...(practitionerId ? { practitionerId } : {}),
    ...(locationId ? { locationId } : {}),
  };
  // Overlapping sessions on the same schedule would make two slots at one time.
  const others = await db
    .selectFrom('rota')
    .select(['id', 'content'])
    .where('tenant_id', '=', tenantId)
    .where('schedule_id', '=', rota.scheduleId)
    .where('id', '!=', rota.id)
    .execute();
  for (const o of others) {
    const other = JSON.parse(o.content) as Rota;
    const sharedDay = other.days.some((d) => rota.days.includes(d));
    const datesMeet =
      (other.effectiveTo ?? '9999-12-31') >= rota.effectiveFrom &&
      (rota.effectiveTo ?? '9999-12-31') >= other.effectiveFrom;
    const timesMeet = minutes(other.start) < minutes(rota.end) && minutes(rota.start) < minutes(other.end);
    if (sharedDay && datesMeet && timesMeet)
      throw unprocessable(
        `rota ${rota.id} overlaps rota ${o.id} (${other.days.join(', ')} ${other.start}–${other.end}) on schedule ${rota.scheduleId}`,
        'INVALID_RESOURCE',
        ['start', 'end'],
      );
  }
  return rota;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/** How far `timeZone`'s wall clock is ahead of UTC at the instant `utcMs`, in ms. */
const offsetAt = (utcMs: number, timeZone: string) => zoneOffsetAt(utcMs, timeZone) * MINUTE;

const pad2 = (n: number) => String(n).padStart(2, '0');
/** "HH:MM" for each minute of the day. */
const HHMM_TEXT = Array.from({ length: 24 * 60 }, (_, m) => `${pad2(Math.floor(m / 60))}:${pad2(m % 60)}`);

/** One local day of a rota: its date and weekday, and the wall-clock minute and UTC instant of each slot. */
export interface RotaDay {
  date: string;
  weekday: Weekday;
  minutes: number[];
  starts: number[];
}

/**
 * The local days from the one holding `from`, for `days` days, on which the rota makes slots, with
 * the slots that start after `after`. A wall-clock time that does not exist on a clock-change day
 * (01:00–02:00 on the last Sunday of March in London) makes no slot; a time that happens twice
 * (last Sunday of October) makes one.
 *
 * Each day's UTC offset is worked out once: when the zone's offset is the same 36 hours before the
 * day and 48 hours after its midnight (no clock change near it; every lookup the exact conversion
 * would make lies in that window), every slot is its wall-clock time less that offset. On a
 * clock-change day each slot is converted exactly and checked.
 */
export function* rotaDays(rota: Rota, from: number, days: number, after = -Infinity): Generator<RotaDay> {
  const zone = rota.timeZone;
  const first = Math.floor((from + offsetAt(from, zone)) / DAY) * DAY;
  const open = new Set(rota.days);
  const exceptions = new Set(rota.exceptions);
  const region = rota.bankHolidays && rota.bankHolidays !== 'open' ? rota.bankHolidays : undefined;
  const startMinute = minutes(rota.start);
  const endMinute = minutes(rota.end);
  for (let i = 0; i < days; i++) {
    const midnight = first + i * DAY;
    const date = new Date(midnight).toISOString().slice(0, 10);
    const weekday = WEEKDAYS[(new Date(midnight).getUTCDay() + 6) % 7]!;
    if (
      !open.has(weekday) ||
      date < rota.effectiveFrom ||
      (rota.effectiveTo && date > rota.effectiveTo) ||
      exceptions.has(date)
    )
      continue;
    if (region && isBankHoliday(region, date)) continue;
    const before = offsetAt(midnight - 36 * 3_600_000, zone);
    const uniform = before === offsetAt(midnight + 48 * 3_600_000, zone);
    const out: RotaDay = { date, weekday, minutes: [], starts: [] };
    for (let m = startMinute; m + rota.slotMinutes <= endMinute; m += rota.slotMinutes) {
      const wall = midnight + m * MINUTE;
      let start: number;
      if (uniform) {
        start = wall - before;
      } else {
        start = wallClockToUtc(wall, zone);
        const local = start + offsetAt(start, zone);
        if (Math.floor((((local % DAY) + DAY) % DAY) / MINUTE) !== m) continue; // this local time does not exist today
      }
      if (start <= after) continue;
      out.minutes.push(m);
      out.starts.push(start);
    }
    if (out.starts.length) yield out;
  }
}

function daySlots(tenantId: string, rota: Rota, day: RotaDay, out: NewSlot[]): void {
  const prefix = `rota.${rota.id}.${day.date.replaceAll('-', '')}.`;
  const length = rota.slotMinutes * MINUTE;
  for (let k = 0; k < day.starts.length; k++) {
    const start = day.starts[k]!;
    const id = prefix + HHMM_TEXT[day.minutes[k]!]!.replace(':', '');
    out.push({
      id,
      identifier: slotUuid(`${tenantId}/${id}`),
      scheduleId: rota.scheduleId,
      start: new Date(start).toISOString(),
      end: new Date(start + length).toISOString(),
      status: 'free',
      deliveryChannel: rota.deliveryChannel,
    });
  }
}

/**
 * The slots a rota makes on the local days from `from` for `days` days (see `rotaDays`), optionally
 * only those starting after `after`.
 */
export function rotaSlots(tenantId: string, rota: Rota, from: number, days: number, after = -Infinity): NewSlot[] {
  const out: NewSlot[] = [];
  for (const day of rotaDays(rota, from, days, after)) daySlots(tenantId, rota, day, out);
  return out;
}

/** How many slots generating the rota now for `horizonDays` would want (without making them). */
export function countRotaSlots(rota: Rota, horizonDays: number, now = Date.now()): number {
  let n = 0;
  for (const day of rotaDays(rota, now, horizonDays, now)) n += day.starts.length;
  return n;
}

export type { GenerationReport, RotaPreview } from './schemas.js';

export const PREVIEW_SLOT_LIMIT = 1000;

export function previewRota(tenantId: string, rota: Rota, horizonDays = 28, now = Date.now()): RotaPreview {
  const preview: RotaPreview = {
    rota,
    horizonDays,
    total: 0,
    existing: 0,
    skipped: { count: 0, reasons: [], examples: [] },
    days: [],
    slots: [],
  };
  const today = new Date(now).toLocaleDateString('en-CA', { timeZone: rota.timeZone });
  if (rota.effectiveTo !== undefined && rota.effectiveTo < today) preview.past = pastMessage(rota, today);
  for (const day of rotaDays(rota, now, horizonDays, now)) {
    preview.total += day.starts.length;
    preview.days.push({
      date: day.date,
      weekday: day.weekday,
      count: day.starts.length,
      first: HHMM_TEXT[day.minutes[0]!]!,
      last: HHMM_TEXT[day.minutes.at(-1)!]!,
    });
    if (preview.slots.length < PREVIEW_SLOT_LIMIT) {
      const made: NewSlot[] = [];
      daySlots(tenantId, rota, day, made);
      for (const s of made.slice(0, PREVIEW_SLOT_LIMIT - preview.slots.length))
        preview.slots.push({ id: s.id, start: s.start, end: s.end });
    }
  }
  return preview;
}

/** What a rota wholly in the past is told (preview and save). */
export function pastMessage(rota: Rota, today: string): string {
  return `rota effectiveTo: the rota ended on ${rota.effectiveTo}, before today (${today}), so it would make no slots; check the dates`;
}

/** Why a slot the rota makes is not added: the kind of slot of the same schedule it would overlap. */
export const SKIP_REASONS = {
  'overlaps-booked': 'it overlaps a booked slot',
  'overlaps-blocked': 'it overlaps a blocked slot',
  'overlaps-free': 'it overlaps a free slot already offered',
} as const;
export type SkipReason = keyof typeof SKIP_REASONS;
const SKIP_EXAMPLES = 10;

interface StoredSlot {
  id: string;
  start: string;
  end: string;
  status: string;
  appointment_id: string | null;
}

const reasonOf = (s: StoredSlot): SkipReason =>
  s.appointment_id || s.status === 'busy'
    ? 'overlaps-booked'
    : s.status === 'free'
      ? 'overlaps-free'
      : 'overlaps-blocked';

/**
 * Which of the rota's slots would land over another slot of its schedule, and why: the rota's own
 * slot at the same time is "already there", not a skip, and its own free slots it no longer makes
 * are removed before generation adds slots, so they do not count. This read explains; the insert
 * itself enforces the rule (catalogue.ts, skipOverlapping).
 */
export async function findSkips(
  db: Kysely<Database>,
  tenantId: string,
  rota: Rota,
  slots: { id: string; start: string; end: string }[],
): Promise<{ existing: number; skipped: SkipSummary }> {
  const skipped: SkipSummary = { count: 0, reasons: [], examples: [] };
  if (!slots.length) return { existing: 0, skipped };
  const wantedIds = new Set(slots.map((s) => s.id));
  const prefix = `rota.${rota.id}.`;
  const from = new Date(Date.parse(slots[0]!.start) - LONGEST_SLOT_MS).toISOString();
  const to = slots.reduce((m, s) => (s.end > m ? s.end : m), slots[0]!.end);
  const rows = (
    await db
      .selectFrom('slot')
      .select(['id', 'start', 'end', 'status', 'appointment_id'])
      .where('tenant_id', '=', tenantId)
      .where('schedule_id', '=', rota.scheduleId)
      .where('start', '>=', from)
      .where('start', '<', to)
      .where('status', '!=', 'entered-in-error')
      .orderBy('start')
      .execute()
  ).filter(
    (e) => !(e.id.startsWith(prefix) && !wantedIds.has(e.id) && e.status === 'free' && e.appointment_id === null),
  );
  const ids = new Set(rows.map((r) => r.id));
  const counts = new Map<SkipReason, number>();
  let existing = 0;
  let first = 0;
  for (const s of slots) {
    if (ids.has(s.id)) {
      existing++;
      continue;
    }
    while (first < rows.length && rows[first]!.start < new Date(Date.parse(s.start) - LONGEST_SLOT_MS).toISOString())
      first++;
    let clash: StoredSlot | undefined;
    for (let i = first; i < rows.length && rows[i]!.start < s.end; i++) {
      const e = rows[i]!;
      if (e.end > s.start && (!clash || reasonRank(e) < reasonRank(clash))) clash = e;
    }
    if (!clash) continue;
    const reason = reasonOf(clash);
    skipped.count++;
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
    if (skipped.examples.length < SKIP_EXAMPLES)
      skipped.examples.push({
        start: s.start,
        end: s.end,
        reason,
        overlaps: { id: clash.id, start: clash.start, end: clash.end, status: clash.status },
      });
  }
  skipped.reasons = (Object.keys(SKIP_REASONS) as SkipReason[])
    .filter((r) => counts.has(r))
    .map((reason) => ({ reason, text: SKIP_REASONS[reason], count: counts.get(reason)! }));
  return { existing, skipped };
}

/** The reason named when a slot overlaps several: booked before blocked before free. */
const reasonRank = (s: StoredSlot) => Object.keys(SKIP_REASONS).indexOf(reasonOf(s));

/** The preview with what generating now would skip, and why (the store read for it). */
export async function previewRotaWithSkips(
  db: Kysely<Database>,
  tenantId: string,
  rota: Rota,
  horizonDays = 28,
  now = Date.now(),
): Promise<RotaPreview> {
  const preview = previewRota(tenantId, rota, horizonDays, now);
  const { existing, skipped } = await findSkips(db, tenantId, rota, rotaSlots(tenantId, rota, now, horizonDays, now));
  return { ...preview, existing, skipped };
}

/** Generation's progress: slots of the horizon dealt with (already there, or inserted) of all it wants. */
export interface GenerationProgress {
  done: number;
  total: number;
}

/**
 * Makes the rota's slots from now for `horizonDays`, removing its future free slots that it no
 * longer makes (a conditional delete: a slot booked meanwhile is never touched). Slots it already
 * has are left as they are (booked, blocked or free); only the missing ones are inserted.
 */
export async function generateRotaSlots(
  store: Store,
  tenantId: string,
  rota: Rota,
  horizonDays = 28,
  now = Date.now(),
  onProgress?: (progress: GenerationProgress) => void,
  options: Pick<AddSlotsOptions, 'rowsPerTransaction' | 'refreshStatistics'> = {},
): Promise<GenerationReport> {
  const wanted = rotaSlots(tenantId, rota, now, horizonDays, now);
  const wantedIds = new Set(wanted.map((s) => s.id));
  const nowText = new Date(now).toISOString();
  const prefix = `rota.${rota.id}.`;
  let query = store.db
    .selectFrom('slot')
    .select(['id', 'start', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('start', '>', nowText);
  // SQLite compares text byte by byte, so the id prefix is a range of its primary key; PostgreSQL's
  // collation may not sort that way, so it matches the prefix (rota ids hold no LIKE wildcards).
  query =
    store.dialect === 'sqlite'
      ? query.where('id', '>=', prefix).where('id', '<', `rota.${rota.id}/`)
      : query.where('id', 'like', `${prefix}%`);
  const existing = await query.execute();
  const existingIds = new Set(existing.map((s) => s.id));
  const stale = existing.filter((s) => !wantedIds.has(s.id));
  let removed = 0;
  if (stale.length) {
    await store.transaction(async (trx) => {
      for (let i = 0; i < stale.length; i += 500) {
        const ids = stale.slice(i, i + 500).map((s) => s.id);
        const result = await trx
          .deleteFrom('slot')
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', ids)
          .where('status', '=', 'free')
          .where('appointment_id', 'is', null)
          .executeTakeFirst();
        removed += Number(result.numDeletedRows);
      }
      await store.announceSlotChange(trx, tenantId);
    });
    store.slotChanges.bump(tenantId);
  }
  const keptRows =
    stale.length > removed
      ? await store.db
          .selectFrom('slot')
          .select(['id', 'start', 'status'])
          .where('tenant_id', '=', tenantId)
          .where(
            'id',
            'in',
            stale.map((s) => s.id),
          )
          .execute()
      : [];
  const missing = wanted.filter((s) => !existingIds.has(s.id));
  const present = wanted.length - missing.length;
  onProgress?.({ done: present, total: wanted.length });
  // The no-double rule is the insert's own condition (skipOverlapping); what it skipped is read
  // afterwards to say why.
  const added = missing.length
    ? await addSlots(store, tenantId, missing, {
        ...options,
        skipOverlapping: true,
        onProgress: (done) => onProgress?.({ done: present + done, total: wanted.length }),
      })
    : 0;
  const skipped =
    added < missing.length
      ? (await findSkips(store.db, tenantId, rota, missing)).skipped
      : { count: 0, reasons: [], examples: [] };
  return { rota: rota.id, added, removed, kept: keptRows, skipped };
}

/** What generating several rotas did, and how many slots they wanted in all. */
export interface GenerationSummary {
  horizonDays: number;
  total: number;
  added: number;
  removed: number;
  kept: number;
  reports: GenerationReport[];
}

/** Rows per transaction when generating in bulk (the CLI): fewer, larger commits; each holds the write lock for a fraction of a second. */
const BULK_ROWS_PER_TRANSACTION = 10_000;
/** SQLite page cache while generating in bulk, KiB: a transaction's changed index pages stay in memory until its commit. */
const BULK_SQLITE_CACHE_KIB = 256 * 1024;

/**
 * Generates each rota in turn (`slotbridge provider rota generate --all`), reporting progress over
 * all of them: the total is counted first (cheap: no slot is made for it). A bulk load: larger
 * transactions, on SQLite a larger page cache for the while (the random slot identifiers touch
 * index pages all over), and the planner's statistics refreshed once at the end.
 */
export async function generateRotas(
  store: Store,
  tenantId: string,
  rotas: Rota[],
  horizonDays = 28,
  now = Date.now(),
  onProgress?: (progress: GenerationProgress & { rota: string }) => void,
): Promise<GenerationSummary> {
  const counts = rotas.map((r) => countRotaSlots(r, horizonDays, now));
  const total = counts.reduce((a, b) => a + b, 0);
  const summary: GenerationSummary = { horizonDays, total, added: 0, removed: 0, kept: 0, reports: [] };
  let before = 0;
  const cache =
    store.dialect === 'sqlite'
      ? ((await sql<{ cache_size: number }>`pragma cache_size`.execute(store.db)).rows[0]?.cache_size ?? -2000)
      : undefined;
  if (cache !== undefined) await sql.raw(`pragma cache_size = ${-BULK_SQLITE_CACHE_KIB}`).execute(store.db);
  try {
    for (const [i, rota] of rotas.entries()) {
      const report = await generateRotaSlots(
        store,
        tenantId,
        rota,
        horizonDays,
        now,
        (p) => onProgress?.({ rota: rota.id, done: before + p.done, total }),
        { rowsPerTransaction: BULK_ROWS_PER_TRANSACTION, refreshStatistics: false },
      );
      before += counts[i]!;
      onProgress?.({ rota: rota.id, done: before, total });
      summary.reports.push(report);
      summary.added += report.added;
      summary.removed += report.removed;
      summary.kept += report.kept.length;
    }
  } finally {
    if (cache !== undefined) await sql.raw(`pragma cache_size = ${Math.trunc(Number(cache))}`).execute(store.db);
  }
  if (summary.added >= 5000) await store.refreshStatistics();
  return summary;
}

export async function putRota(db: Kysely<Database>, tenantId: string, rota: Rota): Promise<Rota | undefined> {
  const before = await getRota(db, tenantId, rota.id);
  const row = {
    tenant_id: tenantId,
    id: rota.id,
    schedule_id: rota.scheduleId,
    content: JSON.stringify(rota),
    updated_at: new Date().toISOString(),
  };
  await db
    .insertInto('rota')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'id'])
        .doUpdateSet({ schedule_id: row.schedule_id, content: row.content, updated_at: row.updated_at }),
    )
    .execute();
  return before;
}

export async function getRota(db: Kysely<Database>, tenantId: string, id: string): Promise<Rota | undefined> {
  const row = await db
    .selectFrom('rota')
    .select('content')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && readRota(row.content);
}

/** A stored rota; those saved before bank holidays were a field run on them ("open"). */
function readRota(content: string): Rota {
  const rota = JSON.parse(content) as Rota;
  return { ...rota, bankHolidays: rota.bankHolidays ?? 'open' };
}

export async function listRotas(db: Kysely<Database>, tenantId: string): Promise<Rota[]> {
  return (await db.selectFrom('rota').select('content').where('tenant_id', '=', tenantId).orderBy('id').execute()).map(
    (r) => readRota(r.content),
  );
}
