/**
 * Property-based robustness of the spine's inputs (issue 11: "a property or fuzz test covers the
 * spine's admin and proxy inputs as the provider's already are"): random and mutated registration
 * bodies, endpoint-directory and directory writes, Authorization headers, URLs and proxied calls
 * (Ssp-* headers, methods, targets, bodies, extra headers) sent over real HTTP to one spine. No
 * answer is a 5xx, every 4xx carries an OperationOutcome, a write without the operator token is a
 * 401, and a refused write leaves the spine's data exactly as it was (nothing stored on refusal but
 * the refusal's own audit row);
 * a call the proxy refuses never reaches the provider.
 *
 * Reproduce a failure: fast-check prints its `seed` and `path`; run
 *   FC_SEED=<seed> node --import tsx --test --test-name-pattern '<test name>' test/spine/property.test.ts
 * (FC_PATH=<path> as well replays just the failing run). FC_RUNS=<factor> scales every property's runs.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { BOOKING_INTERACTIONS, INTERACTIONS, SLOT_SEARCH_ALIAS } from '../../src/spine/interactions.js';
import { headerSafe, junkValue, pathSafe } from '../helpers/property-generators.js';
import { OPERATOR_TOKEN, TEST_SPINE } from '../helpers/spine.js';
import { testStore, type TestStore } from '../helpers/store.js';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const path = process.env.FC_PATH || undefined;
const scale = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : 1;
const runs = <T>(n: number): fc.Parameters<T> => ({
  numRuns: Math.max(1, Math.round(n * scale)),
  seed,
  path,
  endOnFailure: true,
  includeErrorInReport: true,
});

const CONSUMER = '200000000111';
const PROVIDER = '999000000001';
/** ASIDs the bodies draw from, so some registrations meet an existing one (and its root). */
const ASIDS = [PROVIDER, CONSUMER, '999000000002', '200000000112', '1', '00000000000000000000'];

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function send(
  origin: string,
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const url = new URL(origin);
    // The body is always framed (node:http sends a DELETE's body unframed, which is a broken request, not a test).
    const framed = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: target, headers: framed, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Every 4xx/5xx is an OperationOutcome with an issue that has severity, code and diagnostics. */
function assertOutcome(res: Res, label: string): void {
  assert.ok(res.status < 500, `${label}: ${res.status} ${res.text.slice(0, 300)}`);
  if (res.status < 400) return;
  let body: any;
  try {
    body = JSON.parse(res.text);
  } catch {
    assert.fail(`${label}: ${res.status} is not JSON: ${res.text.slice(0, 200)}`);
  }
  assert.equal(body.resourceType, 'OperationOutcome', `${label}: ${res.text.slice(0, 200)}`);
  const issue = body.issue?.[0];
  assert.ok(issue?.severity && issue?.code && typeof issue?.diagnostics === 'string', `${label}: ${res.text}`);
}

// ---- arbitraries ----------------------------------------------------------------------------------

const validProvider = () => ({
  serviceRoot: 'http://127.0.0.1:4001/STU3/1/fuzz',
  asid: '999000000002',
  odsCode: 'RF1',
  name: 'Fuzz provider',
  services: [
    {
      id: 'FUZZ1',
      name: 'Fuzz UTC',
      type: 'UTC',
      address: ['1 Fuzz Street'],
      postcode: 'LS1 4AP',
      openingTimes: [],
      dispositions: ['Dx05'],
      ageRange: { min: 0, max: 130 },
      attributes: [],
    },
  ],
});
const validConsumer = () => ({ asid: '200000000112', odsCode: 'A1002', name: 'Fuzz consumer' });

/** A JSON body: a valid one with fields changed, removed or added, or anything at all. */
const bodyArb = (valid: () => Record<string, unknown>) => {
  const fields = Object.keys(valid());
  const change = fc.oneof(
    fc.record({
      kind: fc.constant('set' as const),
      field: fc.constantFrom(...fields, 'replace', 'clientCertificate', 'x'),
      value: junkValue,
    }),
    fc.record({ kind: fc.constant('asid' as const), value: fc.constantFrom(...ASIDS) }),
    fc.record({ kind: fc.constant('drop' as const), field: fc.constantFrom(...fields) }),
    fc.record({
      kind: fc.constant('service' as const),
      field: fc.constantFrom(
        'id',
        'name',
        'type',
        'address',
        'postcode',
        'openingTimes',
        'dispositions',
        'ageRange',
        'attributes',
        'endpoints',
      ),
      value: junkValue,
    }),
    fc.record({
      kind: fc.constant('root' as const),
      value: fc.constantFrom(
        'http://127.0.0.1:4001/STU3/1/fuzz',
        'http://127.0.0.1:4001/STU3/1/other',
        'https://example.org/x/',
        'ftp://x/y',
        'http://user:pw@host/x',
        'not a url',
        '',
        'http://[::1]:1/x',
        `http://${'a'.repeat(300)}.example/x`,
      ),
    }),
  );
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.array(change, { maxLength: 4 }).map((changes) => {
        const body: Record<string, any> = valid();
        for (const c of changes) {
          if (c.kind === 'set') body[c.field] = c.value;
          else if (c.kind === 'asid') body.asid = c.value;
          else if (c.kind === 'drop') delete body[c.field];
          else if (c.kind === 'root') body.serviceRoot = c.value;
          else if (Array.isArray(body.services) && body.services[0] && typeof body.services[0] === 'object')
            body.services[0][c.field] = c.value;
        }
        return JSON.stringify(body);
      }),
    },
    { weight: 1, arbitrary: junkValue.map((v) => JSON.stringify(v) ?? 'undefined') },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  );
};

/** The Authorization header of an operator call: right, wrong, odd, or none. */
const authArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant(`Bearer ${OPERATOR_TOKEN}`) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      'Bearer',
      'Bearer ',
      `bearer ${OPERATOR_TOKEN}`,
      `Bearer  ${OPERATOR_TOKEN}  `,
      `Bearer ${OPERATOR_TOKEN.slice(0, -1)}`,
      `Bearer ${OPERATOR_TOKEN}${OPERATOR_TOKEN}`,
      `Basic ${Buffer.from(`operator:${OPERATOR_TOKEN}`).toString('base64')}`,
      `Bearer ${'x'.repeat(10_000)}`,
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((s) => headerSafe(s)) },
);

const contentTypeArb = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/fhir+json',
  'text/plain',
  'application/xml',
  undefined,
);

/** True when a route of the operator's API takes this method and path (so its answer without the token must be a 401). */
function routed(method: string, target: string): boolean {
  if (target === '/admin/providers' || target === '/admin/consumers') return method === 'POST';
  if (/^\/endpoints\/(as|mhs)\/[A-Za-z0-9:._-]+$/.test(target) && !/\/\.\.?$/.test(target))
    return method === 'PUT' || method === 'DELETE';
  if (/^\/directory\/services\/[A-Za-z0-9-]+$/.test(target)) return method === 'PUT' || method === 'DELETE';
  return false;
}

/** True when the request carries the operator token exactly as the spine takes it. */
const authorised = (auth: string | undefined) =>
  auth !== undefined && /^Bearer +(\S+) *$/i.exec(auth)?.[1] === OPERATOR_TOKEN;

// ---- the spine under test ---------------------------------------------------------------------------

describe('spine: property-based robustness of the operator API and the proxy', () => {
  let ts: TestStore;
  let spine: Spine;
  let origin: string;
  let echo: http.Server;
  let echoRoot: string;
  let echoed = 0;

  /** Everything the operator's API can change, as one digest: equal before and after means nothing was stored. */
  const snapshot = async () => {
    const db = ts.store.db;
    const rows = await Promise.all([
      db.selectFrom('sds_as').selectAll().orderBy('asid').execute(),
      db.selectFrom('sds_mhs').selectAll().orderBy('id').execute(),
      db.selectFrom('directory_service').selectAll().orderBy('id').execute(),
      // A refused call's own audit row (src/spine/operator.ts) is the one thing a refusal writes.
      db
        .selectFrom('spine_audit')
        .select('seq')
        .where('action', 'not like', 'operator-refused%')
        .orderBy('seq')
        .execute(),
    ]);
    return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  };

  before(async () => {
    ts = await testStore();
    // Thousands of wrong tokens from one address: the limit on failures (429, test/spine/operator-limit.test.ts)
    // is set out of reach so that each answer is the one its input earns.
    spine = await buildSpine({
      ...TEST_SPINE,
      store: ts.store,
      proxyTimeoutMs: 2000,
      operatorFailures: { max: 1_000_000 },
    });
    origin = (await spine.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    echo = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        echoed += 1;
        res.writeHead(207, { 'content-type': 'application/fhir+json' });
        res.end('{"resourceType":"Bundle","type":"searchset"}');
      });
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoRoot = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/STU3/1/echo`;
    const auth = { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' };
    const consumer = await send(origin, 'POST', '/admin/consumers', auth, JSON.stringify(validConsumer()));
    assert.equal(consumer.status, 201, consumer.text);
    const c2 = await send(
      origin,
      'POST',
      '/admin/consumers',
      auth,
      JSON.stringify({ asid: CONSUMER, odsCode: 'A1001', name: 'c' }),
    );
    assert.equal(c2.status, 201, c2.text);
    const provider = await send(
      origin,
      'POST',
      '/admin/providers',
      auth,
      JSON.stringify({ serviceRoot: echoRoot, asid: PROVIDER, odsCode: 'RT1', services: [] }),
    );
    assert.equal(provider.status, 201, provider.text);
  });

  after(async () => {
    agent.destroy();
    await spine.app.close();
    echo.close();
    await ts.dispose();
  });

  /** Sends an operator write and checks the answer and the store against each other. */
  async function operatorWrite(
    method: string,
    target: string,
    auth: string | undefined,
    type: string | undefined,
    body?: string,
  ) {
    const before = await snapshot();
    const headers: Record<string, string> = {};
    if (auth !== undefined) headers.authorization = auth;
    if (type !== undefined) headers['content-type'] = type;
    const res = await send(origin, method, target, headers, body);
    const label = `${method} ${target} ${auth?.slice(0, 30)} ${type} ${body?.slice(0, 200)}`;
    assertOutcome(res, label);
    // Without the token: a 401 wherever a route exists (a method or path no route takes is some other 4xx).
    if (!authorised(auth)) {
      assert.ok(res.status >= 400, `${label}: no operator token, yet ${res.status}`);
      if (routed(method, target)) assert.equal(res.status, 401, `${label}: no operator token, yet ${res.status}`);
    }
    if (res.status >= 400) assert.equal(await snapshot(), before, `${label}: refused (${res.status}) but stored`);
    return res;
  }

  it('registration bodies: never a 5xx, always an OperationOutcome, 401 without the token, nothing stored on refusal', async () => {
    const statuses = new Map<number, number>();
    // Issue 11 #12: an object where the ODS code belongs was a 500.
    const examples: ['/admin/providers' | '/admin/consumers', string, 'application/json', 'POST', string][] = [
      ['/admin/providers', `Bearer ${OPERATOR_TOKEN}`, 'application/json', 'POST', '{"odsCode":{"x":1}}'],
      [
        '/admin/providers',
        `Bearer ${OPERATOR_TOKEN}`,
        'application/json',
        'POST',
        JSON.stringify({ ...validProvider(), odsCode: { x: 1 } }),
      ],
      ['/admin/consumers', `Bearer ${OPERATOR_TOKEN}`, 'application/json', 'POST', '{"asid":"1","odsCode":{"x":1}}'],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/admin/providers', '/admin/consumers'),
        authArb,
        contentTypeArb,
        fc.constantFrom('POST', 'POST', 'POST', 'PUT', 'GET', 'DELETE'),
        fc.oneof(bodyArb(validProvider), bodyArb(validConsumer)),
        async (target, auth, type, method, body) => {
          const res = await operatorWrite(method, target, auth, type, method === 'GET' ? undefined : body);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        },
      ),
      { ...runs(250), examples },
    );
    assert.ok((statuses.get(201) ?? 0) > 0, `some registrations succeed: ${[...statuses].join(' ')}`);
    assert.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(401) ?? 0) > 0, [...statuses].join(' '));
  });

  it('endpoint-directory and directory writes: the same, for any path, method and body', async () => {
    const idArb = fc.oneof(
      fc.constantFrom(PROVIDER, CONSUMER, 'RT1-0000001:read-slot', 'FUZZ1', '__proto__', 'constructor', '..', '%2e%2e'),
      fc.string({ maxLength: 150 }).map(pathSafe),
    );
    const asBody = () => ({
      nhsMHSPartyKey: 'RF9-0000009',
      nhsIDCode: 'RF9',
      name: 'n',
      nhsAsSvcIA: [INTERACTIONS.slotSearch],
    });
    const mhsBody = () => ({
      nhsMHSPartyKey: 'RF9-0000009',
      nhsMhsSvcIA: INTERACTIONS.slotSearch,
      nhsMHSEndPoint: 'http://127.0.0.1:1/x',
    });
    const serviceBody = () => ({ ...validProvider().services[0]!, id: undefined as unknown as string });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/endpoints/as/', '/endpoints/mhs/', '/directory/services/'),
        idArb,
        authArb,
        contentTypeArb,
        fc.constantFrom('PUT', 'PUT', 'DELETE', 'POST', 'PATCH'),
        fc.oneof(bodyArb(asBody), bodyArb(mhsBody), bodyArb(serviceBody)),
        async (prefix, id, auth, type, method, body) => {
          await operatorWrite(method, `${prefix}${id}`, auth, type, method === 'DELETE' ? undefined : body);
        },
      ),
      runs(250),
    );
  });

  it('any URL, method and query on the spine: never a 5xx, every 4xx an OperationOutcome, /monitor only with the token', async () => {
    const segment = fc.oneof(
      fc.constantFrom('admin', 'monitor', 'proxy-calls', 'audit', 'directory', 'services', 'endpoints', 'as', 'mhs'),
      fc.constantFrom('%', '%E0%A4%A', '..', '__proto__', '%00', '?', '#', ';'),
      fc.string({ maxLength: 30 }).map(pathSafe),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        fc.array(
          fc.tuple(
            fc.constantFrom('limit', 'traceId', 'target', 'partyKey', 'x', 'disposition', 'postcode'),
            fc.string({ maxLength: 20 }),
          ),
          {
            maxLength: 3,
          },
        ),
        fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'),
        authArb,
        async (segments, query, method, auth) => {
          const q = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
          const target = `/${segments.join('/')}${q ? `?${q}` : ''}`;
          const headers: Record<string, string> = auth === undefined ? {} : { authorization: auth };
          const res = await send(origin, method, target, headers);
          const label = `${method} ${target} ${auth?.slice(0, 30)}`;
          if (method === 'HEAD') assert.ok(res.status < 500, label);
          else assertOutcome(res, label);
          if (segments[0] === 'monitor' && !authorised(auth)) assert.ok(res.status >= 400, `${label}: ${res.status}`);
        },
      ),
      runs(200),
    );
  });

  it('proxied calls: any Ssp-* headers, target, method, body and extra headers; a refusal never reaches the provider', async () => {
    const sspValue = (valid: string) =>
      fc.oneof(
        { weight: 6, arbitrary: fc.constant(valid) },
        { weight: 1, arbitrary: fc.constant(undefined) },
        { weight: 2, arbitrary: fc.string({ maxLength: 60 }).map(headerSafe) },
      );
    const targetArb = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          '/Slot',
          '/Appointment',
          '/Appointment/1',
          '/metadata',
          '/Appointment/1/_history/1',
          '',
        ),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `/${pathSafe(s)}`) },
    );
    const rootArb = fc.oneof(
      { weight: 4, arbitrary: fc.constant('echo') },
      { weight: 1, arbitrary: fc.constant('encoded') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'http://127.0.0.1:1/STU3/1/echo',
          'http://localhost/STU3/1/echo',
          'http://169.254.169.254/latest/meta-data',
          'file:///etc/passwd',
          'http://user:pw@127.0.0.1/x',
          'not-a-url',
          'http%3A%2F%2F',
          'https%3A%2F%2F%E0%A4%A',
          '',
        ),
      },
    );
    const extraHeaderArb = fc.dictionary(
      fc.constantFrom(
        'expect',
        'cookie',
        'host',
        'forwarded',
        'x-request-id',
        'transfer-encoding',
        'connection',
        'accept',
        'if-match',
        'content-encoding',
        'x-anything',
      ),
      fc.string({ maxLength: 40 }).map(headerSafe),
      { maxKeys: 3 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          trace: sspValue(randomUUID()),
          from: sspValue(CONSUMER),
          to: sspValue(PROVIDER),
          interaction: fc.oneof(
            fc.constantFrom(...BOOKING_INTERACTIONS, SLOT_SEARCH_ALIAS),
            sspValue(INTERACTIONS.slotSearch),
          ),
        }),
        rootArb,
        targetArb,
        fc.array(
          fc.tuple(fc.constantFrom('service', 'identifier', 'start', '_format', 'x'), fc.string({ maxLength: 20 })),
          {
            maxLength: 3,
          },
        ),
        fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        contentTypeArb,
        fc.oneof(
          fc.constant(undefined),
          fc.string({ maxLength: 300 }),
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
        ),
        extraHeaderArb,
        async (ssp, root, fhir, query, method, type, body, extra) => {
          const base = root === 'echo' ? echoRoot : root === 'encoded' ? encodeURIComponent(echoRoot) : root;
          const q = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
          const target = `/proxy/${base}${fhir}${q ? `?${q}` : ''}`;
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(extra)) {
            // node:http frames the body itself; a wrong framing header is the client's own broken request.
            if (!['transfer-encoding', 'host', 'expect', 'connection'].includes(name)) headers[name] = value;
          }
          if (ssp.trace !== undefined) headers['ssp-traceid'] = ssp.trace;
          if (ssp.from !== undefined) headers['ssp-from'] = ssp.from;
          if (ssp.to !== undefined) headers['ssp-to'] = ssp.to;
          if (ssp.interaction !== undefined) headers['ssp-interactionid'] = ssp.interaction;
          if (type !== undefined) headers['content-type'] = type;
          const sent = method === 'GET' || method === 'OPTIONS' ? undefined : body;
          const before = echoed;
          const res = await send(origin, method, target, headers, sent);
          const label = `${method} ${target} ${JSON.stringify(headers).slice(0, 300)} ${String(sent).slice(0, 100)}`;
          assertOutcome(res, label);
          if (res.status === 207) assert.equal(echoed, before + 1, `${label}: the provider answered once`);
          else {
            const outcome = JSON.parse(res.text);
            const check = outcome.issue[0].details?.coding?.[0]?.code as string | undefined;
            // The proxy's own refusals name their check; a URL the router cannot read is refused before the proxy.
            if (!/^SSP_/.test(check ?? ''))
              assert.match(outcome.issue[0].diagnostics, /could not be read/, `${label}: ${res.status} ${res.text}`);
            assert.equal(echoed, before, `${label}: refused (${check}) yet the provider was called`);
          }
        },
      ),
      runs(300),
    );
  });
});
