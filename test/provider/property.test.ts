/**
 * Property-based robustness (API-7, P36, BOOK-1, P24): thousands of random and mutated requests —
 * bodies, parameters, headers, tokens, JSON and XML — never get a 5xx, every 4xx carries an
 * OperationOutcome, and no request leaves a half-written record. Set FC_SEED to replay a run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { resourceToXml } from '../../src/fhir/xml.js';
import { SCOPE, call, token, type CallResult } from '../helpers/consumer.js';
import { SERVICE, bookingFor, startTestProvider, type TestProvider } from '../helpers/provider.js';

let p: TestProvider;
before(async () => {
  p = await startTestProvider();
});
after(() => p.close());

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const runs = (n: number) => ({ numRuns: n, seed, endOnFailure: true });

/** Every answer is either a success or a 4xx with an OperationOutcome; never a 5xx. */
function assertWellFormed(res: CallResult, what: string): void {
  assert.ok(res.status < 500, `${what} → ${res.status} ${res.text.slice(0, 300)}`);
  if (res.status >= 400) {
    if (res.json) {
      assert.equal(res.json.resourceType, 'OperationOutcome', `${what}: ${res.text.slice(0, 200)}`);
      assert.ok(res.json.id && res.json.issue?.[0]?.severity && res.json.issue[0].code && res.json.issue[0].diagnostics, what);
    } else {
      assert.match(res.text, /<OperationOutcome xmlns="http:\/\/hl7.org\/fhir">[\s\S]*<severity value=[\s\S]*<code value=/, what);
    }
  }
}

/** No half-written record: every appointment has all its versions, its slot, and one booking per slot. */
async function assertConsistentStore(): Promise<void> {
  const db = p.store.db;
  const appointments = await db.selectFrom('appointment').selectAll().execute();
  const versions = await db.selectFrom('appointment_version').select(['tenant_id', 'id', 'version_id']).execute();
  const slots = await db.selectFrom('slot').selectAll().execute();
  const requests = await db.selectFrom('booking_request').selectAll().execute();
  const slotById = new Map(slots.map((s) => [`${s.tenant_id}/${s.id}`, s]));
  const bookedPerSlot = new Map<string, number>();
  for (const a of appointments) {
    const own = versions.filter((v) => v.tenant_id === a.tenant_id && v.id === a.id).map((v) => v.version_id).sort();
    assert.deepEqual(own, Array.from({ length: a.version_id }, (_, i) => i + 1), `versions of ${a.id}`);
    const slot = slotById.get(`${a.tenant_id}/${a.slot_id}`);
    assert.ok(slot, `slot of ${a.id}`);
    if (a.status === 'booked') {
      assert.equal(slot.status, 'busy', `slot of booked ${a.id}`);
      assert.equal(slot.appointment_id, a.id);
      bookedPerSlot.set(a.slot_id, (bookedPerSlot.get(a.slot_id) ?? 0) + 1);
    } else {
      assert.notEqual(slot.appointment_id, a.id, `slot of cancelled ${a.id} still points at it`);
    }
  }
  for (const [slot, n] of bookedPerSlot) assert.equal(n, 1, `slot ${slot} has ${n} bookings`);
  for (const s of slots) if (s.appointment_id) assert.ok(appointments.some((a) => a.id === s.appointment_id), `slot ${s.id} names a missing appointment`);
  const ids = new Set(appointments.map((a) => a.id));
  for (const r of requests) assert.ok(ids.has(r.appointment_id), `booking_request ${r.request_id} names a missing appointment`);
}

// ---- arbitraries ---------------------------------------------------------------------------

const junkValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 3 }),
  fc.constant('x'.repeat(100_000)),
  fc.constant('2019-01-17T15:00:00'),
  fc.constant({ __proto__: { polluted: true } }),
);

type Path = (string | number)[];
function paths(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, Array.isArray(value) ? Number(k) : k], out);
  }
  return out;
}
function setAt(root: any, path: Path, value: unknown, remove: boolean): any {
  if (path.length === 0) return remove ? {} : value;
  let cursor = root;
  for (const key of path.slice(0, -1)) cursor = cursor[key];
  const last = path[path.length - 1];
  if (remove) {
    if (Array.isArray(cursor)) cursor.splice(Number(last), 1);
    else delete cursor[last];
  } else cursor[last] = value;
  return root;
}

/** A booking body with up to four random mutations applied at random paths. */
const mutation = fc.record({ pick: fc.nat(), remove: fc.boolean(), value: junkValue, key: fc.constantFrom('__proto__', 'constructor', 'resourceType', 'extra', '_start', 'contained') });
const mutatedBooking = fc.tuple(fc.nat(15), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([slotIndex, mutations]) => {
  let body = bookingFor(p.catalogue.s1[slotIndex]);
  for (const m of mutations) {
    const all = paths(body);
    const path = all[m.pick % all.length];
    if (m.key === 'extra' || m.key === '__proto__' || m.key === 'constructor') {
      const target = path.reduce((c: any, k) => c[k], body);
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
        continue;
      }
    }
    body = setAt(body, path, m.value, m.remove);
  }
  return body;
});

const contentTypes = fc.constantFrom(
  'application/fhir+json',
  'application/json',
  'application/fhir+xml',
  'application/xml',
  'text/plain',
  'application/fhir+json; charset=ISO-8859-1',
  'multipart/form-data; boundary=x',
  '',
);

// ---- properties ----------------------------------------------------------------------------

describe('robustness under random input', () => {
  it('API-7 BOOK-1 P24 mutated booking bodies (JSON) never get a 5xx and never half-write', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedBooking, async (body) => {
        const res = await call(p.root(), '/Appointment', { method: 'POST', text: JSON.stringify(body) });
        assertWellFormed(res, 'mutated booking');
        if (res.status === 201) {
          assert.equal(res.json.resourceType, 'Appointment');
          assert.equal(res.json.status, 'booked');
        }
      }),
      runs(800),
    );
    await assertConsistentStore();
  });

  it('API-7 BOOK-1 mutated and truncated XML bodies, and bodies under the wrong Content-Type', async () => {
    const xmlMutation = fc.record({
      slot: fc.nat(15),
      cut: fc.nat(),
      how: fc.constantFrom('truncate', 'rename', 'dropAttr', 'doctype', 'junk', 'none', 'entity'),
      contentType: contentTypes,
    });
    await fc.assert(
      fc.asyncProperty(xmlMutation, async (m) => {
        let xml = resourceToXml(bookingFor(p.catalogue.s1[m.slot]));
        const at = m.cut % xml.length;
        if (m.how === 'truncate') xml = xml.slice(0, at);
        if (m.how === 'rename') xml = xml.replace(/<(status|start|contained|Patient)\b/, '<Bogus');
        if (m.how === 'dropAttr') xml = xml.replace(/ value="[^"]*"/, '');
        if (m.how === 'doctype') xml = xml.replace('<Appointment', '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><Appointment');
        if (m.how === 'junk') xml = xml.slice(0, at) + '<<&&>>' + xml.slice(at);
        if (m.how === 'entity') xml = xml.replace('Reason for calling', '&lt;&amp;&#x1F600;&unknown;');
        const res = await call(p.root(), '/Appointment', { method: 'POST', text: xml, contentType: m.contentType || 'application/fhir+xml' });
        assertWellFormed(res, `xml ${m.how} as ${m.contentType}`);
      }),
      runs(800),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), contentTypes, async (text, contentType) => {
        const res = await call(p.root(), '/Appointment', { method: 'POST', text, contentType: contentType || 'application/fhir+json' });
        assertWellFormed(res, `raw body as ${contentType}`);
        assert.notEqual(res.status, 201);
      }),
      runs(600),
    );
    await assertConsistentStore();
  });

  it('API-8 random query strings on slot and appointment searches never get a 5xx', async () => {
    const name = fc.constantFrom(
      'service', 'schedule.actor:healthcareservice', 'status', 'start', '_include', '_include:iterate', '_count', '_format',
      'start:missing', 'status:not', 'patient.identifier', 'identifier', 'Appointment.participant.actor:Patient.identifier', 'date', 'colour', '_sort',
    );
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom('ge2019-01-01', 'le2030-12-31T10:00:00+01:00', 'eq2026', 'ap2026-11-26', 'zz2019', 'ge2019-13-45', 'free,busy', ',', '|', 'https://fhir.nhs.uk/Id/nhs-number|1234554321', SERVICE, '%', '%zz', '-1', '1e9', 'Slot:schedule', '*', 'xml', 'json'),
    );
    const query = fc.array(fc.tuple(name, value), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(query, fc.constantFrom('/Slot', '/Appointment', '/HealthcareService'), async (pairs, path) => {
        const qs = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v.includes('%') ? v : encodeURIComponent(v)}`).join('&');
        const res = await call(p.root(), `${path}?${qs}`, { accept: '' });
        assertWellFormed(res, `${path}?${qs}`);
      }),
      runs(1000),
    );
  });

  it('P1-P4 API-2 random tokens and headers never get a 5xx, and a bad token never gets through', async () => {
    const claimChange = fc.record({
      claim: fc.constantFrom('iss', 'sub', 'aud', 'exp', 'iat', 'reason_for_request', 'requested_scope', 'requesting_device', 'requesting_organization', 'requesting_practitioner'),
      value: junkValue,
      remove: fc.boolean(),
    });
    const authorization = fc.oneof(
      fc.constant(undefined),
      fc.string().map((s) => `Bearer ${s}`),
      fc.base64String().map((s) => `Bearer ${s}.${s}.`),
      fc.array(claimChange, { minLength: 1, maxLength: 3 }).map((changes) => {
        const claims: Record<string, unknown> = {};
        for (const c of changes) claims[c.claim] = c.remove ? undefined : c.value;
        return `Bearer ${token({ aud: p.root(), scope: SCOPE.slotRead, claims })}`;
      }),
      fc.constantFrom('Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a.b', `Bearer ${token({ aud: p.root(), scope: SCOPE.slotRead, header: { alg: 'HS256' } })}`),
    );
    const headers = fc.record({
      accept: fc.oneof(fc.constantFrom('application/fhir+xml', 'application/fhir+json;q=0.1, application/fhir+xml', '*/*', 'text/html', '', ';;;,,q=x'), fc.string()),
      requestId: fc.oneof(fc.uuid(), fc.string(), fc.constant('r'.repeat(5000)), fc.constant('é\u0000')),
    });
    await fc.assert(
      fc.asyncProperty(authorization, headers, async (auth, h) => {
        let res: CallResult;
        try {
          res = await call(p.root(), `/Slot?service=${SERVICE}`, {
            authorization: auth === undefined ? null : auth,
            accept: h.accept,
            requestId: h.requestId,
          });
        } catch (err) {
          // fetch itself refuses header values HTTP forbids (control characters); nothing was sent.
          if (/header|ByteString|invalid/i.test((err as Error).message)) return;
          throw err;
        }
        assertWellFormed(res, `auth ${String(auth).slice(0, 60)} accept ${h.accept}`);
        if (auth === undefined || !auth.startsWith('Bearer ey') ) assert.notEqual(res.status, 200);
      }),
      runs(1000),
    );
  });

  it('P31 API-6 random cancel bodies and If-Match values never get a 5xx, and versions stay whole', async () => {
    const booked = await call(p.root(), '/Appointment', { method: 'POST', body: bookingFor(p.catalogue.s2[7]) });
    assert.equal(booked.status, 201, booked.text);
    const appt = booked.json;
    const ifMatch = fc.oneof(fc.constant(undefined), fc.constantFrom('W/"1"', '"1"', '1', 'W/"2"', 'W/"x"', '*', ''), fc.string());
    const change = fc.record({ pick: fc.nat(), value: junkValue, remove: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(ifMatch, fc.array(change, { maxLength: 2 }), fc.boolean(), async (tag, changes, cancel) => {
        let body: any = structuredClone(appt);
        if (cancel) body.status = 'cancelled';
        for (const c of changes) {
          const all = paths(body);
          body = setAt(body, all[c.pick % all.length], c.value, c.remove);
        }
        const res = await call(p.root(), `/Appointment/${appt.id}`, {
          method: 'PUT',
          text: JSON.stringify(body),
          headers: tag === undefined ? {} : { 'if-match': tag },
        });
        assertWellFormed(res, `cancel with If-Match ${tag}`);
      }),
      runs(600),
    );
    await assertConsistentStore();
  });

  it('BOOK-5 random retries of one X-Request-ID never make a second booking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(7), fc.integer({ min: 2, max: 6 }), async (slotIndex, tries) => {
        const requestId = randomUUID();
        const results = await Promise.all(
          Array.from({ length: tries }, () => call(p.root(), '/Appointment', { method: 'POST', body: bookingFor(p.catalogue.s2[slotIndex]), requestId })),
        );
        for (const r of results) assertWellFormed(r, 'retry');
        const ids = new Set(results.filter((r) => r.status < 300).map((r) => r.json.id));
        assert.ok(ids.size <= 1, `${ids.size} bookings for one X-Request-ID`);
      }),
      runs(40),
    );
    await assertConsistentStore();
  });
});
