/** The generated STU3 model (scripts/generate-stu3-model.ts → src/fhir/stu3-model.json) and its loader. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { elementOf, isResourceType, typeDef, typeNames, type ModelElement } from '../../src/fhir/model.js';

const names = (type: string) => typeDef(type)!.elements.map((e) => e.name);
const el = (type: string, name: string) => {
  const found = elementOf(type, name);
  assert.ok(found, `${type}.${name} is in the model`);
  return found;
};
const RESOURCE_ELEMENTS = ['id', 'meta', 'implicitRules', 'language'];
const DOMAIN_ELEMENTS = [...RESOURCE_ELEMENTS, 'text', 'contained', 'extension', 'modifierExtension'];

describe('STU3 model', () => {
  it('flattens inherited elements in FHIR order: Resource → DomainResource → own, Element → BackboneElement → own', () => {
    assert.deepEqual(names('Resource'), RESOURCE_ELEMENTS);
    assert.deepEqual(names('DomainResource'), DOMAIN_ELEMENTS);
    assert.deepEqual(names('Element'), ['id', 'extension']);
    assert.deepEqual(names('BackboneElement'), ['id', 'extension', 'modifierExtension']);
    assert.deepEqual(names('Slot'), [
      ...DOMAIN_ELEMENTS,
      'identifier',
      'serviceCategory',
      'serviceType',
      'specialty',
      'appointmentType',
      'schedule',
      'status',
      'start',
      'end',
      'overbooked',
      'comment',
    ]);
    assert.deepEqual(names('AppointmentParticipant'), [
      'id',
      'extension',
      'modifierExtension',
      'type',
      'actor',
      'required',
      'status',
    ]);
    assert.deepEqual(
      names('Parameters'),
      [...RESOURCE_ELEMENTS, 'parameter'],
      'Parameters is a Resource, not a DomainResource',
    );
    assert.deepEqual(
      names('Age').slice(0, 7),
      ['id', 'extension', 'value', 'comparator', 'unit', 'system', 'code'],
      'Age extends Quantity',
    );
    assert.equal(el('Slot', 'id').type, 'id', 'Resource.id is an id');
    assert.equal(el('AppointmentParticipant', 'id').type, 'string', 'Element.id is a string');
  });

  it('records arrays, required elements and kinds as STU3 has them', () => {
    assert.deepEqual(
      { ...el('Slot', 'schedule') },
      { name: 'schedule', type: 'Reference', array: false, required: true, kind: 'complex' },
    );
    assert.deepEqual(
      { ...el('Slot', 'start') },
      { name: 'start', type: 'instant', array: false, required: true, kind: 'primitive', jsonType: 'string' },
    );
    assert.equal(el('Appointment', 'participant').required, true);
    assert.equal(el('Appointment', 'participant').type, 'AppointmentParticipant');
    assert.equal(el('AppointmentParticipant', 'status').required, true);
    assert.equal(el('Meta', 'profile').array, true);
    assert.equal(el('HumanName', 'given').array, true);
    assert.equal(el('Appointment', 'indication').array, true, '`Reference | Reference[]` in the d.ts is 0..*');
    assert.equal(el('Extension', 'url').required, true);
    assert.equal(el('Narrative', 'div').kind, 'xhtml');
    assert.equal(el('Narrative', 'div').type, 'xhtml');
    for (const [type, name, array] of [
      ['DomainResource', 'contained', true],
      ['Appointment', 'contained', true],
      ['BundleEntry', 'resource', false],
      ['BundleEntryResponse', 'outcome', false],
      ['ParametersParameter', 'resource', false],
    ] as const) {
      assert.deepEqual(
        [el(type, name).kind, el(type, name).type, el(type, name).array],
        ['resource', 'Resource', array],
        `${type}.${name}`,
      );
    }
  });

  it('keeps the STU3-only elements (Appointment.reason, Appointment.incomingReferral, DocumentReference.indexed)', () => {
    assert.deepEqual([el('Appointment', 'reason').type, el('Appointment', 'reason').array], ['CodeableConcept', true]);
    assert.deepEqual(
      [el('Appointment', 'incomingReferral').type, el('Appointment', 'incomingReferral').array],
      ['Reference', true],
    );
    assert.deepEqual(
      [el('DocumentReference', 'indexed').type, el('DocumentReference', 'indexed').required],
      ['instant', true],
    );
    assert.equal(elementOf('Appointment', 'basedOn'), undefined, 'no R4 elements');
    assert.equal(elementOf('Appointment', 'reasonCode'), undefined, 'no R4 elements');
  });

  it('lists choice elements under their JSON names with their own types, and no `_x` siblings', () => {
    assert.deepEqual(
      { ...el('Extension', 'valueString') },
      {
        name: 'valueString',
        type: 'string',
        array: false,
        required: false,
        kind: 'primitive',
        jsonType: 'string',
        choice: 'value',
      },
    );
    assert.deepEqual(
      [el('Extension', 'valueCodeableConcept').kind, el('Extension', 'valueCodeableConcept').type],
      ['complex', 'CodeableConcept'],
    );
    assert.deepEqual(
      [
        el('Extension', 'valueDateTime').type,
        el('Extension', 'valuePositiveInt').type,
        el('Extension', 'valuePositiveInt').jsonType,
      ],
      ['dateTime', 'positiveInt', 'number'],
    );
    assert.deepEqual(
      [
        el('Extension', 'valueBase64Binary').type,
        el('Extension', 'valueUnsignedInt').type,
        el('Extension', 'valueBoolean').jsonType,
      ],
      ['base64Binary', 'unsignedInt', 'boolean'],
    );
    assert.equal(elementOf('Extension', 'value'), undefined);
    assert.equal(el('Observation', 'effectiveDateTime').type, 'dateTime');
    assert.equal(el('Observation', 'effectivePeriod').type, 'Period');
    assert.equal(el('Observation', 'effectivePeriod').choice, 'effective');
    assert.equal(el('Patient', 'deceasedBoolean').jsonType, 'boolean');
    assert.equal(el('Patient', 'multipleBirthInteger').type, 'integer');
    // Two elements that only look like a choice.
    assert.equal(el('Procedure', 'reasonCode').choice, undefined);
    assert.equal(el('Procedure', 'reasonReference').choice, undefined);
    for (const name of typeNames()) {
      for (const e of typeDef(name)!.elements)
        assert.ok(!e.name.startsWith('_') && e.name !== 'resourceType', `${name}.${e.name}`);
    }
  });

  it('has the primitive types validation relies on (the hand table)', () => {
    const expected: Record<string, string> = {
      'Appointment.start': 'instant',
      'Appointment.end': 'instant',
      'Slot.start': 'instant',
      'Slot.end': 'instant',
      'Period.start': 'dateTime',
      'Period.end': 'dateTime',
      'Appointment.created': 'dateTime',
      'DocumentReference.created': 'dateTime',
      'Patient.birthDate': 'date',
      'Practitioner.birthDate': 'date',
      'DocumentReference.indexed': 'instant',
      'Meta.lastUpdated': 'instant',
      'CapabilityStatement.date': 'dateTime',
      'Observation.issued': 'instant',
      'DiagnosticReport.issued': 'instant',
      'Appointment.id': 'id',
      'Meta.versionId': 'id',
      'Appointment.status': 'code',
      'AppointmentParticipant.status': 'code',
      'Slot.status': 'code',
      'Patient.gender': 'code',
      'Identifier.use': 'code',
      'ContactPoint.use': 'code',
      'Address.use': 'code',
      'HumanName.use': 'code',
      'Resource.language': 'code',
      'ContactPoint.rank': 'positiveInt',
      'Bundle.total': 'unsignedInt',
      'Appointment.priority': 'unsignedInt',
      'Appointment.minutesDuration': 'positiveInt',
      'Identifier.system': 'uri',
      'Coding.system': 'uri',
      'Meta.profile': 'uri',
      'Extension.url': 'uri',
      'Attachment.size': 'unsignedInt',
      'BundleEntrySearch.score': 'decimal',
      'Schedule.active': 'boolean',
      'BundleEntryResponse.status': 'string',
    };
    for (const [path, type] of Object.entries(expected)) {
      const [t, n] = path.split('.');
      assert.equal(el(t, n).type, type, path);
    }
  });

  it("agrees with the STU3 definitions (fhirpath's STU3 model): arrays exactly, primitive types exactly or looser", () => {
    const require = createRequire(import.meta.url);
    const stu3 = require('fhirpath/fhir-context/stu3') as {
      path2Type: Record<string, string>;
      path2Repeating: Record<string, boolean>;
      pathsDefinedElsewhere: Record<string, string>;
    };
    const resolve = (p: string) => stu3.pathsDefinedElsewhere[p] ?? p;
    // The FHIR path of every type: a datatype or resource is its own; a backbone element is where it is first used.
    const pathOf = new Map<string, string>();
    const visit = (type: string, path: string) => {
      for (const e of typeDef(type)!.elements) {
        const child = resolve(`${path}.${e.name}`);
        if (e.kind === 'complex' && typeDef(e.type)!.base === 'BackboneElement' && !pathOf.has(e.type)) {
          pathOf.set(e.type, child);
          visit(e.type, child);
        }
      }
    };
    for (const name of typeNames()) if (typeDef(name)!.base !== 'BackboneElement') pathOf.set(name, name);
    for (const name of typeNames()) if (typeDef(name)!.base !== 'BackboneElement') visit(name, name);
    // Looser than STU3 but never refusing an STU3 value: the generic type of the JSON type, or dateTime for date/instant.
    const looser = (mine: string, theirs: string) =>
      mine === 'string' || mine === 'decimal' || (mine === 'dateTime' && (theirs === 'date' || theirs === 'instant'));
    const primitives = new Set([
      'base64Binary',
      'boolean',
      'code',
      'date',
      'dateTime',
      'decimal',
      'id',
      'instant',
      'integer',
      'markdown',
      'oid',
      'positiveInt',
      'string',
      'time',
      'unsignedInt',
      'uri',
      'uuid',
    ]);
    // The types Booking Standard traffic is made of: every primitive type exact.
    const booking =
      /^(Appointment|Slot|Schedule|Patient|Practitioner|PractitionerRole|Organization|Location|HealthcareService|DocumentReference|Bundle|OperationOutcome|Parameters)[A-Z]?|^(Element|BackboneElement|Resource|DomainResource|Extension|Meta|Narrative|Identifier|HumanName|ContactPoint|Address|Coding|CodeableConcept|Reference|Period|Attachment)$/;
    const problems: string[] = [];
    let exact = 0;
    let primitivesSeen = 0;
    let checked = 0;
    for (const name of typeNames()) {
      const path = pathOf.get(name);
      assert.ok(path, `${name} has a FHIR path`);
      for (const e of typeDef(name)!.elements as ModelElement[]) {
        // Declared by the type itself or the nearest ancestor (Appointment → DomainResource → Resource).
        const owners: string[] = [];
        for (let t: string | undefined = name; t; t = typeDef(t)!.base) owners.push(t);
        const declared = owners
          .map((owner) => resolve(`${owner === name ? path : owner}.${e.name}`))
          .find((p) => stu3.path2Type[p] !== undefined);
        let theirs: string | undefined;
        let repeats: boolean;
        if (e.choice !== undefined) {
          const suffix = e.name.slice(e.choice.length);
          theirs = primitives.has(suffix[0].toLowerCase() + suffix.slice(1))
            ? suffix[0].toLowerCase() + suffix.slice(1)
            : suffix;
          repeats = false;
        } else {
          assert.ok(declared, `${name}.${e.name} (${path}) is an STU3 element`);
          theirs = stu3.path2Type[declared];
          repeats = stu3.path2Repeating[declared] === true;
        }
        checked++;
        // ImplementationGuide.page.page is 0..*; fhirpath's table reads it from ImplementationGuide.page (0..1).
        if (e.array !== repeats && `${name}.${e.name}` !== 'ImplementationGuidePage.page')
          problems.push(`${name}.${e.name}: array ${e.array}, STU3 ${repeats}`);
        if (e.kind === 'primitive') {
          primitivesSeen++;
          if (e.type === theirs) exact++;
          else if (!looser(e.type, theirs) || booking.test(name))
            problems.push(`${name}.${e.name}: ${e.type}, STU3 ${theirs}`);
        } else if (e.kind === 'complex' && !['BackboneElement', 'Element'].includes(theirs) && theirs !== e.type) {
          problems.push(`${name}.${e.name}: ${e.type}, STU3 ${theirs}`);
        } else if (e.kind === 'resource' && theirs !== 'Resource')
          problems.push(`${name}.${e.name}: Resource, STU3 ${theirs}`);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(checked > 6000, `${checked} elements checked`);
    assert.ok(exact > 2000, `${exact} of ${primitivesSeen} primitive types exact`);
  });

  it('knows resource types; the loader answers unknown names with undefined', () => {
    assert.equal(isResourceType('Appointment'), true);
    assert.equal(isResourceType('Bundle'), true);
    assert.equal(isResourceType('Parameters'), true);
    assert.equal(isResourceType('ReferralRequest'), true, 'STU3');
    assert.equal(isResourceType('ServiceRequest'), false, 'R4 only');
    for (const name of [
      'Resource',
      'DomainResource',
      'Narrative',
      'AppointmentParticipant',
      '__proto__',
      'constructor',
      'toString',
      '',
      42,
      undefined,
    ]) {
      assert.equal(isResourceType(name), false, String(name));
    }
    assert.equal(typeDef('__proto__'), undefined);
    assert.equal(elementOf('Appointment', '__proto__'), undefined);
    assert.equal(elementOf('Appointment', 'hasOwnProperty'), undefined);
    assert.equal(elementOf('Nothing', 'id'), undefined);
    assert.equal(typeNames().length, 490);
    assert.equal(typeNames().filter((n) => isResourceType(n)).length, 117);
  });

  it('the checked-in stu3-model.json is what the generator writes from r3.d.ts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stu3-model-'));
    try {
      const out = join(dir, 'model.json');
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/generate-stu3-model.ts', out], {
        cwd: new URL('../../', import.meta.url),
        stdio: 'pipe',
      });
      const checkedIn = readFileSync(new URL('../../src/fhir/stu3-model.json', import.meta.url), 'utf8');
      assert.ok(readFileSync(out, 'utf8') === checkedIn, 'run `npm run generate:model` and check in the result');
      assert.equal(checkedIn.split('\n').length, 490 + 3, 'one line per type');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
