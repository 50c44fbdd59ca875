/**
 * The spine's DoS SOAP interface (PathWayService 1.5) over real HTTP on a real store, seeded with the
 * demo directory: CheckCapacitySummary in SOAP 1.2 and 1.1 with the serviceVersion header namespaced,
 * bare or absent; ServiceDetailsById by service ID and ODS code; every DoS fault with its number and
 * HTTP status; the catch-all; and the WSDL at ?wsdl.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { child, childText, children, faultOf, readEnvelope, readXml, type XmlElement } from '../../src/fhir/soap.js';
import { wallClockToUtc } from '../../src/fhir/time.js';
import { buildSpine } from '../../src/spine/app.js';
import { seedDemoDirectory } from '../../src/spine/directory/demo.js';
import { putDirectoryService } from '../../src/spine/directory/repository.js';
import { TEST_SPINE } from '../helpers/spine.js';
import { testStore, type TestStore } from '../helpers/store.js';

const NS = 'https://nww.pathwaysdos.nhs.uk/app/api/webservices';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const USER =
  '<web:userInfo><web:username>slotbridge-demo</web:username><web:password>slotbridge-demo-password</web:password></web:userInfo>';

/** A Wednesday 12:00 UK time, two to nine days ahead (DoS refuses search times in the past). */
function nextWednesdayNoon(): Date {
  const day = new Date(Date.now() + 2 * 86_400_000);
  while (day.getUTCDay() !== 3) day.setUTCDate(day.getUTCDate() + 1);
  return new Date(wallClockToUtc(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 12)));
}
const WEDNESDAY = nextWednesdayNoon();

interface CaseFields {
  postcode?: string;
  age?: string;
  ageFormat?: string;
  disposition?: string;
  symptomGroup?: string;
  discriminators?: string[];
  searchDistance?: string;
  forceSearchDistance?: string;
  gender?: string;
  searchDateTime?: string;
}
const BASE_CASE: CaseFields = {
  postcode: 'LS1 4AP',
  age: '40',
  ageFormat: 'Years',
  disposition: '1005',
  symptomGroup: '1011',
  discriminators: ['4003'],
  forceSearchDistance: 'false',
  gender: 'F',
  searchDateTime: WEDNESDAY.toISOString().replace('.000Z', '+00:00'),
};

function caseXml(fields: CaseFields): string {
  const el = (name: string, value?: string) => (value === undefined ? '' : `<web:${name}>${value}</web:${name}>`);
  const list = fields.discriminators
    ? `<web:symptomDiscriminatorList>${fields.discriminators.map((d) => `<web:int>${d}</web:int>`).join('')}</web:symptomDiscriminatorList>`
    : '';
  return (
    `<web:c><web:caseRef>case-1</web:caseRef>${el('postcode', fields.postcode)}${el('age', fields.age)}` +
    `${el('ageFormat', fields.ageFormat)}${el('disposition', fields.disposition)}${el('symptomGroup', fields.symptomGroup)}${list}` +
    `${el('searchDistance', fields.searchDistance)}${el('forceSearchDistance', fields.forceSearchDistance)}` +
    `${el('gender', fields.gender)}${el('searchDateTime', fields.searchDateTime)}</web:c>`
  );
}

function envelope(operation: string, inner: string, opts: { soap?: string; header?: string } = {}): string {
  const header = opts.header ?? '<web:serviceVersion>1.5</web:serviceVersion>';
  return (
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${opts.soap ?? SOAP12}" xmlns:web="${NS}">` +
    `<soap:Header>${header}</soap:Header><soap:Body><web:${operation}>${inner}</web:${operation}></soap:Body></soap:Envelope>`
  );
}
const ccs = (fields: Partial<CaseFields> = {}, opts: { soap?: string; header?: string; user?: string } = {}) =>
  envelope('CheckCapacitySummary', `${opts.user ?? USER}${caseXml({ ...BASE_CASE, ...fields })}`, opts);
const sdbid = (id: string) => envelope('ServiceDetailsById', `${USER}<web:serviceId>${id}</web:serviceId>`);

describe('DoS SOAP interface (spine stand-in)', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let url: string;

  const post = async (body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': `application/soap+xml; charset=utf-8; action="${NS}/CheckCapacitySummary"`,
        ...headers,
      },
      body,
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text };
  };
  const answer = async (body: string, headers: Record<string, string> = {}) => {
    const res = await post(body, headers);
    const message = readEnvelope(res.text);
    return { ...res, message, fault: faultOf(message) };
  };
  const destinations = (message: { body: XmlElement[] }) =>
    children(child(message.body[0], 'CheckCapacitySummaryResult'), 'serviceCareSummaryDestination');
  const ids = (message: { body: XmlElement[] }) => destinations(message).map((d) => childText(d, 'id'));
  const expectFault = async (
    label: string,
    body: string,
    code: string,
    status = 400,
    headers: Record<string, string> = {},
  ) => {
    const res = await answer(body, headers);
    assert.equal(res.fault?.code, code, `${label}: ${res.text.slice(0, 400)}`);
    assert.equal(res.status, status, label);
    return res;
  };

  before(async () => {
    ts = await testStore();
    await seedDemoDirectory(ts.store.db);
    ({ app } = await buildSpine({ ...TEST_SPINE, store: ts.store }));
    url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/app/api/webservices`;
  });
  after(async () => {
    await app.close();
    await ts.dispose();
  });

  it('CheckCapacitySummary (SOAP 1.2) answers the ranked services with endpoints, attributes and rota sessions', async () => {
    const res = await answer(ccs());
    assert.equal(res.status, 200, res.text.slice(0, 400));
    assert.match(res.type, /^application\/soap\+xml/);
    assert.equal(res.message.version, '1.2');
    const response = res.message.body[0]!;
    assert.equal(response.name, 'CheckCapacitySummaryResponse');
    assert.equal(response.ns, NS);
    assert.equal(childText(response, 'SearchDateTime'), WEDNESDAY.toISOString());
    assert.equal(childText(response, 'SearchDistance'), '60');
    assert.equal(childText(response, 'SearchDistanceUsedSource'), 'National');
    assert.equal(childText(response, 'CalculatedAgeInDays'), String(Math.floor(40 * 365.25)));

    // The same ranking as the directory's own search for the same patient and moment.
    const search = new URL(url.replace('/app/api/webservices', '/directory/services'));
    const query = {
      disposition: 'Dx05',
      postcode: 'LS1 4AP',
      age: '40',
      at: WEDNESDAY.toISOString(),
      max: '100',
      radiusKm: '60',
    };
    for (const [k, v] of Object.entries(query)) search.searchParams.set(k, v);
    const json = await fetch(search);
    const expected = ((await json.json()) as { services: { id: string }[] }).services.map((s) => s.id);
    assert.deepEqual(ids(res.message), expected);
    assert.ok(expected.length >= 5);

    const seacroft = destinations(res.message).find((d) => childText(d, 'id') === '2000099004')!;
    assert.equal(childText(seacroft, 'capacity'), 'High');
    assert.equal(childText(seacroft, 'postcode'), 'LS14 6NX');
    assert.equal(childText(seacroft, 'odsCode'), 'X9A01');
    assert.equal(childText(child(seacroft, 'serviceType'), 'name'), 'GP Out of Hours');
    assert.match(childText(seacroft, 'distance') ?? '', /^\d+\.\d$/);
    assert.equal(childText(seacroft, 'openAllHours'), 'false');
    const endpoints = children(child(seacroft, 'serviceEndpoints'), 'endpoint');
    assert.deepEqual(
      endpoints.map((e) => [
        childText(e, 'endpointOrder'),
        childText(e, 'transport'),
        childText(e, 'interaction'),
        childText(e, 'address'),
      ]),
      [
        [
          '1',
          'itk',
          'urn:nhs-itk:interaction:primaryOutofHourRecipientNHS111CDADocument-v2-0',
          'urn:nhs-uk:addressing:ods:X9A01',
        ],
        ['2', 'http', 'Scheduling', 'ASID:200000000901'],
      ],
    );
    // Every endpoint field the WSDL requires is present, empty when the directory holds nothing.
    assert.deepEqual(
      endpoints[1]!.children.map((c) => c.name),
      ['endpointOrder', 'transport', 'format', 'interaction', 'businessScenario', 'address', 'compression', 'comment'],
    );
    const attribute = children(child(seacroft, 'attributes'), 'attribute')[0]!;
    assert.equal(childText(attribute, 'name'), 'requirebooking');
    assert.equal(childText(attribute, 'value'), 'true');
    const sessions = children(child(seacroft, 'rotaSessions'), 'serviceCareItemRotaSession');
    assert.deepEqual(
      sessions.map((s) => childText(s, 'startDayOfWeek')),
      ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
    );
    assert.equal(childText(child(sessions[0], 'startTime'), 'hours'), '18');
    assert.equal(childText(child(sessions[0], 'startTime'), 'minutes'), '30');
    assert.equal(childText(child(sessions[0], 'endTime'), 'hours'), '22');
    assert.equal(childText(child(child(seacroft, 'serviceAgeRange'), 'ageRange'), 'daysFrom'), '0');
  });

  it('reads the age in months: a six-month-old is offered the children’s service, a 40-year-old is not', async () => {
    const baby = await answer(ccs({ age: '6', ageFormat: 'Months' }));
    assert.ok(ids(baby.message).includes('2000099008'));
    assert.equal(childText(baby.message.body[0], 'CalculatedAgeInDays'), String(Math.floor(6 * 30.4375)));
    const adult = await answer(ccs());
    assert.ok(!ids(adult.message).includes('2000099008'));
  });

  it('a search distance narrows the search and is reported as the override', async () => {
    const near = await answer(ccs({ searchDistance: '5', forceSearchDistance: 'true' }));
    assert.equal(childText(near.message.body[0], 'SearchDistance'), '5');
    assert.equal(childText(near.message.body[0], 'SearchDistanceUsedSource'), 'Override');
    assert.ok(!ids(near.message).includes('2000099009'), 'Wakefield is further than 5 km from Leeds city centre');
    assert.ok(ids(near.message).includes('2000099003'));
  });

  it('SOAP 1.1 (text/xml, SOAPAction) with a bare serviceVersion header is answered in SOAP 1.1', async () => {
    const res = await answer(ccs({}, { soap: SOAP11, header: '<serviceVersion>1.5</serviceVersion>' }), {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: `"${NS}/CheckCapacitySummary"`,
    });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.match(res.type, /^text\/xml/);
    assert.equal(res.message.version, '1.1');
    assert.ok(ids(res.message).length > 0);
  });

  it('no serviceVersion header means the default version; any version but 1.5 is fault 107', async () => {
    const none = await answer(ccs({}, { header: '' }));
    assert.equal(none.status, 200);
    const bare = await answer(ccs({}, { header: '<serviceVersion>1.5</serviceVersion>' }));
    assert.equal(bare.status, 200);
    await expectFault('version 1.4', ccs({}, { header: '<web:serviceVersion>1.4</web:serviceVersion>' }), '107');
    await expectFault('bare version 1.3', ccs({}, { header: '<serviceVersion>1.3</serviceVersion>' }), '107');
  });

  it('ServiceDetailsById answers one service with its endpoints, by service ID or ODS code', async () => {
    for (const key of ['2000099003', 'X9A06']) {
      const res = await answer(sdbid(key), {
        'content-type': `application/soap+xml; action="${NS}/ServiceDetailsById"`,
      });
      assert.equal(res.status, 200, res.text.slice(0, 300));
      const services = children(child(res.message.body[0], 'services'), 'service');
      assert.equal(services.length, 1);
      assert.equal(childText(services[0], 'id'), '2000099003');
      assert.equal(childText(services[0], 'odsCode'), 'X9A06');
      const booking = children(child(services[0], 'serviceEndpoints'), 'endpoint').filter(
        (e) => childText(e, 'interaction') === 'Scheduling',
      );
      assert.deepEqual(
        booking.map((e) => childText(e, 'address')),
        ['ASID:200000000906', 'ASID:200000000907'],
      );
    }
    await expectFault('unknown service', sdbid('2000000000'), '103', 404, { 'content-type': 'application/soap+xml' });
    await expectFault('empty service ID', sdbid(''), '103', 404, { 'content-type': 'application/soap+xml' });
  });

  it('answers every DoS fault with its number and an HTTP status, never a 500', async () => {
    const user = (name: string, password: string) =>
      `<web:userInfo><web:username>${name}</web:username><web:password>${password}</web:password></web:userInfo>`;
    const cases: [string, string, string, number?][] = [
      ['postcode missing', ccs({ postcode: undefined }), '101'],
      ['postcode malformed', ccs({ postcode: 'not a postcode' }), '101'],
      ['postcode in no known district', ccs({ postcode: 'QQ1 1AA' }), '101'],
      ['pseudo-postcode (no fixed abode)', ccs({ postcode: 'ZZ99 3VZ' }), '101'],
      ['no services (Edinburgh, far from every demo service)', ccs({ postcode: 'EH1 1YZ' }), '102', 404],
      ['discriminator list empty', ccs({ discriminators: [] }), '104'],
      ['discriminator not a number', ccs({ discriminators: ['abc'] }), '104'],
      ['search distance 0', ccs({ searchDistance: '0' }), '105'],
      ['search distance 100', ccs({ searchDistance: '100' }), '105'],
      ['gender X', ccs({ gender: 'X' }), '106'],
      ['search time not a date', ccs({ searchDateTime: 'tomorrow' }), '108'],
      [
        'search time two years ahead',
        ccs({ searchDateTime: new Date(Date.now() + 730 * 86_400_000).toISOString() }),
        '109',
      ],
      ['search time an hour ago', ccs({ searchDateTime: new Date(Date.now() - 3_600_000).toISOString() }), '110'],
      ['forced distance without a distance', ccs({ forceSearchDistance: 'true' }), '113'],
      ['age missing', ccs({ age: undefined }), '114'],
      ['age not whole', ccs({ age: '4.5' }), '114'],
      ['age 40 days', ccs({ age: '40', ageFormat: 'Days' }), '115'],
      ['age 0 months', ccs({ age: '0', ageFormat: 'Months' }), '116'],
      ['age 1 year', ccs({ age: '1', ageFormat: 'Years' }), '117'],
      ['age group 5', ccs({ age: '5', ageFormat: 'AgeGroup' }), '118'],
      ['age format Weeks', ccs({ ageFormat: 'Weeks' }), '119'],
      ['age format missing', ccs({ ageFormat: undefined }), '119'],
      ['symptom group missing', ccs({ symptomGroup: undefined }), '120'],
      ['disposition missing', ccs({ disposition: undefined }), '121'],
      ['disposition not a Pathways one', ccs({ disposition: '9999' }), '121'],
      ['disposition unknown (Dx99)', ccs({ disposition: '1099' }), '121'],
      ['wrong password', ccs({}, { user: user('slotbridge-demo', 'wrong') }), '302', 403],
      ['unknown user', ccs({}, { user: user('someone', 'slotbridge-demo-password') }), '302', 403],
      ['no userInfo', ccs({}, { user: '' }), '1001'],
      [
        'no password',
        ccs({}, { user: '<web:userInfo><web:username>slotbridge-demo</web:username></web:userInfo>' }),
        '1001',
      ],
      ['malformed XML', '<soap:Envelope><unclosed>', '108'],
      ['not a SOAP envelope', `<?xml version="1.0"?><web:CheckCapacitySummary xmlns:web="${NS}"/>`, '108'],
      ['a DOCTYPE', `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>${ccs()}`, '108'],
      ['empty body', '', '108'],
      [
        'elements nested 1,000 deep',
        ccs().replace('<web:c>', `<web:c>${'<x>'.repeat(1000)}${'</x>'.repeat(1000)}`),
        '108',
      ],
      ['unknown operation', envelope('FindEverything', USER), 'env:Sender'],
      [
        'empty body element',
        envelope('CheckCapacitySummary', USER).replace(/<web:CheckCapacitySummary>.*<\/web:CheckCapacitySummary>/, ''),
        'env:Sender',
      ],
    ];
    for (const [label, body, code, status] of cases) await expectFault(label, body, code, status ?? 400);

    const notXmlReason = (await answer('<soap:Envelope><unclosed>')).fault?.reason;
    assert.equal(notXmlReason, 'Malformed XML: The soap message is not valid xml.');
    const notSoap = await answer(`<?xml version="1.0"?><Envelope xmlns="urn:other"><Body/></Envelope>`);
    assert.equal(notSoap.fault?.reason, 'Malformed XML: Unable to identify the SOAP version');
    const auth = await answer(ccs({}, { user: user('slotbridge-demo', 'wrong') }));
    assert.match(auth.fault?.reason ?? '', /^Authentication Failed: Please check user credentials/);

    // The action names another operation than the body's.
    await expectFault('action mismatch', ccs(), 'env:Sender', 400, {
      'content-type': `application/soap+xml; action="${NS}/ServiceDetailsById"`,
    });
    // JSON is not SOAP.
    await expectFault('JSON body', '{"postcode":"LS1 4AP"}', '108', 415, { 'content-type': 'application/json' });
    // Over the spine's 1 MB body limit.
    await expectFault('body too large', `${ccs()}${' '.repeat(1_100_000)}`, '108', 413);
    // A malformed SOAP 1.1 request is answered in SOAP 1.1.
    const old = await answer('<unclosed', { 'content-type': 'text/xml' });
    assert.equal(old.message.version, '1.1');
    assert.equal(old.fault?.code, '108');
  });

  it('falls back to the nearest two emergency departments (catch-all) when nothing matches', async () => {
    for (const [id, postcode] of [
      ['2000099101', 'LS1 3EX'],
      ['2000099102', 'LS9 7TF'],
      ['2000099103', 'WF1 4DG'],
    ])
      await putDirectoryService(ts.store.db, {
        id,
        name: `Emergency Department ${id}`,
        type: 'ED',
        address: ['Hospital'],
        postcode,
        openingTimes: [],
        openAllHours: true,
        dispositions: ['Dx02'],
        ageRange: { min: 0, max: 130 },
        attributes: [],
        endpoints: [],
      });
    // Dx110 (community nurse) is a known disposition that no demo service takes.
    const res = await answer(ccs({ disposition: '10110' }));
    assert.equal(res.status, 200, res.text.slice(0, 300));
    const found = destinations(res.message);
    assert.deepEqual(
      found.map((d) => childText(d, 'id')),
      ['2000099101', '2000099102'],
    );
    assert.match(childText(found[0], 'name') ?? '', /\(Catch-all\)$/);
    assert.equal(childText(child(found[0], 'serviceType'), 'id'), '105');
  });

  it('serves a WSDL at ?wsdl naming both operations, its SOAP 1.2 binding and this address', async () => {
    const res = await fetch(`${url}?wsdl`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /xml/);
    const wsdl = readXml(await res.text());
    assert.equal(wsdl.name, 'definitions');
    assert.equal(wsdl.ns, 'http://schemas.xmlsoap.org/wsdl/');
    const operations = children(child(wsdl, 'portType'), 'operation').map((o) => o.attributes.name);
    assert.deepEqual(operations.slice(0, 2), ['CheckCapacitySummary', 'ServiceDetailsById']);
    const binding = child(wsdl, 'binding')!;
    const actions = children(binding, 'operation').map((o) => child(o, 'operation')?.attributes.soapAction);
    assert.ok(actions.includes(`${NS}/CheckCapacitySummary`) && actions.includes(`${NS}/ServiceDetailsById`));
    const header = child(child(children(binding, 'operation')[0], 'input'), 'header');
    assert.equal(header?.attributes.part, 'ServiceVersion');
    const schema = child(child(wsdl, 'types'), 'schema')!;
    const types = new Map(children(schema, 'complexType').map((t) => [t.attributes.name, t]));
    const fields = (type: string) =>
      children(child(types.get(type), 'sequence'), 'element').map((e) => e.attributes.name);
    assert.ok(fields('ServiceCareSummaryDestination').includes('serviceEndpoints'));
    assert.deepEqual(fields('Endpoint').slice(0, 2), ['endpointOrder', 'transport']);
    const address = child(child(child(wsdl, 'service'), 'port'), 'address');
    assert.equal(address?.ns, 'http://schemas.xmlsoap.org/wsdl/soap12/');
    assert.equal(address?.attributes.location, url);
    // A GET without ?wsdl is refused with a fault, not a page.
    const get = await fetch(url);
    assert.equal(get.status, 405);
    assert.equal(faultOf(readEnvelope(await get.text()))?.code, 'env:Sender');
  });
});
