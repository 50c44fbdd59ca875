/** Slot search: P10–P14, P19, P23, SLOT-1 … SLOT-5, API-8 (unknown parameters) and docs/decisions.md. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call } from '../helpers/consumer.js';
import {
  OTHER_TENANT,
  SECOND_SERVICE,
  SERVICE,
  startTestProvider,
  tomorrowAt,
  type TestProvider,
} from '../helpers/provider.js';

let p: TestProvider;
before(async () => {
  p = await startTestProvider();
});
after(() => p.close());

const resources = (bundle: any, type?: string) =>
  (bundle.entry ?? []).map((e: any) => e.resource).filter((r: any) => !type || r.resourceType === type);
const day = () => new Date(tomorrowAt(0)).toISOString().slice(0, 10);

describe('slot search', () => {
  it('P11 P14 SLOT-5 returns, without any patient, a searchset of profiled slots with schedule, start, end and status', async () => {
    const res = await call(p.root(), `/Slot?service=${SERVICE}&status=free`);
    assert.equal(res.status, 200);
    assert.equal(res.json.resourceType, 'Bundle');
    assert.equal(res.json.type, 'searchset');
    const slots = resources(res.json, 'Slot');
    assert.equal(slots.length, 24, 'S1 (16) and S2 (8), which is mapped to the service too');
    assert.equal(res.json.total, 24);
    for (const slot of slots) {
      assert.deepEqual(slot.meta.profile, ['https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Slot-1']);
      assert.match(slot.schedule.reference, /^Schedule\/S[12]$/);
      assert.ok(slot.start && slot.end);
      assert.equal(slot.status, 'free');
      assert.equal(slot.identifier[0].system, 'https://tools.ietf.org/html/rfc4122');
    }
    const fullUrls = res.json.entry.map((e: any) => e.fullUrl);
    assert.ok(fullUrls.every((u: string) => u.startsWith(`${p.root()}/Slot/`)));
    assert.equal(res.json.link[0].url, `${p.root()}/Slot?service=${SERVICE}&status=free`);
  });

  it('P10 SLOT-2 fs_slotmanagement filters by the service: a schedule mapped to two services serves both', async () => {
    const second = resources((await call(p.root(), `/Slot?service=${SECOND_SERVICE}`)).json, 'Slot');
    assert.deepEqual(new Set(second.map((s: any) => s.schedule.reference)), new Set(['Schedule/S2']));
    const both = resources((await call(p.root(), `/Slot?service=${SECOND_SERVICE},${SERVICE}`)).json, 'Slot');
    assert.equal(both.length, 24);
  });

  it('docs/decisions.md: schedule.actor:healthcareservice means the same as service, and system|value tokens work', async () => {
    const a = await call(p.root(), `/Slot?schedule.actor:healthcareservice=${SERVICE}`);
    const b = await call(p.root(), `/Slot?service=https://fhir.nhs.uk/Id/dos-service-id|${SERVICE}`);
    assert.equal(resources(a.json, 'Slot').length, 24);
    assert.equal(resources(b.json, 'Slot').length, 24);
  });

  it('docs/decisions.md: service and schedule.actor:healthcareservice that disagree are a 400', async () => {
    const res = await call(p.root(), `/Slot?service=${SERVICE}&schedule.actor:healthcareservice=${SECOND_SERVICE}`);
    assert.equal(res.status, 400);
    assert.equal(res.json.resourceType, 'OperationOutcome');
    assert.match(res.json.issue[0].diagnostics, /must agree/);
  });

  it('docs/decisions.md: an unknown service is an empty searchset with an information outcome naming it', async () => {
    const res = await call(p.root(), '/Slot?service=999999');
    assert.equal(res.status, 200);
    assert.equal(resources(res.json, 'Slot').length, 0);
    const outcome = resources(res.json, 'OperationOutcome')[0];
    assert.equal(outcome.issue[0].severity, 'information');
    assert.match(outcome.issue[0].diagnostics, /999999/);
  });

  it('SLOT-1 no matching slots gives an empty searchset with no other resources', async () => {
    const res = await call(p.root(), `/Slot?service=${SERVICE}&start=ge2099-01-01&_include=Slot:schedule`);
    assert.equal(res.status, 200);
    assert.equal(res.json.total, 0);
    assert.equal(res.json.entry, undefined);
  });

  it('P23 start with ge/le/gt/lt/eq and any UTC offset returns only slots inside the window', async () => {
    const t10 = tomorrowAt(10);
    const iso = (ms: number) => new Date(ms).toISOString();
    const window = resources(
      (await call(p.root(), `/Slot?service=${SERVICE}&start=ge${iso(t10 + 3_600_000)}&start=lt${iso(t10 + 7_200_000)}`))
        .json,
      'Slot',
    );
    assert.equal(window.length, 4);
    assert.ok(
      window.every((s: any) => Date.parse(s.start) >= t10 + 3_600_000 && Date.parse(s.start) < t10 + 7_200_000),
    );

    // 12:00+01:00 is 11:00Z; `+` sent unencoded arrives as a space and still means +.
    const offsetText = `${day()}T12:00:00+01:00`;
    const encoded = resources(
      (await call(p.root(), `/Slot?service=${SERVICE}&start=le${encodeURIComponent(offsetText)}`)).json,
      'Slot',
    );
    const unencoded = resources((await call(p.root(), `/Slot?service=${SERVICE}&start=le${offsetText}`)).json, 'Slot');
    assert.equal(encoded.length, 5, '10:00, 10:15, 10:30, 10:45, 11:00');
    assert.deepEqual(
      unencoded.map((s: any) => s.id),
      encoded.map((s: any) => s.id),
    );

    const gt = resources(
      (await call(p.root(), `/Slot?service=${SERVICE}&start=gt${iso(t10 + 3 * 900_000)}`)).json,
      'Slot',
    );
    assert.ok(gt.every((s: any) => Date.parse(s.start) > t10 + 3 * 900_000));
    const eq = resources((await call(p.root(), `/Slot?service=${SERVICE}&start=eq${iso(t10 + 900_000)}`)).json, 'Slot');
    assert.deepEqual(
      eq.map((s: any) => s.id),
      ['s1-001'],
    );
    const wholeDay = resources((await call(p.root(), `/Slot?service=${SERVICE}&start=eq${day()}`)).json, 'Slot');
    assert.equal(wholeDay.length, 24);
  });

  it('status takes a comma list and filters (servers support every status)', async () => {
    const none = resources((await call(p.root(), `/Slot?service=${SERVICE}&status=busy`)).json, 'Slot');
    assert.equal(none.length, 0);
    const all = resources((await call(p.root(), `/Slot?service=${SERVICE}&status=busy,free`)).json, 'Slot');
    assert.equal(all.length, 24);
  });

  it('API-8 unknown parameters are ignored; malformed known ones are a 400 with an OperationOutcome', async () => {
    const ignored = await call(p.root(), `/Slot?service=${SERVICE}&colour=blue&_sort=start`);
    assert.equal(ignored.status, 200);
    for (const bad of ['start=ge2019-13-45', 'start=xx2019-01-01', 'status=maybe', '_count=-1', 'start:missing=true']) {
      const res = await call(p.root(), `/Slot?service=${SERVICE}&${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(res.json.resourceType, 'OperationOutcome', bad);
      assert.equal(res.json.issue[0].severity, 'error');
      assert.ok(res.json.issue[0].diagnostics.length > 10);
    }
  });

  it('P12 P13 P19 SLOT-3 includes every related resource once, in every spelling the sources use', async () => {
    const includes = [
      '_include=Slot:schedule',
      '_include:iterate=Schedule:actor:Practitioner',
      '_include:iterate=Schedule:actor:PractitionerRole',
      '_include:iterate=Schedule:actor:HealthcareService',
      '_include:iterate=HealthcareService:location',
      '_include:iterate=HealthcareService:providedBy',
    ].join('&');
    const res = await call(p.root(), `/Slot?service=${SERVICE}&${includes}`);
    const types = resources(res.json).map((r: any) => `${r.resourceType}/${r.id}`);
    for (const expected of [
      'Schedule/S1',
      'Schedule/S2',
      `HealthcareService/${SERVICE}`,
      `HealthcareService/${SECOND_SERVICE}`,
      'Practitioner/PR1',
      'PractitionerRole/ROLE1',
      'Location/LOC1',
      'Organization/RT1',
    ]) {
      assert.equal(types.filter((t: string) => t === expected).length, 1, `${expected} exactly once`);
    }
    for (const schedule of resources(res.json, 'Schedule')) {
      assert.ok(
        schedule.actor.some((a: any) => a.reference.startsWith('HealthcareService/')),
        'P13 HealthcareService actor',
      );
    }
    const modes = res.json.entry.filter((e: any) => e.resource.resourceType !== 'Slot').map((e: any) => e.search.mode);
    assert.ok(modes.every((m: string) => m === 'include'));

    for (const [spelling, type] of [
      ['HealthcareService.location', 'Location'],
      ['HealthcareService:Location', 'Location'],
      ['HealthcareService:Organization', 'Organization'],
      ['HealthcareService.providedBy', 'Organization'],
    ]) {
      const r = await call(p.root(), `/Slot?service=${SERVICE}&_include=${spelling}`);
      assert.equal(resources(r.json, type).length, 1, spelling);
    }
  });

  it('P19 resources are included only when asked, and an unsupported include is not an error', async () => {
    const res = await call(p.root(), `/Slot?service=${SERVICE}&_include=Slot:schedule&_include=Slot:whatever`);
    assert.equal(res.status, 200);
    assert.deepEqual([...new Set(resources(res.json).map((r: any) => r.resourceType))].sort(), ['Schedule', 'Slot']);
  });

  it('SLOT-4 sends the delivery channel when known and never invents one', async () => {
    const slots = resources((await call(p.root(), `/Slot?service=${SERVICE}`)).json, 'Slot');
    const s1 = slots.find((s: any) => s.schedule.reference === 'Schedule/S1');
    const s2 = slots.find((s: any) => s.schedule.reference === 'Schedule/S2');
    assert.deepEqual(s1.extension, [
      {
        url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2',
        valueCode: 'In-person',
      },
    ]);
    assert.equal(s2.extension, undefined);
  });

  it("tenancy: one tenant never sees another tenant's slots", async () => {
    const ours = resources((await call(p.root(), '/Slot')).json, 'Slot');
    assert.ok(ours.every((s: any) => !s.id.startsWith('t1-')));
    const theirs = resources((await call(p.root(OTHER_TENANT), '/Slot')).json, 'Slot');
    assert.deepEqual(
      theirs.map((s: any) => s.id),
      ['t1-000', 't1-001', 't1-002', 't1-003'],
    );
    const cross = await call(p.root(OTHER_TENANT), `/Slot?service=${SERVICE}`);
    assert.equal(resources(cross.json, 'Slot').length, 0);
  });

  it('slots that have already started are not offered (they cannot be booked)', async () => {
    const { addSlots } = await import('../../src/capacity/catalogue.js');
    const past = Date.now() - 3_600_000;
    await addSlots(p.store, 'test-ed', [
      {
        id: 'past-1',
        identifier: crypto.randomUUID(),
        scheduleId: 'S1',
        start: new Date(past).toISOString(),
        end: new Date(past + 900_000).toISOString(),
        status: 'free',
        deliveryChannel: null,
      },
    ]);
    const slots = resources((await call(p.root(), `/Slot?service=${SERVICE}&start=ge2000-01-01`)).json, 'Slot');
    assert.ok(!slots.some((s: any) => s.id === 'past-1'));
  });

  it('_count limits the slots returned', async () => {
    const res = await call(p.root(), `/Slot?service=${SERVICE}&_count=3`);
    assert.equal(resources(res.json, 'Slot').length, 3);
    assert.equal(resources(res.json, 'OperationOutcome')[0].issue[0].severity, 'information');
  });

  it('reads: every reference a search emits resolves', async () => {
    const res = await call(p.root(), `/Slot?service=${SERVICE}&_include=*`);
    for (const r of resources(res.json).slice(0, 30)) {
      const read = await call(p.root(), `/${r.resourceType}/${r.id}`);
      assert.equal(read.status, 200, `${r.resourceType}/${r.id}`);
      assert.equal(read.json.id, r.id);
      assert.match(read.headers.get('etag') ?? '', /^W\/"\d+"$/);
    }
    const search = await call(p.root(), '/HealthcareService');
    assert.equal(search.json.total, 2);
    const missing = await call(p.root(), '/Location/NOPE');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.resourceType, 'OperationOutcome');
  });
});
