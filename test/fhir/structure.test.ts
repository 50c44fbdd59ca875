/** The STU3 JSON structure check that guards every request body (BOOK-1, API-8). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { checkStructure } from '../../src/fhir/structure.js';
import { typeDef } from '../../src/fhir/model.js';

const example = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/examples/${name}`, import.meta.url), 'utf8'));

describe('STU3 structure check', () => {
  it('the model knows STU3: definition order, required elements, repeating elements, primitive types', () => {
    const slot = typeDef('Slot')!;
    assert.deepEqual(slot.elements.slice(-6).map((e) => e.name), ['schedule', 'status', 'start', 'end', 'overbooked', 'comment']);
    assert.equal(slot.byName.get('start')!.type, 'instant');
    assert.equal(slot.byName.get('schedule')!.required, true);
    assert.equal(typeDef('Appointment')!.byName.get('incomingReferral')!.array, true);
    assert.equal(typeDef('Schedule')!.byName.get('actor')!.array, true);
  });

  it('the standard\'s booking example passes once its participant has a status', () => {
    const body = example('book-request.json');
    assert.deepEqual(checkStructure(body, 'Appointment').issues.map((i) => i.path), ['Appointment.participant[0].status']);
    body.participant[0].status = 'accepted';
    assert.deepEqual(checkStructure(body, 'Appointment').issues, []);
  });

  it('the older, looser example shape is named fault by fault', () => {
    const { issues } = checkStructure(example('audit-appointment-older-shape.json'), 'Appointment');
    const found = issues.map((i) => `${i.path} ${i.kind}`);
    for (const expected of ['Appointment.meta.profile array', 'Appointment.text type', 'Appointment.contained[0].identifier array']) {
      assert.ok(found.includes(expected), `${expected} in ${found.join(', ')}`);
    }
  });

  it('checks primitive formats: an instant needs seconds and a zone; dates, codes, ids, positive integers', () => {
    const slot = { resourceType: 'Slot', schedule: { reference: 'Schedule/1' }, status: 'free', start: '2019-01-17T15:00:00', end: '2019-01-17T15:30:00Z' };
    assert.deepEqual(checkStructure(slot).issues.map((i) => `${i.path} ${i.kind}`), ['Slot.start value']);
    const patient = { resourceType: 'Patient', id: 'has space', birthDate: '1974-02-30', gender: ' male', telecom: [{ rank: 0 }], active: 'true' };
    const kinds = checkStructure(patient).issues.map((i) => `${i.path} ${i.kind}`).sort();
    assert.deepEqual(kinds, ['Patient.active type', 'Patient.birthDate value', 'Patient.gender value', 'Patient.id value', 'Patient.telecom[0].rank value']);
  });

  it('a missing required element, empty values and nulls are reported', () => {
    const { issues } = checkStructure({ resourceType: 'Appointment', status: 'booked', participant: [{ actor: {}, status: 'accepted' }], description: '', slot: [], comment: null });
    assert.deepEqual(issues.map((i) => `${i.path} ${i.kind}`).sort(), [
      'Appointment.comment value',
      'Appointment.description value',
      'Appointment.participant[0].actor value',
      'Appointment.slot value',
    ]);
    const contained = { resourceType: 'Appointment', status: 'booked', participant: [{ status: 'accepted' }], contained: [{ resourceType: 'Slot', status: 'free', start: '2019-01-17T15:00:00Z', end: '2019-01-17T15:30:00Z' }] };
    assert.deepEqual(checkStructure(contained).issues.map((i) => `${i.path} ${i.kind}`), ['Appointment.contained[0].schedule required']);
  });

  it('API-8 unknown elements are dropped and listed, never issues; extensions are always known', () => {
    const input = JSON.parse('{"resourceType":"Slot","schedule":{"reference":"Schedule/1","colour":"red"},"status":"free","start":"2019-01-17T15:00:00Z","end":"2019-01-17T15:30:00Z","__proto__":{"polluted":true},"extension":[{"url":"http://x","valueString":"y"}]}');
    const { resource, issues, ignored } = checkStructure(input);
    assert.deepEqual(issues, []);
    assert.deepEqual(ignored.sort(), ['Slot.__proto__', 'Slot.schedule.colour']);
    assert.equal((resource as any).polluted, undefined);
    assert.equal(({} as any).polluted, undefined);
    assert.deepEqual((resource as any).extension, [{ url: 'http://x', valueString: 'y' }]);
  });

  it('never throws, whatever it is given, and refuses wrong or unknown resource types', () => {
    let deep: any = { resourceType: 'Patient' };
    let cursor = deep;
    for (let i = 0; i < 200; i++) {
      cursor.contact = [{ extension: [{ url: 'x', extension: [] }] }];
      cursor = cursor.contact[0].extension[0];
    }
    for (const input of [null, 42, 'Appointment', [], {}, { resourceType: 'Banana' }, deep, { resourceType: 'Patient', contained: [deep] }]) {
      assert.doesNotThrow(() => checkStructure(input, 'Appointment'));
    }
    assert.equal(checkStructure({ resourceType: 'Patient' }, 'Appointment').issues[0].kind, 'type');
    assert.equal(checkStructure({ resourceType: 'Banana' }).resource, undefined);
  });
});
