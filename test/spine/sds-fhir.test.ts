/**
 * The SDS FHIR API stand-in (src/spine/endpoints/fhir.ts) over real HTTP on a real store, filled
 * through the endpoint directory's JSON admin API as an operator fills it: Device and Endpoint searches
 * for each parameter combination the real API takes, the slot search's two names, the API's 400, 401,
 * 404, 405 and 406 answers, the correlation id on every answer, and no client certificate in any answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildSpine, SDS_PATH } from '../../src/spine/app.js';
import { DEMO_SDS_APIKEY } from '../../src/spine/national-credentials.js';
import { TEST_SPINE, operatorHeaders } from '../helpers/spine.js';
import { testStore, type TestStore } from '../helpers/store.js';

const API_KEY = 'sds-test-application-key';
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const IA = 'https://fhir.nhs.uk/Id/nhsServiceInteractionId';
const PK = 'https://fhir.nhs.uk/Id/nhsMhsPartyKey';
const CC = 'urn:nhs:names:services:careconnect:fhir:rest';
const READ_SLOT = `${CC}:read:slot`;
const SEARCH_SLOT = `${CC}:search:slot`;
const BOOK = `${CC}:create:appointment`;
const PSIS = 'urn:nhs:names:services:psis:REPC_IN150016UK05';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const org = (code: string) => `organization=${ODS}|${code}`;
const interaction = (id: string) => `identifier=${IA}|${id}`;
const partyKey = (key: string) => `identifier=${PK}|${key}`;

/** The real API's 400 texts (its adaptor's tests), which a client may show or match. */
const ORG_MESSAGE = `HTTP 400: Bad Request (Missing or invalid 'organization' query parameter. Should be 'organization=${ODS}|value')`;
const SERVICE_MESSAGE = `HTTP 400: Bad Request (Missing or invalid 'identifier' query parameter. Should be 'identifier=${IA}|value')`;
const IDENTIFIER_MESSAGE =
  `HTTP 400: Bad Request (Missing or invalid 'identifier' query parameter. Should be one or both of: ` +
  `['identifier=${IA}|value', 'identifier=${PK}|value')`;
const MANUFACTURER_MESSAGE =
  `HTTP 400: Bad Request (Missing or invalid 'manufacturing-organization' query parameter. ` +
  `Should be 'manufacturing-organization=${ODS}|value')`;
const COMBINATION_MESSAGE =
  'HTTP 400: Bad Request (Missing or invalid query parameters. Should one of following combinations: [' +
  `'organization=${ODS}|value&identifier=${IA}|value&identifier=${PK}|value'` +
  `'organization=${ODS}|value&identifier=${IA}|value'` +
  `'organization=${ODS}|value&identifier=${PK}|value'` +
  `'identifier=${IA}|value&identifier=${PK}|value'])`;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

describe('SDS FHIR API stand-in', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let spine: string;
  let sds: string;

  const call = async (
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ) => {
    const res = await fetch(`${sds}${path}`, {
      method: init.method ?? 'GET',
      headers: init.headers ?? { apikey: API_KEY },
      body: init.body,
    });
    const text = await res.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, headers: res.headers, text, body } satisfies Answer;
  };
  const search = async (path: string) => {
    const res = await call(path);
    assert.equal(res.status, 200, `${path}: ${res.text.slice(0, 400)}`);
    assert.equal(res.body.resourceType, 'Bundle');
    assert.equal(res.body.type, 'searchset');
    assert.equal(res.body.total, res.body.entry.length);
    return res.body;
  };
  const identifier = (resource: any, system: string) =>
    resource.identifier.find((i: any) => i.system === system)?.value as string | undefined;
  const asids = (bundle: any) =>
    bundle.entry.map((e: any) => identifier(e.resource, 'https://fhir.nhs.uk/Id/nhsSpineASID'));
  const mhsIds = (bundle: any) =>
    bundle.entry.map((e: any) => identifier(e.resource, 'https://fhir.nhs.uk/Id/nhsMHSId'));
  const interactionsOf = (resource: any) =>
    resource.extension
      .filter((x: any) => x.url === 'https://fhir.nhs.uk/StructureDefinition/Extension-SDS-NhsServiceInteractionId')
      .map((x: any) => x.valueReference.identifier.value);
  const assertRefusal = (res: Answer, status: number, code: string, spineCode: string, diagnostics?: string) => {
    assert.equal(res.status, status, res.text.slice(0, 400));
    assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    const [issue] = res.body.issue;
    assert.equal(issue.severity, 'error');
    assert.equal(issue.code, code);
    assert.equal(issue.details.coding[0].code, spineCode);
    if (diagnostics !== undefined) assert.equal(issue.diagnostics, diagnostics);
    assert.match(res.headers.get('x-correlation-id') ?? '', UUID);
  };

  before(async () => {
    ts = await testStore();
    ({ app } = await buildSpine({
      store: ts.store,
      ...TEST_SPINE,
      national: { dosUsers: [], sdsApiKeys: [API_KEY] },
    }));
    spine = await app.listen({ port: 0, host: '127.0.0.1' });
    sds = `${spine}${SDS_PATH}`;
    const put = async (path: string, body: unknown) => {
      const res = await fetch(`${spine}/endpoints${path}`, {
        method: 'PUT',
        headers: operatorHeaders(),
        body: JSON.stringify(body),
      });
      assert.ok(res.status === 200 || res.status === 201, `${path}: ${res.status} ${await res.text()}`);
    };
    // Two systems of one trust (R9R), one registered under each name of the slot search.
    await put('/as/200000000101', {
      nhsMHSPartyKey: 'R9R-0000101',
      nhsIDCode: 'R9R',
      name: 'Riverside ED',
      nhsAsSvcIA: [SEARCH_SLOT, BOOK],
      clientCertificate: 'CN=riverside-secret.example',
    });
    await put('/as/200000000102', {
      nhsMHSPartyKey: 'R9R-0000102',
      nhsIDCode: 'R9R',
      name: 'Northgate UTC',
      nhsAsSvcIA: [READ_SLOT],
    });
    await put('/as/200000000201', {
      nhsMHSPartyKey: 'X26-0000201',
      nhsIDCode: 'X26',
      name: 'Elsewhere',
      nhsAsSvcIA: [READ_SLOT, BOOK],
    });
    await put('/as/200000000301', {
      nhsMHSPartyKey: 'YES-0000806',
      nhsIDCode: 'YES',
      name: 'Spine',
      nhsAsSvcIA: [PSIS],
    });
    // The same interaction with another character where PSIS has an underscore (LIKE's one-character wildcard).
    await put('/as/200000000302', {
      nhsMHSPartyKey: 'YES-0000807',
      nhsIDCode: 'YES',
      name: 'Spine too',
      nhsAsSvcIA: [PSIS.replace('_', 'X')],
    });
    await put('/mhs/m-101-slot', {
      nhsMHSPartyKey: 'R9R-0000101',
      nhsMhsSvcIA: SEARCH_SLOT,
      nhsMHSEndPoint: 'https://riverside.example/STU3/1/riverside-ed',
    });
    await put('/mhs/m-101-book', {
      nhsMHSPartyKey: 'R9R-0000101',
      nhsMhsSvcIA: BOOK,
      nhsMHSEndPoint: 'https://riverside.example/STU3/1/riverside-ed',
    });
    await put('/mhs/m-102-slot', {
      nhsMHSPartyKey: 'R9R-0000102',
      nhsMhsSvcIA: READ_SLOT,
      nhsMHSEndPoint: 'https://northgate.example/STU3/1/northgate-utc',
    });
    await put('/mhs/m-201-slot', {
      nhsMHSPartyKey: 'X26-0000201',
      nhsMhsSvcIA: READ_SLOT,
      nhsMHSEndPoint: 'https://x26.example/fhir',
    });
    // An endpoint whose party key no accredited system has, with an address that is not a URL.
    await put('/mhs/m-999-slot', {
      nhsMHSPartyKey: 'ZZZ-0000999',
      nhsMhsSvcIA: READ_SLOT,
      nhsMHSEndPoint: 'not a url',
    });
  });

  after(async () => {
    await app.close();
    await ts.dispose();
  });

  describe('GET /Device', () => {
    it('finds the accredited systems of an organisation for an interaction, shaped like the published Device', async () => {
      const res = await call(`/Device?${org('R9R')}&${interaction(READ_SLOT)}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
      const bundle = res.body;
      assert.equal(bundle.resourceType, 'Bundle');
      assert.equal(bundle.type, 'searchset');
      assert.equal(bundle.total, 2);
      assert.deepEqual(asids(bundle), ['200000000101', '200000000102']);
      assert.deepEqual(bundle.link, [
        { relation: 'self', url: `${sds}/Device?${org('R9R')}&${interaction(READ_SLOT)}` },
      ]);
      const [entry] = bundle.entry;
      assert.equal(entry.fullUrl, `${sds}/Device/${entry.resource.id}`);
      assert.deepEqual(entry.search, { mode: 'match' });
      assert.deepEqual(entry.resource, {
        resourceType: 'Device',
        id: entry.resource.id,
        identifier: [
          { system: 'https://fhir.nhs.uk/Id/nhsSpineASID', value: '200000000101' },
          { system: PK, value: 'R9R-0000101' },
        ],
        extension: [
          {
            url: 'https://fhir.nhs.uk/StructureDefinition/Extension-SDS-ManufacturingOrganisation',
            valueReference: { identifier: { system: ODS, value: 'R9R' } },
          },
          {
            url: 'https://fhir.nhs.uk/StructureDefinition/Extension-SDS-NhsServiceInteractionId',
            valueReference: { identifier: { system: IA, value: SEARCH_SLOT } },
          },
          {
            url: 'https://fhir.nhs.uk/StructureDefinition/Extension-SDS-NhsServiceInteractionId',
            valueReference: { identifier: { system: IA, value: BOOK } },
          },
        ],
        owner: { identifier: { system: ODS, value: 'R9R' } },
      });
      // The same system keeps its id from one answer to the next.
      const again = await search(`/Device?${org('R9R')}&${interaction(BOOK)}`);
      assert.equal(again.entry[0].resource.id, entry.resource.id);
    });

    it('finds a system under either name of the slot search, and an ODS code in any case', async () => {
      assert.deepEqual(asids(await search(`/Device?${org('R9R')}&${interaction(SEARCH_SLOT)}`)), [
        '200000000101',
        '200000000102',
      ]);
      assert.deepEqual(asids(await search(`/Device?${org('r9r')}&${interaction(READ_SLOT)}`)), [
        '200000000101',
        '200000000102',
      ]);
      assert.deepEqual(asids(await search(`/Device?${org('R9R')}&${interaction(BOOK)}`)), ['200000000101']);
      assert.deepEqual(asids(await search(`/Device?${org('X26')}&${interaction(SEARCH_SLOT)}`)), ['200000000201']);
    });

    it('narrows by party key and by manufacturing organisation', async () => {
      const byKey = await search(`/Device?${org('R9R')}&${interaction(READ_SLOT)}&${partyKey('R9R-0000102')}`);
      assert.deepEqual(asids(byKey), ['200000000102']);
      assert.deepEqual(interactionsOf(byKey.entry[0].resource), [READ_SLOT]);
      const maker = (code: string) => `manufacturing-organization=${ODS}|${code}`;
      assert.deepEqual(asids(await search(`/Device?${org('R9R')}&${interaction(READ_SLOT)}&${maker('R9R')}`)), [
        '200000000101',
        '200000000102',
      ]);
      assert.deepEqual(asids(await search(`/Device?${org('R9R')}&${interaction(READ_SLOT)}&${maker('X26')}`)), []);
      assert.deepEqual(
        asids(
          await search(`/Device?${org('R9R')}&${partyKey('R9R-0000101')}&${interaction(READ_SLOT)}&${maker('r9r')}`),
        ),
        ['200000000101'],
      );
    });

    it('matches an interaction exactly (an underscore is not a wildcard) and answers none as an empty searchset', async () => {
      assert.deepEqual(asids(await search(`/Device?${org('YES')}&${interaction(PSIS)}`)), ['200000000301']);
      assert.deepEqual(asids(await search(`/Device?${org('YES')}&${interaction(PSIS.replace('_', 'X'))}`)), [
        '200000000302',
      ]);
      const none = await search(`/Device?${org('YES')}&${interaction(PSIS.replace('_', 'Y'))}`);
      assert.equal(none.total, 0);
      assert.deepEqual(none.entry, []);
      assert.equal((await search(`/Device?${org('YES')}&${interaction(PSIS.toLowerCase())}`)).total, 0);
      assert.equal((await search(`/Device?${org('NOPE')}&${interaction(READ_SLOT)}`)).total, 0);
    });

    it('never publishes a system’s client certificate', async () => {
      const res = await call(`/Device?${org('R9R')}&${interaction(BOOK)}`);
      assert.equal(res.status, 200);
      assert.doesNotMatch(res.text, /riverside-secret|CN=/);
      // The binding is still there for the proxy: the admin interface keeps it out of its answers too.
      const stored = await ts.store.db
        .selectFrom('sds_as')
        .select('client_certificate')
        .where('asid', '=', '200000000101')
        .executeTakeFirst();
      assert.equal(stored?.client_certificate, 'CN=riverside-secret.example');
    });
  });

  describe('GET /Endpoint', () => {
    it('organisation, interaction and party key: the endpoint, shaped like the published Endpoint', async () => {
      const bundle = await search(`/Endpoint?${org('R9R')}&${interaction(READ_SLOT)}&${partyKey('R9R-0000101')}`);
      assert.deepEqual(mhsIds(bundle), ['m-101-slot']);
      const [entry] = bundle.entry;
      assert.equal(entry.fullUrl, `${sds}/Endpoint/${entry.resource.id}`);
      assert.deepEqual(entry.search, { mode: 'match' });
      assert.deepEqual(entry.resource, {
        resourceType: 'Endpoint',
        id: entry.resource.id,
        status: 'active',
        connectionType: {
          system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type',
          code: 'hl7-fhir-msg',
          display: 'HL7 FHIR Messaging',
        },
        payloadType: [
          {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type', code: 'any', display: 'Any' },
            ],
          },
        ],
        address: 'https://riverside.example/STU3/1/riverside-ed',
        managingOrganization: { identifier: { system: ODS, value: 'R9R' } },
        identifier: [
          { system: 'https://fhir.nhs.uk/Id/nhsMhsFQDN', value: 'riverside.example' },
          { system: PK, value: 'R9R-0000101' },
          { system: 'https://fhir.nhs.uk/Id/nhsMHSId', value: 'm-101-slot' },
        ],
        extension: [
          {
            url: 'https://fhir.nhs.uk/StructureDefinition/Extension-SDS-NhsServiceInteractionId',
            valueReference: { identifier: { system: IA, value: SEARCH_SLOT } },
          },
        ],
      });
    });

    it('organisation and interaction: every endpoint of the organisation’s systems, under either slot search name', async () => {
      assert.deepEqual(mhsIds(await search(`/Endpoint?${org('R9R')}&${interaction(READ_SLOT)}`)), [
        'm-101-slot',
        'm-102-slot',
      ]);
      assert.deepEqual(mhsIds(await search(`/Endpoint?${org('R9R')}&${interaction(SEARCH_SLOT)}`)), [
        'm-101-slot',
        'm-102-slot',
      ]);
      assert.deepEqual(mhsIds(await search(`/Endpoint?${org('X26')}&${interaction(READ_SLOT)}`)), ['m-201-slot']);
    });

    it('organisation and party key: every interaction of that party key', async () => {
      const bundle = await search(`/Endpoint?${org('R9R')}&${partyKey('R9R-0000101')}`);
      assert.deepEqual(mhsIds(bundle), ['m-101-book', 'm-101-slot']);
      assert.deepEqual(
        bundle.entry.map((e: any) => interactionsOf(e.resource)),
        [[BOOK], [SEARCH_SLOT]],
      );
      assert.equal((await search(`/Endpoint?${org('X26')}&${partyKey('R9R-0000101')}`)).total, 0);
    });

    it('interaction and party key, without an organisation', async () => {
      const x26 = await search(`/Endpoint?${interaction(SEARCH_SLOT)}&${partyKey('X26-0000201')}`);
      assert.deepEqual(mhsIds(x26), ['m-201-slot']);
      assert.deepEqual(x26.entry[0].resource.managingOrganization, { identifier: { system: ODS, value: 'X26' } });
      // No accredited system has this party key: no managing organisation; its address is no URL: no FQDN.
      const orphan = (await search(`/Endpoint?${partyKey('ZZZ-0000999')}&${interaction(READ_SLOT)}`)).entry[0].resource;
      assert.equal(orphan.address, 'not a url');
      assert.equal(orphan.managingOrganization, undefined);
      assert.equal(identifier(orphan, 'https://fhir.nhs.uk/Id/nhsMhsFQDN'), undefined);
    });
  });

  describe('refusals, as the real API gives them', () => {
    it('400 for each parameter the API does not take', async () => {
      const cases: [string, string][] = [
        [`/Device?${interaction(READ_SLOT)}`, ORG_MESSAGE],
        [`/Device?organization=${ODS}|&${interaction(READ_SLOT)}`, ORG_MESSAGE],
        [`/Device?organization=test|123456&${interaction(READ_SLOT)}`, ORG_MESSAGE],
        [`/Device?${org('R9R')}`, SERVICE_MESSAGE],
        [`/Device?${org('R9R')}&${partyKey('R9R-0000101')}`, SERVICE_MESSAGE],
        [`/Device?${org('R9R')}&${interaction(READ_SLOT)}&identifier=fhir|value`, IDENTIFIER_MESSAGE],
        [`/Device?${org('R9R')}&${interaction(READ_SLOT)}&manufacturing-organization=X26`, MANUFACTURER_MESSAGE],
        [
          `/Device?${org('R9R')}&${interaction(READ_SLOT)}&unsupported=x`,
          "HTTP 400: Bad Request (Illegal query parameter 'unsupported')",
        ],
        [`/Endpoint?${org('R9R')}`, COMBINATION_MESSAGE],
        [`/Endpoint?${partyKey('R9R-0000101')}`, COMBINATION_MESSAGE],
        [`/Endpoint?${interaction(READ_SLOT)}`, COMBINATION_MESSAGE],
        [`/Endpoint`, COMBINATION_MESSAGE],
        [`/Endpoint?organization=test|123456&${interaction(READ_SLOT)}`, ORG_MESSAGE],
        [`/Endpoint?${org('R9R')}&identifier=${IA}`, IDENTIFIER_MESSAGE],
        [
          `/Endpoint?${org('R9R')}&${interaction(READ_SLOT)}&manufacturing-organization=${ODS}|R9R`,
          "HTTP 400: Bad Request (Illegal query parameter 'manufacturing-organization')",
        ],
      ];
      for (const [path, message] of cases) {
        const res = await call(path);
        assertRefusal(res, 400, 'required', 'BAD_REQUEST', message);
        assert.equal(
          res.body.issue[0].details.coding[0].system,
          'https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1',
        );
      }
    });

    it('401 without the apikey header or with a key it does not know, before anything else', async () => {
      const path = `/Device?${org('R9R')}&${interaction(READ_SLOT)}`;
      for (const headers of [
        {} as Record<string, string>,
        { apikey: '' },
        { apikey: 'not-a-key' },
        { apikey: DEMO_SDS_APIKEY },
      ]) {
        for (const p of [path, '/Patient', '/Endpoint']) {
          const res = await call(p, { headers });
          assertRefusal(res, 401, 'forbidden', 'ACCESS_DENIED');
          assert.doesNotMatch(res.text, /200000000101/);
        }
      }
      assert.equal((await call(path, { headers: { apikey: API_KEY } })).status, 200);
    });

    it('404 for a path the API does not have', async () => {
      for (const path of [
        '/Patient',
        '/Device/13A9D3BD-9622-51DB-B57A-450F5F01AF5B',
        '/Device/',
        '/device',
        '/metadata',
      ]) {
        assertRefusal(await call(path), 404, 'not-found', 'NO_RECORD_FOUND', 'HTTP endpoint not found');
      }
    });

    it('405 with Allow: GET for any other method', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        for (const path of ['/Device', '/Endpoint']) {
          const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
          const res = await call(path, {
            method,
            headers: { apikey: API_KEY, ...(withBody ? { 'content-type': 'text/xml' } : {}) },
            body: withBody ? '<Device/>' : undefined,
          });
          assertRefusal(res, 405, 'not-supported', 'NOT_IMPLEMENTED', 'HTTP operation not supported');
          assert.equal(res.headers.get('allow'), 'GET');
        }
      }
      // However the path is written.
      const encoded = await call('/%44evice', { method: 'POST', headers: { apikey: API_KEY } });
      assertRefusal(encoded, 405, 'not-supported', 'NOT_IMPLEMENTED');
      const head = await fetch(`${sds}/Device?${org('R9R')}&${interaction(READ_SLOT)}`, {
        method: 'HEAD',
        headers: { apikey: API_KEY },
      });
      assert.equal(head.status, 405);
    });

    it('406 for an Accept it cannot serve; FHIR JSON for fhir+json or any, plain JSON when only that is wanted', async () => {
      const path = `/Device?${org('R9R')}&${interaction(READ_SLOT)}`;
      const withAccept = (accept: string) => call(path, { headers: { apikey: API_KEY, accept } });
      assertRefusal(
        await withAccept('text/plain,application/xml'),
        406,
        'not-supported',
        'MISSING_OR_INVALID_HEADER',
        'Accept type not supported',
      );
      assertRefusal(await withAccept('application/fhir+xml'), 406, 'not-supported', 'MISSING_OR_INVALID_HEADER');
      for (const accept of [
        'application/fhir+JSON',
        ',  , text/plain , application/fhir+json',
        '*/*',
        'application/fhir+json; fhirVersion=4.0',
      ]) {
        const res = await withAccept(accept);
        assert.equal(res.status, 200, accept);
        assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/, accept);
      }
      const plain = await withAccept('application/json');
      assert.equal(plain.status, 200);
      assert.match(plain.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(plain.body.total, 2);
      // A bad parameter is reported before a bad Accept, as the real API does.
      assertRefusal(
        await call(`/Endpoint?${org('R9R')}`, { headers: { apikey: API_KEY, accept: 'text/html' } }),
        400,
        'required',
        'BAD_REQUEST',
      );
    });
  });

  describe('X-Correlation-ID', () => {
    it('echoes the caller’s id on every answer, and in an OperationOutcome’s id', async () => {
      const cases: [string, number, string?][] = [
        [`/Device?${org('R9R')}&${interaction(READ_SLOT)}`, 200],
        [`/Endpoint?${org('R9R')}&${partyKey('R9R-0000101')}`, 200],
        [`/Endpoint?${org('R9R')}`, 400],
        ['/Patient', 404],
        ['/Device', 405, 'POST'],
        [`/Device?${org('R9R')}&${interaction(READ_SLOT)}`, 406],
      ];
      for (const [path, status, method] of cases) {
        const id = crypto.randomUUID().toUpperCase();
        const res = await call(path, {
          method,
          headers: { apikey: API_KEY, 'x-correlation-id': id, ...(status === 406 ? { accept: 'text/csv' } : {}) },
        });
        assert.equal(res.status, status, `${path}: ${res.text.slice(0, 200)}`);
        assert.equal(res.headers.get('x-correlation-id'), id, path);
        if (status !== 200) assert.equal(res.body.id, id, path);
      }
      const refused = await call('/Device', {
        headers: { 'x-correlation-id': 'a1b2c3d4-0000-4000-8000-000000000001' },
      });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('x-correlation-id'), 'a1b2c3d4-0000-4000-8000-000000000001');
    });

    it('makes one up when none is given, and refuses one that is not a UUID', async () => {
      const first = await call(`/Device?${org('R9R')}&${interaction(READ_SLOT)}`);
      const second = await call(`/Device?${org('R9R')}&${interaction(READ_SLOT)}`);
      assert.match(first.headers.get('x-correlation-id') ?? '', UUID);
      assert.notEqual(first.headers.get('x-correlation-id'), second.headers.get('x-correlation-id'));
      const bad = await call(`/Device?${org('R9R')}&${interaction(READ_SLOT)}`, {
        headers: { apikey: API_KEY, 'x-correlation-id': 'not-a-uuid' },
      });
      assertRefusal(bad, 400, 'required', 'BAD_REQUEST');
      assert.match(bad.body.issue[0].diagnostics, /^HTTP 400: Bad Request \(Invalid X-Correlation-ID header/);
      assert.notEqual(bad.headers.get('x-correlation-id'), 'not-a-uuid');
      const lost = await call('/Patient', { headers: { apikey: API_KEY, 'x-correlation-id': 'not-a-uuid' } });
      assertRefusal(lost, 404, 'not-found', 'NO_RECORD_FOUND');
      assert.equal(lost.body.id, lost.headers.get('x-correlation-id'));
    });
  });

  it('keeps the JSON /endpoints admin interface answering from the same registrations', async () => {
    const res = await fetch(`${spine}/endpoints/mhs?partyKey=R9R-0000101&interaction=${encodeURIComponent(READ_SLOT)}`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { entries: { uniqueIdentifier: string }[] };
    assert.deepEqual(
      body.entries.map((e) => e.uniqueIdentifier),
      ['m-101-slot'],
    );
  });
});
