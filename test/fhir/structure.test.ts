/** The STU3 JSON structure check that guards every request body. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkStructure, primitiveProblem, type StructureIssue } from '../../src/fhir/structure.js';

const example = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/examples/${name}`, import.meta.url), 'utf8'));
const found = (issues: StructureIssue[]) => issues.map((i) => `${i.path} ${i.kind}`).sort();
/** A minimal valid Slot, for tests that change one thing. */
const slot = (extra: Record<string, unknown> = {}) => ({
  resourceType: 'Slot',
  schedule: { reference: 'Schedule/1' },
  status: 'free',
  start: '2019-01-17T15:00:00Z',
  end: '2019-01-17T15:30:00Z',
  ...extra,
});

describe('STU3 structure check', () => {
  it('book-request.json passes with zero issues (given participant.status, which STU3 requires and the example omits)', () => {
    const body = example('book-request.json');
    const bare = checkStructure(body, 'Appointment');
    assert.deepEqual(found(bare.issues), ['Appointment.participant[0].status required']);
    body.participant[0].status = 'accepted'; // what the provider assumes (docs/decisions.md)
    const result = checkStructure(body, 'Appointment');
    assert.deepEqual(result.issues, []);
    assert.deepEqual(result.ignored, []);
    assert.deepEqual(result.resource, body, 'the copy of a valid body is the body');
  });

  it('the older, looser shape (audit-appointment-older-shape.json) is named fault by fault', () => {
    const { issues, resource } = checkStructure(example('audit-appointment-older-shape.json'), 'Appointment');
    const byPath = new Map(issues.map((i) => [i.path, i.kind]));
    assert.equal(byPath.get('Appointment.meta.profile'), 'array');
    assert.equal(byPath.get('Appointment.text'), 'type');
    assert.equal(byPath.get('Appointment.contained[0].identifier'), 'array');
    assert.equal(byPath.get('Appointment.contained[1].name[0].given'), 'array');
    assert.ok(resource, 'still an Appointment');
  });

  it('a contained Slot without its schedule is missing a required element', () => {
    const body = example('book-request.json');
    body.participant[0].status = 'accepted';
    const index = body.contained.findIndex((r: { resourceType: string }) => r.resourceType === 'Slot');
    delete body.contained[index].schedule;
    const { issues } = checkStructure(body, 'Appointment');
    assert.deepEqual(
      issues.map((i) => [i.path, i.kind]),
      [[`Appointment.contained[${index}].schedule`, 'required']],
    );
  });

  it('an instant needs seconds and a zone: 2019-01-17T15:00:00 is refused', () => {
    const body = example('book-request.json');
    body.participant[0].status = 'accepted';
    body.start = '2019-01-17T15:00:00';
    const { issues } = checkStructure(body, 'Appointment');
    assert.deepEqual(
      issues.map((i) => [i.path, i.kind]),
      [['Appointment.start', 'value']],
    );
    assert.match(issues[0].message, /instant/);
    assert.deepEqual(
      checkStructure(slot({ start: '2019-01-17T15:00Z' })).issues.map((i) => i.path),
      ['Slot.start'],
    );
    assert.deepEqual(checkStructure(slot({ start: '2019-01-17T15:00:00.123+01:00' })).issues, []);
  });

  it('checks primitive formats by STU3 type', () => {
    const cases: [string, unknown, boolean][] = [
      ['instant', '2019-01-17T15:00:00Z', true],
      ['instant', '2019-01-17T15:00:00.000+14:00', true],
      ['instant', '2019-01-17', false],
      ['instant', '2019-01-17T15:00:00+15:00', false],
      ['instant', '2019-02-30T10:00:00Z', false],
      ['instant', '2019-01-17T24:00:00Z', false],
      ['dateTime', '2019', true],
      ['dateTime', '2019-01', true],
      ['dateTime', '2019-01-17', true],
      ['dateTime', '2019-01-17T15:00:00+01:00', true],
      ['dateTime', '2019-01-17T15:00', false],
      ['dateTime', '2019-01-17T15:00:00', false],
      ['dateTime', '2019-13', false],
      ['date', '1974-12-25', true],
      ['date', '2000-02-29', true],
      ['date', '1900-02-29', false],
      ['date', '1974-02-30', false],
      ['date', '1974-12-25T00:00:00Z', false],
      ['time', '15:00:00', true],
      ['time', '15:00', false],
      ['id', 'slot-002.a', true],
      ['id', 'has space', false],
      ['id', 'x'.repeat(65), false],
      ['id', 'under_score', false],
      ['code', 'booked', true],
      ['code', 'two words', true],
      ['code', ' male', false],
      ['code', 'a  b', false],
      ['code', '', false],
      ['uri', 'https://fhir.nhs.uk/Id/nhs-number', true],
      ['uri', 'urn:oid:2.16.840.1', true],
      ['uri', 'a b', false],
      ['oid', 'urn:oid:2.16.840.1.113883', true],
      ['oid', '2.16.840', false],
      ['uuid', 'urn:uuid:6b9c59dd-675b-4026-98db-f608ef501e6e', true],
      ['uuid', 'urn:uuid:6B9C59DD-675B-4026-98DB-F608EF501E6E', false],
      ['positiveInt', 1, true],
      ['positiveInt', 0, false],
      ['positiveInt', 1.5, false],
      ['unsignedInt', 0, true],
      ['unsignedInt', -1, false],
      ['unsignedInt', 2 ** 31, false],
      ['integer', -5, true],
      ['integer', 1.5, false],
      ['decimal', 1.5, true],
      ['decimal', Number.NaN, false],
      ['boolean', true, true],
      ['boolean', 'true', false],
      ['base64Binary', 'aGVsbG8=', true],
      ['base64Binary', 'aGVsbG8', false],
      ['string', 'anything at all', true],
      ['string', '', false],
      ['string', 'nul\u0000', false],
      ['markdown', '# x', true],
    ];
    for (const [type, value, ok] of cases) {
      assert.equal(primitiveProblem(type, value) === undefined, ok, `${type} ${JSON.stringify(value)}`);
    }
    const patient = {
      resourceType: 'Patient',
      id: 'has space',
      birthDate: '1974-02-30',
      gender: ' male',
      telecom: [{ system: 'phone', value: '1', rank: 0 }],
      active: 'true',
    };
    assert.deepEqual(found(checkStructure(patient).issues), [
      'Patient.active type',
      'Patient.birthDate value',
      'Patient.gender value',
      'Patient.id value',
      'Patient.telecom[0].rank value',
    ]);
  });

  it('wrong JSON types: a string for an object, a string number, a number for a string, an array for a single value', () => {
    const { issues, resource } = checkStructure({
      resourceType: 'Appointment',
      status: 'booked',
      text: '<div>Appointment</div>',
      priority: '1',
      description: 42,
      participant: [{ actor: 'Patient/1', status: 'accepted', type: { text: 'x' } }],
      start: ['2019-01-17T15:00:00Z'],
    });
    assert.deepEqual(found(issues), [
      'Appointment.description type',
      'Appointment.participant[0].actor type',
      'Appointment.participant[0].type array',
      'Appointment.priority type',
      'Appointment.start array',
      'Appointment.text type',
    ]);
    assert.deepEqual(
      resource,
      { resourceType: 'Appointment', status: 'booked', participant: [{ status: 'accepted' }] },
      'faulty values are left out of the copy',
    );
  });

  it('STU3 forbids empty strings, empty objects, empty arrays and nulls', () => {
    const { issues } = checkStructure({
      resourceType: 'Appointment',
      status: 'booked',
      participant: [{ actor: {}, status: 'accepted' }],
      description: '',
      slot: [],
      comment: null,
      _start: {},
    });
    assert.deepEqual(found(issues), [
      'Appointment._start value',
      'Appointment.comment value',
      'Appointment.description value',
      'Appointment.participant[0].actor value',
      'Appointment.slot value',
    ]);
  });

  it('repeating primitives: a null needs its _name partner, and the arrays run in step', () => {
    const name = (n: Record<string, unknown>) => checkStructure({ resourceType: 'Patient', name: [n] });
    assert.deepEqual(
      name({ given: ['A', null], _given: [null, { extension: [{ url: 'http://x', valueString: 'B' }] }] }).issues,
      [],
    );
    assert.deepEqual(found(name({ given: ['A', null] }).issues), ['Patient.name[0].given[1] value']);
    assert.deepEqual(found(name({ given: ['A', 'B'], _given: [null] }).issues), [
      'Patient.name[0]._given array',
      'Patient.name[0]._given value',
    ]);
    assert.deepEqual(found(name({ given: 'A' }).issues), ['Patient.name[0].given array']);
    assert.deepEqual(
      checkStructure({
        resourceType: 'Patient',
        birthDate: '1974-12-25',
        _birthDate: { extension: [{ url: 'http://x', valueDateTime: '1974-12-25T14:35:45-05:00' }] },
      }).issues,
      [],
    );
  });

  it('unknown elements are dropped from the copy and listed (never issues), at any depth, without touching the input', () => {
    const body = example('book-request.json');
    body.participant[0].status = 'accepted';
    body.colour = 'red';
    body._colour = { id: 'x' };
    body.contained[1].foo = { bar: 1 };
    body.participant[0].actor.basedOn = 'x';
    body.contained[0].content[0].attachment.resourceType = 'Attachment';
    const before = JSON.stringify(body);
    const { issues, ignored, resource } = checkStructure(body, 'Appointment');
    assert.deepEqual(issues, []);
    assert.deepEqual(ignored.sort(), [
      'Appointment._colour',
      'Appointment.colour',
      'Appointment.contained[0].content[0].attachment.resourceType',
      'Appointment.contained[1].foo',
      'Appointment.participant[0].actor.basedOn',
    ]);
    assert.equal(JSON.stringify(body), before, 'input untouched');
    const copy = resource as any;
    assert.equal(copy.colour, undefined);
    assert.equal(copy._colour, undefined);
    assert.equal(copy.contained[1].foo, undefined);
    assert.equal(copy.participant[0].actor.basedOn, undefined);
    assert.equal(copy.contained[1].birthDate, body.contained[1].birthDate);
  });

  it('an element holding nothing but unknown elements is left out of the copy, not kept as {}', () => {
    const patient = checkStructure({
      resourceType: 'Patient',
      birthDate: '1974-12-25',
      _birthDate: { zz: 1 },
      address: [{ zz: 1 }],
      name: [{ family: 'A' }, { zz: 1 }],
    });
    assert.deepEqual(patient.issues, []);
    assert.deepEqual(patient.ignored, ['Patient._birthDate.zz', 'Patient.address[0].zz', 'Patient.name[1].zz']);
    assert.deepEqual(patient.resource, { resourceType: 'Patient', birthDate: '1974-12-25', name: [{ family: 'A' }] });
    const noSchedule = checkStructure(slot({ schedule: { zz: 1 } }));
    assert.deepEqual(
      noSchedule.issues.map((i) => [i.path, i.kind]),
      [['Slot.schedule', 'required']],
    );
    assert.match(noSchedule.issues[0].message, /only unknown elements/);
  });

  it('extensions are never unknown; each has a url and either one value[x] or nested extensions', () => {
    const withExtension = (ext: unknown) => checkStructure(slot({ extension: [ext], modifierExtension: [ext] }));
    const fine = withExtension({ url: 'https://example.org/anything-at-all', valueQuantity: { value: 1 } });
    assert.deepEqual(fine.issues, []);
    assert.deepEqual(fine.ignored, []);
    assert.deepEqual((fine.resource as any).extension, [
      { url: 'https://example.org/anything-at-all', valueQuantity: { value: 1 } },
    ]);
    assert.deepEqual(withExtension({ url: 'https://x', extension: [{ url: 'a', valueString: 'b' }] }).issues, []);
    assert.deepEqual(found(withExtension({ url: 'https://x', valueString: 'a', valueCode: 'b' }).issues), [
      'Slot.extension[0].valueCode value',
      'Slot.modifierExtension[0].valueCode value',
    ]);
    assert.deepEqual(found(withExtension({ valueString: 'a' }).issues), [
      'Slot.extension[0].url required',
      'Slot.modifierExtension[0].url required',
    ]);
    assert.deepEqual(found(withExtension({ url: 'https://x' }).issues), [
      'Slot.extension[0] value',
      'Slot.modifierExtension[0] value',
    ]);
    assert.deepEqual(
      found(withExtension({ url: 'https://x', valueString: 'a', extension: [{ url: 'y', valueString: 'z' }] }).issues),
      ['Slot.extension[0] value', 'Slot.modifierExtension[0] value'],
    );
    // A value that held only unknown elements is no value: the copy must not keep a value-less extension.
    assert.deepEqual(found(withExtension({ url: 'https://x', valueCodeableConcept: { zz: 1 } }).issues), [
      'Slot.extension[0] value',
      'Slot.modifierExtension[0] value',
    ]);
  });

  it('at most one element of a choice', () => {
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      effectiveDateTime: '2019-01-01',
      effectivePeriod: { start: '2019-01-01' },
    };
    assert.deepEqual(found(checkStructure(obs).issues), ['Observation.effectivePeriod value']);
  });

  it('recurses into Bundle entries, response outcomes and Parameters resources', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      total: 1,
      entry: [
        { resource: slot({ start: '2019-01-17T15:00:00' }) },
        { resource: { resourceType: 'Nonsense' } },
        { response: { status: '200', outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'fatal' }] } } },
      ],
    };
    assert.deepEqual(found(checkStructure(bundle, 'Bundle').issues), [
      'Bundle.entry[0].resource.start value',
      'Bundle.entry[1].resource.resourceType type',
      'Bundle.entry[2].response.outcome.issue[0].code required',
    ]);
    const parameters = {
      resourceType: 'Parameters',
      parameter: [{ name: 'p', resource: { resourceType: 'Patient', gender: 'm ale  x' } }],
    };
    assert.deepEqual(found(checkStructure(parameters).issues), ['Parameters.parameter[0].resource.gender value']);
  });

  it('refuses what is not a resource, an unknown or missing resourceType, and the wrong resourceType', () => {
    for (const input of [null, undefined, 'Appointment', 42, true, [], [{ resourceType: 'Appointment' }]]) {
      const r = checkStructure(input, 'Appointment');
      assert.equal(r.resource, undefined);
      assert.deepEqual(
        r.issues.map((i) => [i.path, i.kind]),
        [['Appointment', 'type']],
        JSON.stringify(input),
      );
    }
    assert.deepEqual(found(checkStructure({ status: 'booked' }, 'Appointment').issues), ['Appointment type']);
    assert.deepEqual(found(checkStructure({ resourceType: 'Nonsense' }).issues), ['Resource.resourceType type']);
    assert.deepEqual(found(checkStructure({ resourceType: 'DomainResource' }).issues), ['Resource.resourceType type']);
    assert.deepEqual(found(checkStructure(slot(), 'Appointment').issues), ['Appointment.resourceType type']);
    assert.equal(checkStructure(slot(), 'Appointment').resource, undefined);
    assert.deepEqual(checkStructure(slot(), 'Slot').issues, []);
  });

  it('checks the narrative div is XHTML', () => {
    const withDiv = (div: unknown) =>
      found(checkStructure({ resourceType: 'Patient', text: { status: 'generated', div } }).issues);
    assert.deepEqual(withDiv('<div xmlns="http://www.w3.org/1999/xhtml"><p>ok &amp; fine</p></div>'), []);
    assert.deepEqual(withDiv('plain text'), ['Patient.text.div value']);
    assert.deepEqual(withDiv('<div><p>unclosed</div>'), ['Patient.text.div value']);
    assert.deepEqual(withDiv('<div>&nbsp;</div>'), ['Patient.text.div value']);
    assert.deepEqual(withDiv({ div: 1 }), ['Patient.text.div type']);
  });

  it('is safe against prototype-pollution keys', () => {
    const input = JSON.parse(
      '{"resourceType":"Appointment","status":"booked","participant":[{"status":"accepted","__proto__":{"polluted":1}}],' +
        '"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"meta":{"__proto__":{"polluted":1},"profile":["x"]}}',
    );
    const { issues, ignored, resource } = checkStructure(input, 'Appointment');
    assert.deepEqual(issues, []);
    assert.deepEqual(ignored.sort(), [
      'Appointment.__proto__',
      'Appointment.constructor',
      'Appointment.meta.__proto__',
      'Appointment.participant[0].__proto__',
    ]);
    assert.equal(({} as any).polluted, undefined);
    assert.equal(Object.getPrototypeOf(resource), Object.prototype);
    assert.equal(Object.hasOwn(resource!, '__proto__'), false);
    assert.equal((resource as any).polluted, undefined);
    assert.equal(Object.getPrototypeOf((resource as any).meta), Object.prototype);
  });

  it('caps nesting at 64 levels with an issue instead of overflowing the stack', () => {
    let ext: Record<string, unknown> = { url: 'x', valueString: 'y' };
    for (let i = 0; i < 100_000; i++) ext = { url: 'x', extension: [ext] };
    const { issues } = checkStructure(slot({ extension: [ext] }));
    assert.equal(issues.length, 1);
    assert.equal(issues[0].kind, 'value');
    assert.match(issues[0].message, /nested more than 64 levels/);
    assert.match(issues[0].path, /^Slot\.extension\[0\](\.extension\[0\]){64}$/);
    let contained: Record<string, unknown> = slot();
    for (let i = 0; i < 10_000; i++)
      contained = {
        resourceType: 'Appointment',
        status: 'booked',
        participant: [{ status: 'accepted' }],
        contained: [contained],
      };
    assert.ok(checkStructure(contained).issues.some((i) => /nested more than 64/.test(i.message)));
  });

  it('never throws, whatever JSON it is given (property-based)', () => {
    const booking = example('book-request.json');
    const keys = fc.constantFrom(
      'resourceType',
      'status',
      'participant',
      'contained',
      'extension',
      '_start',
      'start',
      'meta',
      'profile',
      'text',
      'div',
      'url',
      'valueString',
      '__proto__',
      'constructor',
      'toString',
      'identifier',
      'entry',
      'resource',
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue(),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.oneof(keys, fc.string()), tie('value'), { maxKeys: 6 }),
      ),
    })).value;
    fc.assert(
      fc.property(
        json,
        fc.constantFrom(undefined, 'Appointment', 'Bundle', 'Nonsense'),
        fc.array(fc.tuple(keys, json), { maxLength: 4 }),
        (value, expected, patches) => {
          // Random JSON, and the booking example with random parts replaced.
          const patched = structuredClone(booking);
          let target: any = patched;
          for (const [k, v] of patches) {
            target[k] = v;
            if (v && typeof v === 'object') target = v;
          }
          for (const input of [
            value,
            patched,
            { resourceType: 'Appointment', ...(value && typeof value === 'object' ? value : {}) },
          ]) {
            const r = checkStructure(input, expected);
            assert.ok(Array.isArray(r.issues) && Array.isArray(r.ignored));
            JSON.stringify(r.resource);
          }
        },
      ),
      { numRuns: 1000 },
    );
    // Objects that throw on access are reported, not thrown.
    const hostile = new Proxy(
      { resourceType: 'Slot' },
      {
        ownKeys: () => {
          throw new Error('boom');
        },
      },
    );
    assert.deepEqual(found(checkStructure(hostile).issues), ['Resource value']);
    assert.equal(({} as any).polluted, undefined);
  });
});
