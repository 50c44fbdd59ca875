/** STU3 XML ⇄ JSON (xml.html, json.html): the standard's examples round-trip exactly. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FhirFormatError, resourceToXml, xmlToResource, xmlToResourceWithIgnored } from '../../src/fhir/xml.js';
import { checkStructure } from '../../src/fhir/structure.js';

const examples = new URL('../fixtures/examples/', import.meta.url);
const example = (name: string) => JSON.parse(readFileSync(new URL(name, examples), 'utf8'));

/** JSON with object keys sorted at every level (arrays keep their order). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
const sameJson = (actual: unknown, expected: unknown, message?: string) =>
  assert.equal(JSON.stringify(canonical(actual)), JSON.stringify(canonical(expected)), message);

/** Asserts `fn` throws a FhirFormatError whose message matches `pattern`. */
function refuses(fn: () => unknown, pattern: RegExp, what: string) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FhirFormatError, `${what}: threw ${String(err)}`);
    assert.match(err.message, pattern, what);
    return true;
  });
}

const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n';

describe('FHIR XML', () => {
  it('every valid example round-trips JSON → XML → JSON unchanged (and XML → JSON → XML byte for byte)', () => {
    const tried: string[] = [];
    for (const file of readdirSync(examples)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const json = example(file);
      // docs/decisions.md: the booking and cancelling examples omit participant.status, which STU3 requires.
      if (file === 'book-request.json' || file === 'cancel-request.json') json.participant[0].status = 'accepted';
      if (checkStructure(json).issues.length) continue; // the looser published shapes are not STU3 JSON
      const xml = resourceToXml(json);
      const back = xmlToResource(xml);
      sameJson(back, json, file);
      assert.equal(resourceToXml(back), xml, file);
      tried.push(file);
    }
    assert.deepEqual(tried, [
      'appointment-read-response.json',
      'book-request.json',
      'cancel-request.json',
      'location.json',
      'organization.json',
      'practitioner-role.json',
      'practitioner.json',
      'slot-search-response.json',
    ]);
  });

  it('writes the XML declaration, the FHIR namespace on the root, elements in definition order whatever the JSON key order', () => {
    const xml = resourceToXml({
      end: '2019-01-17T15:30:00Z',
      status: 'free',
      resourceType: 'Slot',
      start: '2019-01-17T15:00:00Z',
      schedule: { reference: 'Schedule/1' },
      id: 's1',
      overbooked: false,
    });
    assert.equal(
      xml,
      `${PROLOG}<Slot xmlns="http://hl7.org/fhir"><id value="s1"/><schedule><reference value="Schedule/1"/></schedule><status value="free"/><start value="2019-01-17T15:00:00Z"/><end value="2019-01-17T15:30:00Z"/><overbooked value="false"/></Slot>`,
    );
  });

  it('writes Element.id and Extension.url as attributes, Resource.id as an element, contained and bundled resources wrapped', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      total: 1,
      entry: [
        {
          resource: {
            resourceType: 'Appointment',
            id: 'a1',
            contained: [{ resourceType: 'Patient', id: 'P1' }],
            extension: [{ url: 'https://example.org/ext', valueCode: 'In-person' }],
            status: 'booked',
            participant: [{ id: 'part-1', actor: { reference: '#P1' }, status: 'accepted' }],
          },
          response: {
            status: '200 OK',
            outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] },
          },
        },
      ],
    };
    const xml = resourceToXml(bundle);
    assert.equal(
      xml,
      PROLOG +
        '<Bundle xmlns="http://hl7.org/fhir"><type value="searchset"/><total value="1"/><entry><resource><Appointment><id value="a1"/>' +
        '<contained><Patient><id value="P1"/></Patient></contained>' +
        '<extension url="https://example.org/ext"><valueCode value="In-person"/></extension><status value="booked"/>' +
        '<participant id="part-1"><actor><reference value="#P1"/></actor><status value="accepted"/></participant>' +
        '</Appointment></resource>' +
        '<response><status value="200 OK"/><outcome><OperationOutcome>' +
        '<issue><severity value="information"/><code value="informational"/></issue>' +
        '</OperationOutcome></outcome></response>' +
        '</entry></Bundle>',
    );
    sameJson(xmlToResource(xml), bundle);
  });

  it('reads the search_patient_appointments XML Bundle: arrays where STU3 repeats, numbers and booleans by type', () => {
    const xml = readFileSync(new URL('../fixtures/xml/search-patient-appointments.xml', import.meta.url), 'utf8');
    const { resource, ignored } = xmlToResourceWithIgnored(xml);
    assert.deepEqual(ignored, []);
    assert.deepEqual(resource, {
      resourceType: 'Bundle',
      id: '3f9c7e1a-8a51-4c1c-9d37-6f0e2f1b2a10',
      meta: { lastUpdated: '2019-01-18T09:00:00.000Z' },
      type: 'searchset',
      total: 1,
      link: [
        {
          relation: 'self',
          url: 'https://provider.example.org/fhir/Appointment?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|1234554321',
        },
      ],
      entry: [
        {
          fullUrl: 'https://provider.example.org/fhir/Appointment/appt1',
          resource: {
            resourceType: 'Appointment',
            id: 'appt1',
            meta: {
              versionId: '2',
              profile: ['https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Appointment-1'],
            },
            language: 'en-GB',
            text: {
              status: 'generated',
              div: '<div xmlns="http://www.w3.org/1999/xhtml">Appointment for <b>Peter Chalmers</b> &amp; carer</div>',
            },
            extension: [
              {
                url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eMS-DeliveryChannel-1',
                valueCode: 'In-person',
              },
            ],
            status: 'booked',
            reason: [{ text: 'Reason for calling' }],
            priority: 0,
            description: 'Reason for calling',
            start: '2019-01-17T15:00:00.000Z',
            end: '2019-01-17T15:10:00.000Z',
            minutesDuration: 10,
            slot: [{ reference: 'Slot/slot002' }],
            created: '2019-01-17T14:32:22.579+00:00',
            incomingReferral: [{ reference: 'ReferralRequest/ref1' }],
            participant: [
              {
                id: 'p1',
                actor: {
                  identifier: { use: 'official', system: 'https://fhir.nhs.uk/Id/nhs-number', value: '1234554321' },
                  display: 'Peter Chalmers',
                },
                status: 'accepted',
              },
            ],
          },
          search: { mode: 'match', score: 1.5 },
        },
      ],
    });
    assert.deepEqual(checkStructure(resource, 'Bundle').issues, []);
    const schedule = xmlToResource(
      '<Schedule xmlns="http://hl7.org/fhir"><active value="true"/><actor><reference value="HealthcareService/1"/></actor></Schedule>',
    );
    assert.deepEqual(schedule, {
      resourceType: 'Schedule',
      active: true,
      actor: [{ reference: 'HealthcareService/1' }],
    });
  });

  it('keeps the STU3-only elements: Appointment.reason, Appointment.incomingReferral, contained DocumentReference.indexed', () => {
    const booking = example('book-request.json');
    booking.participant[0].status = 'accepted';
    booking.reason = [{ coding: [{ system: 'http://snomed.info/sct', code: '49727002', display: 'Cough' }] }];
    booking.incomingReferral = [{ reference: 'ReferralRequest/1' }];
    const xml = resourceToXml(booking);
    assert.match(
      xml,
      /<status value="booked"\/><reason><coding><system value="http:\/\/snomed.info\/sct"\/><code value="49727002"\/>/,
    );
    assert.match(
      xml,
      /<comment|<created value="[^"]+"\/><incomingReferral><reference value="ReferralRequest\/1"\/><\/incomingReferral><participant>/,
    );
    assert.match(
      xml,
      /<contained><DocumentReference><id value="123"\/>.*<indexed value="2018-12-20T09:43:41\+11:00"\/>/,
    );
    const back = xmlToResource(xml) as any;
    assert.deepEqual(back.reason, booking.reason);
    assert.deepEqual(back.incomingReferral, booking.incomingReferral);
    assert.equal(back.contained[0].indexed, '2018-12-20T09:43:41+11:00');
    sameJson(back, booking);
  });

  it('keeps primitive extensions (_birthDate, repeating _given with nulls), element ids and the XHTML narrative verbatim', () => {
    const patient = {
      resourceType: 'Patient',
      id: 'p',
      text: {
        status: 'generated',
        div: '<div xmlns="http://www.w3.org/1999/xhtml"><p class="x">Booked &amp; <b>confirmed</b> &lt;today&gt;&#160;</p><br/></div>',
      },
      name: [
        {
          id: 'n1',
          family: 'Chalmers',
          given: ['Peter', null, 'James'],
          _given: [null, { extension: [{ url: 'http://example.org/initial', valueString: 'J' }] }, { id: 'g3' }],
        },
      ],
      birthDate: '1974-12-25',
      _birthDate: {
        id: 'bd',
        extension: [
          {
            url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime',
            valueDateTime: '1974-12-25T14:35:45-05:00',
          },
        ],
      },
    };
    const xml = resourceToXml(patient);
    assert.match(
      xml,
      /<div xmlns="http:\/\/www.w3.org\/1999\/xhtml"><p class="x">Booked &amp; <b>confirmed<\/b> &lt;today&gt;&#160;<\/p><br\/><\/div>/,
    );
    assert.match(
      xml,
      /<birthDate id="bd" value="1974-12-25"><extension url="http:\/\/hl7.org\/fhir\/StructureDefinition\/patient-birthTime"><valueDateTime value="1974-12-25T14:35:45-05:00"\/><\/extension><\/birthDate>/,
    );
    assert.match(
      xml,
      /<name id="n1"><family value="Chalmers"\/><given value="Peter"\/><given><extension url="http:\/\/example.org\/initial"><valueString value="J"\/><\/extension><\/given><given id="g3" value="James"\/><\/name>/,
    );
    assert.deepEqual(xmlToResource(xml), patient);
    // A narrative div without the namespace in JSON gets it in XML.
    assert.match(
      resourceToXml({ resourceType: 'Patient', text: { status: 'generated', div: '<div>x</div>' } }),
      /<text><status value="generated"\/><div xmlns="http:\/\/www.w3.org\/1999\/xhtml">x<\/div><\/text>/,
    );
  });

  it('escapes attribute values (newlines, tabs, quotes, <, &) so strings come back exactly', () => {
    const comment = 'Line one\nline "two"\twith <tags> & \'quotes\'\r\nend';
    const xml = resourceToXml({
      resourceType: 'Slot',
      schedule: { reference: 'Schedule/1' },
      status: 'free',
      start: '2019-01-17T15:00:00Z',
      end: '2019-01-17T15:30:00Z',
      comment,
    });
    assert.match(
      xml,
      /<comment value="Line one&#10;line &quot;two&quot;&#9;with &lt;tags&gt; &amp; 'quotes'&#13;&#10;end"\/>/,
    );
    assert.equal((xmlToResource(xml) as any).comment, comment);
    // Literal line breaks in an attribute are normalised to spaces, as XML requires; references are decoded.
    const read = xmlToResource(
      '<Slot xmlns="http://hl7.org/fhir"><comment value="a\nb&#10;c&#x1F600;&apos;"/></Slot>',
    ) as any;
    assert.equal(read.comment, "a b\nc\u{1F600}'");
  });

  it('refuses DOCTYPE and entity declarations (XXE) and undeclared entities', () => {
    refuses(
      () =>
        xmlToResource(
          '<?xml version="1.0"?><!DOCTYPE Slot [<!ENTITY e SYSTEM "file:///etc/passwd">]><Slot xmlns="http://hl7.org/fhir"><comment value="&e;"/></Slot>',
        ),
      /DOCTYPE.*not allowed/,
      'DOCTYPE',
    );
    refuses(() => xmlToResource('<!doctype html><Slot xmlns="http://hl7.org/fhir"/>'), /DOCTYPE/, 'lower-case doctype');
    refuses(
      () => xmlToResource('<Slot xmlns="http://hl7.org/fhir"><comment value="&e;"/></Slot>'),
      /Slot\.comment uses the entity &e;/,
      'undeclared entity',
    );
    refuses(
      () => xmlToResource('<Slot xmlns="http://hl7.org/fhir"><comment value="a & b"/></Slot>'),
      /bare "&"/,
      'bare ampersand',
    );
    refuses(
      () => xmlToResource('<Slot xmlns="http://hl7.org/fhir"><comment value="&#0;"/></Slot>'),
      /&#0;/,
      'NUL reference',
    );
    refuses(
      () =>
        xmlToResource(
          '<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">&nbsp;</div></text></Patient>',
        ),
      /Patient\.text\.div uses the entity &nbsp;/,
      'HTML entity in the narrative',
    );
  });

  it('refuses other namespaces, malformed XML, repeated single elements and bad values, saying where', () => {
    const cases: [string, RegExp][] = [
      [
        '<Slot xmlns="http://example.org/other"><status value="free"/></Slot>',
        /namespace "http:\/\/example.org\/other"/,
      ],
      ['<Slot><status value="free"/></Slot>', /<Slot> at the root is in no namespace/],
      [
        '<Slot xmlns="http://hl7.org/fhir"><x:status xmlns:x="urn:x" value="free"/></Slot>',
        /<x:status> at Slot.status is in the namespace "urn:x"/,
      ],
      ['<f:Slot xmlns:f="http://hl7.org/fhir"><f:status value="free"/></f:Slot>', /^$/], // a prefix bound to the FHIR namespace is fine
      [
        '<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div>x</div></text></Patient>',
        /XHTML namespace/,
      ],
      ['<Slot xmlns="http://hl7.org/fhir"><status value="free"></Slot>', /not well-formed/],
      ['<Slot xmlns="http://hl7.org/fhir"/><Slot xmlns="http://hl7.org/fhir"/>', /exactly one root element/],
      ['<Nonsense xmlns="http://hl7.org/fhir"/>', /<Nonsense> at the root is not an STU3 resource type/],
      ['<Slot xmlns="http://hl7.org/fhir"><overbooked value="yes"/></Slot>', /Slot.overbooked has value "yes"/],
      [
        '<Slot xmlns="http://hl7.org/fhir"><status value="free"/><status value="busy"/></Slot>',
        /<status> appears more than once in Slot/,
      ],
      [
        '<Appointment xmlns="http://hl7.org/fhir"><participant><status value="accepted"/></participant><participant><status value="x"/><status value="y"/></participant></Appointment>',
        /appears more than once in Appointment\.participant\[1\]/,
      ],
      [
        '<Appointment xmlns="http://hl7.org/fhir"><priority value="1.5x"/></Appointment>',
        /Appointment.priority has value "1.5x", which is not a unsignedInt/,
      ],
      ['<Slot xmlns="http://hl7.org/fhir"><comment>free text</comment></Slot>', /text "free text" inside Slot.comment/],
      [
        '<Slot xmlns="http://hl7.org/fhir"><status/></Slot>',
        /<status> at Slot.status has neither a value attribute nor extensions/,
      ],
      [
        '<Appointment xmlns="http://hl7.org/fhir"><contained><Patient/><Slot/></contained></Appointment>',
        /Appointment.contained\[0\] must hold exactly one resource element \(found 2\)/,
      ],
      [
        '<Appointment xmlns="http://hl7.org/fhir"><status value="booked"/><modifierExtension url="x">' +
          '<extension url="x">'.repeat(500) +
          '</extension>'.repeat(500) +
          '</modifierExtension></Appointment>',
        /nested more than 100 deep/,
      ],
      ['<Slot xmlns="http://hl7.org/fhir"><comment value="a\u0001b"/></Slot>', /U\+0001/],
    ];
    for (const [xml, pattern] of cases) {
      if (pattern.source === '^$') {
        assert.deepEqual(xmlToResource(xml), { resourceType: 'Slot', status: 'free' });
        continue;
      }
      refuses(() => xmlToResource(xml), pattern, xml.slice(0, 120));
    }
  });

  it('drops unknown elements and attributes and reports where they were, with indexes', () => {
    const xml = `<Appointment xmlns="http://hl7.org/fhir" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://hl7.org/fhir x.xsd">
      <colour value="red"/>
      <contained><Patient><id value="P1"/></Patient></contained>
      <contained><Slot><foo value="1"><bar/></foo><status value="busy"/></Slot></contained>
      <status value="booked" note="x"/>
      <participant><actor><reference value="#P1"/><basedOn value="x"/></actor><status value="accepted"/></participant>
      <participant><status value="accepted"/><id value="not-an-element"/></participant>
    </Appointment>`;
    const { resource, ignored } = xmlToResourceWithIgnored(xml);
    assert.deepEqual(resource, {
      resourceType: 'Appointment',
      contained: [
        { resourceType: 'Patient', id: 'P1' },
        { resourceType: 'Slot', status: 'busy' },
      ],
      status: 'booked',
      participant: [{ actor: { reference: '#P1' }, status: 'accepted' }, { status: 'accepted' }],
    });
    assert.deepEqual(ignored, [
      'Appointment.colour',
      'Appointment.contained[1].foo',
      'Appointment.status@note',
      'Appointment.participant[0].actor.basedOn',
      'Appointment.participant[1].id',
    ]);
  });

  it('leaves out an element that held nothing but unknown elements (no {} in the JSON)', () => {
    const { resource, ignored } = xmlToResourceWithIgnored(
      '<Patient xmlns="http://hl7.org/fhir"><name><family value="A"/></name><name><zz value="1"/></name><address><zz value="1"/></address></Patient>',
    );
    assert.deepEqual(resource, { resourceType: 'Patient', name: [{ family: 'A' }] });
    assert.deepEqual(ignored, ['Patient.name[1].zz', 'Patient.address[0].zz']);
  });

  it('refuses to write what is not an STU3 resource', () => {
    refuses(() => resourceToXml({ resourceType: 'Nonsense' }), /not an STU3 resource/, 'unknown type');
    refuses(
      () => resourceToXml({ resourceType: 'Slot', identifier: { value: 'x' } }),
      /Slot.identifier repeats/,
      'single where an array is needed',
    );
    refuses(
      () => resourceToXml({ resourceType: 'Slot', status: { code: 'free' } }),
      /Slot.status must be a JSON string/,
      'object for a primitive',
    );
    refuses(
      () => resourceToXml({ resourceType: 'Patient', text: { status: 'generated', div: 'plain text' } }),
      /Patient.text.div must be XHTML/,
      'narrative without a div',
    );
  });

  it('serialises a 60-entry search Bundle in well under 2 ms', () => {
    const search = example('slot-search-response.json');
    const template = search.entry.find((e: any) => e.resource.resourceType === 'Slot');
    const includes = search.entry.filter((e: any) => e.resource.resourceType !== 'Slot');
    const entry = [
      ...Array.from({ length: 60 - includes.length }, (_, i) => ({
        ...template,
        fullUrl: `${template.fullUrl}-${i}`,
        resource: { ...template.resource, id: `slot-${i}` },
      })),
      ...includes,
    ];
    const bundle = { ...search, total: entry.length, entry };
    assert.equal(bundle.entry.length, 60);
    for (let i = 0; i < 200; i++) resourceToXml(bundle); // warm up
    const runs = 500;
    const started = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) resourceToXml(bundle);
    const ms = Number(process.hrtime.bigint() - started) / 1e6 / runs;
    assert.ok(ms < 2, `${ms.toFixed(3)} ms per 60-entry Bundle`);
    sameJson(xmlToResource(resourceToXml(bundle)), bundle);
  });
});
