/** Read, version-read, a patient's appointments, and cancel: READ-1, READ-2, P31, API-6. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call } from '../helpers/consumer.js';
import { OTHER_TENANT, bookingFor, startTestProvider, type TestProvider } from '../helpers/provider.js';

let p: TestProvider;
before(async () => {
  p = await startTestProvider();
});
after(() => p.close());

async function booked(index: number) {
  const res = await call(p.root(), '/Appointment', { method: 'POST', body: bookingFor(p.catalogue.s1[index]) });
  assert.equal(res.status, 201, res.text);
  return res.json;
}
const put = (id: string, body: unknown, ifMatch?: string) =>
  call(p.root(), `/Appointment/${id}`, {
    method: 'PUT',
    body,
    headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
  });
const cancelled = (appt: any) => ({ ...appt, status: 'cancelled' });

describe('read an appointment', () => {
  it('READ-1 reads the appointment with its ETag; an unknown id is a 404 OperationOutcome', async () => {
    const appt = await booked(0);
    const res = await call(p.root(), `/Appointment/${appt.id}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('etag'), 'W/"1"');
    assert.equal(res.json.id, appt.id);
    const missing = await call(p.root(), '/Appointment/00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.resourceType, 'OperationOutcome');
    assert.equal(missing.json.issue[0].code, 'not-found');
  });

  it("tenancy: an appointment is not visible through another tenant's service root", async () => {
    const appt = await booked(1);
    const res = await call(p.root(OTHER_TENANT), `/Appointment/${appt.id}`);
    assert.equal(res.status, 404);
  });
});

describe('cancel an appointment', () => {
  it('P31 cancels with If-Match: 200, new version, ETag, Last-Modified, Location; slot freed; all versions stay readable', async () => {
    const appt = await booked(2);
    const res = await put(appt.id, cancelled(appt), 'W/"1"');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'cancelled');
    assert.equal(res.json.meta.versionId, '2');
    assert.equal(res.headers.get('etag'), 'W/"2"');
    assert.ok(res.headers.get('last-modified'));
    assert.equal(res.headers.get('location'), `${p.root()}/Appointment/${appt.id}/_history/2`);

    const v1 = await call(p.root(), `/Appointment/${appt.id}/_history/1`);
    assert.equal(v1.status, 200);
    assert.equal(v1.json.status, 'booked');
    const v2 = await call(p.root(), `/Appointment/${appt.id}/_history/2`);
    assert.equal(v2.json.status, 'cancelled');
    const v3 = await call(p.root(), `/Appointment/${appt.id}/_history/3`);
    assert.equal(v3.status, 404);

    const slot = await p.store.db
      .selectFrom('slot')
      .selectAll()
      .where('tenant_id', '=', 'test-ed')
      .where('id', '=', p.catalogue.s1[2].id)
      .executeTakeFirstOrThrow();
    assert.equal(slot.status, 'free');
    assert.equal(slot.appointment_id, null);
    const rebook = await call(p.root(), '/Appointment', { method: 'POST', body: bookingFor(p.catalogue.s1[2]) });
    assert.equal(rebook.status, 201, 'the freed slot can be booked again');
  });

  it('API-6 P31 no If-Match is a 412; a stale one a 409', async () => {
    const appt = await booked(3);
    const none = await put(appt.id, cancelled(appt));
    assert.equal(none.status, 412);
    assert.equal(none.json.resourceType, 'OperationOutcome');
    const stale = await put(appt.id, cancelled(appt), 'W/"7"');
    assert.equal(stale.status, 409);
    assert.equal(stale.json.resourceType, 'OperationOutcome');
    assert.equal((await call(p.root(), `/Appointment/${appt.id}`)).json.status, 'booked');
  });

  it('P31 a change to anything but status is a 422 naming each changed element', async () => {
    const appt = await booked(4);
    const body = cancelled(appt);
    body.description = 'Something else';
    body.end = new Date(Date.parse(appt.end) + 60_000).toISOString();
    const res = await put(appt.id, body, 'W/"1"');
    assert.equal(res.status, 422);
    const paths = res.json.issue.flatMap((i: any) => i.expression);
    assert.deepEqual(paths.sort(), ['Appointment.description', 'Appointment.end']);
    // The same instant written with another offset is not a change.
    const sameInstant = cancelled(appt);
    sameInstant.start = appt.start.replace('.000Z', '+00:00');
    const ok = await put(appt.id, sameInstant, 'W/"1"');
    assert.equal(ok.status, 200, ok.text);
  });

  it('ABUS.21 an already cancelled appointment cannot be cancelled again; only "cancelled" is accepted', async () => {
    const appt = await booked(5);
    const arrived = await put(appt.id, { ...appt, status: 'arrived' }, 'W/"1"');
    assert.equal(arrived.status, 422);
    const first = await put(appt.id, cancelled(appt), 'W/"1"');
    assert.equal(first.status, 200);
    const again = await put(appt.id, { ...first.json }, 'W/"2"');
    assert.equal(again.status, 422);
    assert.match(again.json.issue[0].diagnostics, /already cancelled/);
  });

  it('P31 the body must be the appointment at this URL; an unknown id is a 404', async () => {
    const appt = await booked(6);
    const wrongId = await put(appt.id, { ...cancelled(appt), id: 'someone-else' }, 'W/"1"');
    assert.equal(wrongId.status, 400);
    const unknown = await put('nope', { ...cancelled(appt), id: 'nope' }, 'W/"1"');
    assert.equal(unknown.status, 404);
  });

  it('concurrent cancels of one version: one succeeds, the others get 409', async () => {
    const appt = await booked(7);
    const results = await Promise.all(Array.from({ length: 5 }, () => put(appt.id, cancelled(appt), 'W/"1"')));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 409, 409, 409, 409]);
  });
});

describe("search a patient's appointments", () => {
  it("READ-2 finds the patient's future appointments by NHS number, in every spelling", async () => {
    const a = await booked(8);
    const nhs = 'https://fhir.nhs.uk/Id/nhs-number|1234554321';
    for (const param of ['patient.identifier', 'Appointment.participant.actor:Patient.identifier', 'identifier']) {
      const res = await call(p.root(), `/Appointment?${param}=${encodeURIComponent(nhs)}`);
      assert.equal(res.status, 200, param);
      assert.equal(res.json.type, 'searchset');
      assert.ok(
        res.json.entry.some((e: any) => e.resource.id === a.id),
        param,
      );
      assert.equal(res.json.link.length, 1, 'no paging');
    }
    const other = await call(
      p.root(),
      `/Appointment?patient.identifier=${encodeURIComponent('https://fhir.nhs.uk/Id/nhs-number|9434765919')}`,
    );
    assert.equal(other.json.total, 0);
  });

  it('ABUS.20 statuses are shown and a date window may reach into the past', async () => {
    const res = await call(p.root(), `/Appointment?patient.identifier=1234554321&status=cancelled`);
    assert.ok(res.json.total >= 1);
    assert.ok(res.json.entry.every((e: any) => e.resource.status === 'cancelled'));
    const past = await call(p.root(), `/Appointment?patient.identifier=1234554321&date=lt2000-01-01`);
    assert.equal(past.json.total, 0);
  });

  it('READ-2 a search without a patient is a 400', async () => {
    const res = await call(p.root(), '/Appointment?status=booked');
    assert.equal(res.status, 400);
    assert.equal(res.json.resourceType, 'OperationOutcome');
  });
});
