/**
 * The consumer's DoS client (src/consumer/dos-client.ts) against (a) answers shaped exactly like the
 * public DoS 1.5 WSDL and errors page (test/fixtures/dos, README there), served by a local HTTP
 * server that also records what the client sent; and (b) the spine's own DoS stand-in over HTTP.
 * It asserts what a call handler would notice: the ranking, the booking endpoint, requirebooking,
 * open now / next opening, and a clear message for every DoS fault.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DosClient } from '../../src/consumer/dos-client.js';
import { DEMO_DOS_USER } from '../../src/consumer/national.js';
import { child, childText, children, readEnvelope } from '../../src/fhir/soap.js';
import { wallClockToUtc } from '../../src/fhir/time.js';
import { buildSpine } from '../../src/spine/app.js';
import { seedDemoDirectory } from '../../src/spine/directory/demo.js';
import { consumerErrorOf } from '../helpers/consumer.js';
import { TEST_SPINE } from '../helpers/spine.js';
import { testStore, type TestStore } from '../helpers/store.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/dos/${name}`, import.meta.url), 'utf8');
const NS = 'https://nww.pathwaysdos.nhs.uk/app/api/webservices';
// Wednesday 10 June 2026, 12:00 in the UK (BST): the fixtures' search time.
const WEDNESDAY_NOON_BST = new Date('2026-06-10T11:00:00Z');

const rejects = consumerErrorOf;

describe('DoS client against answers shaped like the published DoS API', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/soap+xml', body: '' };
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const serve = (body: string, status = 200, type = 'application/soap+xml; charset=utf-8') => {
    answer = { status, type, body };
  };
  const client = (options: Partial<ConstructorParameters<typeof DosClient>[0]> = {}) =>
    new DosClient({ url, username: 'dos-user', password: 'dos-password', ...options });
  const lastRequest = () => {
    const last = received.at(-1)!;
    const message = readEnvelope(last.body);
    return { headers: last.headers, message, operation: message.body[0]! };
  };

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(answer.status, { 'content-type': answer.type });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/app/api/webservices`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends a SOAP 1.2 CheckCapacitySummary with the version header, credentials and the disposition as DoS’s integer', async () => {
    serve(fixture('check-capacity-summary.xml'));
    const init = { headers: new Headers({ 'x-request-id': 'trace-1', 'content-type': 'application/json' }) };
    await client({ init }).searchServices({ disposition: 'Dx05', postcode: 'LS1 4AP', age: 40, caseRef: 'case-7' });
    const { headers, message, operation } = lastRequest();
    assert.equal(headers['x-request-id'], 'trace-1');
    assert.match(
      String(headers['content-type']),
      /^application\/soap\+xml;.*action="https:\/\/nww\.pathwaysdos\.nhs\.uk\/app\/api\/webservices\/CheckCapacitySummary"/,
    );
    assert.equal(message.version, '1.2');
    assert.equal(message.header[0]?.name, 'serviceVersion');
    assert.equal(message.header[0]?.ns, NS);
    assert.equal(message.header[0]?.text, '1.5');
    assert.equal(operation.name, 'CheckCapacitySummary');
    assert.equal(operation.ns, NS);
    assert.equal(childText(child(operation, 'userInfo'), 'username'), 'dos-user');
    assert.equal(childText(child(operation, 'userInfo'), 'password'), 'dos-password');
    const c = child(operation, 'c');
    // The WSDL's element order, with DoS's defaults where the caller gave nothing.
    assert.deepEqual(
      c?.children.map((e) => `${e.name}=${e.text}`),
      [
        'caseRef=case-7',
        'postcode=LS1 4AP',
        'age=40',
        'ageFormat=Years',
        'disposition=1005',
        'symptomGroup=1011',
        'symptomDiscriminatorList=',
        'forceSearchDistance=false',
        'gender=I',
      ],
    );
    assert.deepEqual(
      children(child(c, 'symptomDiscriminatorList'), 'int').map((e) => e.text),
      ['4003'],
    );
  });

  it('maps Dx333 to 10333, infants to an age group, and sends a future search time, distance and symptoms when given', async () => {
    serve(fixture('check-capacity-summary.xml'));
    const at = new Date(Date.now() + 3_600_000);
    await client().searchServices({
      disposition: 'Dx333',
      postcode: 'LS1 4AP',
      age: 0,
      gender: 'F',
      symptomGroup: 1206,
      symptomDiscriminators: [4193, 4194],
      searchDistance: 25,
      at,
    });
    const c = child(lastRequest().operation, 'c');
    assert.equal(childText(c, 'disposition'), '10333');
    assert.equal(childText(c, 'age'), '4');
    assert.equal(childText(c, 'ageFormat'), 'AgeGroup');
    assert.equal(childText(c, 'gender'), 'F');
    assert.equal(childText(c, 'symptomGroup'), '1206');
    assert.deepEqual(
      children(child(c, 'symptomDiscriminatorList'), 'int').map((e) => e.text),
      ['4193', '4194'],
    );
    assert.equal(childText(c, 'searchDistance'), '25');
    assert.equal(childText(c, 'forceSearchDistance'), 'true');
    assert.equal(childText(c, 'searchDateTime'), `${at.toISOString().slice(0, 19)}+00:00`);
    // A past moment is not sent (DoS refuses it): "open now" is still judged at that moment here.
    await client().searchServices({ disposition: 'Dx05', postcode: 'LS1 4AP', age: 30, at: WEDNESDAY_NOON_BST });
    assert.equal(childText(child(lastRequest().operation, 'c'), 'searchDateTime'), undefined);
  });

  it('reads the ranked list: order, distance, booking endpoint, requirebooking, open now and next opening', async () => {
    serve(fixture('check-capacity-summary.xml'));
    const services = await client().searchServices({
      disposition: 'Dx05',
      postcode: 'LS1 4AP',
      age: 40,
      at: WEDNESDAY_NOON_BST,
    });
    assert.deepEqual(
      services.map((s) => [s.rank, s.id, s.name]),
      [
        [1, '2000012345', 'Leeds GP Access Hub (booking only)'],
        [2, '2000037448', 'Pharm+: Leeds (Alwoodley Pharmacy)'],
        [3, '2000054321', 'Wakefield Urgent Treatment Centre'],
      ],
    );
    const [hub, pharmacy, utc] = services as [(typeof services)[0], (typeof services)[0], (typeof services)[0]];
    assert.equal(hub.type, 'GP Access Hub');
    assert.equal(hub.odsCode, 'Y12345');
    assert.deepEqual(hub.address, ['Leeds City Medical Practice', '2 Park Square', 'Leeds']);
    assert.equal(hub.postcode, 'LS1 2NE');
    assert.equal(hub.distanceMiles, 0.4);
    assert.equal(hub.distanceKm, 0.6);
    // Endpoints sorted by endpointOrder; the booking one is found by transport, format and interaction.
    assert.deepEqual(
      hub.endpoints.map((e) => e.order),
      [1, 2],
    );
    const booking = hub.endpoints.filter(
      (e) => e.transport === 'http' && e.format === 'FHIR' && e.interaction === 'Scheduling',
    );
    assert.deepEqual(
      booking.map((e) => e.address),
      ['ASID:918999198999'],
    );
    assert.deepEqual(hub.attributes, [
      {
        name: 'requirebooking',
        value: 'TRUE',
        dataType: 'Boolean',
        description: 'This service can only be referred into with an appointment',
      },
    ]);
    // Wednesday 12:00: the hub opens at 18:30 UK time (17:30Z in summer).
    assert.equal(hub.openNow, false);
    assert.equal(hub.nextOpen, '2026-06-10T17:30:00.000Z');
    assert.deepEqual(hub.rotaSessions?.[0], { day: 'Wed', start: '18:30', end: '22:00' });
    assert.equal(hub.rotaSessions?.at(-1)?.day, 'BankHoliday');
    // A session ending 23:59 runs to midnight; the pharmacy is open all Wednesday.
    assert.equal(pharmacy.openNow, true);
    assert.deepEqual(pharmacy.rotaSessions, [{ day: 'Wed', start: '00:00', end: '24:00' }]);
    assert.deepEqual(pharmacy.address, ['THE AVENUE', 'ALWOODLEY', 'LEEDS']);
    assert.deepEqual(pharmacy.attributes, []);
    // Open all hours, but a specified session closes it all Wednesday; on Thursday it opens at 08:00 only.
    assert.equal(utc.openAllHours, true);
    assert.equal(utc.openNow, false);
    assert.equal(utc.nextOpen, '2026-06-11T07:00:00.000Z');
    assert.deepEqual(utc.endpoints, []);
    assert.equal(utc.attributes[0]?.value, 'FALSE');
    // Late on Wednesday the hub is open and the pharmacy about to close; `max` trims the list.
    const late = await client().searchServices({
      disposition: 'Dx05',
      postcode: 'LS1 4AP',
      at: new Date(wallClockToUtc(Date.UTC(2026, 5, 10, 21, 30))),
      max: 2,
    });
    assert.deepEqual(
      late.map((s) => [s.id, s.openNow]),
      [
        ['2000012345', true],
        ['2000037448', true],
      ],
    );
  });

  it('reads the Booking Standard’s spellings (serviceEndPoints/EndPoint, isCompressionEnabled, asid) as the WSDL’s', async () => {
    serve(fixture('booking-standard-endpoints.xml'));
    const [service] = await client().searchServices({ disposition: 'Dx05', postcode: 'LS1 4AP', age: 40 });
    assert.deepEqual(
      service?.endpoints.map((e) => [e.order, e.transport, e.address, e.compression]),
      [
        [1, 'email', 'an address', 'uncompressed'],
        [2, 'http', 'ASID:918999198999', undefined],
      ],
    );
    assert.equal(service?.attributes[0]?.name, 'REQUIRES_APPOINTMENT');
    assert.equal(service?.attributes[0]?.value, 'true');
  });

  it('ServiceDetailsById: the endpoints sorted, with the name and attributes of the search that listed the service', async () => {
    const c = client();
    serve(fixture('check-capacity-summary.xml'));
    await c.searchServices({ disposition: 'Dx05', postcode: 'LS1 4AP', age: 40 });
    serve(fixture('service-details-by-id.xml'));
    const details = await c.serviceDetails('2000012345');
    const { headers, operation } = lastRequest();
    assert.match(
      String(headers['content-type']),
      /action="https:\/\/nww\.pathwaysdos\.nhs\.uk\/app\/api\/webservices\/ServiceDetailsById"/,
    );
    assert.equal(operation.name, 'ServiceDetailsById');
    assert.equal(childText(operation, 'serviceId'), '2000012345');
    assert.equal(details.id, '2000012345');
    assert.equal(details.odsCode, 'Y12345');
    assert.equal(details.name, 'Leeds GP Access Hub (booking only)');
    assert.equal(details.attributes?.[0]?.name, 'requirebooking');
    assert.deepEqual(
      details.endpoints.map((e) => [e.order, e.interaction]),
      [
        [1, 'urn:nhs-itk:interaction:primaryOutofHourRecipientNHS111CDADocument-v2-0'],
        [2, 'Scheduling'],
      ],
    );
    // An answer with no service is an unknown service.
    serve(fixture('service-details-by-id.xml').replace(/<ns1:services>[\s\S]*<\/ns1:services>/, '<ns1:services/>'));
    assert.equal((await rejects(c.serviceDetails('2000099999'))).code, 'no-such-service');
  });

  it('turns every fault of DoS’s errors page into a ConsumerError a call handler can act on; "no services" is an empty list', async () => {
    const template = fixture('fault-303.xml');
    const rows = fixture('faults.tsv')
      .trim()
      .split('\n')
      .map((line) => line.split('\t') as [string, string]);
    const expected = [
      'directory-unavailable', // 100
      'directory-postcode-not-found', // 101
      'no services', // 102
      'no-such-service', // 103
      'directory-symptom-discriminator', // 104
      'directory-search-distance', // 105
      'directory-gender', // 106
      'directory-version', // 107
      'directory-rejected-request', // 108 not valid xml
      'directory-rejected-request', // 108 SOAP version
      'directory-version', // 109 unable to find version
      'directory-search-time', // 108 search date and time invalid
      'directory-search-time', // 109 more than 12 months ahead
      'directory-search-time', // 110 more than a minute past
      'directory-search-distance', // 113
      'directory-age', // 114
      'directory-age', // 115
      'directory-age', // 116
      'directory-age', // 117
      'directory-age', // 118
      'directory-age', // 119
      'directory-symptom-group', // 120
      'directory-unknown-disposition', // 121
      'directory-unavailable', // 300
      'directory-authentication', // 302 credentials
      'directory-permission', // 302 privileges
      'directory-permission', // 303
      'directory-authentication', // 1001
      'directory-unavailable', // 500
      'directory-timeout', // 504
    ];
    assert.equal(rows.length, expected.length);
    for (const [i, [code, reason]] of rows.entries()) {
      const body = template
        .replace('<env:Value>303</env:Value>', `<env:Value>${code}</env:Value>`)
        .replace(/<env:Text>[^<]*<\/env:Text>/, `<env:Text>${reason}</env:Text>`);
      serve(body, code.startsWith('1') && code !== '1001' ? 400 : 500);
      if (expected[i] === 'no services') {
        assert.deepEqual(
          await client().searchServices({ disposition: 'Dx05', postcode: 'EH1 1YZ', age: 40 }),
          [],
          reason,
        );
        continue;
      }
      const err = await rejects(client().searchServices({ disposition: 'Dx05', postcode: 'LS1 4AP', age: 40 }));
      assert.equal(err.code, expected[i], `${code} ${reason}`);
      assert.equal(err.source, 'directory');
      assert.equal(err.details.faultCode, code);
      assert.ok(err.message.startsWith('The directory search failed: '), err.message);
      assert.ok(err.message.includes(`DoS ${code}: ${reason}`), err.message);
    }
    // The page's own example, verbatim.
    serve(fixture('fault-303.xml'), 500);
    const denied = await rejects(client().serviceDetails('2000012345'));
    assert.equal(denied.code, 'directory-permission');
    assert.match(
      denied.message,
      /^Reading service 2000012345 from the directory failed: our DoS account lacks the permission/,
    );
  });

  it('a non-SOAP answer, an HTTP error without a fault, an unreachable directory and a silent one get clear errors', async () => {
    serve('<html><body>502 Bad Gateway</body></html>', 502, 'text/html');
    const html = await rejects(client().searchServices({ disposition: 'Dx05', postcode: 'LS1 4AP' }));
    assert.equal(html.code, 'directory-bad-answer');
    assert.match(html.message, /HTTP 502\) was not a SOAP message/);
    serve('', 503, 'text/plain');
    assert.equal(
      (await rejects(client().searchServices({ disposition: 'Dx05', postcode: 'LS1 4AP' }))).code,
      'directory-bad-answer',
    );
    serve('<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body/></env:Envelope>', 503);
    assert.equal(
      (await rejects(client().searchServices({ disposition: 'Dx05', postcode: 'LS1 4AP' }))).code,
      'directory-503',
    );

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await rejects(
      client({ url: `http://127.0.0.1:${port}/app/api/webservices` }).searchServices({
        disposition: 'Dx05',
        postcode: 'LS1 4AP',
      }),
    );
    assert.equal(unreachable.code, 'network');
    assert.match(unreachable.message, /cannot reach the directory at http:\/\/127\.0\.0\.1/);

    const silent = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    const timeout = await rejects(
      client({ url: silentUrl, timeoutMs: 200 }).searchServices({ disposition: 'Dx05', postcode: 'LS1 4AP' }),
    );
    assert.equal(timeout.code, 'directory-timeout');
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));

    const typo = await rejects(client().searchServices({ disposition: 'DX5', postcode: 'LS1 4AP' }));
    assert.equal(typo.code, 'directory-bad-disposition');
    assert.equal(typo.source, 'consumer');
  });
});

describe('DoS client against the spine’s DoS stand-in', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let url: string;
  const demo = () => new DosClient({ url, ...DEMO_DOS_USER });

  /** A Wednesday 12:00 UK time, two to nine days ahead (DoS refuses search times in the past). */
  const wednesday = (() => {
    const day = new Date(Date.now() + 2 * 86_400_000);
    while (day.getUTCDay() !== 3) day.setUTCDate(day.getUTCDate() + 1);
    return { y: day.getUTCFullYear(), m: day.getUTCMonth(), d: day.getUTCDate() };
  })();
  const ukTime = (h: number, mi = 0) =>
    new Date(wallClockToUtc(Date.UTC(wednesday.y, wednesday.m, wednesday.d, h, mi)));

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

  it('searches: open services first, the booking endpoint and requirebooking of each, and when a closed one opens', async () => {
    const services = await demo().searchServices({ disposition: 'Dx05', postcode: 'LS1 4AP', age: 40, at: ukTime(12) });
    assert.deepEqual(
      services.map((s) => s.rank),
      services.map((_, i) => i + 1),
    );
    const firstClosed = services.findIndex((s) => !s.openNow);
    assert.ok(firstClosed > 0);
    assert.ok(
      services.slice(firstClosed).every((s) => !s.openNow),
      'open services come first',
    );
    const seacroft = services.find((s) => s.id === '2000099004')!;
    assert.equal(seacroft.openNow, false);
    assert.equal(seacroft.nextOpen, ukTime(18, 30).toISOString());
    assert.deepEqual(
      seacroft.endpoints.filter((e) => e.interaction === 'Scheduling').map((e) => e.address),
      ['ASID:200000000901'],
    );
    assert.equal(seacroft.attributes.find((a) => a.name === 'requirebooking')?.value, 'true');
    const hub = services.find((s) => s.id === '2000099007')!;
    assert.equal(hub.openAllHours, true);
    assert.equal(hub.openNow, true);
    assert.ok(hub.distanceMiles !== null && hub.distanceKm !== null && hub.distanceKm > hub.distanceMiles);
    // The children's service is only offered for a child.
    assert.ok(!services.some((s) => s.id === '2000099008'));
    const child = await demo().searchServices({
      disposition: 'Dx05',
      postcode: 'LS1 4AP',
      age: 6,
      ageFormat: 'Months',
    });
    assert.ok(child.some((s) => s.id === '2000099008'));
  });

  it('reads one service’s endpoints: the two booking endpoints of the C7 service', async () => {
    const client = demo();
    await client.searchServices({ disposition: 'Dx05', postcode: 'LS1 4AP', age: 40 });
    const details = await client.serviceDetails('2000099003');
    assert.equal(details.name, 'Leeds City GP Hub (two booking endpoints: consumers must stop, C7)');
    assert.deepEqual(
      details.endpoints.filter((e) => e.interaction === 'Scheduling').map((e) => e.address),
      ['ASID:200000000906', 'ASID:200000000907'],
    );
    assert.equal((await rejects(client.serviceDetails('2000000000'))).code, 'no-such-service');
    // A client that has not searched knows the endpoints but not the name or the attributes: those are left
    // out rather than read as "no requirebooking" (the booking-only service 2000099004).
    const fresh = await demo().serviceDetails('2000099004');
    assert.equal(fresh.name, '', 'ServiceDetailsById carries no name');
    assert.equal(fresh.attributes, undefined);
    assert.ok(fresh.endpoints.some((e) => e.interaction === 'Scheduling'));
  });

  it('faults: unknown postcode, wrong credentials, unknown disposition; no services is an empty list', async () => {
    const postcode = await rejects(demo().searchServices({ disposition: 'Dx05', postcode: 'ZZ99 3VZ', age: 40 }));
    assert.equal(postcode.code, 'directory-postcode-not-found');
    const wrong = new DosClient({ url, username: DEMO_DOS_USER.username, password: 'not-the-password' });
    const denied = await rejects(wrong.searchServices({ disposition: 'Dx05', postcode: 'LS1 4AP', age: 40 }));
    assert.equal(denied.code, 'directory-authentication');
    assert.equal(denied.details.status, 403);
    const unknown = await rejects(demo().searchServices({ disposition: 'Dx99', postcode: 'LS1 4AP', age: 40 }));
    assert.equal(unknown.code, 'directory-unknown-disposition');
    assert.deepEqual(await demo().searchServices({ disposition: 'Dx05', postcode: 'EH1 1YZ', age: 40 }), []);
  });
});
