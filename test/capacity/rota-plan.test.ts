/**
 * Rota generation without a store (issue 6): the bank-holiday calendar checked against gov.uk's
 * lists, rotas closed on a region's bank holidays, the preview's days, and the fast generation (one
 * UTC offset per day) checked slot by slot against the exact conversion the rotas used before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bankHolidays, isBankHoliday } from '../../src/capacity/bank-holidays.js';
import { stableUuid } from '../../src/capacity/demo.js';
import { WEEKDAYS, previewRota, rotaSlots, type Rota } from '../../src/capacity/rota.js';
import { wallClockToUtc as exactWallClockToUtc } from '../../src/fhir/time.js';

const dates = (region: Parameters<typeof bankHolidays>[0], year: number) =>
  bankHolidays(region, year).map((h) => h.date);

describe('the bank-holiday calendar, against gov.uk', () => {
  it('England and Wales 2025–2027, substitute days included and weekend days left out', () => {
    assert.deepEqual(dates('england-and-wales', 2025), [
      '2025-01-01',
      '2025-04-18',
      '2025-04-21',
      '2025-05-05',
      '2025-05-26',
      '2025-08-25',
      '2025-12-25',
      '2025-12-26',
    ]);
    assert.deepEqual(dates('england-and-wales', 2026), [
      '2026-01-01',
      '2026-04-03',
      '2026-04-06',
      '2026-05-04',
      '2026-05-25',
      '2026-08-31',
      '2026-12-25',
      '2026-12-28',
    ]);
    assert.deepEqual(dates('england-and-wales', 2027), [
      '2027-01-01',
      '2027-03-26',
      '2027-03-29',
      '2027-05-03',
      '2027-05-31',
      '2027-08-30',
      '2027-12-27',
      '2027-12-28',
    ]);
    assert.match(
      bankHolidays('england-and-wales', 2026).find((h) => h.date === '2026-12-28')!.name,
      /Boxing Day \(substitute day\)/,
    );
  });

  it('Scotland 2025–2027: 2 January, the August holiday, St Andrew’s Day and their substitutes', () => {
    assert.deepEqual(dates('scotland', 2025), [
      '2025-01-01',
      '2025-01-02',
      '2025-04-18',
      '2025-05-05',
      '2025-05-26',
      '2025-08-04',
      '2025-12-01',
      '2025-12-25',
      '2025-12-26',
    ]);
    assert.deepEqual(dates('scotland', 2026), [
      '2026-01-01',
      '2026-01-02',
      '2026-04-03',
      '2026-05-04',
      '2026-05-25',
      '2026-08-03',
      '2026-11-30',
      '2026-12-25',
      '2026-12-28',
    ]);
    assert.deepEqual(dates('scotland', 2027), [
      '2027-01-01',
      '2027-01-04',
      '2027-03-26',
      '2027-05-03',
      '2027-05-31',
      '2027-08-02',
      '2027-11-30',
      '2027-12-27',
      '2027-12-28',
    ]);
  });

  it('Northern Ireland 2025–2027: St Patrick’s Day and the Battle of the Boyne, with substitutes', () => {
    assert.deepEqual(dates('northern-ireland', 2025), [
      '2025-01-01',
      '2025-03-17',
      '2025-04-18',
      '2025-04-21',
      '2025-05-05',
      '2025-05-26',
      '2025-07-14',
      '2025-08-25',
      '2025-12-25',
      '2025-12-26',
    ]);
    assert.deepEqual(dates('northern-ireland', 2026), [
      '2026-01-01',
      '2026-03-17',
      '2026-04-03',
      '2026-04-06',
      '2026-05-04',
      '2026-05-25',
      '2026-07-13',
      '2026-08-31',
      '2026-12-25',
      '2026-12-28',
    ]);
    assert.deepEqual(dates('northern-ireland', 2027), [
      '2027-01-01',
      '2027-03-17',
      '2027-03-26',
      '2027-03-29',
      '2027-05-03',
      '2027-05-31',
      '2027-07-12',
      '2027-08-30',
      '2027-12-27',
      '2027-12-28',
    ]);
  });

  it('the one-off days: the 2022 jubilee and moved spring holiday, the state funeral, the coronation', () => {
    for (const region of ['england-and-wales', 'scotland', 'northern-ireland'] as const) {
      for (const d of ['2022-06-02', '2022-06-03', '2022-09-19', '2023-05-08'])
        assert.ok(isBankHoliday(region, d), `${region} ${d}`);
      assert.ok(!isBankHoliday(region, '2022-05-30'), `${region}: the spring holiday moved to 2 June in 2022`);
    }
    assert.deepEqual(dates('england-and-wales', 2022), [
      '2022-01-03',
      '2022-04-15',
      '2022-04-18',
      '2022-05-02',
      '2022-06-02',
      '2022-06-03',
      '2022-08-29',
      '2022-09-19',
      '2022-12-26',
      '2022-12-27',
    ]);
  });

  it('a year outside the calendar is refused rather than guessed', () => {
    assert.throws(() => bankHolidays('scotland', 2012), /2013/);
    assert.equal(isBankHoliday('scotland', '2012-06-05'), false);
  });
});

const base: Rota = {
  id: 'day',
  scheduleId: 'S1',
  days: [...WEEKDAYS],
  start: '09:00',
  end: '11:00',
  slotMinutes: 30,
  deliveryChannel: 'In-person',
  effectiveFrom: '2026-01-01',
  exceptions: [],
  timeZone: 'Europe/London',
};
const slotDays = (rota: Rota, from: string, days: number) => [
  ...new Set(rotaSlots('t', rota, Date.parse(from), days).map((s) => s.id.split('.')[2])),
];

describe('rotas closed on bank holidays', () => {
  it('England and Wales: no slots on 25 and 28 December 2026 (Boxing Day’s substitute), slots on the 29th; "open" makes them all', () => {
    const closed = slotDays({ ...base, bankHolidays: 'england-and-wales' }, '2026-12-24T12:00:00Z', 6);
    assert.deepEqual(closed, ['20261224', '20261226', '20261227', '20261229']);
    assert.deepEqual(slotDays({ ...base, bankHolidays: 'open' }, '2026-12-24T12:00:00Z', 6), [
      '20261224',
      '20261225',
      '20261226',
      '20261227',
      '20261228',
      '20261229',
    ]);
    assert.deepEqual(slotDays(base, '2026-12-24T12:00:00Z', 6).length, 6, 'a rota without the field is open');
  });

  it('Scotland closes on St Andrew’s Day (Monday 30 November 2026) where England and Wales does not', () => {
    assert.deepEqual(slotDays({ ...base, bankHolidays: 'scotland' }, '2026-11-29T12:00:00Z', 3), [
      '20261129',
      '20261201',
    ]);
    assert.deepEqual(slotDays({ ...base, bankHolidays: 'england-and-wales' }, '2026-11-29T12:00:00Z', 3), [
      '20261129',
      '20261130',
      '20261201',
    ]);
    assert.deepEqual(
      slotDays({ ...base, bankHolidays: 'scotland' }, '2026-08-02T12:00:00Z', 30).filter(
        (d) => d === '20260803' || d === '20260831',
      ),
      ['20260831'],
    );
  });

  it('Northern Ireland closes on 17 March and on the Boyne substitute day, 13 July 2026', () => {
    const ni = slotDays({ ...base, bankHolidays: 'northern-ireland' }, '2026-03-16T12:00:00Z', 130);
    assert.ok(!ni.includes('20260317') && !ni.includes('20260713'));
    assert.ok(ni.includes('20260316') && ni.includes('20260712') && ni.includes('20260714'));
  });
});

/**
 * The conversion rotas used before generation was made fast: the exact one (src/fhir/time.ts's
 * algorithm), per slot, and a check of each slot's local time. Formatters are cached here only to
 * keep the test quick; the arithmetic is the old one.
 */
function referenceSlots(rota: Rota, from: number, days: number): { id: string; start: string }[] {
  const formats = new Map<string, Intl.DateTimeFormat>();
  const fmt = (ms: number, o: Intl.DateTimeFormatOptions) => {
    const key = JSON.stringify(o);
    if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat('en-GB', { timeZone: rota.timeZone, ...o }));
    return formats.get(key)!.format(new Date(ms));
  };
  const offset = (utc: number) => {
    const [date, time] = fmt(utc, {
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).split(', ');
    const [dd, mm, yy] = date!.split('/').map(Number);
    const [h, mi, s] = time!.split(':').map(Number);
    return Math.round((Date.UTC(yy!, mm! - 1, dd!, h!, mi!, s!) - Math.floor(utc / 1000) * 1000) / 60_000);
  };
  const wallClockToUtc = (wall: number) => wall - offset(wall - offset(wall) * 60_000) * 60_000;
  const [d, m, y] = fmt(from, { year: 'numeric', month: '2-digit', day: '2-digit' }).split('/');
  const first = Date.parse(`${y}-${m}-${d}T00:00:00Z`);
  const mins = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
  const out: { id: string; start: string }[] = [];
  for (let i = 0; i < days; i++) {
    const midnight = first + i * 86_400_000;
    const date = new Date(midnight).toISOString().slice(0, 10);
    if (!rota.days.includes(WEEKDAYS[(new Date(midnight).getUTCDay() + 6) % 7]!)) continue;
    for (let t = mins(rota.start); t + rota.slotMinutes <= mins(rota.end); t += rota.slotMinutes) {
      const hhmm = `${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
      const start = wallClockToUtc(midnight + t * 60_000);
      if (t === 720) assert.equal(start, exactWallClockToUtc(midnight + t * 60_000, rota.timeZone));
      if (fmt(start, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }) !== hhmm) continue;
      out.push({
        id: `rota.${rota.id}.${date.replaceAll('-', '')}.${hhmm.replace(':', '')}`,
        start: new Date(start).toISOString(),
      });
    }
  }
  return out;
}

describe('the preview, and generation with one UTC offset per day', () => {
  it('makes exactly the slots of the exact per-slot conversion, through a year of clock changes in several zones', () => {
    const zones = ['Europe/London', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Santiago'];
    for (const timeZone of zones) {
      const rota: Rota = { ...base, id: 'night', start: '00:00', end: '24:00', slotMinutes: 30, timeZone };
      const from = Date.parse('2026-01-01T12:00:00Z');
      const expected = referenceSlots(rota, from, 366);
      const made = rotaSlots('t', rota, from, 366);
      assert.deepEqual(
        made.map((s) => ({ id: s.id, start: s.start })),
        expected,
        timeZone,
      );
      assert.ok(
        made.every((s) => s.identifier === stableUuid(`t/${s.id}`)),
        'the same stable identifiers',
      );
      const preview = previewRota('t', rota, 366, from);
      assert.equal(preview.total, expected.filter((s) => Date.parse(s.start) > from).length, timeZone);
      assert.equal(
        preview.days.reduce((n, d) => n + d.count, 0),
        preview.total,
      );
    }
  });

  it('the preview lists each day with its count and first and last local start, and at most 1,000 slots', () => {
    const rota: Rota = {
      ...base,
      id: 'night',
      start: '00:00',
      end: '04:00',
      slotMinutes: 30,
      days: ['Sat', 'Sun', 'Mon'],
    };
    const preview = previewRota('t', rota, 4, Date.parse('2027-03-27T00:00:00Z') - 1);
    assert.deepEqual(preview.days, [
      { date: '2027-03-27', weekday: 'Sat', count: 8, first: '00:00', last: '03:30' },
      { date: '2027-03-28', weekday: 'Sun', count: 6, first: '00:00', last: '03:30' },
      { date: '2027-03-29', weekday: 'Mon', count: 8, first: '00:00', last: '03:30' },
    ]);
    assert.equal(preview.total, 22);
    assert.deepEqual(preview.slots[8], {
      id: 'rota.night.20270328.0000',
      start: '2027-03-28T00:00:00.000Z',
      end: '2027-03-28T00:30:00.000Z',
    });
    const big = previewRota(
      't',
      { ...base, start: '00:00', end: '24:00', slotMinutes: 5 },
      10,
      Date.parse('2026-12-01T00:00:00Z') - 1,
    );
    assert.equal(big.total, 9 * 288, 'nothing on 30 November: its slots are all past');
    assert.equal(big.slots.length, 1000);
    assert.equal(big.days.length, 9);
  });
});
