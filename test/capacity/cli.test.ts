/** The capacity commands of `slotbridge provider` (issue 6) on a real store file: the same operations as the admin API. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'slotbridge-capacity-cli-'));
const data = ['--data', dir];
const T = ['--tenant', 'riverside-ed'];

before(async () => {
  const seeded = await runCli(['seed', 'demo', ...data]);
  assert.equal(seeded.code, 0, seeded.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('slotbridge provider: capacity commands', () => {
  it('rota put and generate, slots block and release, say what they did', async () => {
    const rota = join(dir, 'rota.json');
    const today = new Date().toISOString().slice(0, 10);
    writeFileSync(
      rota,
      JSON.stringify({
        id: 'late',
        scheduleId: 'rgh-ed-minors',
        days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
        start: '23:00',
        end: '23:30',
        slotMinutes: 15,
        deliveryChannel: 'In-person',
        effectiveFrom: today,
      }),
    );
    const put = await runCli(['provider', 'rota', 'put', ...T, '--file', rota, ...data]);
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /rota late saved for schedule rgh-ed-minors/);
    const generated = await runCli([
      'provider',
      'rota',
      'generate',
      ...T,
      '--rota',
      'late',
      '--days',
      '3',
      ...data,
      '--json',
    ]);
    assert.equal(generated.code, 0, generated.stderr);
    assert.ok(JSON.parse(generated.stdout).added >= 4);
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        id: 'bad',
        scheduleId: 'rgh-ed-minors',
        days: ['Mon'],
        start: '10:00',
        end: '09:00',
        slotMinutes: 15,
        effectiveFrom: today,
      }),
    );
    const refused = await runCli(['provider', 'rota', 'put', ...T, '--file', bad, ...data]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /not after the start/);

    const from = new Date().toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    const blocked = await runCli([
      'provider',
      'slots',
      'block',
      ...T,
      '--schedule',
      'rgh-ed-minors',
      '--from',
      from,
      '--to',
      to,
      ...data,
      '--json',
    ]);
    assert.equal(blocked.code, 0, blocked.stderr);
    const report = JSON.parse(blocked.stdout);
    assert.ok(report.changed.length > 0);
    const released = await runCli(['provider', 'slots', 'release', ...T, '--slot', report.changed[0], ...data]);
    assert.match(released.stdout, /released 1 slots/);
  });

  it('release rules, organisation types, preview and the day view', async () => {
    assert.equal(
      (await runCli(['provider', 'organisation-type', ...T, '--ods', 'a1001', '--type', 'nhs-111', ...data])).code,
      0,
    );
    const rule = await runCli([
      'provider',
      'release',
      ...T,
      '--schedule',
      'rgh-ed-minors',
      '--types',
      'gp-practice',
      ...data,
    ]);
    assert.equal(rule.code, 0, rule.stderr);
    const preview = await runCli(['provider', 'preview', ...T, '--ods', 'A1001', ...data]);
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(
      preview.stdout,
      /withheld \d+: rgh-ed-minors: released only to organisation types gp-practice; A1001 is of type nhs-111/,
    );
    const cleared = await runCli(['provider', 'release', ...T, '--schedule', 'rgh-ed-minors', '--clear', ...data]);
    assert.match(cleared.stdout, /released to everyone/);
    const badRule = await runCli([
      'provider',
      'release',
      ...T,
      '--schedule',
      'rgh-ed-minors',
      '--types',
      'martians',
      ...data,
    ]);
    assert.equal(badRule.code, 2);
    const tomorrow = new Date(Date.now() + 86_400_000).toLocaleDateString('en-CA', { timeZone: 'Europe/London' });
    const day = await runCli(['provider', 'day', ...T, '--date', tomorrow, ...data]);
    assert.equal(day.code, 0, day.stderr);
    assert.match(day.stdout, /rgh-ed-minors \(2000011002\): \d+ offered, \d+ booked, \d+ free, \d+ blocked/);
    const unknown = await runCli(['provider', 'appointment', ...T, '--id', 'nope', '--status', 'arrived', ...data]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /not known/);
  });

  it('the directory, the service-to-schedule mapping, extra slots and the admin audit, from the command line', async () => {
    const file = (name: string, body: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(body));
      return path;
    };
    const location = await runCli([
      'provider',
      'resource',
      'put',
      ...T,
      '--type',
      'Location',
      '--id',
      'rgh-mobile',
      '--file',
      file('loc.json', {
        resourceType: 'Location',
        name: 'Riverside mobile unit',
        address: { line: ['1 Yard Lane'], city: 'Leeds', postalCode: 'LS1 4AP' },
      }),
      ...data,
    ]);
    assert.equal(location.code, 0, location.stderr);
    assert.match(location.stdout, /Location\/rgh-mobile created in riverside-ed \(version 1\)/);
    const orphan = await runCli([
      'provider',
      'resource',
      'put',
      ...T,
      '--type',
      'PractitionerRole',
      '--id',
      'r-nobody',
      '--file',
      file('role.json', { resourceType: 'PractitionerRole', practitioner: { reference: 'Practitioner/nobody' } }),
      ...data,
    ]);
    assert.equal(orphan.code, 2);
    assert.match(orphan.stderr, /Practitioner\/nobody/);
    const roles = await runCli(['provider', 'resource', 'list', ...T, '--type', 'PractitionerRole', ...data, '--json']);
    assert.ok(
      !JSON.parse(roles.stdout).resources.some((r: any) => r.id === 'r-nobody'),
      'a refused resource is not stored',
    );
    const listed = await runCli(['provider', 'resource', 'list', ...T, '--type', 'Location', ...data]);
    assert.match(listed.stdout, /Location\/rgh-mobile {2}version 1/);

    const mapped = await runCli([
      'provider',
      'map',
      ...T,
      '--service',
      '2000011001',
      '--schedule',
      'rgh-ed-minors',
      ...data,
    ]);
    assert.equal(mapped.code, 0, mapped.stderr);
    assert.match(mapped.stdout, /service 2000011001 is served by schedule rgh-ed-minors/);
    assert.equal(
      (
        await runCli([
          'provider',
          'map',
          ...T,
          '--service',
          '2000011001',
          '--schedule',
          'rgh-ed-minors',
          '--remove',
          ...data,
        ])
      ).code,
      0,
    );

    const start = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const end = new Date(Date.now() + 2 * 86_400_000 + 600_000).toISOString();
    const extra = await runCli([
      'provider',
      'extra-slot',
      ...T,
      '--schedule',
      'rgh-ed-minors',
      '--start',
      start,
      '--end',
      end,
      ...data,
      '--json',
    ]);
    assert.equal(extra.code, 0, extra.stderr);
    assert.equal(JSON.parse(extra.stdout).status, 'busy-unavailable', 'held back until released');
    const backwards = await runCli([
      'provider',
      'extra-slot',
      ...T,
      '--schedule',
      'rgh-ed-minors',
      '--start',
      end,
      '--end',
      start,
      ...data,
    ]);
    assert.equal(backwards.code, 2);
    assert.match(backwards.stderr, /end must be after start/);

    const audit = await runCli(['provider', 'admin-audit', ...T, '--limit', '5', ...data]);
    assert.equal(audit.code, 0, audit.stderr);
    assert.match(audit.stdout, /cli:\S+ {2}slot\.extra {2}slot\/extra\./);
    assert.match(audit.stdout, /mapping\.remove/);
    assert.match(audit.stdout, /Location\.put {2}Location\/rgh-mobile/);
  });
});
