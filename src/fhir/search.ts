/**
 * FHIR STU3 search parameter values: date comparisons with prefixes and token `system|code`
 * values. A value that cannot be read is a 400 naming the parameter (API-8 ignores only unknown
 * parameters, never malformed known ones).
 */
import { invalidParameter } from './outcome.js';
import { END_OF_TEXT_MS, FIRST_TEXT_MS, parseSearchDateTime, toUtcText, type TimeRange } from './time.js';

export type DatePrefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';
const PREFIXES = new Set<DatePrefix>(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

/** One date condition on a point in time (a Slot's or Appointment's start). */
export interface DateCondition {
  prefix: DatePrefix;
  range: TimeRange;
  text: string;
}

/** The query's values for a parameter as a list (repeats AND together). */
export function values(query: Record<string, unknown>, name: string): string[] {
  const v = query[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}

export function parseDateCondition(name: string, raw: string, now = Date.now()): DateCondition {
  let prefix: DatePrefix = 'eq';
  let text = raw;
  const head = raw.slice(0, 2) as DatePrefix;
  if (/^[a-z]{2}/.test(raw) && PREFIXES.has(head)) {
    prefix = head;
    text = raw.slice(2);
  } else if (/^[a-z]{2}/.test(raw)) {
    throw invalidParameter(`${name}: unknown prefix "${raw.slice(0, 2)}" (use eq, ne, gt, ge, lt, le, sa, eb or ap)`, [
      name,
    ]);
  }
  const range = parseSearchDateTime(text);
  if (!range) {
    throw invalidParameter(
      `${name}: "${raw}" is not a date or dateTime (expected for example ge2019-05-09T10:00:00+00:00)`,
      [name],
    );
  }
  if (prefix === 'ap') {
    // STU3: "approximately": widened by 10% of the distance from now, at least a day.
    const gap = Math.max(Math.abs(range.low - now) * 0.1, 86_400_000);
    return { prefix, text, range: { low: range.low - gap, high: range.high + gap } };
  }
  return { prefix, text, range };
}

/** Does the point in time `t` (ms) satisfy the condition? */
export function matchesDate(t: number, c: DateCondition): boolean {
  const { low, high } = c.range;
  switch (c.prefix) {
    case 'eq':
    case 'ap':
      return t >= low && t < high;
    case 'ne':
      return t < low || t >= high;
    case 'gt':
    case 'sa':
      return t >= high;
    case 'ge':
      return t >= low;
    case 'lt':
    case 'eb':
      return t < low;
    case 'le':
      return t < high;
  }
}

/** The tightest [from, to) bounds a set of conditions imply, for an index range scan. */
export function boundsOf(conditions: DateCondition[]): { from?: number; to?: number } {
  let from: number | undefined;
  let to: number | undefined;
  const raise = (v: number) => (from = from === undefined ? v : Math.max(from, v));
  const lower = (v: number) => (to = to === undefined ? v : Math.min(to, v));
  for (const c of conditions) {
    switch (c.prefix) {
      case 'eq':
      case 'ap':
        raise(c.range.low);
        lower(c.range.high);
        break;
      case 'gt':
      case 'sa':
        raise(c.range.high);
        break;
      case 'ge':
        raise(c.range.low);
        break;
      case 'lt':
      case 'eb':
        lower(c.range.low);
        break;
      case 'le':
        lower(c.range.high);
        break;
      case 'ne':
        break;
    }
  }
  return { from, to };
}

/**
 * The conditions as bounds on a stored time column (UTC text, `toUtcText`): `from` (inclusive) and
 * `to` (exclusive), each absent when the conditions set none, and for each `ne` the two sides a
 * match may lie on. A bound beyond the years 0000–9999 is never compared as text (there `+010000-…`
 * would sort before `2026-…`): `le9999-12-31` sets no upper bound, `gt9999-12-31` matches nothing.
 * `floor` is a lower bound of the caller's own (slots that have started are never offered).
 */
export interface TextBounds {
  /** Nothing can match. */
  empty: boolean;
  from?: string;
  to?: string;
  /** Each `ne`: the value is `< before` or `>= notBefore` (a side left out cannot match). */
  excluded: { before?: string; notBefore?: string }[];
}

export function textBoundsOf(conditions: DateCondition[], floor?: number): TextBounds {
  const bounds = boundsOf(conditions);
  const from = floor === undefined ? bounds.from : Math.max(floor, bounds.from ?? -Infinity);
  const to = bounds.to;
  const none: TextBounds = { empty: true, excluded: [] };
  if (from !== undefined && from >= END_OF_TEXT_MS) return none;
  if (to !== undefined && to <= FIRST_TEXT_MS) return none;
  if (from !== undefined && to !== undefined && to <= from) return none;
  const excluded: TextBounds['excluded'] = [];
  for (const c of conditions) {
    if (c.prefix !== 'ne') continue;
    // Every stored time lies below a range starting after 9999, or above one ending before 0000.
    if (c.range.low >= END_OF_TEXT_MS || c.range.high <= FIRST_TEXT_MS) continue;
    const before = c.range.low > FIRST_TEXT_MS ? toUtcText(c.range.low) : undefined;
    const notBefore = c.range.high < END_OF_TEXT_MS ? toUtcText(c.range.high) : undefined;
    if (before === undefined && notBefore === undefined) return none;
    excluded.push({ before, notBefore });
  }
  return {
    empty: false,
    from: from !== undefined && from > FIRST_TEXT_MS ? toUtcText(from) : undefined,
    to: to !== undefined && to < END_OF_TEXT_MS ? toUtcText(to) : undefined,
    excluded,
  };
}

export interface Token {
  system?: string;
  code: string;
}

/** `system|code`, `|code` (no system) or `code`. */
export function parseToken(name: string, raw: string): Token {
  const bar = raw.indexOf('|');
  const token = bar < 0 ? { code: raw } : { system: raw.slice(0, bar) || undefined, code: raw.slice(bar + 1) };
  if (!token.code.trim()) throw invalidParameter(`${name}: "${raw}" has no value`, [name]);
  return token;
}

/** Splits a comma list (FHIR OR), honouring `\,` escapes. */
export function orList(raw: string): string[] {
  return raw
    .split(/(?<!\\),/)
    .map((s) => s.replace(/\\,/g, ','))
    .filter((s) => s.length > 0);
}
