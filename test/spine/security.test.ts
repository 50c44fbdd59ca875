/**
 * Issue 11, the spine as an attacker on the same network finds it (docs/security.md, "The spine:
 * operator credential and the proxy"): the operator credential on every write and on /monitor (#1),
 * re-pointing an ASID only explicitly and audited (#1), the proxy reaching only allowed addresses
 * and passing on only the standard's headers (#2), Expect: 100-continue (#5), a call log without
 * patients' identities (#9) and admin bodies checked by schema (#12). Real HTTP, real stores.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { INTERACTIONS } from '../../src/spine/interactions.js';
import { TargetAddressPolicy } from '../../src/spine/proxy/address-policy.js';
import { SSP_ERROR_SYSTEM } from '../../src/spine/proxy/errors.js';
import { OPERATOR_TOKEN, TEST_SPINE, operatorHeaders } from '../helpers/spine.js';
import { testStore, type TestStore } from '../helpers/store.js';

const CONSUMER = '200000000111';
const ECHO_ASID = '999000000050';
const CLOSED_ASID = '999000000060';
const GARBAGE_ASID = '999000000061';
const LOCALHOST_ASID = '999000000062';
const MAPPED_ASID = '999000000063';

interface Echoed {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyLength: number;
}

/** A stand-in provider that records what it received and answers with some headers a consumer must not see. */
function startEcho(): Promise<{ server: Server; port: number; received: Echoed[] }> {
  const received: Echoed[] = [];
  const server = createServer((req, res) => {
    let bodyLength = 0;
    req.on('data', (d: Buffer) => (bodyLength += d.length));
    req.on('end', () => {
      const echoed = { method: req.method!, url: req.url!, headers: req.headers, bodyLength };
      received.push(echoed);
      res.writeHead(207, {
        'content-type': 'application/fhir+json',
        etag: 'W/"1"',
        'x-request-id': 'provider-request-1',
        'set-cookie': 'internal-session=secret',
        'x-powered-by': 'internal-app-server/1.2',
        server: 'internal-host-7',
      });
      res.end(JSON.stringify(echoed));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, received })),
  );
}

/** A TCP listener that answers something that is not HTTP and hangs up (as PostgreSQL's port does). */
function startGarbage(): Promise<{ server: TcpServer; port: number }> {
  const server = createTcpServer((socket) => socket.end('\u0000\u0001not http at all\r\n'));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })),
  );
}

/** A port nothing listens on (one that was just free). */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const ssp = (interaction: string, to: string, from = CONSUMER): Record<string, string> => ({
  'ssp-traceid': randomUUID(),
  'ssp-from': from,
  'ssp-to': to,
  'ssp-interactionid': interaction,
});

const sspCheck = (body: any): string | undefined =>
  body?.issue?.[0]?.details?.coding?.find((c: any) => c.system === SSP_ERROR_SYSTEM)?.code;

function assertOutcome(res: { status: number; body: any }, status: number, label: string) {
  assert.equal(res.status, status, `${label}: ${JSON.stringify(res.body).slice(0, 400)}`);
  assert.equal(res.body?.resourceType, 'OperationOutcome', label);
}

describe('issue 11: the spine against an attacker on the same network', () => {
  let ts: TestStore;
  /** The spine as `slotbridge spine` runs by default: its proxy reaches public addresses only. */
  let strict: Spine;
  /** The same data, with a proxy the operator allowed to reach loopback (as the demo network does). */
  let loopback: Spine;
  let base: string;
  let loopbackBase: string;
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let garbage: Awaited<ReturnType<typeof startGarbage>>;
  let echoRoot: string;
  let closedRoot: string;
  let garbageRoot: string;

  const register = (body: unknown, headers = operatorHeaders()) =>
    json(`${base}/admin/providers`, { method: 'POST', headers, body: JSON.stringify(body) });
  const rootsOf = async (asid: string) => {
    const as = await json(`${base}/endpoints/as/${asid}`);
    if (as.status !== 200) return [];
    const mhs = await json(`${base}/endpoints/mhs?partyKey=${as.body.nhsMHSPartyKey}`);
    return [...new Set(mhs.body.entries.map((e: any) => e.nhsMHSEndPoint))];
  };

  before(async () => {
    ts = await testStore();
    // 40 wrong tokens from this address below: the limit on failures is test/spine/operator-limit.test.ts's.
    strict = await buildSpine({
      store: ts.store,
      operatorToken: OPERATOR_TOKEN,
      proxyTimeoutMs: 2000,
      operatorFailures: { max: 1000 },
    });
    loopback = await buildSpine({ ...TEST_SPINE, store: ts.store, proxyTimeoutMs: 2000 });
    base = (await strict.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    loopbackBase = (await loopback.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    echo = await startEcho();
    garbage = await startGarbage();
    echoRoot = `http://127.0.0.1:${echo.port}/STU3/1/echo`;
    closedRoot = `http://127.0.0.1:${await closedPort()}/STU3/1/closed`;
    garbageRoot = `http://127.0.0.1:${garbage.port}/STU3/1/garbage`;
    const consumer = await json(`${base}/admin/consumers`, {
      method: 'POST',
      headers: operatorHeaders(),
      body: JSON.stringify({ asid: CONSUMER, odsCode: 'A1001', name: '111 test consumer' }),
    });
    assert.equal(consumer.status, 201, JSON.stringify(consumer.body));
    for (const [asid, serviceRoot] of [
      [ECHO_ASID, echoRoot],
      [CLOSED_ASID, closedRoot],
      [GARBAGE_ASID, garbageRoot],
      [LOCALHOST_ASID, `http://localhost:${echo.port}/STU3/1/echo`],
      [MAPPED_ASID, `http://[::ffff:127.0.0.1]:${echo.port}/STU3/1/echo`],
    ] as const) {
      const r = await register({ serviceRoot, asid, odsCode: 'RT9', services: [] });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
  });

  after(async () => {
    await strict.app.close();
    await loopback.app.close();
    await ts.dispose();
    echo.server.close();
    garbage.server.close();
  });

  describe('#1: the operator credential', () => {
    const writes: { name: string; method: string; path: string; body?: unknown }[] = [
      {
        name: 're-point a provider (the attack)',
        method: 'POST',
        path: '/admin/providers',
        body: { serviceRoot: 'http://127.0.0.1:5690/STU3/1/evil', asid: ECHO_ASID, odsCode: 'RT9', services: [] },
      },
      {
        name: 'register a consumer',
        method: 'POST',
        path: '/admin/consumers',
        body: { asid: '1', odsCode: 'X', name: 'x' },
      },
      {
        name: 'put an accredited system',
        method: 'PUT',
        path: `/endpoints/as/${ECHO_ASID}`,
        body: { nhsMHSPartyKey: 'EVIL-0000001', nhsIDCode: 'EVIL', name: 'evil', nhsAsSvcIA: [] },
      },
      { name: 'delete an accredited system', method: 'DELETE', path: `/endpoints/as/${ECHO_ASID}` },
      {
        name: 'put an endpoint',
        method: 'PUT',
        path: '/endpoints/mhs/RT9-0000050:read-slot',
        body: { nhsMHSPartyKey: 'RT9-0000050', nhsMhsSvcIA: INTERACTIONS.slotSearch, nhsMHSEndPoint: 'http://evil' },
      },
      { name: 'delete an endpoint', method: 'DELETE', path: '/endpoints/mhs/RT9-0000050:read-slot' },
      {
        name: 'put a directory service',
        method: 'PUT',
        path: '/directory/services/EVIL1',
        body: { name: 'Evil', type: 'UTC', address: [], dispositions: ['Dx05'] },
      },
      { name: 'delete a directory service', method: 'DELETE', path: '/directory/services/EVIL1' },
      { name: 'read the proxy’s call log', method: 'GET', path: '/monitor/proxy-calls' },
      { name: 'read the audit trail', method: 'GET', path: '/monitor/audit' },
    ];
    for (const write of writes) {
      it(`401 with WWW-Authenticate, and nothing changes, without the operator token: ${write.name}`, async () => {
        const before = await rootsOf(ECHO_ASID);
        for (const authorization of [
          undefined,
          'Bearer wrong-token',
          `Basic ${OPERATOR_TOKEN}`,
          `Bearer ${OPERATOR_TOKEN}x`,
        ]) {
          const res = await json(`${base}${write.path}`, {
            method: write.method,
            headers: {
              ...(authorization ? { authorization } : {}),
              ...(write.body ? { 'content-type': 'application/json' } : {}),
            },
            body: write.body ? JSON.stringify(write.body) : undefined,
          });
          assertOutcome(res, 401, `${write.name} with ${authorization ?? 'no Authorization'}`);
          assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="slotbridge-spine"/);
          assert.equal(res.body.issue[0].code, 'security');
        }
        assert.deepEqual(await rootsOf(ECHO_ASID), before, 'the provider’s root is unchanged');
        assert.equal((await json(`${base}/directory/services/EVIL1`)).status, 404);
      });
    }

    it('reads consumers need stay public: the directory and the endpoint directory (without the bound certificate)', async () => {
      const as = await json(`${base}/endpoints/as/${ECHO_ASID}`);
      assert.equal(as.status, 200);
      assert.equal(as.body.clientCertificate, undefined);
      assert.equal((await json(`${base}/endpoints/mhs?partyKey=${as.body.nhsMHSPartyKey}`)).status, 200);
      assert.equal((await json(`${base}/directory/services?disposition=Dx05&postcode=LS1%204AP`)).status, 200);
    });

    it('re-pointing a registered ASID is a 409 naming its root unless the body says "replace": true; then it is audited', async () => {
      const asid = '999000000070';
      const first = 'http://127.0.0.1:4001/STU3/1/first';
      const attacker = 'http://127.0.0.1:5690/STU3/1/attacker';
      assert.equal((await register({ serviceRoot: first, asid, odsCode: 'RT7', services: [] })).status, 201);
      // Registering again at the same root changes nothing and needs no "replace".
      assert.equal((await register({ serviceRoot: first, asid, odsCode: 'RT7', services: [] })).status, 201);
      const moved = await register({ serviceRoot: attacker, asid, odsCode: 'RT7', services: [] });
      assertOutcome(moved, 409, 'a move without replace');
      assert.match(moved.body.issue[0].diagnostics, new RegExp(`ASID ${asid} is registered at ${first}`));
      assert.deepEqual(await rootsOf(asid), [first], 'nothing moved');
      // A new ODS code (so a new party key) is a move too.
      assertOutcome(await register({ serviceRoot: attacker, asid, odsCode: 'RT8', services: [] }), 409, 'new ODS');
      assert.deepEqual(await rootsOf(asid), [first]);

      const replaced = await register({ serviceRoot: attacker, asid, odsCode: 'RT8', services: [], replace: true });
      assert.equal(replaced.status, 201, JSON.stringify(replaced.body));
      assert.deepEqual(replaced.body.replaced, [first]);
      assert.deepEqual(await rootsOf(asid), [attacker]);
      const audit = await json(`${base}/monitor/audit?target=ASID:${asid}`, { headers: operatorHeaders(false) });
      assert.equal(audit.status, 200);
      const [latest, ...earlier] = audit.body.entries;
      assert.equal(latest.action, 'repoint-provider');
      assert.match(latest.actor, /^operator from 127\.0\.0\.1$/);
      assert.ok(Date.now() - Date.parse(latest.at) < 60_000);
      assert.deepEqual(latest.before.serviceRoots, [first]);
      assert.deepEqual(latest.after.serviceRoots, [attacker]);
      assert.equal(latest.after.system.nhsMHSPartyKey, 'RT8-0000070');
      assert.deepEqual(
        earlier.map((e: any) => e.action),
        ['register-provider', 'register-provider'],
      );
    });

    it('the operator’s endpoint and directory writes are audited too', async () => {
      const put = await json(`${base}/directory/services/AUDIT1`, {
        method: 'PUT',
        headers: operatorHeaders(),
        body: JSON.stringify({
          name: 'Audited',
          type: 'UTC',
          address: [],
          dispositions: ['Dx05'],
          postcode: 'LS1 4AP',
        }),
      });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      const del = await fetch(`${base}/directory/services/AUDIT1`, {
        method: 'DELETE',
        headers: operatorHeaders(false),
      });
      assert.equal(del.status, 204);
      const audit = await json(`${base}/monitor/audit?target=service:AUDIT1`, { headers: operatorHeaders(false) });
      assert.deepEqual(
        audit.body.entries.map((e: any) => [e.action, e.before?.name ?? null, e.after?.name ?? null]),
        [
          ['delete-directory-service', 'Audited', null],
          ['put-directory-service', null, 'Audited'],
        ],
      );
    });
  });

  describe('#12: the operator’s bodies are checked by schema (a 400 naming the field, never a 500)', () => {
    const valid = { serviceRoot: 'http://127.0.0.1:4002/STU3/1/x', asid: '999000000080', odsCode: 'RT8', services: [] };
    const cases: { name: string; path: string; body: unknown; field: string }[] = [
      { name: 'odsCode an object', path: '/admin/providers', body: { ...valid, odsCode: { x: 1 } }, field: 'odsCode' },
      { name: 'asid a number', path: '/admin/providers', body: { ...valid, asid: 999000000080 }, field: 'asid' },
      {
        name: 'services an object',
        path: '/admin/providers',
        body: { ...valid, services: { id: 'a' } },
        field: 'services',
      },
      {
        name: 'a service without an id',
        path: '/admin/providers',
        body: { ...valid, services: [{}] },
        field: 'services',
      },
      { name: 'replace a string', path: '/admin/providers', body: { ...valid, replace: 'yes' }, field: 'replace' },
      {
        name: 'serviceRoot an array',
        path: '/admin/providers',
        body: { ...valid, serviceRoot: ['x'] },
        field: 'serviceRoot',
      },
      {
        name: 'a service that is not a directory service',
        path: '/admin/providers',
        body: { ...valid, services: [{ id: 'S1', name: { x: 1 } }] },
        field: 'name',
      },
      {
        name: 'consumer odsCode an object',
        path: '/admin/consumers',
        body: { asid: '200000000190', odsCode: { x: 1 }, name: 'c' },
        field: 'odsCode',
      },
      {
        name: 'consumer interactions not a list',
        path: '/admin/consumers',
        body: { asid: '200000000190', odsCode: 'A1', name: 'c', interactions: 'all' },
        field: 'interactions',
      },
      {
        name: 'a client certificate that names nothing',
        path: '/admin/consumers',
        body: { asid: '200000000190', odsCode: 'A1', name: 'c', clientCertificate: 'anyone' },
        field: 'clientCertificate',
      },
    ];
    for (const c of cases) {
      it(`400 naming ${c.field}: ${c.name}`, async () => {
        const res = await json(`${base}${c.path}`, {
          method: 'POST',
          headers: operatorHeaders(),
          body: JSON.stringify(c.body),
        });
        assertOutcome(res, 400, c.name);
        assert.ok(
          res.body.issue[0].expression?.some((e: string) => e.startsWith(c.field)) ||
            res.body.issue[0].diagnostics.includes(c.field),
          `names ${c.field}: ${JSON.stringify(res.body.issue[0])}`,
        );
        assert.equal((await json(`${base}/endpoints/as/999000000080`)).status, 404, 'nothing stored');
        assert.equal((await json(`${base}/endpoints/as/200000000190`)).status, 404, 'nothing stored');
      });
    }
  });

  describe('#2: the proxy reaches only allowed addresses, and says nothing about what is behind one', () => {
    const traces: string[] = [];
    const search = (root: string, to: string, via = base) => {
      const headers = ssp(INTERACTIONS.slotSearch, to);
      traces.push(headers['ssp-traceid']!);
      return json(`${via}/proxy/${root}/Slot?service=1`, { headers });
    };
    /** The reasons both spines' logs give for the calls made so far (each flushes its own buffer when read). */
    const reasons = async () => {
      const calls = [];
      for (const via of [base, loopbackBase])
        calls.push(...(await json(`${via}/monitor/proxy-calls`, { headers: operatorHeaders(false) })).body.calls);
      const seen = new Map(calls.map((c: any) => [c.seq, c]));
      return [...seen.values()].filter((c: any) => traces.includes(c.trace_id)).map((c: any) => c.reason as string);
    };

    it('by default loopback is refused: literal, IPv4-mapped, or a host name resolving to it; the provider sees nothing', async () => {
      const before = echo.received.length;
      for (const [root, to] of [
        [echoRoot, ECHO_ASID],
        [`http://localhost:${echo.port}/STU3/1/echo`, LOCALHOST_ASID],
        [`http://[::ffff:127.0.0.1]:${echo.port}/STU3/1/echo`, MAPPED_ASID],
      ] as const) {
        const res = await search(root, to);
        assertOutcome(res, 502, root);
        assert.equal(sspCheck(res.body), 'SSP_TARGET_UNREACHABLE');
        assert.equal(res.body.issue[0].diagnostics, 'Spine Secure Proxy: the target could not be reached');
      }
      assert.equal(echo.received.length, before, 'nothing reached the internal listener');
      // The operator's log says why.
      const why = await reasons();
      assert.equal(why.length, 3);
      for (const reason of why) assert.match(reason, /\(loopback\), which the proxy is not allowed to reach/);
    });

    it('a closed port, a listener that is not HTTP and a refused address all get the same answer (no port scanner)', async () => {
      const answers = [
        await search(closedRoot, CLOSED_ASID, loopbackBase),
        await search(garbageRoot, GARBAGE_ASID, loopbackBase),
        await search(closedRoot, CLOSED_ASID),
      ];
      for (const a of answers) {
        assertOutcome(a, 502, 'unreachable');
        assert.equal(sspCheck(a.body), 'SSP_TARGET_UNREACHABLE');
      }
      const shapes = answers.map((a) => ({ status: a.status, issue: a.body.issue }));
      assert.deepEqual(shapes[1], shapes[0]);
      assert.deepEqual(shapes[2], shapes[0]);
      // The details are the operator's: ECONNREFUSED and the non-HTTP answer are in the call log only.
      const why = (await reasons()).join('\n');
      assert.match(why, /ECONNREFUSED/);
      assert.match(why, /not allowed to reach/);
    });

    it('an operator’s allow-list lets the proxy reach exactly the networks it names', () => {
      const policy = new TargetAddressPolicy({ allow: ['127.0.0.1/32', '10.20.0.0/16'] });
      assert.equal(policy.refusalOf('127.0.0.1'), undefined);
      assert.equal(policy.refusalOf('::ffff:127.0.0.1'), undefined);
      assert.equal(policy.refusalOf('10.20.3.4'), undefined);
      assert.equal(policy.refusalOf('127.0.0.2'), 'loopback');
      assert.equal(policy.refusalOf('10.21.0.1'), 'private');
      const strictPolicy = new TargetAddressPolicy();
      for (const [address, range] of [
        ['0.0.0.0', 'unspecified'],
        ['::', 'unspecified'],
        ['::1', 'loopback'],
        ['169.254.169.254', 'linkLocal'],
        ['fe80::1', 'linkLocal'],
        ['192.168.1.1', 'private'],
        ['172.16.0.1', 'private'],
        ['fd00::1', 'uniqueLocal'],
        ['100.64.0.1', 'carrierGradeNat'],
        ['64:ff9b::7f00:1', 'rfc6052'],
        ['2002:7f00:1::1', '6to4'],
      ])
        assert.equal(strictPolicy.refusalOf(address), range, address);
      assert.equal(strictPolicy.refusalOf('8.8.8.8'), undefined);
      assert.equal(new TargetAddressPolicy({ allowPrivate: true }).refusalOf('0.0.0.0'), 'unspecified');
    });

    it('forwards only the standard’s request headers and passes back only the answer headers a consumer needs', async () => {
      const res = await fetch(`${loopbackBase}/proxy/${echoRoot}/Appointment`, {
        method: 'POST',
        headers: {
          ...ssp(INTERACTIONS.book, ECHO_ASID),
          authorization: 'Bearer x.y.',
          'content-type': 'application/fhir+json',
          accept: 'application/fhir+json',
          'x-request-id': 'req-1',
          prefer: 'return=representation',
          cookie: 'web-session=abc',
          'x-internal-admin': 'true',
          'proxy-authorization': 'Basic abc',
          'x-forwarded-for': '10.0.0.1',
        },
        body: '{"resourceType":"Appointment"}',
      });
      assert.equal(res.status, 207);
      const seen = (await res.json()) as Echoed;
      for (const name of ['authorization', 'content-type', 'accept', 'x-request-id', 'prefer', 'ssp-from', 'forwarded'])
        assert.ok(seen.headers[name], `${name} is passed on`);
      for (const name of ['cookie', 'x-internal-admin', 'proxy-authorization', 'x-forwarded-for'])
        assert.equal(seen.headers[name], undefined, `${name} stays at the proxy`);
      assert.equal(res.headers.get('etag'), 'W/"1"');
      assert.equal(res.headers.get('x-request-id'), 'provider-request-1');
      for (const name of ['set-cookie', 'x-powered-by', 'server'])
        assert.equal(res.headers.get(name), null, `${name} from the provider is not passed back`);
    });
  });

  it('#5: a proxied body over 1 MB sent with Expect: 100-continue (as curl sends it) reaches the provider whole', async () => {
    const body = Buffer.from(JSON.stringify({ resourceType: 'Appointment', comment: 'x'.repeat(1_500_000) }));
    const before = echo.received.length;
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(`${loopbackBase}/proxy/${echoRoot}/Appointment`);
      const req = httpRequest(url, {
        method: 'POST',
        headers: {
          ...ssp(INTERACTIONS.book, ECHO_ASID),
          'content-type': 'application/fhir+json',
          'content-length': body.length,
          expect: '100-continue',
        },
      });
      let continued = false;
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => (continued ? resolve({ status: res.statusCode!, text }) : reject(new Error(text))));
      });
      req.on('error', reject);
    });
    assert.equal(answer.status, 207, answer.text.slice(0, 300));
    assert.equal(echo.received.length, before + 1);
    assert.equal(echo.received.at(-1)!.bodyLength, body.length);
    assert.equal(echo.received.at(-1)!.headers.expect, undefined);
  });

  it('#9: the call log keeps no patient’s identity from a target’s query string', async () => {
    const headers = ssp(INTERACTIONS.searchAppointments, ECHO_ASID);
    const query =
      'identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9434765919&patient=Patient%2F9434765919' +
      '&patient.identifier=9434765919&_format=json';
    const res = await fetch(`${loopbackBase}/proxy/${echoRoot}/Appointment?${query}`, { headers });
    assert.equal(res.status, 207);
    assert.equal(((await res.json()) as Echoed).url, `/STU3/1/echo/Appointment?${query}`, 'the provider gets it all');
    // A refused call's target and reason are kept without it as well.
    const refused = ssp(INTERACTIONS.searchAppointments, ECHO_ASID, '123456789012');
    await fetch(`${loopbackBase}/proxy/${echoRoot}/Appointment?${query}`, { headers: refused });
    await fetch(`${loopbackBase}/proxy/not-a-url/Appointment?${query}`, { headers: refused });
    const log = await json(`${loopbackBase}/monitor/proxy-calls?limit=10`, { headers: operatorHeaders(false) });
    assert.equal(log.status, 200);
    const mine = log.body.calls.filter((c: any) =>
      [headers['ssp-traceid'], refused['ssp-traceid']].includes(c.trace_id),
    );
    assert.equal(mine.length, 3);
    assert.doesNotMatch(JSON.stringify(log.body), /9434765919/);
    const ok = mine.find((c: any) => c.trace_id === headers['ssp-traceid']);
    assert.equal(
      ok.target,
      `${echoRoot}/Appointment?identifier=redacted&patient=redacted&patient.identifier=redacted&_format=json`,
    );
  });
});
