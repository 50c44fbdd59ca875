/** Times (fs_times) and search values: offsets, precision ranges, UK local time, prefixes, negotiation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negotiate } from '../../src/fhir/format.js';
import { matchesDate, parseDateCondition, parseToken, orList } from '../../src/fhir/search.js';
import { parseInstant, parseSearchDateTime, wallClockInstant } from '../../src/fhir/time.js';
import { isValidNhsNumber } from '../../src/fhir/nhs-number.js';

const ms = (iso: string) => Date.parse(iso);

describe('times', () => {
  it('fs_times instants with any offset become the same UTC moment', () => {
    assert.equal(parseInstant('2019-01-17T16:00:00.000+01:00'), ms('2019-01-17T15:00:00Z'));
    assert.equal(parseInstant('2019-01-17T10:00:00-05:00'), ms('2019-01-17T15:00:00Z'));
    assert.equal(parseInstant('2019-01-17T15:00:00'), undefined, 'an instant needs a zone');
    assert.equal(parseInstant('2019-02-30T15:00:00Z'), undefined);
  });

  it('a search dateTime stands for the range its precision covers; without a zone it is UK local time', () => {
    assert.deepEqual(
      parseSearchDateTime('2019-05-09'),
      { low: ms('2019-05-08T23:00:00Z'), high: ms('2019-05-09T23:00:00Z') },
      'BST day',
    );
    assert.deepEqual(
      parseSearchDateTime('2019-01-09'),
      { low: ms('2019-01-09T00:00:00Z'), high: ms('2019-01-10T00:00:00Z') },
      'GMT day',
    );
    assert.deepEqual(parseSearchDateTime('2019-05-09T10:00:00+00:00'), {
      low: ms('2019-05-09T10:00:00Z'),
      high: ms('2019-05-09T10:00:01Z'),
    });
    assert.deepEqual(
      parseSearchDateTime('2019-05-09T10:00:00 00:00'),
      parseSearchDateTime('2019-05-09T10:00:00+00:00'),
      'a + that became a space',
    );
    assert.deepEqual(
      parseSearchDateTime('2019-05'),
      { low: ms('2019-04-30T23:00:00Z'), high: ms('2019-05-31T23:00:00Z') },
      'a month',
    );
    assert.equal(parseSearchDateTime('tomorrow'), undefined);
  });

  it('a UK wall-clock time is the instant a person means, across both clock changes', () => {
    const at = (wall: string, meaning?: 'earliest' | 'latest') =>
      new Date(wallClockInstant(ms(`${wall}Z`), 'Europe/London', meaning)).toISOString();
    assert.equal(at('2026-07-01T08:00:00'), '2026-07-01T07:00:00.000Z', 'summer time');
    assert.equal(at('2026-12-01T08:00:00'), '2026-12-01T08:00:00.000Z', 'winter time');
    // 29 March 2026: at 01:00 GMT the clocks went forward to 02:00, so 01:30 never happened.
    assert.equal(at('2026-03-29T01:30:00'), '2026-03-29T01:00:00.000Z', 'a missing time is when the clocks changed');
    assert.equal(at('2026-03-29T01:30:00', 'latest'), '2026-03-29T01:00:00.000Z');
    assert.equal(at('2026-03-29T02:00:00'), '2026-03-29T01:00:00.000Z');
    assert.equal(at('2026-03-29T00:59:00'), '2026-03-29T00:59:00.000Z');
    // 25 October 2026: at 02:00 BST the clocks went back to 01:00, so 01:30 happened twice.
    assert.equal(at('2026-10-25T01:30:00'), '2026-10-25T00:30:00.000Z', 'a repeated time: its first meaning');
    assert.equal(at('2026-10-25T01:30:00', 'latest'), '2026-10-25T01:30:00.000Z', 'a repeated time: its last');
    assert.equal(at('2026-10-25T02:00:00', 'latest'), '2026-10-25T02:00:00.000Z');
    assert.equal(at('2026-10-25T00:30:00', 'latest'), '2026-10-24T23:30:00.000Z', 'a time that happened once');
    assert.equal(
      new Date(wallClockInstant(ms('2026-07-01T08:00:00Z'), 'America/New_York')).toISOString(),
      '2026-07-01T12:00:00.000Z',
      'another zone',
    );
  });

  it('P23 prefixes compare a point in time with the range', () => {
    const t = ms('2019-05-09T10:00:00Z');
    const c = (raw: string) => parseDateCondition('start', raw);
    assert.ok(matchesDate(t, c('ge2019-05-09T10:00:00Z')));
    assert.ok(!matchesDate(t, c('gt2019-05-09T10:00:00Z')));
    assert.ok(matchesDate(t, c('le2019-05-09T10:00:00Z')));
    assert.ok(!matchesDate(t, c('lt2019-05-09T10:00:00Z')));
    assert.ok(matchesDate(t, c('eq2019-05-09')));
    assert.ok(matchesDate(t, c('le2019-05-09')), 'le a day includes the whole day');
    assert.ok(!matchesDate(t, c('ne2019-05-09')));
    assert.throws(() => c('zz2019-05-09'), /prefix/);
    assert.throws(() => c('ge2019-05-09T25:00:00Z'), /not a date/);
  });

  it('tokens and comma lists', () => {
    assert.deepEqual(parseToken('service', 'https://x|123'), { system: 'https://x', code: '123' });
    assert.deepEqual(parseToken('service', '123'), { code: '123' });
    assert.deepEqual(orList('a,b\\,c'), ['a', 'b,c']);
  });

  it('NHS numbers carry a modulus-11 check digit', () => {
    assert.ok(isValidNhsNumber('1234554321'));
    assert.ok(isValidNhsNumber('9434765919'));
    assert.ok(!isValidNhsNumber('1234567890'));
    assert.ok(!isValidNhsNumber('123455432'));
  });
});

describe('content negotiation', () => {
  it('API-2 _format beats Accept beats the request Content-Type beats JSON', () => {
    assert.deepEqual(negotiate('xml', 'application/fhir+json', 'application/fhir+json'), { format: 'xml' });
    assert.deepEqual(negotiate(undefined, 'application/fhir+xml', 'application/fhir+json'), { format: 'xml' });
    assert.deepEqual(negotiate(undefined, undefined, 'application/fhir+xml'), { format: 'xml' });
    assert.deepEqual(negotiate(undefined, '*/*', 'application/xml'), { format: 'xml' });
    assert.deepEqual(negotiate(undefined, undefined, undefined), { format: 'json' });
    assert.deepEqual(negotiate(undefined, 'application/fhir+xml;q=0.5, application/fhir+json', undefined), {
      format: 'json',
    });
    assert.ok('unsupported' in negotiate('html', undefined, undefined));
    assert.ok('unsupported' in negotiate(undefined, 'text/html', undefined));
  });
});
