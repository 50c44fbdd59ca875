/**
 * The national stand-ins working together over real HTTP: the endpoint directory (C9–C17), the
 * proxy's checks and forwarding (docs/standard.md "Proxy (SSP) errors", C19–C26), registration, and a
 * consumer that knows only the spine's URL finding, searching and booking a provider.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { registerProviderWith } from '../../src/cli/spine.js';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { SDS_CASES, seedDemoSpine } from '../../src/spine/demo.js';
import { INTERACTIONS, SLOT_SEARCH_ALIAS } from '../../src/spine/interactions.js';
import { SSP_ERROR_SYSTEM } from '../../src/spine/proxy/errors.js';
import { call } from '../helpers/consumer.js';
import { OTHER_TENANT, SERVICE, bookingFor, startTestProvider, type TestProvider } from '../helpers/provider.js';
import { testStore, type TestStore } from '../helpers/store.js';
import { OPERATOR_TOKEN, TEST_SPINE, operatorHeaders } from '../helpers/spine.js';

const CONSUMER = '200000000111';
const PROVIDER_ASID = '999000000001';
const ECHO_ASID = '999000000050';
const DOWN_ASID = '999000000060';

interface Echoed {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in provider that answers every request with what it received (or waits, for /slow). */
function startEcho(): Promise<{ server: Server; origin: string; received: Echoed[] }> {
  const received: Echoed[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const echoed = { method: req.method!, url: req.url!, headers: req.headers, body };
      received.push(echoed);
      if (req.url?.includes('/slow/')) return void setTimeout(() => res.end('late'), 2000);
      res.writeHead(207, { 'content-type': 'application/fhir+json', 'x-echo': 'yes' });
      res.end(JSON.stringify(echoed));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }),
    ),
  );
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const ssp = (interaction: string, to = PROVIDER_ASID, from = CONSUMER): Record<string, string> => ({
  'ssp-traceid': randomUUID(),
  'ssp-from': from,
  'ssp-to': to,
  'ssp-interactionid': interaction,
});

function sspCheck(body: any): string | undefined {
  return body?.issue?.[0]?.details?.coding?.find((c: any) => c.system === SSP_ERROR_SYSTEM)?.code;
}

describe('spine: endpoint directory, secure proxy and registration', () => {
  let provider: TestProvider;
  let spineStore: TestStore;
  let spine: Spine;
  let base: string;
  let proxy: string;
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let root: string;
  let slotWindow: string;

  before(async () => {
    provider = await startTestProvider();
    root = provider.root();
    spineStore = await testStore();
    spine = await buildSpine({ ...TEST_SPINE, store: spineStore.store, proxyTimeoutMs: 500 });
    base = (await spine.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    proxy = `${base}/proxy`;
    echo = await startEcho();
    const consumer = await json(`${base}/admin/consumers`, {
      method: 'POST',
      headers: operatorHeaders(),
      body: JSON.stringify({ asid: CONSUMER, odsCode: 'A1001', name: '111 test consumer' }),
    });
    assert.equal(consumer.status, 201);
    await registerProviderWith(base, {
      operatorToken: OPERATOR_TOKEN,
      root,
      asid: PROVIDER_ASID,
      ods: 'RT1',
      postcode: 'LS1 4AP',
      dispositions: ['Dx05', 'Dx06'],
    });
    for (const [asid, serviceRoot] of [
      [ECHO_ASID, `${echo.origin}/STU3/1/echo`],
      [DOWN_ASID, 'http://127.0.0.1:9/STU3/1/down'],
    ]) {
      const r = await json(`${base}/admin/providers`, {
        method: 'POST',
        headers: operatorHeaders(),
        body: JSON.stringify({ serviceRoot, asid, odsCode: 'RT9', services: [] }),
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const first = provider.catalogue.s1[0]!.start;
    slotWindow = `start=ge${first}&start=le${new Date(Date.parse(first) + 86_400_000).toISOString()}`;
  });

  after(async () => {
    await spine.app.close();
    await spineStore.dispose();
    await provider.close();
    echo.server.close();
  });

  it('C1, C9–C11, C19–C26, C30: from the spine alone a consumer finds service and endpoint, searches and books via the proxy', async () => {
    const found = await json(`${base}/directory/services?disposition=Dx05&postcode=${encodeURIComponent('LS1 4AP')}`);
    assert.equal(found.status, 200);
    const listed = found.body.services.find((s: any) => s.id === SERVICE);
    assert.ok(listed, 'the registered service is listed for its disposition');

    const details = await json(`${base}/directory/services/${SERVICE}`);
    const booking = details.body.endpoints.filter(
      (e: any) => e.transport === 'http' && e.format === 'FHIR' && e.interaction === 'Scheduling',
    );
    assert.equal(booking.length, 1);
    assert.equal(booking[0].address, `ASID:${PROVIDER_ASID}`);

    const as = await json(`${base}/endpoints/as/${PROVIDER_ASID}`);
    assert.equal(as.status, 200);
    assert.ok(as.body.nhsAsSvcIA.includes(INTERACTIONS.book));
    const mhs = await json(
      `${base}/endpoints/mhs?partyKey=${as.body.nhsMHSPartyKey}&interaction=${encodeURIComponent(INTERACTIONS.slotSearch)}`,
    );
    assert.deepEqual(
      mhs.body.entries.map((e: any) => e.nhsMHSEndPoint),
      [root],
    );
    const endpoint = mhs.body.entries[0].nhsMHSEndPoint as string;

    const search = await call(endpoint, `/Slot?service=${SERVICE}&status=free&${slotWindow}&_include=Slot:schedule`, {
      via: proxy,
      headers: ssp(INTERACTIONS.slotSearch),
    });
    assert.equal(search.status, 200, search.text);
    const slots = search.json.entry.filter((e: any) => e.resource.resourceType === 'Slot');
    assert.ok(slots.length > 0);

    const headers = ssp(INTERACTIONS.book);
    const booked = await call(endpoint, '/Appointment', {
      method: 'POST',
      body: bookingFor(provider.catalogue.s1[0]!),
      via: proxy,
      headers,
    });
    assert.equal(booked.status, 201, booked.text);
    assert.ok(
      booked.headers.get('location')?.startsWith(`${root}/Appointment/`),
      'the provider’s own Location comes back unchanged',
    );

    // Both calls are in the proxy's log, by trace ID, as answered by the provider.
    const log = await json(`${base}/monitor/proxy-calls?traceId=${headers['ssp-traceid']}`, {
      headers: operatorHeaders(false),
    });
    assert.equal(log.body.calls.length, 1);
    assert.deepEqual(
      {
        from: log.body.calls[0].from_asid,
        to: log.body.calls[0].to_asid,
        interaction: log.body.calls[0].interaction,
        status: log.body.calls[0].status,
        by: log.body.calls[0].answered_by,
      },
      { from: CONSUMER, to: PROVIDER_ASID, interaction: INTERACTIONS.book, status: 201, by: 'provider' },
    );
  });

  it('C19: the service root may be URL-encoded as one segment, and …:search:slot is the same interaction as …:read:slot', async () => {
    const res = await call(root, `/Slot?service=${SERVICE}&${slotWindow}`, { headers: ssp(SLOT_SEARCH_ALIAS) });
    assert.equal(res.status, 200);
    const encoded = await fetch(`${proxy}/${encodeURIComponent(root)}/Slot?service=${SERVICE}&${slotWindow}`, {
      headers: {
        ...ssp(SLOT_SEARCH_ALIAS),
        authorization: `Bearer ${(await import('../helpers/consumer.js')).token({ aud: root, scope: 'organization/slot.read' })}`,
        accept: 'application/fhir+json',
      },
    });
    assert.equal(encoded.status, 200, await encoded.clone().text());
    assert.equal(((await encoded.json()) as any).resourceType, 'Bundle');
  });

  it('forwards method, path, query, body and the standard’s headers unchanged, adds RFC 7239 Forwarded, answers back', async () => {
    const target = `${echo.origin}/STU3/1/echo`;
    const body = '{"resourceType":"Appointment","status":"booked"}';
    const headers: Record<string, string> = {
      ...ssp(INTERACTIONS.book, ECHO_ASID),
      'content-type': 'application/fhir+json',
      authorization: 'Bearer x.y.',
      'x-request-id': 'req-42',
      forwarded: 'for=10.1.1.1',
    };
    const res = await fetch(`${proxy}/${target}/Appointment?_format=json&a=%20b`, { method: 'POST', headers, body });
    assert.equal(res.status, 207);
    assert.equal(res.headers.get('content-type'), 'application/fhir+json');
    assert.equal(res.headers.get('x-echo'), null, 'an answer header the standard does not name stays at the proxy');
    const seen = (await res.json()) as Echoed;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/STU3/1/echo/Appointment?_format=json&a=%20b');
    assert.equal(seen.body, body);
    for (const name of [
      'ssp-traceid',
      'ssp-from',
      'ssp-to',
      'ssp-interactionid',
      'authorization',
      'x-request-id',
      'content-type',
    ] as const) {
      assert.equal(seen.headers[name], headers[name], name);
    }
    assert.equal(seen.headers.host, new URL(echo.origin).host);
    assert.match(
      String(seen.headers.forwarded),
      /^for=10\.1\.1\.1, for="127\.0\.0\.1:\d+";by="127\.0\.0\.1:\d+";host="127\.0\.0\.1:\d+";proto=http$/,
    );
  });

  describe('the proxy answers itself, with an OperationOutcome naming the check, and the provider never sees the call', () => {
    const cases: {
      name: string;
      status: number;
      check: string;
      request: () => { path: string; method?: string; headers: Record<string, string>; body?: string };
    }[] = [
      ...['ssp-traceid', 'ssp-from', 'ssp-to', 'ssp-interactionid'].map((missing) => ({
        name: `${missing} missing`,
        status: 400,
        check: 'SSP_HEADER_MISSING',
        request: () => {
          const headers = ssp(INTERACTIONS.slotSearch, ECHO_ASID);
          delete headers[missing];
          return { path: '/Slot', headers };
        },
      })),
      {
        name: 'Ssp-TraceID not a UUID',
        status: 400,
        check: 'SSP_HEADER_INVALID',
        request: () => ({
          path: '/Slot',
          headers: { ...ssp(INTERACTIONS.slotSearch, ECHO_ASID), 'ssp-traceid': 'trace-1' },
        }),
      },
      {
        name: 'Ssp-From not an ASID',
        status: 400,
        check: 'SSP_HEADER_INVALID',
        request: () => ({ path: '/Slot', headers: ssp(INTERACTIONS.slotSearch, ECHO_ASID, 'ABC') }),
      },
      {
        name: 'the sender is not registered',
        status: 403,
        check: 'SSP_SENDER_NOT_AUTHORISED',
        request: () => ({ path: '/Slot', headers: ssp(INTERACTIONS.slotSearch, ECHO_ASID, '123456789012') }),
      },
      {
        name: 'the receiver is not registered',
        status: 403,
        check: 'SSP_RECEIVER_NOT_AUTHORISED',
        request: () => ({ path: '/Slot', headers: ssp(INTERACTIONS.slotSearch, '123456789012') }),
      },
      {
        name: 'an interaction that is not a booking interaction',
        status: 403,
        check: 'SSP_SENDER_NOT_AUTHORISED',
        request: () => ({
          path: '/Slot',
          headers: ssp('urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1', ECHO_ASID),
        }),
      },
      {
        name: 'the target is not the receiver’s registered endpoint',
        status: 400,
        check: 'SSP_TARGET_MISMATCH',
        request: () => ({ path: '/Slot', headers: ssp(INTERACTIONS.slotSearch, PROVIDER_ASID) }),
      },
      {
        name: 'the FHIR request does not fit the interaction',
        status: 400,
        check: 'SSP_TARGET_MISMATCH',
        request: () => ({ path: '/Appointment', headers: ssp(INTERACTIONS.slotSearch, ECHO_ASID) }),
      },
      {
        name: 'a method the interaction does not allow',
        status: 405,
        check: 'SSP_METHOD_NOT_ALLOWED',
        request: () => ({ path: '/Appointment', method: 'GET', headers: ssp(INTERACTIONS.book, ECHO_ASID) }),
      },
      {
        name: 'a body that is not FHIR JSON or XML',
        status: 415,
        check: 'SSP_UNSUPPORTED_MEDIA_TYPE',
        request: () => ({
          path: '/Appointment',
          method: 'POST',
          headers: { ...ssp(INTERACTIONS.book, ECHO_ASID), 'content-type': 'text/plain' },
          body: 'hello',
        }),
      },
    ];
    for (const c of cases) {
      it(`${c.status} ${c.check}: ${c.name}`, async () => {
        const before = echo.received.length;
        const r = c.request();
        const res = await fetch(`${proxy}/${echo.origin}/STU3/1/echo${r.path}`, {
          method: r.method ?? 'GET',
          headers: r.headers,
          body: r.body,
        });
        const body = (await res.json()) as any;
        assert.equal(res.status, c.status);
        assert.equal(body.resourceType, 'OperationOutcome');
        assert.equal(sspCheck(body), c.check);
        assert.match(body.issue[0].diagnostics, /^Spine Secure Proxy: /);
        assert.equal(echo.received.length, before, 'nothing reached the provider');
      });
    }

    it('400 SSP_TARGET_INVALID: no absolute URL after the proxy prefix', async () => {
      const res = await fetch(`${proxy}/STU3/1/echo/Slot`, { headers: ssp(INTERACTIONS.slotSearch, ECHO_ASID) });
      assert.equal(res.status, 400);
      assert.equal(sspCheck(await res.json()), 'SSP_TARGET_INVALID');
    });

    it('403 SSP_SENDER_NOT_AUTHORISED: a consumer registered for searching only may not book', async () => {
      await json(`${base}/admin/consumers`, {
        method: 'POST',
        headers: operatorHeaders(),
        body: JSON.stringify({
          asid: '200000000199',
          odsCode: 'A1099',
          name: 'search-only',
          interactions: [INTERACTIONS.slotSearch],
        }),
      });
      const search = await fetch(`${proxy}/${echo.origin}/STU3/1/echo/Slot`, {
        headers: ssp(INTERACTIONS.slotSearch, ECHO_ASID, '200000000199'),
      });
      assert.equal(search.status, 207);
      const book = await fetch(`${proxy}/${echo.origin}/STU3/1/echo/Appointment`, {
        method: 'POST',
        headers: { ...ssp(INTERACTIONS.book, ECHO_ASID, '200000000199'), 'content-type': 'application/fhir+json' },
        body: '{}',
      });
      assert.equal(book.status, 403);
      assert.equal(sspCheck(await book.json()), 'SSP_SENDER_NOT_AUTHORISED');
    });

    it('502 SSP_TARGET_UNREACHABLE when the provider is unreachable; 504 SSP_TARGET_TIMEOUT when it does not answer in time', async () => {
      const down = await fetch(`${proxy}/http://127.0.0.1:9/STU3/1/down/Slot`, {
        headers: ssp(INTERACTIONS.slotSearch, DOWN_ASID),
      });
      assert.equal(down.status, 502);
      assert.equal(sspCheck(await down.json()), 'SSP_TARGET_UNREACHABLE');
      const slow = await fetch(`${proxy}/${echo.origin}/STU3/1/echo/Appointment/slow/_history/1`, {
        headers: ssp(INTERACTIONS.readAppointment, ECHO_ASID),
      });
      assert.equal(slow.status, 504);
      assert.equal(sspCheck(await slow.json()), 'SSP_TARGET_TIMEOUT');
    });
  });

  it('the provider’s own errors pass through unchanged (a consumer can tell them from the proxy’s)', async () => {
    const slot = provider.catalogue.s1[1]!;
    assert.equal(
      (
        await call(root, '/Appointment', {
          method: 'POST',
          body: bookingFor(slot),
          via: proxy,
          headers: ssp(INTERACTIONS.book),
        })
      ).status,
      201,
    );
    const again = await call(root, '/Appointment', {
      method: 'POST',
      body: bookingFor(slot),
      via: proxy,
      headers: ssp(INTERACTIONS.book),
    });
    assert.equal(again.status, 422);
    assert.equal(again.json.issue[0].diagnostics, 'Slot no longer available');
    assert.equal(sspCheck(again.json), undefined);
    const noToken = await call(root, `/Slot?service=${SERVICE}&${slotWindow}`, {
      via: proxy,
      headers: ssp(INTERACTIONS.slotSearch),
      authorization: null,
    });
    assert.equal(noToken.status, 401);
    assert.equal(sspCheck(noToken.json), undefined);
  });

  it('logs refused calls too, with who refused and why', async () => {
    const headers = ssp(INTERACTIONS.slotSearch, '123456789012');
    await fetch(`${proxy}/${echo.origin}/STU3/1/echo/Slot`, { headers });
    const log = await json(`${base}/monitor/proxy-calls?traceId=${headers['ssp-traceid']}`, {
      headers: operatorHeaders(false),
    });
    assert.equal(log.body.calls.length, 1);
    assert.equal(log.body.calls[0].status, 403);
    assert.equal(log.body.calls[0].answered_by, 'proxy');
    assert.match(log.body.calls[0].reason, /SSP_RECEIVER_NOT_AUTHORISED/);
  });

  describe('endpoint directory (SDS) API', () => {
    it('C11: an unknown ASID is a 404 with an OperationOutcome; a malformed one a 400', async () => {
      const unknown = await json(`${base}/endpoints/as/123456789012`);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.resourceType, 'OperationOutcome');
      assert.equal((await json(`${base}/endpoints/as/not-an-asid`)).status, 400);
      assert.equal((await json(`${base}/endpoints/mhs`)).status, 400);
    });

    it('registration enrols the tenant once: registering again (or from a new root) replaces, never duplicates', async () => {
      const again = await registerProviderWith(base, {
        operatorToken: OPERATOR_TOKEN,
        root,
        asid: PROVIDER_ASID,
        ods: 'RT1',
        postcode: 'LS1 4AP',
        dispositions: ['Dx05'],
        requireBooking: true,
      });
      const mhs = await json(`${base}/endpoints/mhs?partyKey=${again.partyKey}`);
      assert.equal(mhs.body.entries.length, 6, 'one endpoint per booking interaction');
      const details = await json(`${base}/directory/services/${SERVICE}`);
      assert.equal(details.body.endpoints.filter((e: any) => e.interaction === 'Scheduling').length, 1);
      assert.deepEqual(
        details.body.attributes.filter((a: any) => a.name === 'requirebooking').map((a: any) => a.value),
        ['true'],
      );
      // Without --require-booking the attribute stays as it was.
      await registerProviderWith(base, {
        operatorToken: OPERATOR_TOKEN,
        root,
        asid: PROVIDER_ASID,
        ods: 'RT1',
        postcode: 'LS1 4AP',
        dispositions: ['Dx05'],
      });
      assert.deepEqual(
        (await json(`${base}/directory/services/${SERVICE}`)).body.attributes
          .filter((a: any) => a.name === 'requirebooking')
          .map((a: any) => a.value),
        ['true'],
      );
      await registerProviderWith(base, {
        operatorToken: OPERATOR_TOKEN,
        root,
        asid: PROVIDER_ASID,
        ods: 'RT1',
        postcode: 'LS1 4AP',
        dispositions: ['Dx05'],
        requireBooking: false,
      });
      assert.deepEqual(
        (await json(`${base}/directory/services/${SERVICE}`)).body.attributes
          .filter((a: any) => a.name === 'requirebooking')
          .map((a: any) => a.value),
        ['false'],
      );
    });

    it('a provider whose services cannot be read is not registered, and the reason names the provider', async () => {
      await assert.rejects(
        registerProviderWith(base, {
          operatorToken: OPERATOR_TOKEN,
          root: provider.root(OTHER_TENANT),
          asid: '999000000002',
          ods: 'RT2',
          serviceIds: ['424242'],
        }),
        /no active HealthcareService with directory ID 424242/,
      );
      await assert.rejects(
        registerProviderWith(base, {
          operatorToken: OPERATOR_TOKEN,
          root: 'http://127.0.0.1:9/STU3/1/nobody',
          asid: '999000000003',
          ods: 'RT3',
        }),
        /fetch failed|ECONNREFUSED|cannot reach/,
      );
      assert.equal((await json(`${base}/endpoints/as/999000000003`)).status, 404);
    });

    it('C11–C17: the demo seeds one endpoint-directory record per failure consumers must handle; reseeding changes nothing', async () => {
      await seedDemoSpine(spineStore.store.db);
      await seedDemoSpine(spineStore.store.db);
      assert.equal((await json(`${base}/endpoints/as/${SDS_CASES.unknownAsid}`)).status, 404);
      const none = await json(`${base}/endpoints/as/${SDS_CASES.noBookingInteractions}`);
      assert.ok(!none.body.nhsAsSvcIA.some((i: string) => i.includes(':careconnect:')));
      const both = await json(`${base}/endpoints/as/${SDS_CASES.careConnectAndGpConnect}`);
      assert.ok(
        both.body.nhsAsSvcIA.some((i: string) => i.includes(':careconnect:')) &&
          both.body.nhsAsSvcIA.some((i: string) => i.includes(':gpconnect:')),
      );
      const several = await json(`${base}/endpoints/as/${SDS_CASES.severalEndpoints}`);
      const severalMhs = await json(
        `${base}/endpoints/mhs?partyKey=${several.body.nhsMHSPartyKey}&interaction=${encodeURIComponent(INTERACTIONS.book)}`,
      );
      assert.equal(severalMhs.body.entries.length, 2);
      const invalid = await json(`${base}/endpoints/as/${SDS_CASES.invalidEndpoint}`);
      const invalidMhs = await json(
        `${base}/endpoints/mhs?partyKey=${invalid.body.nhsMHSPartyKey}&interaction=${encodeURIComponent(INTERACTIONS.book)}`,
      );
      assert.equal(invalidMhs.body.entries.length, 1);
      assert.throws(() => new URL(invalidMhs.body.entries[0].nhsMHSEndPoint));
    });
  });
});

describe('spine: every failure is an OperationOutcome', () => {
  it('a URL the router cannot read (bad percent-encoding) is a 400 OperationOutcome; an admin body that is not JSON a 415', async () => {
    const ts = await testStore();
    const spine = await buildSpine({ ...TEST_SPINE, store: ts.store });
    const base = (await spine.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    try {
      const bad = await fetch(`${base}/directory/services/%E0%A4%A`);
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as any).resourceType, 'OperationOutcome');
      const text = await fetch(`${base}/admin/consumers`, {
        method: 'POST',
        headers: { ...operatorHeaders(), 'content-type': 'application/xml' },
        body: '<a/>',
      });
      assert.equal(text.status, 415);
      assert.equal(((await text.json()) as any).resourceType, 'OperationOutcome');
    } finally {
      await spine.app.close();
      await ts.dispose();
    }
  });
});
