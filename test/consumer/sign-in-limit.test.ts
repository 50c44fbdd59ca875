/**
 * Guessing a call handler's password at the web app's local sign-in (issue 11, finding 7; docs/security.md
 * "The web app: signing in"): failed sign-ins are limited per client address and per user name (429 with
 * Retry-After, before the password is checked), and sign-ins, sign-outs and refusals are in the
 * consumer's event log, never a password. A real web app with a real store over real HTTP; the "other
 * clients" connect from other loopback addresses (127.0.0.2 …).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { consumerIdentity } from '../../src/consumer/identity.js';
import { buildConsumerWeb } from '../../src/consumer/web.js';
import { callFrom } from '../helpers/call-from.js';
import { testStore, type TestStore } from '../helpers/store.js';
import { CALL_HANDLER, SUPERVISOR, testAuth } from '../helpers/web.js';

describe('failed sign-ins to the web app are limited and recorded (issue 11, finding 7)', () => {
  let store: TestStore;
  let web: FastifyInstance;
  let origin: string;

  const signIn = (username: string, password: string, from = '127.0.0.1') =>
    callFrom(`${origin}/auth/local`, { from, method: 'POST', headers: { origin }, body: { username, password } });
  const events = async () =>
    (
      await store.store.db
        .selectFrom('consumer_event')
        .select(['kind', 'user_id', 'details'])
        .where('kind', 'like', 's%')
        .orderBy('seq')
        .execute()
    ).map((e) => ({ kind: e.kind, user: e.user_id, details: JSON.parse(e.details) }));

  before(async () => {
    store = await testStore();
    web = await buildConsumerWeb({
      spine: 'http://127.0.0.1:9',
      identity: consumerIdentity(),
      db: store.store.db,
      auth: testAuth(),
    });
    origin = (await web.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  });
  after(async () => {
    await web?.close();
    await store?.dispose();
  });

  it('after 10 wrong passwords a client gets 429 with Retry-After, even with the right one; another client signs in', async () => {
    for (let i = 0; i < 10; i++) {
      const guess = await signIn(CALL_HANDLER.username, `guess number ${i}`);
      assert.equal(guess.status, 401, `guess ${i + 1} is an ordinary 401`);
    }
    const limited = await signIn(CALL_HANDLER.username, 'guess number 11');
    assert.equal(limited.status, 429, 'the 11th guess in the minute is refused without being tried');
    assert.equal(limited.body.code, 'too-many-sign-ins');
    assert.match(limited.body.message, /^Too many failed sign-ins from here; try again in \d+ seconds\.$/);
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers['retry-after']}`);
    assert.equal(limited.body.retryAfter, retryAfter);

    const right = await signIn(CALL_HANDLER.username, CALL_HANDLER.password);
    assert.equal(right.status, 429, 'the right password does not get through either: a guesser learns nothing');
    assert.equal(right.headers['set-cookie'], undefined, 'and no session');
    const other = await signIn(CALL_HANDLER.username, CALL_HANDLER.password, '127.0.0.2');
    assert.equal(other.status, 200, 'another client signs in, as the same person');
    assert.match(String(other.headers['set-cookie']), /slotbridge_session=/);
  });

  it('a guess spread over many addresses against one user name is limited too; other people still sign in', async () => {
    // 30 addresses, one wrong password each: none is limited by its own address.
    for (let i = 1; i <= 30; i++)
      assert.equal((await signIn(SUPERVISOR.username, `spread guess ${i}`, `127.0.1.${i}`)).status, 401, `guess ${i}`);
    const next = await signIn(SUPERVISOR.username, 'spread guess 31', '127.0.1.31');
    assert.equal(next.status, 429);
    assert.match(next.body.message, /^Too many failed sign-ins for this user name; try again in \d+ seconds\.$/);
    assert.ok(Number(next.headers['retry-after']) >= 1);
    assert.equal(
      (await signIn(SUPERVISOR.username, SUPERVISOR.password, '127.0.1.32')).status,
      429,
      'not even the right password, from a fresh address',
    );
    assert.equal(
      (await signIn(CALL_HANDLER.username, CALL_HANDLER.password, '127.0.1.33')).status,
      200,
      'another person is untouched',
    );
  });

  it('sign-ins, sign-outs and refusals are in the event log with the address and why; never a password', async () => {
    assert.equal((await signIn('nobody', 'whatever it is', '127.0.0.3')).status, 401);
    const session = await signIn(CALL_HANDLER.username, CALL_HANDLER.password, '127.0.0.4');
    const cookie = String(session.headers['set-cookie']).split(';')[0]!;
    const out = await callFrom(`${origin}/auth/sign-out`, {
      from: '127.0.0.4',
      method: 'POST',
      headers: { origin, cookie },
    });
    assert.equal(out.status, 200);

    const log = await events();
    const guesses = log.filter((e) => e.kind === 'sign-in-refused' && e.details.peer === '127.0.0.1');
    assert.deepEqual(guesses[0], {
      kind: 'sign-in-refused',
      user: CALL_HANDLER.username,
      details: { via: 'local', status: 401, reason: 'wrong password', peer: '127.0.0.1' },
    });
    assert.equal(guesses.filter((e) => e.details.status === 401).length, 10, 'each wrong password is a row');
    const limited = guesses.filter((e) => e.details.status === 429);
    assert.equal(limited.length, 1, 'the first 429 of the spell is a row');
    assert.equal(limited[0]!.details.refusedWhileLimited, 1);
    assert.deepEqual(
      log.find((e) => e.details.peer === '127.0.0.3'),
      {
        kind: 'sign-in-refused',
        user: null,
        details: { via: 'local', status: 401, reason: 'unknown user name', peer: '127.0.0.3' },
      },
      'a name that is no user’s is not kept (it may be a password typed in the wrong box)',
    );
    assert.ok(
      log.some((e) => e.details.status === 429 && e.details.reason === 'too many failed sign-ins for this user name'),
    );
    assert.deepEqual(
      log.filter((e) => e.details.peer === '127.0.0.4').map((e) => [e.kind, e.user, e.details.via]),
      [
        ['signed-in', CALL_HANDLER.username, 'local'],
        ['signed-out', CALL_HANDLER.username, 'local'],
      ],
    );
    const everything = JSON.stringify(await store.store.db.selectFrom('consumer_event').selectAll().execute());
    for (const secret of [CALL_HANDLER.password, SUPERVISOR.password, 'guess number', 'spread guess', 'whatever it is'])
      assert.ok(!everything.includes(secret), `no password in the event log (${secret})`);
  });

  it('once limited, refusals are counted, not recorded one by one (rows at the 1st, 10th, 100th)', async () => {
    const before = (await events()).length;
    for (let i = 0; i < 120; i++) assert.equal((await signIn(CALL_HANDLER.username, `flood ${i}`)).status, 429);
    const added = (await events()).slice(before);
    assert.deepEqual(
      added.map((e) => e.details.refusedWhileLimited),
      [10, 100],
      '122 refusals while limited in all: rows at the 10th and 100th (the 1st was written before)',
    );
  });
});
