/** The HTTP rules every provider response follows: API-1 … API-10, P9, P36. */
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { request } from 'node:http';
import { call, token, SCOPE } from '../helpers/consumer.js';
import { SERVICE, startTestProvider, type TestProvider } from '../helpers/provider.js';

let p: TestProvider;
before(async () => {
  p = await startTestProvider();
});
after(() => p.close());

const slots = `/Slot?service=${SERVICE}&_include=Slot:schedule`;

describe('formats', () => {
  it('API-1 P9 JSON by default, with charset=utf-8', async () => {
    const res = await call(p.root(), slots, { accept: '' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
  });

  it('API-1 P9 XML when asked through Accept', async () => {
    const res = await call(p.root(), slots, { accept: 'application/fhir+xml' });
    assert.equal(res.headers.get('content-type'), 'application/fhir+xml; charset=utf-8');
    assert.match(res.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\s*<Bundle xmlns="http:\/\/hl7.org\/fhir">/);
    assert.match(res.text, /<Slot>|<Slot xmlns/);
  });

  it('API-2 _format beats Accept, in short and MIME form', async () => {
    const a = await call(p.root(), `${slots}&_format=xml`, { accept: 'application/fhir+json' });
    assert.match(a.headers.get('content-type')!, /fhir\+xml/);
    const b = await call(p.root(), `${slots}&_format=${encodeURIComponent('application/fhir+json')}`, {
      accept: 'application/fhir+xml',
    });
    assert.match(b.headers.get('content-type')!, /fhir\+json/);
  });

  it('API-2 with no Accept and no _format the answer follows the request Content-Type', async () => {
    const res = await call(p.root(), '/Appointment', {
      method: 'POST',
      text: '<Appointment xmlns="http://hl7.org/fhir"><status value="booked"/></Appointment>',
      contentType: 'application/fhir+xml',
      accept: '',
    });
    assert.equal(res.status, 422);
    assert.match(res.headers.get('content-type')!, /^application\/fhir\+xml/);
    assert.match(res.text, /<OperationOutcome/);
  });

  it('API-3 a format we do not speak is a 415 with an OperationOutcome', async () => {
    for (const [path, o] of [
      [`${slots}&_format=html`, {}],
      [slots, { accept: 'text/html' }],
    ] as const) {
      const res = await call(p.root(), path, o);
      assert.equal(res.status, 415, path);
      assert.equal(res.json.resourceType, 'OperationOutcome');
    }
    const body = await call(p.root(), '/Appointment', { method: 'POST', text: 'hello', contentType: 'text/plain' });
    assert.equal(body.status, 415);
    assert.equal(body.json.resourceType, 'OperationOutcome');
  });

  it('API-4 gzip when asked', async () => {
    const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const url = new URL(p.root() + slots);
      const req = request(
        url,
        {
          headers: {
            'accept-encoding': 'gzip',
            authorization: `Bearer ${token({ aud: p.root(), scope: SCOPE.slotRead })}`,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(raw.headers['content-encoding'], 'gzip');
    assert.equal(JSON.parse(gunzipSync(raw.body).toString()).resourceType, 'Bundle');
  });
});

describe('transfer', () => {
  it('API-4 a chunked request body (no Content-Length) is read like any other', async () => {
    const { bookingFor } = await import('../helpers/provider.js');
    const body = JSON.stringify(bookingFor(p.catalogue.s1[15]));
    const result = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        new URL(`${p.root()}/Appointment`),
        {
          method: 'POST',
          headers: {
            'content-type': 'application/fhir+json',
            'transfer-encoding': 'chunked',
            authorization: `Bearer ${token({ aud: p.root(), scope: SCOPE.write })}`,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < body.length; i += 500) req.write(body.slice(i, i + 500));
      req.end();
    });
    assert.equal(result.status, 201, result.text);
  });
});

describe('headers', () => {
  it('API-5 API-9 every response has Cache-Control no-store and its own X-Request-ID, echoing ours as X-Correlation-ID', async () => {
    for (const path of [slots, '/metadata', '/Nope', '/Appointment/missing']) {
      const res = await call(p.root(), path, { requestId: 'consumer-req-1' });
      assert.equal(res.headers.get('cache-control'), 'no-store', path);
      assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, path);
      assert.notEqual(res.headers.get('x-request-id'), 'consumer-req-1');
      assert.equal(res.headers.get('x-correlation-id'), 'consumer-req-1', path);
    }
  });
});

describe('errors', () => {
  it('API-7 P36 every 4xx carries an OperationOutcome with id, severity, code and diagnostics', async () => {
    const cases = [
      call(p.root(), '/Nope'),
      call(p.root(), '/slot'),
      call(p.root(), '/Appointment/x', { method: 'DELETE' }),
      call(p.root(), slots, { authorization: null }),
      call(`${p.origin}/STU3/1/no-such-tenant`, '/metadata'),
      call(p.root(), '/Appointment', { method: 'POST', text: '{' }),
    ];
    for (const res of await Promise.all(cases)) {
      assert.ok(res.status >= 400 && res.status < 500, String(res.status));
      assert.equal(res.json.resourceType, 'OperationOutcome');
      assert.ok(res.json.id);
      assert.ok(res.json.issue[0].severity);
      assert.ok(res.json.issue[0].code);
      assert.ok(res.json.issue[0].diagnostics);
    }
  });

  it('API-10 URLs are case-sensitive (404) and a known URL with the wrong method is a 405', async () => {
    const lower = await call(p.root(), `/slot?service=${SERVICE}`);
    assert.equal(lower.status, 404);
    const del = await call(p.root(), '/Appointment/abc', { method: 'DELETE' });
    assert.equal(del.status, 405);
    assert.match(del.headers.get('allow') ?? '', /PUT/);
    const postSlot = await call(p.root(), '/Slot', { method: 'POST', body: { resourceType: 'Slot' } });
    assert.equal(postSlot.status, 405);
  });

  it('an unknown tenant is a 404', async () => {
    const res = await call(`${p.origin}/STU3/1/no-such-tenant`, '/metadata');
    assert.equal(res.status, 404);
    assert.match(res.json.issue[0].diagnostics, /no-such-tenant/);
  });
});

describe('capability', () => {
  it('P8 metadata is a CapabilityStatement that tells the truth about this server', async () => {
    const res = await call(p.root(), '/metadata');
    assert.equal(res.status, 200);
    const cs = res.json;
    assert.equal(cs.resourceType, 'CapabilityStatement');
    assert.equal(cs.fhirVersion, '3.0.1');
    assert.equal(cs.acceptUnknown, 'both');
    assert.deepEqual(cs.format, ['application/fhir+json', 'application/fhir+xml']);
    assert.equal(cs.implementation.url, p.root());
    const profiles = cs.profile.map((x: any) => x.reference);
    for (const name of [
      'Slot',
      'Schedule',
      'HealthcareService',
      'Appointment',
      'Patient',
      'DocumentReference',
      'Practitioner',
      'PractitionerRole',
      'Organization',
      'Location',
    ]) {
      assert.ok(profiles.includes(`https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-${name}-1`), name);
    }
    const appointment = cs.rest[0].resource.find((r: any) => r.type === 'Appointment');
    assert.deepEqual(appointment.interaction.map((i: any) => i.code).sort(), [
      'create',
      'read',
      'search-type',
      'update',
      'vread',
    ]);
    const slot = cs.rest[0].resource.find((r: any) => r.type === 'Slot');
    assert.deepEqual(slot.searchParam.map((s: any) => s.name).slice(0, 4), [
      'service',
      'schedule.actor:healthcareservice',
      'status',
      'start',
    ]);
    // Truthful: every include it lists is one the search accepts.
    for (const include of slot.searchInclude) {
      const r = await call(p.root(), `/Slot?service=${SERVICE}&_include=${encodeURIComponent(include)}`);
      assert.ok(
        (r.json.entry ?? []).some((e: any) => e.search.mode === 'include'),
        include,
      );
    }
  });
});
