/**
 * The provider's FHIR API under attack (issue 11; docs/security.md, "The provider's FHIR API"): bounded
 * caches, narrative that could run in someone's browser, references into another tenant, and search
 * dates at the edges of the calendar.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SCOPE, call, token } from '../helpers/consumer.js';
import {
  OTHER_TENANT,
  SERVICE,
  bookingFor,
  seedCatalogue,
  startTestProvider,
  type Catalogue,
  type TestProvider,
} from '../helpers/provider.js';
import { testStore, type TestStore } from '../helpers/store.js';
import { buildProviderServer, type ProviderServer } from '../../src/server/provider.js';
import { parseBearerTokenCached, tokenCacheStats } from '../../src/provider/auth/jwt.js';

let p: TestProvider;
before(async () => {
  p = await startTestProvider();
});
after(() => p.close());

const slots = (bundle: any) => (bundle.entry ?? []).filter((e: any) => e.resource.resourceType === 'Slot');
const book = (body: unknown, contentType?: string) =>
  call(p.root(), '/Appointment', { method: 'POST', body, scope: SCOPE.write, contentType });

describe('caches are bounded (issue 11, finding 4)', () => {
  let ts: TestStore;
  let server: ProviderServer;
  let root: string;
  let catalogue: Catalogue;
  const maxBytes = 60_000;
  before(async () => {
    ts = await testStore();
    catalogue = await seedCatalogue(ts.store);
    server = await buildProviderServer({
      store: ts.store,
      publicOrigin: 'http://placeholder',
      auditFlushMs: 5,
      slotSearch: { cacheBytes: maxBytes, cacheMs: 60_000 },
    });
    const origin = await server.app.listen({ port: 0, host: '127.0.0.1' });
    server.tenants.publicOrigin = origin;
    root = `${origin}/STU3/1/test-ed`;
  });
  after(async () => {
    await server.app.close();
    await ts.dispose();
  });

  it('junk, repeated and reordered parameters make no new slot-search cache entry; the self link names the search as read', async () => {
    const first = await call(root, `/Slot?service=${SERVICE}&status=free`);
    assert.equal(first.status, 200);
    assert.equal(server.cacheStats().slotSearch.entries, 1);
    for (let i = 0; i < 200; i++) {
      const junk = `junk${i}=${'x'.repeat(500)}&_sort${i}=start`;
      const url =
        i % 2
          ? `/Slot?${junk}&status=free&service=${SERVICE}`
          : `/Slot?service=https://fhir.nhs.uk/Id/dos-service-id|${SERVICE}&${junk}&status=free,free`;
      const res = await call(root, url);
      assert.equal(res.status, 200, res.text);
      assert.equal(slots(res.json).length, 24);
      assert.equal(res.json.link[0].url, `${root}/Slot?service=${SERVICE}&status=free`);
    }
    assert.equal(server.cacheStats().slotSearch.entries, 1, 'every one of them is the same search');
  });

  it('many distinct searches keep the slot-search cache under its byte bound', async () => {
    const start = Date.parse(catalogue.s1[0].start);
    for (let i = 0; i < 150; i++) {
      const from = new Date(start - i * 1000).toISOString();
      const res = await call(root, `/Slot?service=${SERVICE}&start=ge${from}&_include=Slot:schedule`);
      assert.equal(res.status, 200);
      const stats = server.cacheStats().slotSearch;
      assert.ok(stats.bytes <= maxBytes, `cache holds ${stats.bytes} bytes, over its bound of ${maxBytes}`);
    }
    const stats = server.cacheStats().slotSearch;
    assert.ok(stats.entries > 0 && stats.entries < 150, `${stats.entries} entries: the oldest were evicted`);
  });

  it('padded tokens keep the token-parse cache under its byte bound', () => {
    const { maxBytes: bound } = tokenCacheStats();
    const padding = 'p'.repeat(10_000);
    // 3,000 distinct valid tokens of ~14 KB each: about 40 MB of token text, over twice the bound.
    for (let i = 0; i < 3000; i++) {
      const jwt = token({ aud: root, scope: SCOPE.slotRead, claims: { padding: `${i}${padding}` } });
      parseBearerTokenCached(`Bearer ${jwt}`);
      if (i % 100 === 0) assert.ok(tokenCacheStats().bytes <= bound);
    }
    const stats = tokenCacheStats();
    assert.ok(stats.bytes <= bound, `token cache holds ${stats.bytes} bytes, over its bound of ${bound}`);
    assert.ok(stats.entries < 3000);
  });
});

describe("narrative is held to FHIR's rules (issue 11, finding 13)", () => {
  const X = 'xmlns="http://www.w3.org/1999/xhtml"';
  const withPatientNarrative = (div: string) => {
    const body = bookingFor(p.catalogue.s1[2]);
    const patient = body.contained.find((r: any) => r.resourceType === 'Patient');
    patient.text = { status: 'generated', div };
    return body;
  };
  const appointmentCount = async () =>
    Number(
      (
        await p.store.db
          .selectFrom('appointment')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  for (const [what, div, pattern] of [
    ['a <script>', `<div ${X}><p>Jo</p><script>alert(document.cookie)</script></div>`, /<script>/],
    ['an onerror attribute', `<div ${X}><img src="x" onerror="alert(1)"/></div>`, /event attribute/],
    ['an onclick attribute on the div', `<div ${X} onclick="alert(1)">Jo</div>`, /event attribute/],
    ['a javascript: URL', `<div ${X}><a href="java&#x09;script:alert(1)">Jo</a></div>`, /javascript: URL/],
    ['a second root element', `<div ${X}>Jo</div><img src="x" onerror="alert(1)"/>`, /exactly one <div>/],
    ['a form', `<div ${X}><form action="https://evil.example"><p>Jo</p></form></div>`, /<form>/],
  ] as const) {
    it(`a contained Patient's narrative holding ${what} is refused with a 422 naming the element (JSON)`, async () => {
      const before = await appointmentCount();
      const res = await book(withPatientNarrative(div));
      assert.equal(res.status, 422, res.text);
      assert.equal(res.json.resourceType, 'OperationOutcome');
      const issue = res.json.issue.find((i: any) => /text\.div/.test(i.expression?.[0] ?? ''));
      assert.ok(issue, res.text);
      assert.match(issue.expression[0], /^Appointment\.contained\[\d\]\.text\.div$/);
      assert.match(issue.diagnostics, pattern);
      assert.equal(await appointmentCount(), before, 'nothing booked');
    });
  }

  it('the same narratives sent in XML are refused too, and a second root never comes back out in XML', async () => {
    const booking = bookingFor(p.catalogue.s1[3]);
    const { resourceToXml } = await import('../../src/fhir/xml.js');
    const xml = resourceToXml(booking);
    for (const inner of [
      `<p>Jo</p><script>alert(1)</script>`,
      `<img src="x" onerror="alert(1)"/>`,
      `<a href="javascript:alert(1)">Jo</a>`,
    ]) {
      const text = `<text><status value="generated"/><div ${X}>${inner}</div></text>`;
      const body = xml.replace(/(<Patient>\s*<id value="[^"]*"\/>)/, `$1${text}`);
      assert.notEqual(body, xml, 'the narrative went in');
      const res = await call(p.root(), '/Appointment', {
        method: 'POST',
        text: body,
        contentType: 'application/fhir+xml',
        scope: SCOPE.write,
      });
      assert.equal(res.status, 422, res.text);
      assert.match(res.json.issue.map((i: any) => i.expression?.[0]).join(' '), /text\.div/);
    }
    // A narrative that broke the rules before they were enforced is written out as text, not markup.
    const written = resourceToXml({
      resourceType: 'Patient',
      text: { status: 'generated', div: '<div>Jo</div><img src="x" onerror="alert(1)"/>' },
    });
    assert.doesNotMatch(written, /<img/);
    assert.match(written, /<div xmlns="http:\/\/www.w3.org\/1999\/xhtml">&lt;div&gt;Jo&lt;\/div&gt;&lt;img/);
  });

  it('ordinary narrative (formatting, links, tables, images) is still accepted', async () => {
    const div = `<div ${X}><p>Jo <b>Bloggs</b> &amp; carer</p><a href="https://www.nhs.uk/">NHS</a><table><tr><td>1</td></tr></table></div>`;
    const res = await book(withPatientNarrative(div));
    assert.equal(res.status, 201, res.text);
    const patient = res.json.contained.find((r: any) => r.resourceType === 'Patient');
    assert.equal(patient.text.div, div);
  });
});

describe("a contained Slot's schedule must be this tenant's (issue 11, finding 14)", () => {
  const withSchedule = (index: number, reference: string) => {
    const body = bookingFor(p.catalogue.s1[index]);
    body.contained.find((r: any) => r.resourceType === 'Slot').schedule = { reference };
    return body;
  };

  it("another tenant's absolute URL, or another server's, ending in the right Schedule/{id} is a 422", async () => {
    for (const reference of [
      `${p.root(OTHER_TENANT)}/Schedule/S1`,
      'https://evil.example/STU3/1/test-ed/Schedule/S1',
      'xSchedule/S1',
      `${p.root()}/x/Schedule/S1`,
    ]) {
      const res = await book(withSchedule(5, reference));
      assert.equal(res.status, 422, `${reference}: ${res.text}`);
      assert.deepEqual(res.json.issue[0].expression, ['Slot.schedule']);
      assert.match(res.json.issue[0].diagnostics, /this service root/);
    }
  });

  it('a relative reference, or one rooted at this service root, is accepted', async () => {
    assert.equal((await book(withSchedule(6, 'Schedule/S1'))).status, 201);
    const res = await book(withSchedule(7, `${p.root()}/Schedule/S1`));
    assert.equal(res.status, 201, res.text);
  });
});

describe('search dates at the edges of the calendar (issue 11, finding 15)', () => {
  const count = async (query: string) => {
    const res = await call(p.root(), `/Slot?service=${SERVICE}&${query}`);
    assert.equal(res.status, 200, `${query}: ${res.text}`);
    return slots(res.json).length;
  };
  const all = async () => count('status=free,busy');

  it('start=le9999-12-31 (and lt, and the last instant with an offset) matches every slot, not none', async () => {
    const every = await all();
    assert.ok(every > 0);
    for (const q of [
      'start=le9999-12-31',
      'start=lt9999-12-31',
      'start=le9999',
      'start=le9999-12-31T23:59:59-05:00',
      'start=ne9999-12-31',
      'start=ge0000-01-01',
      'start=gt0000-01-01T00:00:00%2B14:00',
      'start=ne0000-01-01',
    ]) {
      assert.equal(await count(`status=free,busy&${q}`), every, q);
    }
  });

  it('start=gt9999-12-31 and start=lt0000-01-01 match nothing (not everything)', async () => {
    for (const q of ['start=gt9999-12-31', 'start=ge9999-12-31T23:59:59-05:00', 'start=lt0000-01-01', 'start=lt0050']) {
      assert.equal(await count(`status=free,busy&${q}`), 0, q);
    }
  });

  it("a patient's appointments with date=le9999-12-31 or ge0000-01-01 are found", async () => {
    const booked = await book(bookingFor(p.catalogue.s1[9]));
    assert.equal(booked.status, 201, booked.text);
    const nhs = booked.json.contained
      .find((r: any) => r.resourceType === 'Patient')
      .identifier.find((i: any) => i.system === 'https://fhir.nhs.uk/Id/nhs-number').value;
    const find = async (date: string) => {
      const res = await call(p.root(), `/Appointment?patient.identifier=${nhs}&${date}`);
      assert.equal(res.status, 200, res.text);
      return (res.json.entry ?? []).map((e: any) => e.resource.id);
    };
    for (const date of ['date=le9999-12-31', 'date=ge0000-01-01', 'date=le9999-12-31&date=ge2000', 'date=ne9999'])
      assert.ok((await find(date)).includes(booked.json.id), date);
    for (const date of ['date=gt9999-12-31', 'date=lt0000-01-01'])
      assert.ok(!(await find(date)).includes(booked.json.id), date);
  });
});
