/**
 * Dates, times and durations as the call handler reads them out, in UK local time, in the NHS.UK
 * content style: "Friday 5 December", "5:30pm", "10am", "midday", "midnight".
 */
import { LOCAL_TIME_ZONE } from '../../../src/fhir/time.js';

export const day = (iso: string) =>
  new Date(iso).toLocaleDateString('en-GB', {
    timeZone: LOCAL_TIME_ZONE,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
  });

/** The hour (0–23) and minute in UK local time. */
export function clock(iso: string): { hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: LOCAL_TIME_ZONE,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { hour: get('hour') % 24, minute: get('minute') };
}

/** "5:30pm", "10am", "midday", "midnight" (NHS.UK content guide: times). */
export function time(iso: string): string {
  const { hour, minute } = clock(iso);
  if (minute === 0 && hour === 12) return 'midday';
  if (minute === 0 && hour === 0) return 'midnight';
  const h = hour % 12 === 0 ? 12 : hour % 12;
  const m = minute === 0 ? '' : `:${String(minute).padStart(2, '0')}`;
  return `${h}${m}${hour < 12 ? 'am' : 'pm'}`;
}

/** "Friday 5 December at 5:30pm". */
export const when = (iso: string) => `${day(iso)} at ${time(iso)}`;

export const duration = (m: number) =>
  [Math.floor(m / 60) ? `${Math.floor(m / 60)} hours` : '', m % 60 ? `${m % 60} minutes` : '']
    .filter(Boolean)
    .join(' ');
