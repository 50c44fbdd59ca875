/**
 * What the provider takes on trust from whoever reaches it (issue 11, finding 6; docs/security.md): the
 * Ssp-* headers are checked for the standard's formats, the peer's address (and client certificate,
 * and the proxy's Forwarded header) are audited, and a provider can take calls only from the proxy,
 * by address (`--allow-from`) or by the proxy's client certificate (`--proxy-cert-cn`).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { buildProviderServer, type ProviderServer } from '../../src/server/provider.js';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { INTERACTIONS } from '../../src/spine/interactions.js';
import { registerConsumer, registerProvider } from '../../src/spine/registration.js';
import { createTestPki } from '../../src/spine/test-ca.js';
import { tlsClientOptions, tlsServerOptions, type TestPki } from '../../src/spine/tls.js';
import { SCOPE, call, token } from '../helpers/consumer.js';
import { SERVICE, bookingFor, seedCatalogue, startTestProvider, type TestProvider } from '../helpers/provider.js';
import { testStore, type TestStore } from '../helpers/store.js';
import { TEST_SPINE } from '../helpers/spine.js';

const CONSUMER_ASID = '200000000111';
const PROVIDER_ASID = '999000000001'; // test-ed's ASID (seedCatalogue)
const search = `/Slot?service=${SERVICE}`;
const ssp = (interaction: string = INTERACTIONS.slotSearch) => ({
  'ssp-traceid': randomUUID(),
  'ssp-from': CONSUMER_ASID,
  'ssp-to': PROVIDER_ASID,
  'ssp-interactionid': interaction,
});

async function auditRow(provider: ProviderServer, ts: TestStore, correlationId: string) {
  await provider.audit.flush();
  return ts.store.db
    .selectFrom('audit_event')
    .selectAll()
    .where('correlation_id', '=', correlationId)
    .executeTakeFirstOrThrow();
}

describe('Ssp-* headers have the formats the standard gives them', () => {
  let p: TestProvider;
  before(async () => {
    p = await startTestProvider();
  });
  after(() => p.close());

  for (const [header, value, pattern] of [
    ['ssp-traceid', 'trace-123', /Ssp-TraceID must be a UUID/],
    ['ssp-traceid', '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b\tx', /Ssp-TraceID must be a UUID/],
    ['ssp-from', 'evil-system', /Ssp-From must be the sender's ASID/],
    ['ssp-to', '999000000001; drop', /Ssp-To must be the receiver's ASID/],
    ['ssp-interactionid', 'not-a-urn', /Ssp-InteractionID must be an interaction ID/],
    [
      'ssp-interactionid',
      'urn:nhs:names:services:careconnect:fhir:rest:create:appointment',
      /does not match this request/,
    ],
  ] as const) {
    it(`${header}: ${JSON.stringify(value)} is a 400 OperationOutcome naming the header`, async () => {
      const res = await call(p.root(), search, { headers: { ...ssp(), [header]: value } });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.resourceType, 'OperationOutcome');
      assert.equal(res.json.issue[0].code, 'invalid');
      assert.match(res.json.issue[0].diagnostics, pattern);
    });
  }

  it('well-formed headers (search:slot for read:slot too) and none at all are accepted', async () => {
    assert.equal((await call(p.root(), search, { headers: ssp() })).status, 200);
    const alias = ssp('urn:nhs:names:services:careconnect:fhir:rest:search:slot');
    assert.equal((await call(p.root(), search, { headers: alias })).status, 200);
    assert.equal((await call(p.root(), search)).status, 200);
    const booking = bookingFor(p.catalogue.s1[0]);
    const headers = ssp('urn:nhs:names:services:careconnect:fhir:rest:create:appointment');
    const res = await call(p.root(), '/Appointment', { method: 'POST', body: booking, scope: SCOPE.write, headers });
    assert.equal(res.status, 201, res.text);
  });

  it("a direct call is audited with the peer's address and no proxy", async () => {
    const res = await call(p.root(), search, { requestId: 'direct-1', headers: ssp() });
    assert.equal(res.status, 200);
    const row = await auditRow(p.provider, { store: p.store } as TestStore, 'direct-1');
    assert.equal(row.peer_address, '127.0.0.1');
    assert.equal(row.forwarded, null);
    assert.equal(row.via_proxy, null, 'no proxy is configured: nothing to tell');
  });
});

describe("--allow-from: only the proxy's addresses may call", () => {
  let ts: TestStore;
  const servers: ProviderServer[] = [];
  before(async () => {
    ts = await testStore();
    await seedCatalogue(ts.store);
  });
  after(async () => {
    for (const s of servers) await s.app.close();
    await ts.dispose();
  });
  async function serve(allowFrom: string[]) {
    const server = await buildProviderServer({
      store: ts.store,
      publicOrigin: 'http://placeholder',
      auditFlushMs: 5,
      peers: { allowFrom },
    });
    servers.push(server);
    const origin = await server.app.listen({ port: 0, host: '127.0.0.1' });
    server.tenants.publicOrigin = origin;
    return { server, root: `${origin}/STU3/1/test-ed` };
  }

  it('a caller outside the list gets a 403 OperationOutcome, whatever it asks, and is audited as not the proxy', async () => {
    const { server, root } = await serve(['192.0.2.0/24', '2001:db8::/32']);
    for (const path of [search, '/metadata', '/Appointment/x', '/no/such/thing']) {
      const res = await call(root, path, { headers: ssp() });
      assert.equal(res.status, 403, `${path}: ${res.text}`);
      assert.equal(res.json.resourceType, 'OperationOutcome');
      assert.equal(res.json.issue[0].code, 'forbidden');
      assert.match(res.json.issue[0].diagnostics, /only from the booking network's proxy.*127\.0\.0\.1/);
    }
    await call(root, search, { requestId: 'outsider-1', headers: ssp() });
    const row = await auditRow(server, ts, 'outsider-1');
    assert.equal(row.status, 403);
    assert.equal(row.peer_address, '127.0.0.1');
    assert.equal(row.via_proxy, 0);
  });

  it('a caller inside the list is served, and must send the Ssp-* headers the proxy always sends', async () => {
    const { server, root } = await serve(['127.0.0.0/8']);
    const res = await call(root, search, { requestId: 'listed-1', headers: { ...ssp(), forwarded: 'for="10.1.2.3"' } });
    assert.equal(res.status, 200, res.text);
    const row = await auditRow(server, ts, 'listed-1');
    assert.equal(row.via_proxy, 1);
    assert.equal(row.forwarded, 'for="10.1.2.3"');
    const bare = await call(root, search);
    assert.equal(bare.status, 400);
    assert.match(bare.json.issue[0].diagnostics, /Ssp-TraceID is missing/);
  });

  it('an address list that cannot be read stops the provider from starting', async () => {
    await assert.rejects(
      buildProviderServer({ store: ts.store, publicOrigin: 'http://x', peers: { allowFrom: ['10.0.0.0/33'] } }),
      /not an IP address or CIDR block/,
    );
  });
});

describe("--proxy-cert-cn: under mutual TLS only the proxy's certificate may call", () => {
  let dir: string;
  let pki: TestPki;
  let providerStore: TestStore;
  let spineStore: TestStore;
  let provider: ProviderServer;
  let spine: Spine;
  let root: string;
  let proxy: string;
  let consumerAgent: Agent;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slotbridge-peer-'));
    pki = await createTestPki(dir);
    providerStore = await testStore();
    await seedCatalogue(providerStore.store);
    provider = await buildProviderServer({
      store: providerStore.store,
      publicOrigin: 'https://placeholder',
      auditFlushMs: 5,
      https: tlsServerOptions(pki, 'provider', { requireClientCert: true }),
      peers: { proxyCertificateNames: ['spine'] },
    });
    const providerAddress = await provider.app.listen({ port: 0, host: '127.0.0.1' });
    provider.tenants.publicOrigin = providerAddress;
    root = `${providerAddress}/STU3/1/test-ed`;

    spineStore = await testStore();
    await registerConsumer(spineStore.store.db, {
      asid: CONSUMER_ASID,
      odsCode: 'A1001',
      name: 'consumer',
      clientCertificate: 'CN=consumer',
    });
    await registerProvider(spineStore.store.db, {
      serviceRoot: root,
      asid: PROVIDER_ASID,
      odsCode: 'RT1',
      services: [],
    });
    spine = await buildSpine({
      ...TEST_SPINE,
      store: spineStore.store,
      https: tlsServerOptions(pki, 'spine', { requireClientCert: true }),
      proxyClientTls: tlsClientOptions(pki, 'spine'),
    });
    proxy = `${await spine.app.listen({ port: 0, host: '127.0.0.1' })}/proxy`;
    consumerAgent = new Agent({ connect: tlsClientOptions(pki, 'consumer') });
  });

  after(async () => {
    await consumerAgent.close();
    await spine.app.close();
    await provider.app.close();
    await spineStore.dispose();
    await providerStore.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const headers = (requestId: string, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${token({ aud: root, scope: SCOPE.slotRead })}`,
    accept: 'application/fhir+json',
    'x-request-id': requestId,
    ...ssp(),
    ...extra,
  });

  it('a consumer calling the provider directly with its own certificate (and a forged Forwarded header) gets a 403', async () => {
    const res = await request(`${root}${search}`, {
      headers: headers('forged-1', { forwarded: 'for="10.9.9.9";by="spine"' }),
      dispatcher: consumerAgent,
    });
    const body = (await res.body.json()) as any;
    assert.equal(res.statusCode, 403, JSON.stringify(body));
    assert.match(body.issue[0].diagnostics, /client certificate CN=consumer/);
    const row = await auditRow(provider, providerStore, 'forged-1');
    assert.equal(row.peer_certificate, 'CN=consumer');
    assert.equal(row.via_proxy, 0);
  });

  it('the same call through the proxy is served, and the audit tells it came through the proxy', async () => {
    const res = await request(`${proxy}/${root}${search}`, {
      headers: headers('proxied-1'),
      dispatcher: consumerAgent,
    });
    const body = (await res.body.json()) as any;
    assert.equal(res.statusCode, 200, JSON.stringify(body));
    const row = await auditRow(provider, providerStore, 'proxied-1');
    assert.equal(row.peer_certificate, 'CN=spine');
    assert.equal(row.via_proxy, 1);
    assert.equal(row.peer_address, '127.0.0.1');
    assert.match(row.forwarded ?? '', /for="127\.0\.0\.1:\d+"/, 'the proxy names the consumer it forwarded for');
  });
});
