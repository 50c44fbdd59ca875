/**
 * The capacity pages' London times (web/src/capacity/time.ts), which use the server's zone arithmetic
 * (src/fhir/time.ts): what a rota manager types is the instant the admin API gets, across the clock changes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { londonDate, londonInstant, londonTime, when } from '../../web/src/capacity/time.js';

describe('London times on the capacity pages', () => {
  it('a date and a wall-clock time become a UTC instant, in summer and winter', () => {
    assert.equal(londonInstant('2026-07-01', '08:00'), '2026-07-01T07:00:00.000Z');
    assert.equal(londonInstant('2026-12-01', '08:00'), '2026-12-01T08:00:00.000Z');
    assert.equal(londonInstant('2026-12-01', '24:00', 'end'), '2026-12-02T00:00:00.000Z', 'the end of the day');
    assert.throws(() => londonInstant('2026-02-30', '08:00'), /not a date and a time/);
  });

  it('a range across the clock changes: a repeated time starts early and ends late, a missing one is the change', () => {
    assert.equal(londonInstant('2026-10-25', '01:30', 'start'), '2026-10-25T00:30:00.000Z');
    assert.equal(londonInstant('2026-10-25', '01:30', 'end'), '2026-10-25T01:30:00.000Z');
    assert.equal(londonInstant('2026-03-29', '01:30', 'start'), '2026-03-29T01:00:00.000Z');
    assert.equal(londonInstant('2026-03-29', '01:30', 'end'), '2026-03-29T01:00:00.000Z');
  });

  it('an instant reads as its London date and time', () => {
    assert.equal(londonDate('2026-06-30T23:30:00Z'), '2026-07-01', 'after midnight in summer time');
    assert.equal(londonTime('2026-06-30T23:30:00Z'), '00:30');
    assert.equal(londonTime('2026-10-25T01:30:00Z'), '01:30', 'the second 01:30');
    assert.match(when('2026-10-25T01:30:00Z'), /25 Oct 2026, 01:30$/);
  });
});
