/**
 * Mutual TLS end to end (docs/decisions.md, TLS: "supported and tested"): consumer → proxy → provider,
 * each side presenting a certificate from the local test CA (src/spine/tls.ts).
 */
import assert from 'node:assert/strict';
import { X509Certificate, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { Consumer } from '../../src/consumer/consumer.js';
import { consumerIdentity } from '../../src/consumer/identity.js';
import { standInConfig } from '../../src/consumer/national.js';
import { buildProviderServer, type ProviderServer } from '../../src/server/provider.js';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { putDirectoryService } from '../../src/spine/directory/repository.js';
import { INTERACTIONS } from '../../src/spine/interactions.js';
import { registerConsumer, registerProvider } from '../../src/spine/registration.js';
import { createTestPki } from '../../src/spine/test-ca.js';
import { tlsClientOptions, tlsServerOptions, type TestPki } from '../../src/spine/tls.js';
import { token } from '../helpers/consumer.js';
import { SERVICE, seedCatalogue, tomorrowAt } from '../helpers/provider.js';
import { TEST_SPINE } from '../helpers/spine.js';
import { testStore, type TestStore } from '../helpers/store.js';

const CONSUMER = '200000000111';
const PROVIDER_ASID = '999000000001';
/** A consumer registered without a client certificate: under mutual TLS it may not send. */
const UNBOUND_CONSUMER = '200000000113';

describe('mutual TLS between consumer, proxy and provider', () => {
  let dir: string;
  let pki: TestPki;
  let providerStore: TestStore;
  let spineStore: TestStore;
  let provider: ProviderServer;
  let spine: Spine;
  let spineWithoutCert: Spine;
  let root: string;
  let proxy: string;
  let proxyWithoutCert: string;
  let consumerAgent: Agent;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slotbridge-tls-'));
    pki = await createTestPki(dir);
    providerStore = await testStore();
    await seedCatalogue(providerStore.store);
    provider = await buildProviderServer({
      store: providerStore.store,
      publicOrigin: 'https://placeholder',
      https: tlsServerOptions(pki, 'provider', { requireClientCert: true }),
    });
    const providerAddress = await provider.app.listen({ port: 0, host: '127.0.0.1' });
    provider.tenants.publicOrigin = providerAddress;
    root = `${providerAddress}/STU3/1/test-ed`;

    spineStore = await testStore();
    // Each system is bound to its own certificate: the consumer by subject, the provider by fingerprint.
    await registerConsumer(spineStore.store.db, {
      asid: CONSUMER,
      odsCode: 'A1001',
      name: 'consumer',
      clientCertificate: 'CN=consumer',
    });
    await registerConsumer(spineStore.store.db, { asid: UNBOUND_CONSUMER, odsCode: 'A1003', name: 'no certificate' });
    await registerProvider(spineStore.store.db, {
      serviceRoot: root,
      asid: PROVIDER_ASID,
      odsCode: 'RT1',
      services: [],
      clientCertificate: new X509Certificate(readFileSync(pki.parties.provider!.certFile)).fingerprint256,
    });
    spine = await buildSpine({
      ...TEST_SPINE,
      store: spineStore.store,
      https: tlsServerOptions(pki, 'spine', { requireClientCert: true }),
      proxyClientTls: tlsClientOptions(pki, 'spine'),
    });
    proxy = `${await spine.app.listen({ port: 0, host: '127.0.0.1' })}/proxy`;
    // The same spine data, but a proxy that has no client certificate of its own.
    spineWithoutCert = await buildSpine({
      ...TEST_SPINE,
      store: spineStore.store,
      https: tlsServerOptions(pki, 'spine', { requireClientCert: true }),
      proxyClientTls: { ca: tlsClientOptions(pki, 'spine').ca } as never,
    });
    proxyWithoutCert = `${await spineWithoutCert.app.listen({ port: 0, host: '127.0.0.1' })}/proxy`;
    consumerAgent = new Agent({ connect: tlsClientOptions(pki, 'consumer') });
  });

  after(async () => {
    await consumerAgent.close();
    await spine.app.close();
    await spineWithoutCert.app.close();
    await provider.app.close();
    await spineStore.dispose();
    await providerStore.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const search = () =>
    `/Slot?service=${SERVICE}&start=ge${new Date(tomorrowAt(10)).toISOString()}&start=le${new Date(tomorrowAt(23)).toISOString()}`;
  const headers = (from = CONSUMER) => ({
    authorization: `Bearer ${token({ aud: root, scope: 'organization/slot.read' })}`,
    accept: 'application/fhir+json',
    'ssp-traceid': randomUUID(),
    'ssp-from': from,
    'ssp-to': PROVIDER_ASID,
    'ssp-interactionid': INTERACTIONS.slotSearch,
  });

  it('a consumer with a certificate from the CA searches slots through the proxy, which presents its own to the provider', async () => {
    const res = await request(`${proxy}/${root}${search()}`, { headers: headers(), dispatcher: consumerAgent });
    const body = (await res.body.json()) as any;
    assert.equal(res.statusCode, 200, JSON.stringify(body));
    assert.ok(body.entry.some((e: any) => e.resource.resourceType === 'Slot'));
  });

  it('issue 11 #10: an ASID sends only with the certificate bound to it (a provider’s ASID with the consumer’s is refused)', async () => {
    const cases = [
      { from: PROVIDER_ASID, why: /not the one bound to sender ASID 999000000001/ },
      { from: UNBOUND_CONSUMER, why: /no client certificate is bound to sender ASID 200000000113/ },
    ];
    for (const { from, why } of cases) {
      // The consumer's certificate, and a sender ASID that is registered for slot search but is not the consumer's.
      const res = await request(`${proxy}/${root}${search()}`, { headers: headers(from), dispatcher: consumerAgent });
      const body = (await res.body.json()) as any;
      assert.equal(res.statusCode, 403, JSON.stringify(body));
      assert.equal(body.issue[0].details.coding[0].code, 'SSP_SENDER_NOT_AUTHORISED');
      assert.match(body.issue[0].diagnostics, why);
    }
    // The provider's own certificate does send as the provider's ASID (its binding is the certificate's fingerprint).
    const providerAgent = new Agent({ connect: tlsClientOptions(pki, 'provider') });
    try {
      const res = await request(`${proxy}/${root}${search()}`, {
        headers: headers(PROVIDER_ASID),
        dispatcher: providerAgent,
      });
      assert.equal(res.statusCode, 200, await res.body.text());
    } finally {
      await providerAgent.close();
    }
  });

  it('the consumer configured with --cert, --key and --ca finds, resolves and searches over DoS, SDS and the proxy', async () => {
    // The provider's service in the directory, its booking endpoint the provider's ASID (registered under RT1).
    await putDirectoryService(spineStore.store.db, {
      id: SERVICE,
      name: 'Test ED (mutual TLS)',
      type: 'ED',
      odsCode: 'RT1',
      address: ['1 Test Street'],
      postcode: 'LS1 4AP',
      openingTimes: [],
      openAllHours: true,
      dispositions: ['Dx05'],
      ageRange: { min: 0, max: 130 },
      attributes: [],
      endpoints: [
        { order: 1, transport: 'http', format: 'FHIR', interaction: 'Scheduling', address: `ASID:${PROVIDER_ASID}` },
      ],
    });
    const spineBase = proxy.replace(/\/proxy$/, '');
    const consumer = pki.parties.consumer!;
    const national = {
      ...standInConfig(spineBase),
      tls: { cert: readFileSync(consumer.certFile), key: readFileSync(consumer.keyFile), ca: readFileSync(pki.caFile) },
    };
    const withCert = new Consumer({ national, identity: consumerIdentity() });
    const found = await withCert.findServices({ disposition: 'Dx05', postcode: 'LS1 4AP', age: 40 });
    const ours = found.find((f) => f.service.id === SERVICE);
    assert.ok(ours?.route.bookable, JSON.stringify(ours?.route));
    assert.equal(ours.route.bookable && ours.route.serviceRoot, root);
    const { slots } = await withCert.slots(SERVICE);
    assert.ok(slots.length > 0, 'slots through the proxy, which presents its own certificate to the provider');

    // The same configuration without the certificate: the spine refuses the TLS handshake on the first call.
    const { tls: _tls, ...noCert } = national;
    const without = new Consumer({ national: { ...noCert, tls: undefined }, identity: consumerIdentity() });
    await assert.rejects(
      without.findServices({ disposition: 'Dx05', postcode: 'LS1 4AP', age: 40 }),
      /cannot reach|failed/,
    );
  });

  it('a consumer without a client certificate is refused during the TLS handshake', async () => {
    const noCert = new Agent({ connect: { ca: tlsClientOptions(pki, 'consumer').ca } });
    try {
      await assert.rejects(request(`${proxy}/${root}${search()}`, { headers: headers(), dispatcher: noCert }));
    } finally {
      await noCert.close();
    }
  });

  it('502 from the proxy when the provider refuses the proxy for want of a client certificate', async () => {
    const res = await request(`${proxyWithoutCert}/${root}${search()}`, {
      headers: headers(),
      dispatcher: consumerAgent,
    });
    const body = (await res.body.json()) as any;
    assert.equal(res.statusCode, 502);
    assert.equal(body.issue[0].details.coding[0].code, 'SSP_TARGET_UNREACHABLE');
  });
});
