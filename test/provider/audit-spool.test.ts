/**
 * The audit trail when the store cannot write (issue 11, finding 18), in process: rows are held in a
 * bounded spool, not dropped; once the spool is full, requests are refused with 503 and Retry-After
 * before they do anything, and counted; when the store writes again every held row is written and the
 * refusals are summed up in one row. The store is the real test store; only its audit writes are made
 * to fail, with the error SQLite gives on a full disk (test/provider/disk-full.test.ts fills a real one).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { buildProviderServer, type ProviderServer } from '../../src/server/provider.js';
import type { Store } from '../../src/store/store.js';
import { call } from '../helpers/consumer.js';
import { sleep } from '../helpers/faults.js';
import { TENANT, seedCatalogue } from '../helpers/provider.js';
import { testStore, type TestStore } from '../helpers/store.js';

const SPOOL = 20;
let ts: TestStore;
let provider: ProviderServer;
let root: string;
let full = false;

before(async () => {
  ts = await testStore();
  await seedCatalogue(ts.store);
  const store: Store = {
    ...ts.store,
    appendAuditEvents: (events) =>
      full
        ? Promise.reject(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))
        : ts.store.appendAuditEvents(events),
  };
  provider = await buildProviderServer({
    store,
    publicOrigin: 'http://placeholder',
    auditFlushMs: 5,
    auditSpoolRows: SPOOL,
  });
  const origin = await provider.app.listen({ port: 0, host: '127.0.0.1' });
  provider.tenants.publicOrigin = origin;
  root = `${origin}/STU3/1/${TENANT}`;
});

after(async () => {
  full = false;
  await provider.app.close();
  await ts.dispose();
});

describe('the audit spool', () => {
  it('holds rows while the store cannot write, refuses requests once full, and writes everything when it can', async () => {
    full = true;
    const served: string[] = [];
    for (let i = 0; i < SPOOL; i++) {
      const requestId = randomUUID();
      const res = await call(root, '/Slot?status=free&_count=1', { requestId });
      assert.equal(res.status, 200, res.text.slice(0, 300));
      served.push(requestId);
    }
    // Each row is handed to the store (and refused) before the spool counts it full.
    for (let i = 0; provider.audit.pending < SPOOL && i < 200; i++) await sleep(10);
    assert.equal(provider.audit.pending, SPOOL, 'every row is held');

    // The spool is full: new requests are refused before they do anything.
    for (let i = 0; i < 5; i++) {
      const res = await call(root, '/Slot?status=free&_count=1');
      assert.equal(res.status, 503, res.text.slice(0, 300));
      assert.ok(Number(res.headers.get('retry-after')) > 0, `Retry-After ${res.headers.get('retry-after')}`);
      assert.equal(res.json.resourceType, 'OperationOutcome');
      assert.equal(res.json.issue[0].code, 'transient');
      assert.match(res.json.issue[0].diagnostics, /audit/);
    }

    // The store writes again: every held row is written (the trail retries on its own), then the summary.
    full = false;
    for (let i = 0; provider.audit.pending > 0 && i < 200; i++) await sleep(50);
    await provider.audit.flush();
    assert.equal(provider.audit.pending, 0);
    const rows = await ts.store.db
      .selectFrom('audit_event')
      .select(['correlation_id', 'status', 'interaction', 'diagnostics'])
      .execute();
    const byRequest = new Map(rows.map((r) => [r.correlation_id, r]));
    for (const id of served) assert.equal(byRequest.get(id)?.status, 200, `the audit row of ${id}`);
    const summary = rows.filter((r) => r.interaction === 'audit-spool-full');
    assert.equal(summary.length, 1, JSON.stringify(summary));
    assert.match(summary[0].diagnostics ?? '', /^5 requests were refused with 503/);

    // And requests are served again.
    assert.equal((await call(root, '/Slot?status=free&_count=1')).status, 200);
  });
});
