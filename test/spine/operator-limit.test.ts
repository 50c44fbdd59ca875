/**
 * Guessing the spine's operator token (issue 11, finding 7; docs/security.md "The spine: operator
 * credential and the proxy"): failed operator credentials are limited per client address (429 with
 * Retry-After, before the token is looked at) and every refused call is in the spine's audit trail,
 * never the token. A real spine with a real store over real HTTP; the "other clients" connect from
 * other loopback addresses (127.0.0.2 …).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { callFrom } from '../helpers/call-from.js';
import { OPERATOR_TOKEN, TEST_SPINE } from '../helpers/spine.js';
import { testStore, type TestStore } from '../helpers/store.js';

describe('failed operator credentials are limited per client and audited (issue 11, finding 7)', () => {
  let ts: TestStore;
  let spine: Spine;
  let base: string;
  const evil = {
    serviceRoot: 'http://127.0.0.1:5690/STU3/1/evil',
    asid: '200000000102',
    odsCode: 'RT9',
    services: [],
  };
  const repoint = (token: string, from = '127.0.0.1') =>
    callFrom(`${base}/admin/providers`, { from, method: 'POST', token, body: evil });
  const refusals = async () =>
    (await ts.store.db.selectFrom('spine_audit').selectAll().orderBy('seq').execute()).filter((r) =>
      r.action.startsWith('operator-refused'),
    );

  before(async () => {
    ts = await testStore();
    spine = await buildSpine({ ...TEST_SPINE, store: ts.store });
    base = (await spine.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  });
  after(async () => {
    await spine?.app.close();
    await ts?.dispose();
  });

  it('after 10 wrong tokens a client gets 429 with Retry-After, even with the right token; another client still gets in', async () => {
    for (let i = 0; i < 10; i++) {
      const guess = await repoint(`sbop_guess-${i}-0123456789abcdefghijklmnopqrstuvwxyz`);
      assert.equal(guess.status, 401, `guess ${i + 1} is an ordinary 401`);
    }
    const limited = await repoint('sbop_guess-11-0123456789abcdefghijklmnopqrstuvwxyz');
    assert.equal(limited.status, 429, 'the 11th guess in the minute is refused without being tried');
    assert.equal(limited.body.resourceType, 'OperationOutcome');
    assert.equal(limited.body.issue[0].code, 'throttled');
    assert.match(
      limited.body.issue[0].diagnostics,
      /Too many failed operator credentials from 127\.0\.0\.1: try again in/,
    );
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers['retry-after']}`);
    assert.equal(
      (await repoint(OPERATOR_TOKEN)).status,
      429,
      'the right token does not get through either: a guesser learns nothing until the window ends',
    );
    assert.equal((await callFrom(`${base}/monitor/audit`)).status, 429, 'nor does a call without a token');
    assert.equal(
      (await callFrom(`${base}/endpoints/as/${evil.asid}`)).status,
      404,
      'the public reads are not limited, and nothing was registered',
    );
    assert.equal(
      (await callFrom(`${base}/monitor/audit`, { from: '127.0.0.2', token: OPERATOR_TOKEN })).status,
      200,
      'another client gets in',
    );
    assert.equal(
      (await repoint('sbop_typo-0123456789abcdefghijklmnopqrstuvwxyz', '127.0.0.2')).status,
      401,
      "the other client's mistakes count against it alone",
    );
  });

  it('every refused call is audited with the address, what was tried and why, never the token', async () => {
    await callFrom(`${base}/directory/services/X1`, { from: '127.0.0.3', method: 'DELETE' });
    const rows = await refusals();
    const guesses = rows.filter((r) => r.actor === 'wrong token from 127.0.0.1');
    assert.equal(guesses.length, 10, 'each failed guess is a row');
    assert.equal(guesses[0]!.target, 'POST /admin/providers');
    assert.deepEqual(JSON.parse(guesses[0]!.after!), {
      status: 401,
      reason: 'The operator token is not valid',
      requestId: JSON.parse(guesses[0]!.after!).requestId,
    });
    const none = rows.find((r) => r.actor === 'no token from 127.0.0.3')!;
    assert.equal(none.target, 'DELETE /directory/services/X1');
    assert.equal(JSON.parse(none.after!).status, 401);
    const limited = rows.filter((r) => JSON.parse(r.after!).status === 429);
    assert.equal(limited.length, 1, 'the first 429 of the spell is a row');
    assert.equal(limited[0]!.actor, 'not checked (rate-limited) from 127.0.0.1');
    assert.equal(JSON.parse(limited[0]!.after!).refusedWhileLimited, 1);

    const listed = await callFrom(`${base}/monitor/audit?limit=1000`, { from: '127.0.0.4', token: OPERATOR_TOKEN });
    assert.equal(listed.status, 200);
    assert.ok(
      listed.body.entries.some((e: any) => e.action === 'operator-refused' && e.actor === 'no token from 127.0.0.3'),
      'the operator reads refusals in the audit trail',
    );
    const everything = JSON.stringify(await ts.store.db.selectFrom('spine_audit').selectAll().execute());
    assert.ok(!everything.includes(OPERATOR_TOKEN), 'the presented token is not stored');
    assert.ok(!everything.includes('sbop_guess'), 'nor a guessed one');
  });

  it('once limited, refusals are counted, not written one by one (rows at the 1st, 10th, 100th)', async () => {
    const before = (await refusals()).length;
    for (let i = 0; i < 120; i++) assert.equal((await repoint(`sbop_flood-${i}`)).status, 429);
    const added = (await refusals()).slice(before);
    assert.deepEqual(
      added.map((r) => JSON.parse(r.after!).refusedWhileLimited),
      [10, 100],
      '123 refusals while limited in all: rows at the 10th and 100th (the 1st was written before)',
    );
  });
});
