/**
 * Dispositions and their time frames (fs_slotmap). A slot that starts after the time frame ends
 * "would cause a breach" and may be booked only after a clinical-approval prompt (ABUS.13).
 * Local areas may differ, so this is configuration; Dx02/Dx03 (emergency department) are ours.
 */
import { LOCAL_TIME_ZONE, wallClockToUtc } from '../fhir/time.js';

export type TimeFrame = { hours: number } | { nextWorkingDay: true } | { workingDays: number } | { none: true };

export const DISPOSITIONS: Record<string, { text: string; frame: TimeFrame }> = {
  Dx02: { text: 'Attend an emergency department within 1 hour', frame: { hours: 1 } },
  Dx03: { text: 'Attend an emergency department within 4 hours', frame: { hours: 4 } },
  Dx05: { text: 'Contact a primary care service within 2 hours', frame: { hours: 2 } },
  Dx06: { text: 'Contact a primary care service within 6 hours', frame: { hours: 6 } },
  Dx07: { text: 'Contact a primary care service within 12 hours', frame: { hours: 12 } },
  Dx08: { text: 'Contact a primary care service within 24 hours', frame: { hours: 24 } },
  Dx10: { text: 'Contact own GP practice for a non-urgent appointment', frame: { none: true } },
  Dx11: { text: 'Speak to a primary care service within 1 hour', frame: { hours: 1 } },
  Dx12: { text: 'Speak to a primary care service within 2 hours', frame: { hours: 2 } },
  Dx13: { text: 'Speak to a primary care service within 6 hours', frame: { hours: 6 } },
  Dx14: { text: 'Speak to a primary care service within 12 hours', frame: { hours: 12 } },
  Dx15: { text: 'Speak to a primary care service within 24 hours', frame: { hours: 24 } },
  Dx75: { text: 'Contact own GP practice within 3 working days', frame: { workingDays: 3 } },
  Dx81: { text: 'Contact own GP practice next working day for a repeat prescription', frame: { nextWorkingDay: true } },
  Dx1112: { text: 'COVID clinical assessment service within 1 hour', frame: { hours: 1 } },
  Dx1113: { text: 'COVID clinical assessment service within 2 hours', frame: { hours: 2 } },
  Dx1114: { text: 'COVID clinical assessment service within 4 hours', frame: { hours: 4 } },
  Dx1115: { text: 'COVID clinical assessment service within 6 hours', frame: { hours: 6 } },
  Dx1116: { text: 'COVID clinical assessment service within 12 hours', frame: { hours: 12 } },
  Dx1117: { text: 'COVID clinical assessment service next working day', frame: { nextWorkingDay: true } },
  Dx110: { text: 'Community nurse within 4 hours', frame: { hours: 4 } },
  Dx111: { text: 'Community nurse within 24 hours', frame: { hours: 24 } },
  Dx112: { text: 'Community nurse next working day', frame: { nextWorkingDay: true } },
  Dx113: { text: 'Health visitor next working day', frame: { nextWorkingDay: true } },
  Dx114: { text: 'Community midwife next working day', frame: { nextWorkingDay: true } },
  Dx115: { text: 'Own GP practice next working day for an appointment', frame: { nextWorkingDay: true } },
  Dx117: { text: 'Speak to a primary care service within 1 hour for palliative care', frame: { hours: 1 } },
};

/** The end of a working day `days` ahead (UK local 18:30; Saturdays and Sundays skipped). */
function endOfWorkingDay(from: number, days: number): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: LOCAL_TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(from));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  let day = Date.UTC(get('year'), get('month') - 1, get('day'));
  let left = days;
  while (left > 0) {
    day += 86_400_000;
    const weekday = new Date(day).getUTCDay();
    if (weekday !== 0 && weekday !== 6) left -= 1;
  }
  return wallClockToUtc(day + (18 * 60 + 30) * 60_000);
}

/** When the disposition's time frame ends for an assessment made at `assessedAt` (undefined: no frame). */
export function timeFrameEnd(disposition: string, assessedAt: number): number | undefined {
  const entry = DISPOSITIONS[disposition];
  if (!entry) return undefined;
  const f = entry.frame;
  if ('hours' in f) return assessedAt + f.hours * 3_600_000;
  if ('nextWorkingDay' in f) return endOfWorkingDay(assessedAt, 1);
  if ('workingDays' in f) return endOfWorkingDay(assessedAt, f.workingDays);
  return undefined;
}

/** How many minutes after the time frame a slot starts (0 when within it or when there is no frame). */
export function breachMinutes(disposition: string | undefined, assessedAt: number, slotStart: string): number {
  if (!disposition) return 0;
  const end = timeFrameEnd(disposition, assessedAt);
  if (end === undefined) return 0;
  return Math.max(0, Math.ceil((Date.parse(slotStart) - end) / 60_000));
}

export function describeMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return [h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ') || '0 min';
}
