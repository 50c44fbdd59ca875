/** The command line contract (docs/decisions.md): real processes, real store files, real HTTP. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { call } from '../helpers/consumer.js';
import { runCli, startCliServer } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'slotbridge-cli-'));
const data = ['--data', dir];
let server: ChildProcess | undefined;

after(() => {
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('slotbridge', () => {
  let tenants: { id: string; serviceRoot: string; asid: string; odsCode: string }[] = [];

  before(async () => {
    const started = await startCliServer(['provider', '--port', '0', '--seed', 'demo', ...data]);
    server = started.child;
    tenants = started.json.tenants;
  });

  it('provider --seed demo serves at least two tenants, each with its own service root and ASID', async () => {
    assert.ok(tenants.length >= 2);
    assert.equal(new Set(tenants.map((t) => t.asid)).size, tenants.length);
    for (const t of tenants) {
      assert.match(t.serviceRoot, /^http:\/\/localhost:\d+\/STU3\/1\/[a-z0-9-]+$/);
      const res = await call(t.serviceRoot, '/metadata');
      assert.equal(res.status, 200);
      assert.equal(res.json.implementation.url, t.serviceRoot);
    }
  });

  it('demo data: services with directory ids, locations with addresses, practitioners, 15-minute slots for 7 days, some busy', async () => {
    const root = tenants.find((t) => t.id === 'riverside-ed')!.serviceRoot;
    const services = (await call(root, '/HealthcareService')).json.entry.map((e: any) => e.resource);
    assert.ok(services.length >= 2);
    assert.ok(services.every((s: any) => /^\d{10}$/.test(s.id)));
    const search = await call(root, `/Slot?service=${services[0].id}&status=free,busy&_include=*`);
    const slots = search.json.entry.filter((e: any) => e.resource.resourceType === 'Slot').map((e: any) => e.resource);
    assert.ok(slots.some((s: any) => s.status === 'busy'));
    assert.ok(slots.some((s: any) => s.status === 'free'));
    assert.ok(slots.every((s: any) => Date.parse(s.end) - Date.parse(s.start) === 900_000));
    const last = Math.max(...slots.map((s: any) => Date.parse(s.start)));
    assert.ok(last > Date.now() + 6 * 86_400_000, 'slots reach about 7 days ahead');
    const location = search.json.entry.find((e: any) => e.resource.resourceType === 'Location').resource;
    assert.ok(location.address.postalCode);
    assert.ok(search.json.entry.some((e: any) => e.resource.resourceType === 'Practitioner'));
  });

  it('seeding twice duplicates nothing (a second seed adds no slots)', async () => {
    const res = await runCli(['seed', 'demo', ...data, '--json']);
    assert.equal(res.code, 0, res.stderr);
    const reports = JSON.parse(res.stdout);
    assert.ok(reports.length >= 2);
    for (const r of reports)
      assert.ok(r.slotsAdded <= 8, `${r.tenant} added ${r.slotsAdded} (only slots that just came into the horizon)`);
  });

  it('audit shows every request with its provenance; --json is one document on stdout', async () => {
    const root = tenants[0].serviceRoot;
    await call(root, '/metadata', { requestId: 'cli-audit-1' });
    await new Promise((r) => setTimeout(r, 300)); // the audit trail is written every 50 ms
    const res = await runCli(['audit', ...data, '--request-id', 'cli-audit-1', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const rows = JSON.parse(res.stdout);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].interaction, 'metadata');
    assert.equal(rows[0].organisation_ods, 'A1001');
    const human = await runCli(['audit', ...data, '--tenant', tenants[0].id]);
    assert.match(human.stdout, /GET \/STU3\/1\/.*\/metadata\s+200/);
  });

  it('P7 provider policy refuses and allows consumer organisations', async () => {
    const root = tenants[0].serviceRoot;
    const refuse = await runCli([
      'provider',
      'policy',
      '--tenant',
      tenants[0].id,
      '--refuse',
      'z1234',
      ...data,
      '--json',
    ]);
    assert.equal(refuse.code, 0, refuse.stderr);
    assert.deepEqual(JSON.parse(refuse.stdout).refusedOrganisations, ['Z1234']);
    await new Promise((r) => setTimeout(r, 2100)); // the running server reloads its tenants every 2 s
    const refused = await call(root, '/metadata', { ods: 'Z1234' });
    assert.equal(refused.status, 403);
    assert.equal((await call(root, '/metadata', { ods: 'A1001' })).status, 200);
    const allow = await runCli([
      'provider',
      'policy',
      '--tenant',
      tenants[0].id,
      '--allow',
      'Z1234',
      ...data,
      '--json',
    ]);
    assert.deepEqual(JSON.parse(allow.stdout).refusedOrganisations, []);
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal((await call(root, '/metadata', { ods: 'Z1234' })).status, 200);
  });

  it('P38-P42 provider report prints rep-prov-01 to 05', async () => {
    const res = await runCli(['provider', 'report', '--tenant', tenants[0].id, ...data, '--json']);
    assert.equal(res.code, 0, res.stderr);
    const report = JSON.parse(res.stdout);
    for (const id of ['rep-prov-01', 'rep-prov-02', 'rep-prov-03', 'rep-prov-04', 'rep-prov-05'])
      assert.ok(report[id], id);
    const human = await runCli(['provider', 'report', '--tenant', tenants[0].id, ...data]);
    assert.match(human.stdout, /rep-prov-03 booked vs slots made available: 0 of \d+/);
  });

  it('provider referral records an arrived referral document', async () => {
    const file = join(dir, 'referral.xml');
    writeFileSync(file, '<ClinicalDocument/>');
    const res = await runCli([
      'provider',
      'referral',
      '--tenant',
      tenants[0].id,
      '--document-id',
      '6b9c59dd-675b-4026-98db-f608ef501e6e',
      '--file',
      file,
      ...data,
      '--json',
    ]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(JSON.parse(res.stdout).result, 'received');
  });

  it('token makes a JWT the provider accepts', async () => {
    const root = tenants[0].serviceRoot;
    const res = await runCli(['token', '--aud', root, '--scope', 'slot']);
    assert.equal(res.code, 0);
    const ok = await call(root, '/metadata', { authorization: `Bearer ${res.stdout.trim()}` });
    assert.equal(ok.status, 200);
  });

  it('failures exit non-zero with the reason on stderr and nothing on stdout', async () => {
    const unknown = await runCli(['frobnicate', '--json']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stdout, '');
    assert.match(unknown.stderr, /unknown command/);
    const badFlag = await runCli(['audit', '--nope', ...data]);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /nope/);
    const missing = await runCli(['provider', 'report', ...data, '--json']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /--tenant is required/);
  });
});
