/** STU3 XML ⇄ JSON (API-1, P9): the standard's examples round-trip exactly. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FhirFormatError, resourceToXml, xmlToResource, xmlToResourceWithIgnored } from '../../src/fhir/xml.js';
import { checkStructure } from '../../src/fhir/structure.js';

const dir = new URL('../fixtures/examples/', import.meta.url);
const example = (name: string) => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));

describe('FHIR XML', () => {
  it('API-1 every valid example round-trips JSON → XML → JSON unchanged', () => {
    let tried = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const json = example(file);
      if (file === 'book-request.json' || file === 'cancel-request.json') json.participant[0].status = 'accepted';
      if (checkStructure(json).issues.length) continue; // the looser published shapes are not STU3 JSON
      assert.deepEqual(xmlToResource(resourceToXml(json)), json, file);
      tried++;
    }
    assert.ok(tried >= 7, `round-tripped ${tried} examples`);
  });

  it('writes elements in definition order whatever the JSON key order, with value attributes', () => {
    const xml = resourceToXml({ end: '2019-01-17T15:30:00Z', status: 'free', resourceType: 'Slot', start: '2019-01-17T15:00:00Z', schedule: { reference: 'Schedule/1' }, id: 's1' });
    assert.equal(
      xml,
      '<?xml version="1.0" encoding="UTF-8"?>\n<Slot xmlns="http://hl7.org/fhir"><id value="s1"/><schedule><reference value="Schedule/1"/></schedule><status value="free"/><start value="2019-01-17T15:00:00Z"/><end value="2019-01-17T15:30:00Z"/></Slot>',
    );
  });

  it('keeps STU3-only elements, primitive extensions, element ids, extension urls and the narrative', () => {
    const appointment = {
      resourceType: 'Appointment',
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Booked &amp; <b>confirmed</b></p></div>' },
      contained: [
        { resourceType: 'DocumentReference', id: 'd', status: 'current', type: { text: 'x' }, indexed: '2018-12-20T09:43:41+11:00', content: [{ attachment: { contentType: 'text/plain' } }] },
        { resourceType: 'Patient', id: 'p', birthDate: '1974-12-25', _birthDate: { extension: [{ url: 'http://example.org/time', valueDateTime: '1974-12-25T14:35:45-05:00' }] }, name: [{ id: 'n1', given: ['A', 'B'], _given: [null, { id: 'g2' }] }] },
      ],
      extension: [{ url: 'https://example.org/ext', valueCode: 'In-person' }],
      status: 'booked',
      reason: [{ text: 'cough' }],
      incomingReferral: [{ reference: 'ReferralRequest/1' }],
      priority: 5,
      participant: [{ actor: { reference: '#p' }, status: 'accepted' }],
    };
    const xml = resourceToXml(appointment);
    assert.match(xml, /<extension url="https:\/\/example.org\/ext"><valueCode value="In-person"\/><\/extension>/);
    assert.match(xml, /<name id="n1">/);
    assert.match(xml, /<priority value="5"\/>/);
    assert.deepEqual(xmlToResource(xml), appointment);
  });

  it('reads repeating elements as arrays even when they occur once, and numbers and booleans by type', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <Bundle xmlns="http://hl7.org/fhir">
        <type value="searchset"/>
        <total value="1"/>
        <entry>
          <fullUrl value="http://x/Appointment/1"/>
          <resource>
            <Appointment xmlns="http://hl7.org/fhir">
              <id value="1"/>
              <meta><versionId value="1"/><profile value="https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Appointment-1"/></meta>
              <status value="booked"/>
              <participant>
                <actor><identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="1234554321"/></identifier></actor>
                <required value="required"/>
                <status value="accepted"/>
              </participant>
            </Appointment>
          </resource>
        </entry>
      </Bundle>`;
    const bundle = xmlToResource(xml) as any;
    assert.equal(bundle.total, 1);
    assert.ok(Array.isArray(bundle.entry));
    const appt = bundle.entry[0].resource;
    assert.deepEqual(appt.meta.profile, ['https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Appointment-1']);
    assert.ok(Array.isArray(appt.participant));
    assert.equal(appt.participant[0].actor.identifier.value, '1234554321');
    const active = xmlToResource('<Schedule xmlns="http://hl7.org/fhir"><active value="true"/><actor><reference value="HealthcareService/1"/></actor></Schedule>') as any;
    assert.equal(active.active, true);
  });

  it('drops unknown elements and reports where they were', () => {
    const { resource, ignored } = xmlToResourceWithIgnored('<Slot xmlns="http://hl7.org/fhir"><colour value="red"/><status value="free"/></Slot>');
    assert.deepEqual(resource, { resourceType: 'Slot', status: 'free' });
    assert.deepEqual(ignored, ['Slot.colour']);
  });

  it('refuses DOCTYPE and entity declarations, other namespaces, malformed XML and bad values', () => {
    const bad = [
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Slot xmlns="http://hl7.org/fhir"><comment value="&e;"/></Slot>',
      '<Slot xmlns="http://example.org/other"><status value="free"/></Slot>',
      '<Slot xmlns="http://hl7.org/fhir"><status value="free"></Slot>',
      '<Nonsense xmlns="http://hl7.org/fhir"/>',
      '<Slot xmlns="http://hl7.org/fhir"><overbooked value="yes"/></Slot>',
      '<Slot xmlns="http://hl7.org/fhir"><status value="free"/><status value="busy"/></Slot>',
    ];
    for (const xml of bad) assert.throws(() => xmlToResource(xml), FhirFormatError, xml);
  });
});
