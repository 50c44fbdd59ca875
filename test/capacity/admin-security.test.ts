/**
 * The provider's admin API as an attacker on the same network meets it (issue 11, findings 3, 7, 11):
 * tokens bound to tenants, expiring and revocable; a strong start-up token; failed credentials
 * limited per client address and audited without the token; URL segments looked up as own
 * properties only. A real provider with a real store over real HTTP; the "other clients" connect
 * from other loopback addresses (127.0.0.2 …).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { createAdminToken, revokeAdminTokens } from '../../src/capacity/admin.js';
import { listAdminTokens, verifyAdminToken } from '../../src/capacity/admin-tokens.js';
import { migrations } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/store.js';
import { buildProviderServer } from '../../src/server/provider.js';
import { CAPACITY_API_PREFIX, capacityProxy } from '../../src/web/capacity-proxy.js';
import { startAdminProvider, type AdminProvider } from '../helpers/admin.js';
import { callFrom } from '../helpers/call-from.js';
import { OTHER_TENANT, TENANT } from '../helpers/provider.js';
import { TEST_DATABASE_URL, testStore } from '../helpers/store.js';

const auditRows = (p: AdminProvider) => p.ts.store.db.selectFrom('admin_audit').selectAll().orderBy('seq').execute();

describe('admin tokens are bound to the tenants they were made for (issue 11, finding 3)', () => {
  let p: AdminProvider;
  before(async () => {
    // A high allowance of failures: this suite refuses many calls on purpose.
    p = await startAdminProvider('Riverside manager', { admin: { failures: { max: 1000 } } });
  });
  after(async () => {
    await p?.close();
  });
  const admin = (tenant: string, path: string) => `${p.origin}/admin/${tenant}${path}`;

  it("a token made for one tenant cannot block another tenant's slots: 403 OperationOutcome, nothing changed", async () => {
    const slot = p.catalogue.other[0]!;
    const blocked = await callFrom(admin(OTHER_TENANT, '/slots/block'), {
      method: 'POST',
      token: p.admin,
      body: { slotIds: [slot.id] },
    });
    assert.equal(blocked.status, 403);
    assert.equal(blocked.body.resourceType, 'OperationOutcome');
    assert.equal(blocked.body.issue[0].code, 'forbidden');
    assert.equal(blocked.body.issue[0].diagnostics, `The admin token "Riverside manager" is not for ${OTHER_TENANT}`);
    const row = await p.ts.store.db
      .selectFrom('slot')
      .select('status')
      .where('tenant_id', '=', OTHER_TENANT)
      .where('id', '=', slot.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'free', "the other tenant's slot is still offered");
    assert.equal((await callFrom(admin(TENANT, '/rotas'), { token: p.admin })).status, 200, 'its own tenant works');
  });

  it('a tenant that does not exist is the same 403: the answer does not tell which tenants exist', async () => {
    const missing = await callFrom(admin('no-such-tenant', '/rotas'), { token: p.admin });
    const other = await callFrom(admin(OTHER_TENANT, '/rotas'), { token: p.admin });
    assert.equal(missing.status, 403);
    assert.equal(
      missing.body.issue[0].diagnostics.replace('no-such-tenant', 'X'),
      other.body.issue[0].diagnostics.replace(OTHER_TENANT, 'X'),
    );
  });

  it('a token for several tenants works on each; an all-tenants token on every one (404 for a tenant that does not exist)', async () => {
    const { token: both } = await createAdminToken(p.ts.store.db, { name: 'both', tenants: [TENANT, OTHER_TENANT] });
    for (const t of [TENANT, OTHER_TENANT])
      assert.equal((await callFrom(admin(t, '/rotas'), { token: both })).status, 200);
    const { token: operator } = await createAdminToken(p.ts.store.db, { name: 'operator', allTenants: true });
    for (const t of [TENANT, OTHER_TENANT])
      assert.equal((await callFrom(admin(t, '/rotas'), { token: operator })).status, 200);
    assert.equal((await callFrom(admin('no-such-tenant', '/rotas'), { token: operator })).status, 404);
  });

  it('a token must name its tenants (or all), and its tenants must exist', async () => {
    await assert.rejects(createAdminToken(p.ts.store.db, { name: 'nobody' }), /bound to tenants: give --tenant/);
    await assert.rejects(createAdminToken(p.ts.store.db, { name: 'x', tenants: ['nope'] }), /no tenant nope/);
    await assert.rejects(
      createAdminToken(p.ts.store.db, { name: 'x', tenants: [TENANT], allTenants: true }),
      /either --tenant .* or --all-tenants/,
    );
  });

  it('expires: 90 days unless told; at most 366; an expired token is a 401', async () => {
    const made = await createAdminToken(p.ts.store.db, { name: 'temp', tenants: [TENANT] });
    const days = (Date.parse(made.expires!) - Date.now()) / 86_400_000;
    assert.ok(days > 89.9 && days <= 90, `${days} days`);
    const short = await createAdminToken(p.ts.store.db, { name: 'short', tenants: [TENANT], expires: '12h' });
    assert.ok(Date.parse(short.expires!) - Date.now() <= 12 * 3_600_000);
    await assert.rejects(createAdminToken(p.ts.store.db, { name: 'x', tenants: [TENANT], expires: '400d' }), /366/);
    await assert.rejects(
      createAdminToken(p.ts.store.db, { name: 'x', tenants: [TENANT], expires: '2001-01-01' }),
      /not in the future/,
    );
    assert.equal((await callFrom(admin(TENANT, '/rotas'), { token: made.token })).status, 200);
    // Time passes: the token's expiry is now behind us.
    await p.ts.store.db
      .updateTable('admin_token')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', made.id)
      .execute();
    const expired = await callFrom(admin(TENANT, '/rotas'), { token: made.token });
    assert.equal(expired.status, 401);
    assert.match(expired.body.issue[0].diagnostics, /The admin token "temp" expired at /);
  });

  it('a revoked token is a 401 from then on', async () => {
    const made = await createAdminToken(p.ts.store.db, { name: 'leaver', tenants: [TENANT] });
    assert.equal((await callFrom(admin(TENANT, '/rotas'), { token: made.token })).status, 200);
    const revoked = await revokeAdminTokens(p.ts.store.db, { name: 'leaver' });
    assert.deepEqual(
      revoked.map((t) => t.id),
      [made.id],
    );
    const refused = await callFrom(admin(TENANT, '/rotas'), { token: made.token });
    assert.equal(refused.status, 401);
    assert.match(refused.body.issue[0].diagnostics, /The admin token "leaver" was revoked at /);
    assert.deepEqual(await revokeAdminTokens(p.ts.store.db, { name: 'leaver' }), [], 'nothing left to revoke');
  });

  it('a weak start-up token is refused at start; a strong one works on every tenant', async () => {
    const ts = await testStore();
    try {
      for (const weak of ['k', 'x'.repeat(40), 'short-but-varied-123']) {
        await assert.rejects(
          buildProviderServer({ store: ts.store, publicOrigin: 'http://placeholder', adminToken: weak }),
          /The start-up admin token is too weak/,
          weak,
        );
      }
    } finally {
      await ts.dispose();
    }
  });
});

describe('failed admin credentials are limited per client and audited (issue 11, finding 7)', () => {
  let p: AdminProvider;
  before(async () => {
    p = await startAdminProvider('rota manager');
  });
  after(async () => {
    await p?.close();
  });

  it('after 10 failures a client gets 429 with Retry-After, even with the right token; another client still gets in', async () => {
    const url = `${p.origin}/admin/${TENANT}/rotas`;
    for (let i = 0; i < 10; i++) {
      const guess = await callFrom(url, { token: `sbadm_guess-${i}` });
      assert.equal(guess.status, 401, `guess ${i + 1} is an ordinary 401`);
    }
    const limited = await callFrom(url, { token: 'sbadm_guess-11' });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.resourceType, 'OperationOutcome');
    assert.equal(limited.body.issue[0].code, 'throttled');
    assert.match(
      limited.body.issue[0].diagnostics,
      /Too many failed admin credentials from 127\.0\.0\.1: try again in/,
    );
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers['retry-after']}`);
    assert.equal(
      (await callFrom(url, { token: p.admin })).status,
      429,
      'the right token does not get through either: a guesser learns nothing until the window ends',
    );
    assert.equal((await callFrom(url, { from: '127.0.0.2', token: p.admin })).status, 200, 'another client gets in');
    assert.equal(
      (await callFrom(url, { from: '127.0.0.2', token: 'sbadm_typo' })).status,
      401,
      "the other client's mistakes count against it alone",
    );
  });

  it('every refused call is audited with the peer address, who as far as known and why, never the token', async () => {
    const url = (tenant: string) => `${p.origin}/admin/${tenant}/rotas`;
    await callFrom(url(OTHER_TENANT), { from: '127.0.0.3', token: p.admin });
    await callFrom(url(TENANT), { from: '127.0.0.3' });
    const rows = await auditRows(p);
    const refused = rows.filter((r) => r.action === 'admin.refused');
    const guesses = refused.filter((r) => r.peer === '127.0.0.1' && r.actor === 'unknown token');
    assert.equal(guesses.length, 10, 'each failed guess is a row');
    assert.deepEqual(JSON.parse(guesses[0]!.after!), {
      status: 401,
      reason: 'The admin token is not known',
      requestId: JSON.parse(guesses[0]!.after!).requestId,
    });
    assert.equal(guesses[0]!.target, `GET /admin/${TENANT}/rotas`);
    assert.equal(guesses[0]!.tenant_id, TENANT);
    const wrongTenant = refused.find((r) => r.peer === '127.0.0.3' && r.tenant_id === OTHER_TENANT)!;
    assert.equal(wrongTenant.actor, 'rota manager', "a live token's name is known");
    assert.equal(JSON.parse(wrongTenant.after!).status, 403);
    assert.ok(refused.some((r) => r.peer === '127.0.0.3' && r.actor === 'no token'));
    const limited = refused.filter((r) => JSON.parse(r.after!).status === 429);
    assert.equal(limited.length, 1, 'the first 429 of the window is a row');
    assert.equal(limited[0]!.actor, 'not checked (rate-limited)');
    const listed = await callFrom(`${p.origin}/admin/${TENANT}/audit`, { from: '127.0.0.4', token: p.admin });
    assert.equal(listed.status, 200);
    const shown = listed.body.entries.find((e: any) => e.action === 'admin.refused' && e.actor === 'no token');
    assert.equal(shown.peer, '127.0.0.3', 'the tenant’s audit shows refused calls and where they came from');
    const everything = JSON.stringify(rows);
    assert.ok(!everything.includes(p.admin), 'the presented token is not stored');
    assert.ok(!everything.includes('sbadm_guess'), 'nor a guessed one');
  });

  it('once limited, refusals are counted, not written one by one (rows at the 1st, 10th, 100th)', async () => {
    const url = `${p.origin}/admin/${TENANT}/rotas`;
    const before = (await auditRows(p)).length;
    for (let i = 0; i < 120; i++) assert.equal((await callFrom(url, { token: 'sbadm_flood' })).status, 429);
    const added = (await auditRows(p)).slice(before);
    assert.deepEqual(
      added.map((r) => JSON.parse(r.after!).refusedWhileLimited),
      [10, 100],
      '122 refusals while limited in all: rows at the 10th and 100th (the 1st was written before)',
    );
  });
});

describe('refused-call rows are capped per minute over all clients (issue 11, finding 7)', () => {
  it('beyond the cap the refusals are counted and written as one row', async () => {
    const p = await startAdminProvider('rota manager', { admin: { failures: { max: 1000 }, refusalRowsPerMinute: 5 } });
    let rows;
    try {
      for (let i = 0; i < 20; i++) await callFrom(`${p.origin}/admin/${TENANT}/rotas`, { from: `127.0.1.${i + 1}` });
      await p.provider.app.close(); // writes what the cap held back
      rows = await auditRows(p);
    } finally {
      await p.close();
    }
    const minute = Math.floor(Date.now() / 60_000);
    const itemised = rows.filter((r) => r.action === 'admin.refused').length;
    const held = rows.filter((r) => r.action === 'admin.refused.summary').map((r) => JSON.parse(r.after!).refused);
    assert.equal(itemised + held.reduce((a, b) => a + b, 0), 20, 'every refusal is accounted for');
    // The loop may straddle a minute boundary (a second budget of 5); otherwise exactly 5 rows and one count of 15.
    if (Math.floor(Date.now() / 60_000) === minute) assert.ok(itemised <= 10 && held.length >= 1);
  });
});

describe('the web forwarder names the browser: one browser cannot lock out the others (issue 11, finding 7)', () => {
  let p: AdminProvider;
  let web: FastifyInstance;
  let url: string;
  before(async () => {
    p = await startAdminProvider('rota manager', { admin: { trustedProxies: ['127.0.0.1'] } });
    web = Fastify();
    await web.register(capacityProxy, { prefix: CAPACITY_API_PREFIX, providerOrigin: p.origin });
    url = (await web.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  });
  after(async () => {
    await web?.close();
    await p?.close();
  });

  it('a guessing browser is limited; another browser through the same forwarder signs in', async () => {
    const rotas = `${url}${CAPACITY_API_PREFIX}/${TENANT}/rotas`;
    for (let i = 0; i < 10; i++)
      assert.equal((await callFrom(rotas, { from: '127.0.0.5', token: `x${i}` })).status, 401);
    const limited = await callFrom(rotas, { from: '127.0.0.5', token: p.admin });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1, 'Retry-After comes back through the forwarder');
    assert.match(limited.body.issue[0].diagnostics, /from 127\.0\.0\.5/);
    assert.equal((await callFrom(rotas, { from: '127.0.0.6', token: p.admin })).status, 200);
    const row = (await auditRows(p)).find((r) => r.action === 'admin.refused')!;
    assert.equal(row.peer, '127.0.0.5 via 127.0.0.1');
  });

  it('a client that is not a trusted proxy cannot choose its address with X-Forwarded-For', async () => {
    const direct = `${p.origin}/admin/${TENANT}/rotas`;
    for (let i = 0; i < 10; i++)
      await callFrom(direct, { from: '127.0.0.7', token: `y${i}`, headers: { 'x-forwarded-for': `10.0.0.${i}` } });
    const limited = await callFrom(direct, { from: '127.0.0.7', headers: { 'x-forwarded-for': '10.9.9.9' } });
    assert.equal(limited.status, 429);
  });
});

describe('URL segments are looked up as own properties only (issue 11, finding 11)', () => {
  let p: AdminProvider;
  before(async () => {
    p = await startAdminProvider('rota manager');
  });
  after(async () => {
    await p?.close();
  });

  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
    it(`GET and PUT /admin/{tenant}/resources/${name} are a 404 OperationOutcome, not a 500`, async () => {
      const listed = await p.adminCall('GET', `/resources/${name}`);
      assert.equal(listed.status, 404, JSON.stringify(listed.body));
      assert.equal(listed.body.resourceType, 'OperationOutcome');
      assert.match(listed.body.issue[0].diagnostics, /The admin API keeps HealthcareService, .*; not /);
      const put = await p.adminCall('PUT', `/resources/${name}/x1`, { resourceType: 'Location', name: 'x' });
      assert.equal(put.status, 404, JSON.stringify(put.body));
    });
  }
});

describe('migration 006: tokens made before tenants were bound (issue 11, finding 3)', () => {
  it(
    'a token that worked on every tenant is revoked by the migration, listed with an id, and refused (401)',
    { skip: Boolean(TEST_DATABASE_URL) && 'an SQLite store file built up to migration 005' },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'slotbridge-006-'));
      try {
        const legacy = 'sbadm_made-before-tenant-binding-0123456789';
        const old = new Kysely<any>({
          dialect: new SqliteDialect({ database: new SQLite(join(dir, 'slotbridge.db')) }),
        });
        const upTo005 = Object.fromEntries(
          Object.entries(migrations)
            .filter(([name]) => name < '006')
            .map(([name, m]) => [name, { up: (db: Kysely<any>) => m.up(db, 'sqlite') }]),
        );
        const { error } = await new Migrator({
          db: old,
          provider: { getMigrations: async () => upTo005 },
        }).migrateToLatest();
        assert.equal(error, undefined);
        const hash = createHash('sha256').update(legacy).digest('hex');
        await old
          .insertInto('admin_token')
          .values({ token_hash: hash, name: 'old manager', created_at: '2026-01-01T00:00:00.000Z' })
          .execute();
        await old.destroy();

        const store = await openStore({ dataDir: dir });
        try {
          const [listed] = await listAdminTokens(store.db);
          assert.equal(listed!.id, hash.slice(0, 12));
          assert.equal(listed!.name, 'old manager');
          assert.deepEqual(listed!.tenants, []);
          assert.ok(listed!.revoked, 'revoked by the migration');
          const verdict = await verifyAdminToken(store.db, legacy, TENANT, undefined);
          assert.equal(verdict.ok, false);
          assert.equal(!verdict.ok && verdict.status, 401);
        } finally {
          await store.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
