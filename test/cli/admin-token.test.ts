/**
 * `slotbridge provider admin-token` and the start-up token (issue 11, finding 3): tokens bound to
 * tenants, listed without the token, revoked; a weak start-up token refused. Real processes, a real
 * store file, real HTTP.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/store.js';
import { BIN, runCli, startCliServer } from '../helpers/cli.js';
import { OTHER_TENANT, TENANT, seedCatalogue } from '../helpers/provider.js';

const dir = mkdtempSync(join(tmpdir(), 'slotbridge-admin-token-'));
const data = ['--data', dir];
const START_UP = 'cli-test-start-up-token-0123456789-abcdef';
let server: ChildProcess | undefined;

after(() => {
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('slotbridge provider admin-token', () => {
  let origin: string;

  before(async () => {
    const store = await openStore({ dataDir: dir });
    await seedCatalogue(store);
    await store.close();
    const started = await startCliServer(['provider', '--port', '0', '--admin-token', START_UP, ...data]);
    server = started.child;
    origin = new URL(started.json.tenants[0].serviceRoot).origin;
  });

  const rotas = async (tenant: string, token: string) =>
    (await fetch(`${origin}/admin/${tenant}/rotas`, { headers: { authorization: `Bearer ${token}` } })).status;

  it('needs --tenant (repeatable) or --all-tenants: a usage error otherwise, and for a tenant the store does not have', async () => {
    const none = await runCli(['provider', 'admin-token', '--name', 'Riverside manager', ...data]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /an admin token is bound to tenants: give --tenant ID \(repeatable\), or --all-tenants/);
    const unknown = await runCli(['provider', 'admin-token', '--name', 'x', '--tenant', 'northgate-utc', ...data]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no tenant northgate-utc in this store/);
    const badExpiry = await runCli([
      'provider',
      'admin-token',
      '--name',
      'x',
      '--tenant',
      TENANT,
      '--expires',
      'soon',
      ...data,
    ]);
    assert.equal(badExpiry.code, 2);
    assert.match(badExpiry.stderr, /--expires soon: use a number of days or hours/);
  });

  it('a token made for one tenant works there and is refused (403) on the other; revoked, it is refused (401)', async () => {
    const made = await runCli([
      'provider',
      'admin-token',
      '--name',
      'Riverside manager',
      '--tenant',
      TENANT,
      '--json',
      ...data,
    ]);
    assert.equal(made.code, 0, made.stderr);
    const token = JSON.parse(made.stdout);
    assert.deepEqual(token.tenants, [TENANT]);
    assert.match(made.stderr, new RegExp(`made for ${TENANT}, expiring 20`));
    assert.equal(await rotas(TENANT, token.token), 200);
    assert.equal(await rotas(OTHER_TENANT, token.token), 403);

    const revoked = await runCli(['provider', 'admin-token', 'revoke', '--name', 'Riverside manager', ...data]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`revoked ${token.id} "Riverside manager" \\(${TENANT}\\)`));
    assert.equal(await rotas(TENANT, token.token), 401);
    const again = await runCli(['provider', 'admin-token', 'revoke', '--id', token.id, ...data]);
    assert.equal(again.code, 1, 'nothing left to revoke');
    assert.match(again.stderr, new RegExp(`no live admin token with id ${token.id}`));
  });

  it('list shows id, name, tenants, created, expires and revoked, never a token', async () => {
    const made = await runCli(
      [
        'provider',
        'admin-token',
        '--name',
        'both',
        '--tenant',
        TENANT,
        '--tenant',
        OTHER_TENANT,
        '--expires',
        '30d',
      ].concat('--json', data),
    );
    const operator = await runCli([
      'provider',
      'admin-token',
      '--name',
      'operator',
      '--all-tenants',
      '--json',
      ...data,
    ]);
    const both = JSON.parse(made.stdout);
    const all = JSON.parse(operator.stdout);
    assert.deepEqual(all.tenants, 'all');
    assert.equal(await rotas(OTHER_TENANT, both.token), 200);
    assert.equal(await rotas(OTHER_TENANT, all.token), 200);

    const listed = await runCli(['provider', 'admin-token', 'list', ...data]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      new RegExp(`${both.id} {2}"both" {2}${OTHER_TENANT}, ${TENANT} {2}created 20\\S+ {2}expires 20`),
    );
    assert.match(listed.stdout, new RegExp(`${all.id} {2}"operator" {2}all tenants`));
    assert.match(listed.stdout, /"Riverside manager" {2}test-ed {2}created \S+ {2}revoked 20/);
    const json = await runCli(['provider', 'admin-token', 'list', '--json', ...data]);
    const tokens = JSON.parse(json.stdout).tokens;
    assert.deepEqual(Object.keys(tokens[0]).sort(), ['created', 'expires', 'id', 'name', 'revoked', 'tenants']);
    for (const text of [listed.stdout, json.stdout]) {
      assert.ok(
        !text.includes(both.token) && !text.includes(all.token) && !text.includes('sbadm_'),
        'no token is shown',
      );
    }
    const days = (Date.parse(both.expires) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30);
  });

  it('the start-up token works on every tenant', async () => {
    assert.equal(await rotas(TENANT, START_UP), 200);
    assert.equal(await rotas(OTHER_TENANT, START_UP), 200);
  });
});

/** Runs a command that should refuse to start; one that starts anyway is stopped after 30 s (code null). */
function refusedStart(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 });
  return { code: run.status, stderr: String(run.stderr) };
}

describe('the start-up admin token must be strong', () => {
  it('slotbridge provider --admin-token k is a usage error that says why', async () => {
    const weak = refusedStart(['provider', '--port', '0', '--admin-token', 'k', ...data]);
    assert.equal(weak.code, 2);
    assert.match(
      weak.stderr,
      /--admin-token is too weak to guard every tenant: it is 1 characters long; it must be at least 32/,
    );
    const repetitive = refusedStart(['provider', '--port', '0', '--admin-token', 'ab'.repeat(20), ...data]);
    assert.equal(repetitive.code, 2);
    assert.match(repetitive.stderr, /uses only 2 different characters; it must use at least 8/);
  });

  it('a weak SLOTBRIDGE_ADMIN_TOKEN is refused by provider and by start, naming the variable', async () => {
    for (const args of [
      ['provider', '--port', '0', ...data],
      ['start', '--port', '0', ...data],
    ]) {
      const weak = refusedStart(args, { SLOTBRIDGE_ADMIN_TOKEN: 'password123' });
      assert.equal(weak.code, 2, `${args[0]}: ${weak.stderr}`);
      assert.match(weak.stderr, /SLOTBRIDGE_ADMIN_TOKEN is too weak to guard every tenant/);
    }
  });
});
