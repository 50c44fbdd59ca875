/**
 * The consumer's SDS FHIR API client (src/consumer/sds-client.ts):
 *   (a) against answers shaped exactly as NHS England publishes them (test/fixtures/sds/, README there),
 *       served by a small local HTTP server that records what the client sent;
 *   (b) against the spine's SDS stand-in (src/spine/endpoints/fhir.ts) on a real store: the resolution
 *       the consumer makes, a directory's ODS code and ASID to a provider's service root.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DEMO_SDS_APIKEY } from '../../src/consumer/national.js';
import { SdsClient } from '../../src/consumer/sds-client.js';
import { buildSpine, SDS_PATH, type Spine } from '../../src/spine/app.js';
import { consumerErrorOf } from '../helpers/consumer.js';
import { TEST_SPINE, operatorHeaders } from '../helpers/spine.js';
import { testStore, type TestStore } from '../helpers/store.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/sds/${name}`, import.meta.url), 'utf8');

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const IA = 'https://fhir.nhs.uk/Id/nhsServiceInteractionId';
const PK = 'https://fhir.nhs.uk/Id/nhsMhsPartyKey';
const READ_SLOT = 'urn:nhs:names:services:careconnect:fhir:rest:read:slot';
const SEARCH_SLOT = 'urn:nhs:names:services:careconnect:fhir:rest:search:slot';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const API_KEY = 'an-application-api-key';

interface Recorded {
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
}
interface Canned {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Never answer (for the time limit). */
  hang?: boolean;
}

/** The live API's stand-in for (a): answers with what it is told, and keeps what it was sent. */
async function fakeSds() {
  const requests: Recorded[] = [];
  let next: Canned = { status: 200, body: fixture('empty-bundle.json') };
  const server: Server = createServer((req, res) => {
    const [path, query = ''] = (req.url ?? '').split('?');
    requests.push({ method: req.method ?? '', path: path!, query, headers: req.headers });
    if (next.hang) return;
    res.writeHead(next.status, {
      'content-type': next.contentType ?? 'application/fhir+json',
      'x-correlation-id': String(req.headers['x-correlation-id'] ?? ''),
      ...next.headers,
    });
    res.end(next.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    answer(canned: Canned) {
      next = canned;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The query's parameters in the order sent, decoded. */
const paramsOf = (query: string) => [...new URLSearchParams(query)];

const refusal = consumerErrorOf;

describe('SdsClient against the published SDS answers', () => {
  let sds: Awaited<ReturnType<typeof fakeSds>>;
  let client: SdsClient;

  before(async () => {
    sds = await fakeSds();
    // A trailing slash on the base is forgiven.
    client = new SdsClient({ url: `${sds.origin}/spine-directory/FHIR/R4/`, apiKey: API_KEY });
  });
  after(() => sds.close());

  it('searches Device with the apikey, a fresh correlation id, FHIR JSON and repeated identifier', async () => {
    sds.answer({ status: 200, body: fixture('device-bundle.json') });
    const devices = await client.devices({
      odsCode: 'A20047',
      interaction: 'urn:nhs:names:services:gpconnect:fhir:rest:search:patient',
      partyKey: 'A20047-821870',
    });
    assert.deepEqual(devices, [
      {
        id: '0E512499-E65C-4AE9-BEEC-224917FCDE94',
        asid: '200000000985',
        partyKey: 'A20047-821870',
        odsCode: 'A20047',
        interactions: [
          'urn:nhs:names:services:gpconnect:fhir:operation:gpc.getcarerecord',
          'urn:nhs:names:services:gpconnect:fhir:rest:read:location',
        ],
      },
    ]);
    const sent = sds.requests.at(-1)!;
    assert.equal(sent.method, 'GET');
    assert.equal(sent.path, '/spine-directory/FHIR/R4/Device');
    assert.equal(
      sent.query,
      'organization=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fods-organization-code%7CA20047' +
        '&identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2FnhsServiceInteractionId%7C' +
        'urn%3Anhs%3Anames%3Aservices%3Agpconnect%3Afhir%3Arest%3Asearch%3Apatient' +
        '&identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2FnhsMhsPartyKey%7CA20047-821870',
    );
    assert.deepEqual(paramsOf(sent.query), [
      ['organization', `${ODS}|A20047`],
      ['identifier', `${IA}|urn:nhs:names:services:gpconnect:fhir:rest:search:patient`],
      ['identifier', `${PK}|A20047-821870`],
    ]);
    assert.equal(sent.headers.apikey, API_KEY);
    assert.equal(sent.headers.accept, 'application/fhir+json');
    assert.match(String(sent.headers['x-correlation-id']), UUID);

    // Without a party key: one identifier; and every call its own correlation id.
    await client.devices({ odsCode: 'A20047', interaction: READ_SLOT });
    const second = sds.requests.at(-1)!;
    assert.deepEqual(paramsOf(second.query), [
      ['organization', `${ODS}|A20047`],
      ['identifier', `${IA}|${READ_SLOT}`],
    ]);
    assert.notEqual(second.headers['x-correlation-id'], sent.headers['x-correlation-id']);
  });

  it('searches Endpoint with each supported combination and reads the published Endpoint', async () => {
    sds.answer({ status: 200, body: fixture('endpoint-bundle.json') });
    const endpoints = await client.endpoints({
      odsCode: 'YES',
      interaction: 'urn:nhs:names:services:psis:REPC_IN150016UK05',
      partyKey: 'YES-0000806',
    });
    assert.deepEqual(endpoints, [
      {
        id: '08CE3BFB-5055-422B-9AE5-80DF6F4E1C61',
        address: 'https://msg.int.spine2.ncrs.nhs.uk/reliablemessaging/reliablerequest',
        partyKey: 'YES-0000806',
        odsCode: 'YES',
        interactions: ['urn:nhs:names:services:psis:REPC_IN150016UK05'],
      },
    ]);
    const sent = sds.requests.at(-1)!;
    assert.equal(sent.path, '/spine-directory/FHIR/R4/Endpoint');
    assert.deepEqual(paramsOf(sent.query), [
      ['organization', `${ODS}|YES`],
      ['identifier', `${IA}|urn:nhs:names:services:psis:REPC_IN150016UK05`],
      ['identifier', `${PK}|YES-0000806`],
    ]);
    assert.equal(sent.headers.apikey, API_KEY);

    await client.endpoints({ odsCode: 'YES', partyKey: 'YES-0000806' });
    assert.deepEqual(paramsOf(sds.requests.at(-1)!.query), [
      ['organization', `${ODS}|YES`],
      ['identifier', `${PK}|YES-0000806`],
    ]);
    await client.endpoints({ odsCode: 'YES', interaction: READ_SLOT });
    assert.deepEqual(paramsOf(sds.requests.at(-1)!.query), [
      ['organization', `${ODS}|YES`],
      ['identifier', `${IA}|${READ_SLOT}`],
    ]);
    await client.endpoints({ interaction: READ_SLOT, partyKey: 'YES-0000806' });
    assert.equal(
      sds.requests.at(-1)!.query,
      `identifier=${encodeURIComponent(`${IA}|${READ_SLOT}`)}&identifier=${encodeURIComponent(`${PK}|YES-0000806`)}`,
    );
  });

  it('refuses a search the API does not take without sending it', async () => {
    const before = sds.requests.length;
    for (const q of [{ odsCode: 'YES' }, { partyKey: 'YES-0000806' }, { interaction: READ_SLOT }, {}]) {
      const err = await refusal(client.endpoints(q));
      assert.equal(err.code, 'sds-bad-query');
      assert.equal(err.source, 'consumer');
    }
    assert.equal((await refusal(client.devices({ odsCode: '', interaction: READ_SLOT }))).code, 'sds-bad-query');
    assert.equal(sds.requests.length, before);
  });

  it('reads a searchset without entries as no matches', async () => {
    sds.answer({ status: 200, body: fixture('empty-bundle.json') });
    assert.deepEqual(await client.devices({ odsCode: 'ZZZ99', interaction: READ_SLOT }), []);
    assert.deepEqual(await client.endpoints({ odsCode: 'ZZZ99', interaction: READ_SLOT }), []);
    sds.answer({
      status: 200,
      body: JSON.stringify({ resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] }),
    });
    assert.deepEqual(await client.devices({ odsCode: 'ZZZ99', interaction: READ_SLOT }), []);
  });

  it('turns each refusal into a ConsumerError naming the status, what SDS said and the correlation id', async () => {
    const cases: [number, RegExp][] = [
      [400, /refused the search parameters.*Missing or invalid 'organization'/],
      [401, /did not accept our API key.*Invalid ApiKey/],
      [403, /refuses this application.*Invalid ApiKey for given resource/],
      [404, /nothing answers at this address.*HTTP endpoint not found/],
      [405, /does not allow this method.*HTTP operation not supported/],
      [406, /cannot answer in FHIR JSON.*Accept type not supported/],
      [429, /limiting our calls.*retry after 3 s/],
      [500, /internal error.*An unknown error occurred/],
      [502, /could not read the directory behind it/],
      [504, /timed out reading the directory behind it/],
    ];
    for (const [status, message] of cases) {
      sds.answer({
        status,
        body: fixture(`outcome-${status}.json`),
        contentType: status >= 429 ? 'application/json' : 'application/fhir+json',
        headers: status === 429 ? { 'retry-after': '3' } : status === 405 ? { allow: 'GET' } : {},
      });
      const err = await refusal(client.devices({ odsCode: 'A20047', interaction: READ_SLOT }));
      const sentId = String(sds.requests.at(-1)!.headers['x-correlation-id']);
      assert.equal(err.code, `sds-${status}`);
      assert.equal(err.source, 'endpoint-directory');
      assert.equal(err.details.status, status);
      assert.equal(err.details.correlationId, sentId);
      assert.equal((err.details.outcome as { resourceType?: string } | undefined)?.resourceType, 'OperationOutcome');
      assert.match(err.message, message, `${status}: ${err.message}`);
      assert.ok(err.message.includes(`X-Correlation-ID ${sentId}`), err.message);
    }
  });

  it('says so when the answer is not JSON or not a Bundle', async () => {
    sds.answer({ status: 200, body: '<html>Service Unavailable</html>', contentType: 'text/html' });
    const html = await refusal(client.devices({ odsCode: 'A20047', interaction: READ_SLOT }));
    assert.equal(html.code, 'sds-bad-answer');
    assert.match(html.message, /not a FHIR Bundle/);
    assert.ok(html.message.includes(String(sds.requests.at(-1)!.headers['x-correlation-id'])));
    sds.answer({ status: 200, body: fixture('outcome-400.json') });
    assert.equal((await refusal(client.endpoints({ odsCode: 'YES', partyKey: 'YES-0000806' }))).code, 'sds-bad-answer');
    // A gateway's HTML error page is still its status.
    sds.answer({ status: 503, body: '<html>503</html>', contentType: 'text/html' });
    const gateway = await refusal(client.devices({ odsCode: 'A20047', interaction: READ_SLOT }));
    assert.equal(gateway.code, 'sds-503');
    assert.match(gateway.message, /SDS is unavailable \(503; X-Correlation-ID/);
  });

  it('a network failure and a time limit are ConsumerErrors naming the correlation id', async () => {
    const closed = await fakeSds();
    await closed.close();
    const unreachable = new SdsClient({ url: `${closed.origin}/spine-directory/FHIR/R4`, apiKey: API_KEY });
    const network = await refusal(unreachable.devices({ odsCode: 'A20047', interaction: READ_SLOT }));
    assert.equal(network.code, 'network');
    assert.equal(network.source, 'network');
    assert.match(network.message, /cannot reach http:\/\/127\.0\.0\.1:\d+ .*X-Correlation-ID [0-9a-f-]{36}/);

    sds.answer({ status: 200, body: '', hang: true });
    const slow = new SdsClient({ url: `${sds.origin}/spine-directory/FHIR/R4`, apiKey: API_KEY, timeoutMs: 150 });
    const timeout = await refusal(slow.endpoints({ odsCode: 'YES', interaction: READ_SLOT }));
    assert.equal(timeout.code, 'sds-timeout');
    assert.match(timeout.message, /no answer within 150 ms/);
    assert.equal(timeout.details.correlationId, sds.requests.at(-1)!.headers['x-correlation-id']);
  });

  it('passes a dispatcher through to fetch', async () => {
    sds.answer({ status: 200, body: fixture('device-bundle.json') });
    const dispatcher = { name: 'an undici Agent' };
    const seen: unknown[] = [];
    const recording: typeof fetch = (input, init) => {
      seen.push((init as { dispatcher?: unknown } | undefined)?.dispatcher);
      const { dispatcher: _mine, ...rest } = init as RequestInit & { dispatcher?: unknown };
      return fetch(input, rest);
    };
    const withDispatcher = new SdsClient({
      url: `${sds.origin}/spine-directory/FHIR/R4`,
      apiKey: API_KEY,
      fetchImpl: recording,
      dispatcher,
    });
    assert.equal((await withDispatcher.devices({ odsCode: 'A20047', interaction: READ_SLOT })).length, 1);
    const without = new SdsClient({
      url: `${sds.origin}/spine-directory/FHIR/R4`,
      apiKey: API_KEY,
      fetchImpl: recording,
    });
    await without.devices({ odsCode: 'A20047', interaction: READ_SLOT });
    assert.deepEqual(seen, [dispatcher, undefined]);
  });
});

describe('SdsClient against the spine’s SDS stand-in', () => {
  let ts: TestStore;
  let spine: Spine;
  let base: string;

  before(async () => {
    ts = await testStore();
    spine = await buildSpine({ store: ts.store, ...TEST_SPINE });
    base = await spine.app.listen({ port: 0, host: '127.0.0.1' });
    const put = async (path: string, body: unknown) => {
      const res = await fetch(`${base}/endpoints${path}`, {
        method: 'PUT',
        headers: operatorHeaders(),
        body: JSON.stringify(body),
      });
      assert.ok(res.ok, `${path}: ${res.status}`);
    };
    // One trust (R9R) with two systems; the directory names the second by its ASID.
    await put('/as/200000000101', {
      nhsMHSPartyKey: 'R9R-0000101',
      nhsIDCode: 'R9R',
      name: 'Riverside ED',
      nhsAsSvcIA: [READ_SLOT],
      clientCertificate: 'CN=riverside.example',
    });
    await put('/as/200000000102', {
      nhsMHSPartyKey: 'R9R-0000102',
      nhsIDCode: 'R9R',
      name: 'Northgate UTC',
      nhsAsSvcIA: [SEARCH_SLOT],
    });
    await put('/mhs/m-101', {
      nhsMHSPartyKey: 'R9R-0000101',
      nhsMhsSvcIA: READ_SLOT,
      nhsMHSEndPoint: 'https://riverside.example/STU3/1/ed',
    });
    await put('/mhs/m-102', {
      nhsMHSPartyKey: 'R9R-0000102',
      nhsMhsSvcIA: SEARCH_SLOT,
      nhsMHSEndPoint: 'https://northgate.example/STU3/1/utc',
    });
  });
  after(async () => {
    await spine.app.close();
    await ts.dispose();
  });

  it('resolves a directory entry (ODS code and ASID) to the provider’s service root', async () => {
    const client = new SdsClient({ url: `${base}${SDS_PATH}`, apiKey: DEMO_SDS_APIKEY });
    const devices = await client.devices({ odsCode: 'R9R', interaction: READ_SLOT });
    assert.deepEqual(
      devices.map((d) => [d.asid, d.partyKey, d.odsCode]),
      [
        ['200000000101', 'R9R-0000101', 'R9R'],
        ['200000000102', 'R9R-0000102', 'R9R'],
      ],
    );
    const device = devices.find((d) => d.asid === '200000000102')!;
    assert.deepEqual(device.interactions, [SEARCH_SLOT]);
    const endpoints = await client.endpoints({ odsCode: 'R9R', interaction: READ_SLOT, partyKey: device.partyKey });
    assert.deepEqual(endpoints, [
      {
        id: endpoints[0]!.id,
        address: 'https://northgate.example/STU3/1/utc',
        partyKey: 'R9R-0000102',
        odsCode: 'R9R',
        interactions: [SEARCH_SLOT],
      },
    ]);
    assert.deepEqual(await client.devices({ odsCode: 'ZZZ99', interaction: READ_SLOT }), []);
    assert.deepEqual(await client.endpoints({ interaction: READ_SLOT, partyKey: 'ZZZ-0000001' }), []);
  });

  it('a wrong API key and a wrong base URL are refusals the call handler can read', async () => {
    const wrongKey = new SdsClient({ url: `${base}${SDS_PATH}`, apiKey: 'not-the-key' });
    const denied = await refusal(wrongKey.devices({ odsCode: 'R9R', interaction: READ_SLOT }));
    assert.equal(denied.code, 'sds-401');
    assert.match(
      denied.message,
      /did not accept our API key; check the apikey .* \(401: Invalid ApiKey; X-Correlation-ID [0-9a-f-]{36}\)\.$/,
    );
    const wrongPath = new SdsClient({ url: `${base}/spine-directory/FHIR/STU3`, apiKey: DEMO_SDS_APIKEY });
    const missing = await refusal(wrongPath.devices({ odsCode: 'R9R', interaction: READ_SLOT }));
    assert.equal(missing.code, 'sds-404');
    assert.match(missing.message, /nothing answers at this address/);
  });
});
