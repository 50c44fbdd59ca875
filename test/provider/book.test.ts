/** Booking: P24–P29, BOOK-1 … BOOK-5, API-9 and the decisions on slots and times. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { call } from '../helpers/consumer.js';
import { OTHER_TENANT, bookingFor, startTestProvider, type TestProvider } from '../helpers/provider.js';

let p: TestProvider;
before(async () => {
  p = await startTestProvider();
});
after(() => p.close());

const book = (body: unknown, o: { requestId?: string; ods?: string; tenant?: string } = {}) =>
  call(p.root(o.tenant), '/Appointment', { method: 'POST', body, requestId: o.requestId, ods: o.ods });

async function slotRow(id: string) {
  return p.store.db
    .selectFrom('slot')
    .selectAll()
    .where('tenant_id', '=', 'test-ed')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}
async function appointmentCount() {
  const r = await p.store.db
    .selectFrom('appointment')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('book an appointment', () => {
  it("P25 P26 P27 books the standard's own example into a free slot: 201, Location, ETag, Last-Modified, body", async () => {
    const slot = p.catalogue.s1[0];
    const res = await book(bookingFor(slot));
    assert.equal(res.status, 201, res.text);
    const appt = res.json;
    assert.equal(appt.resourceType, 'Appointment');
    assert.match(appt.id, /^[0-9a-f-]{36}$/);
    assert.equal(appt.meta.versionId, '1');
    assert.equal(res.headers.get('location'), `${p.root()}/Appointment/${appt.id}/_history/1`);
    assert.equal(res.headers.get('etag'), 'W/"1"');
    assert.equal(
      new Date(res.headers.get('last-modified')!).toUTCString(),
      new Date(appt.meta.lastUpdated).toUTCString(),
    );
    assert.equal(appt.status, 'booked');
    assert.equal(appt.participant[0].status, 'accepted', 'docs/decisions.md: a missing participant status is accepted');
    assert.equal(appt.contained.length, 3);
    assert.ok(Math.abs(Date.parse(appt.created) - Date.now()) < 60_000, "created is the provider's booking time");
    const row = await slotRow(slot.id);
    assert.equal(row.status, 'busy');
    assert.equal(row.appointment_id, appt.id);
    const read = await call(p.root(), `/Appointment/${appt.id}`);
    assert.deepEqual(read.json, appt);
  });

  it('P27 every booking gets a new unique id', async () => {
    const a = await book(bookingFor(p.catalogue.s1[1]));
    const b = await book(bookingFor(p.catalogue.s1[2]));
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.notEqual(a.json.id, b.json.id);
  });

  it('P29 a slot that is not free is a 422 with severity error, code processing, "Slot no longer available"', async () => {
    const slot = p.catalogue.s1[0]; // booked above
    const before = await appointmentCount();
    const res = await book(bookingFor(slot));
    assert.equal(res.status, 422);
    assert.equal(res.json.resourceType, 'OperationOutcome');
    assert.equal(res.json.issue.length, 1);
    assert.equal(res.json.issue[0].severity, 'error');
    assert.equal(res.json.issue[0].code, 'processing');
    assert.equal(res.json.issue[0].diagnostics, 'Slot no longer available');
    assert.equal(await appointmentCount(), before);
  });

  it('P24 P25 concurrent bookings of one slot: exactly one wins, the rest get P29', async () => {
    const slot = p.catalogue.s1[5];
    const results = await Promise.all(Array.from({ length: 20 }, () => book(bookingFor(slot))));
    const statuses = results.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 422).length, 19);
    const rows = await p.store.db.selectFrom('appointment').select('id').where('slot_id', '=', slot.id).execute();
    assert.equal(rows.length, 1);
  });

  it('BOOK-5 API-9 a retry with the same X-Request-ID returns the original booking and books nothing new', async () => {
    const requestId = randomUUID();
    const body = bookingFor(p.catalogue.s1[6]);
    const first = await book(body, { requestId });
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('x-correlation-id'), requestId);
    const count = await appointmentCount();
    const retry = await book(bookingFor(p.catalogue.s1[7]), { requestId });
    assert.equal(retry.status, 200);
    assert.equal(retry.json.id, first.json.id);
    assert.equal(retry.json.meta.versionId, '1');
    assert.equal(await appointmentCount(), count);
    assert.equal((await slotRow(p.catalogue.s1[7].id)).status, 'free', 'the retry did not take another slot');
    // Another consumer organisation with the same X-Request-ID is a different request.
    const other = await book(bookingFor(p.catalogue.s1[7]), { requestId, ods: 'B2002' });
    assert.equal(other.status, 201);
  });

  it('BOOK-5 concurrent retries with one X-Request-ID make one booking', async () => {
    const requestId = randomUUID();
    const body = bookingFor(p.catalogue.s1[8]);
    const results = await Promise.all(Array.from({ length: 8 }, () => book(body, { requestId })));
    const ids = new Set(results.map((r) => r.json.id));
    assert.equal(ids.size, 1, results.map((r) => `${r.status} ${r.text.slice(0, 300)}`).join('\n'));
    assert.deepEqual([...new Set(results.map((r) => r.status))].sort(), results.length > 1 ? [200, 201] : [201]);
  });

  it('BOOK-3 a patient without an NHS number is booked and given a local identifier usable for searches', async () => {
    const body = bookingFor(p.catalogue.s1[9]);
    const patient = body.contained.find((r: any) => r.resourceType === 'Patient');
    delete patient.identifier;
    const res = await book(body);
    assert.equal(res.status, 201, res.text);
    const stored = res.json.contained.find((r: any) => r.resourceType === 'Patient');
    const local = stored.identifier[0];
    assert.equal(local.system, `${p.root()}/Id/local-patient-identifier`);
    const search = await call(
      p.root(),
      `/Appointment?patient.identifier=${encodeURIComponent(`${local.system}|${local.value}`)}`,
    );
    assert.deepEqual(
      search.json.entry.map((e: any) => e.resource.id),
      [res.json.id],
    );
  });

  it('docs/decisions.md: the contained slot may name the slot by id; times with any offset are stored in UTC', async () => {
    const slot = p.catalogue.s1[10];
    const body = bookingFor(slot);
    const contained = body.contained.find((r: any) => r.resourceType === 'Slot');
    contained.identifier = [{ system: 'https://tools.ietf.org/html/rfc4122', value: randomUUID() }];
    contained.id = slot.id;
    body.slot = [{ reference: `#${slot.id}` }];
    const start = Date.parse(slot.start);
    const plusOne = (ms: number) => new Date(ms + 3_600_000).toISOString().replace('Z', '+01:00');
    body.start = plusOne(start);
    body.end = plusOne(start + 600_000);
    contained.start = plusOne(start);
    const res = await book(body);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.start, new Date(start).toISOString());
    assert.equal(res.json.end, new Date(start + 600_000).toISOString());
  });

  it("BOOK-2 an unknown slot, another tenant's slot, or a mismatched schedule or start is a 422 and writes nothing", async () => {
    const before = await appointmentCount();
    const unknown = bookingFor({ ...p.catalogue.s1[11], identifier: randomUUID(), id: 'nope' });
    unknown.contained.find((r: any) => r.resourceType === 'Slot').id = 'nope';
    unknown.slot = [{ reference: '#nope' }];
    const a = await book(unknown);
    assert.equal(a.status, 422);
    assert.match(a.json.issue[0].diagnostics, /does not exist/);

    const b = await book(bookingFor(p.catalogue.other[0]));
    assert.equal(b.status, 422, 'a slot of another tenant is unknown here');

    const wrongSchedule = bookingFor(p.catalogue.s1[11]);
    wrongSchedule.contained.find((r: any) => r.resourceType === 'Slot').schedule = { reference: 'Schedule/S2' };
    const c = await book(wrongSchedule);
    assert.equal(c.status, 422);
    assert.match(c.json.issue[0].diagnostics, /schedule/);

    const outside = bookingFor(p.catalogue.s1[11], {
      end: new Date(Date.parse(p.catalogue.s1[11].end) + 60_000).toISOString(),
    });
    const d = await book(outside);
    assert.equal(d.status, 422);
    assert.match(d.json.issue[0].diagnostics, /within slot/);

    assert.equal(await appointmentCount(), before);
    assert.equal((await slotRow(p.catalogue.s1[11].id)).status, 'free');
  });

  it("the slot's own tenant books it", async () => {
    const res = await book(bookingFor(p.catalogue.other[0]), { tenant: OTHER_TENANT });
    assert.equal(res.status, 201, res.text);
  });

  it('BOOK-1 a body that is not JSON, or not an Appointment, is a 400 that says why', async () => {
    const notJson = await call(p.root(), '/Appointment', { method: 'POST', text: '{"resourceType": "Appoint' });
    assert.equal(notJson.status, 400);
    assert.match(notJson.json.issue[0].diagnostics, /not valid JSON/);
    const patient = await book({ resourceType: 'Patient', id: 'x' });
    assert.equal(patient.status, 400);
    const empty = await call(p.root(), '/Appointment', { method: 'POST', text: '' });
    assert.equal(empty.status, 400);
  });

  it('BOOK-1 fs_fhir_overrides: each missing or wrong element is named in one 422', async () => {
    const body = bookingFor(p.catalogue.s1[12]);
    delete body.description;
    body.participant.push({ actor: { reference: '#P1' } });
    const patient = body.contained.find((r: any) => r.resourceType === 'Patient');
    delete patient.gender;
    patient.identifier[0].value = '1234567890';
    body.contained.find((r: any) => r.resourceType === 'DocumentReference').status = 'superseded';
    const res = await book(body);
    assert.equal(res.status, 422);
    const text = res.json.issue.map((i: any) => i.diagnostics).join('\n');
    for (const expected of ['description', 'participant', 'gender', 'NHS number', 'status must be "current"']) {
      assert.ok(text.includes(expected), `${expected} in\n${text}`);
    }
    assert.ok(res.json.issue.every((i: any) => i.severity === 'error'));
    assert.equal((await slotRow(p.catalogue.s1[12].id)).status, 'free');
  });

  it('BOOK-1 the older, looser example shape is refused with a 400 naming the faults', async () => {
    const { readFileSync } = await import('node:fs');
    const older = JSON.parse(
      readFileSync(new URL('../fixtures/examples/audit-appointment-older-shape.json', import.meta.url), 'utf8'),
    );
    const res = await book(older);
    assert.equal(res.status, 400);
    const text = res.json.issue.map((i: any) => i.diagnostics).join('\n');
    assert.match(text, /Appointment\.meta\.profile/);
  });

  it('API-8 unknown elements are accepted and ignored', async () => {
    const body = bookingFor(p.catalogue.s1[13]);
    body.favouriteColour = 'blue';
    body.contained.find((r: any) => r.resourceType === 'Patient').shoeSize = 9;
    const res = await book(body);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.favouriteColour, undefined);
  });

  it('a booking must not start in the past', async () => {
    const { addSlots } = await import('../../src/capacity/catalogue.js');
    const start = Date.now() - 2 * 3_600_000;
    const slot = {
      id: 'old-1',
      identifier: randomUUID(),
      scheduleId: 'S1',
      start: new Date(start).toISOString(),
      end: new Date(start + 900_000).toISOString(),
      status: 'free' as const,
      deliveryChannel: null,
    };
    await addSlots(p.store, 'test-ed', [slot]);
    const res = await book(bookingFor(slot));
    assert.equal(res.status, 422);
    assert.match(res.json.issue[0].diagnostics, /past/);
  });

  it('XML: a booking can be sent and answered in XML', async () => {
    const { resourceToXml } = await import('../../src/fhir/xml.js');
    const res = await call(p.root(), '/Appointment', {
      method: 'POST',
      text: resourceToXml(bookingFor(p.catalogue.s1[14])),
      contentType: 'application/fhir+xml',
      accept: 'application/fhir+xml',
    });
    assert.equal(res.status, 201, res.text);
    assert.match(res.headers.get('content-type')!, /^application\/fhir\+xml; charset=utf-8/);
    assert.match(res.text, /<Appointment xmlns="http:\/\/hl7.org\/fhir">/);
  });
});
