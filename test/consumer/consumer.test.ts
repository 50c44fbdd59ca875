/**
 * The consumer (C1–C31) against a real network on this machine: a provider and the spine on real
 * ports, every call through the proxy. The consumer imports nothing of the spine or the provider;
 * the test sets them up and then looks at what arrived (the provider's audit trail and store).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { registerProviderWith } from '../../src/cli/spine.js';
import { cancelAppointment } from '../../src/consumer/appointments.js';
import { bookSlot } from '../../src/consumer/booking.js';
import { Consumer } from '../../src/consumer/consumer.js';
import { resolveBookingRoute, type NoBookingReason } from '../../src/consumer/discovery.js';
import { ConsumerError } from '../../src/consumer/errors.js';
import { consumerIdentity } from '../../src/consumer/identity.js';
import { preparePatient } from '../../src/consumer/patient.js';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { seedDemoSpine } from '../../src/spine/demo.js';
import type { DirectoryService } from '../../src/spine/directory/model.js';
import { deleteDirectoryService, putDirectoryService } from '../../src/spine/directory/repository.js';
import { putAccreditedSystem } from '../../src/spine/endpoints/repository.js';
import { BOOKING_INTERACTIONS, INTERACTIONS } from '../../src/spine/interactions.js';
import { SERVICE, startTestProvider, type TestProvider } from '../helpers/provider.js';
import { testStore, type TestStore } from '../helpers/store.js';
import { OPERATOR_TOKEN, TEST_SPINE } from '../helpers/spine.js';

const PROVIDER_ASID = '999000000001';
const examplePatient = JSON.parse(readFileSync(new URL('../fixtures/examples/patient.json', import.meta.url), 'utf8'));

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<ConsumerError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ConsumerError, `expected a ConsumerError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe('consumer: discovery, slots, booking, cancel and rebook through the proxy', () => {
  let provider: TestProvider;
  let spineStore: TestStore;
  let consumerStore: TestStore;
  let spine: Spine;
  let base: string;
  let consumer: Consumer;

  before(async () => {
    provider = await startTestProvider();
    spineStore = await testStore();
    consumerStore = await testStore();
    spine = await buildSpine({ ...TEST_SPINE, store: spineStore.store, proxyTimeoutMs: 2000 });
    base = (await spine.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    await seedDemoSpine(spineStore.store.db);
    await registerProviderWith(base, {
      operatorToken: OPERATOR_TOKEN,
      root: provider.root(),
      asid: PROVIDER_ASID,
      ods: 'RT1',
      postcode: 'LS1 4AP',
      dispositions: ['Dx05', 'Dx06', 'Dx75'],
    });
    consumer = new Consumer({
      spine: base,
      identity: consumerIdentity({ user: 'handler-7' }),
      db: consumerStore.store.db,
      retryDelaysMs: [10, 10],
    });
  });

  after(async () => {
    await spine.app.close();
    await spineStore.dispose();
    await consumerStore.dispose();
    await provider.close();
  });

  const events = async (kind?: string) => {
    let q = consumerStore.store.db.selectFrom('consumer_event').selectAll().orderBy('seq');
    if (kind) q = q.where('kind', '=', kind);
    return q.execute();
  };
  const audit = async () => {
    await provider.provider.audit.flush();
    return provider.store.db.selectFrom('audit_event').selectAll().orderBy('seq').execute();
  };

  it('C1, C6–C17: each directory and endpoint-directory case ends in a route, or in "no booking" with a clear reason', async () => {
    const expected: [string, NoBookingReason | 'bookable'][] = [
      [SERVICE, 'bookable'],
      ['2000099009', 'no-booking-endpoint'],
      ['2000099003', 'several-booking-endpoints'],
      ['2000099004', 'no-such-asid'],
      // An accredited system with no Care Connect interaction: the SDS FHIR API finds Devices only by an
      // interaction, so from outside it is the same as no system at all (docs/going-live.md).
      ['2000099005', 'no-such-asid'],
      ['2000099006', 'care-connect-and-gp-connect'],
      ['2000099007', 'several-endpoints'],
      ['2000099008', 'invalid-endpoint'],
    ];
    for (const [id, want] of expected) {
      const route = await resolveBookingRoute(consumer.endpoints, await consumer.directory.serviceDetails(id));
      if (want === 'bookable') {
        assert.ok(route.bookable, JSON.stringify(route));
        assert.equal(route.serviceRoot, provider.root());
        assert.equal(route.asid, PROVIDER_ASID);
      } else {
        assert.equal(route.bookable, false, id);
        assert.equal(!route.bookable && route.reason, want, id);
        assert.ok(!route.bookable && route.message.length > 30, id);
      }
    }
  });

  it('C9–C11 over SDS FHIR: an ODS: endpoint resolves; partial registration, several systems, no ODS code do not', async () => {
    const db = spineStore.store.db;
    const service = (id: string, address: string, odsCode?: string): DirectoryService => ({
      id,
      name: `Discovery case ${id}`,
      type: 'UTC',
      ...(odsCode ? { odsCode } : {}),
      address: ['1 Test Street'],
      postcode: 'LS1 4AP',
      openingTimes: [],
      openAllHours: true,
      dispositions: ['Dx05'],
      ageRange: { min: 0, max: 130 },
      attributes: [],
      endpoints: [{ order: 1, transport: 'http', format: 'FHIR', interaction: 'Scheduling', address }],
    });
    // A system registered for the slot search but not for booking.
    await putAccreditedSystem(db, {
      uniqueIdentifier: '200000000921',
      nhsMHSPartyKey: 'X9B21-0000921',
      nhsIDCode: 'X9B21',
      name: 'Slot search only',
      nhsAsSvcIA: [INTERACTIONS.slotSearch],
    });
    // An organisation with two booking systems.
    for (const asid of ['200000000922', '200000000923'])
      await putAccreditedSystem(db, {
        uniqueIdentifier: asid,
        nhsMHSPartyKey: `X9B22-0000${asid.slice(-3)}`,
        nhsIDCode: 'X9B22',
        name: `Booking system ${asid}`,
        nhsAsSvcIA: BOOKING_INTERACTIONS,
      });
    const cases: [DirectoryService, NoBookingReason | 'bookable'][] = [
      [service('2000099921', 'ASID:200000000921', 'X9B21'), 'no-booking-interactions'],
      [service('2000099922', 'ODS:X9B22'), 'several-booking-systems'],
      [service('2000099923', `ASID:${PROVIDER_ASID}`), 'no-ods-code'],
      [service('2000099924', 'ODS:RT1'), 'bookable'],
      // The provider's ASID under another organisation's code: SDS has no such Device there.
      [service('2000099925', `ASID:${PROVIDER_ASID}`, 'X9B99'), 'no-such-asid'],
    ];
    for (const [entry, want] of cases) {
      await putDirectoryService(db, entry);
      const route = await resolveBookingRoute(consumer.endpoints, await consumer.directory.serviceDetails(entry.id));
      if (want === 'bookable') {
        assert.ok(route.bookable, JSON.stringify(route));
        assert.equal(route.asid, PROVIDER_ASID);
        assert.equal(route.serviceRoot, provider.root());
      } else {
        assert.equal(!route.bookable && route.reason, want, `${entry.id}: ${JSON.stringify(route)}`);
        assert.ok(!route.bookable && route.message.includes(entry.id), route.bookable ? '' : route.message);
      }
      await deleteDirectoryService(db, entry.id);
    }
  });

  it('ABUS.01–02, C2–C4: ranked services, whether each takes bookings, free slots in the time frame, the booking-only flag', async () => {
    const found = await consumer.findServices({ disposition: 'Dx05', postcode: 'LS1 4AP', encounterId: 'enc-find' });
    const ours = found.find((f) => f.service.id === SERVICE)!;
    assert.ok(ours.route.bookable);
    assert.ok(ours.availability && 'free' in ours.availability && ours.availability.free >= 16);
    assert.equal(
      ours.availability && 'withinTimeFrame' in ours.availability && ours.availability.withinTimeFrame,
      0,
      'every slot is tomorrow: none within Dx05’s 2 hours',
    );
    const later = (await consumer.findServices({ disposition: 'Dx75', postcode: 'LS1 4AP' })).find(
      (f) => f.service.id === SERVICE,
    )!;
    assert.ok(
      later.availability && 'withinTimeFrame' in later.availability && later.availability.withinTimeFrame > 0,
      'Dx75 (3 working days) covers tomorrow',
    );
    const bookingOnly = found.find((f) => f.service.id === '2000099004')!;
    assert.equal(bookingOnly.bookingOnly, true);
    assert.equal(found.find((f) => f.service.id === '2000099005')!.bookingOnly, false, 'requirebooking false');
    assert.equal(found.find((f) => f.service.id === '2000099007')!.bookingOnly, false);
    assert.equal(found.find((f) => f.service.id === '2000099009')!.route.bookable, false);
    const shown = (await events('services-shown')).filter((e) => e.encounter_id === 'enc-find');
    assert.equal(shown.length, 1);
    assert.equal(JSON.parse(shown[0]!.details).services[0], found[0]!.service.id);
  });

  it('C18–C30: slot search via the proxy: every Ssp header, a fresh JWT for the user, status=free, bounded start, service', async () => {
    const before = (await audit()).length;
    const { slots } = await consumer.slots(SERVICE);
    assert.ok(slots.length >= 24);
    const rows = (await audit()).slice(before);
    const search = rows.find((r) => r.interaction === 'search-slots')!;
    assert.ok(search, 'the provider saw the search');
    assert.equal(search.ssp_from, '200000000111');
    assert.equal(search.ssp_to, PROVIDER_ASID);
    assert.equal(search.ssp_interaction_id, 'urn:nhs:names:services:careconnect:fhir:rest:read:slot');
    assert.match(search.ssp_trace_id ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(search.organisation_ods, 'A1001');
    assert.equal(search.practitioner_id, 'handler-7');
    assert.match(search.path, /service=100001/);
    assert.match(search.path, /status=free/);
    assert.match(search.path, /start=ge/);
    assert.match(search.path, /start=le/);
  });

  it('display (fs_deliverychannel): start, end, channel never defaulted, location, practitioner, role; no includes needed', async () => {
    const { slots } = await consumer.slots(SERVICE);
    const withChannel = slots.find((s) => s.scheduleId === 'S1')!;
    assert.equal(withChannel.deliveryChannel, 'In-person');
    assert.equal(withChannel.location?.name, 'Test Hospital ED');
    assert.match(withChannel.location?.address ?? '', /1 Test Road/);
    assert.equal(withChannel.practitioner?.name, 'Dr Libbie Webber');
    assert.equal(withChannel.practitioner?.gender, 'female');
    assert.equal(withChannel.role, 'General Medical Practitioner');
    assert.equal(withChannel.organisation, 'Test Hospitals NHS Trust');
    const noChannel = slots.find((s) => s.scheduleId === 'S2')!;
    assert.equal(noChannel.deliveryChannel, undefined, 'a slot without a channel is not given one');
    assert.equal(noChannel.practitioner, undefined);
  });

  it('fs_patientcontact: contact and address required, one rank 1; missing ranks filled; the standard’s loose example normalised', () => {
    const p = preparePatient(examplePatient);
    assert.deepEqual(p.name![0]!.given, ['John']);
    assert.deepEqual(p.meta!.profile, ['https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1']);
    const noAddress = { ...examplePatient, address: [] };
    assert.throws(() => preparePatient(noAddress), /at least one address/);
    const noContact = { ...examplePatient, telecom: [], contact: [] };
    assert.throws(() => preparePatient(noContact), /contact is required/);
    const twoPrimaries = {
      ...examplePatient,
      telecom: [
        { system: 'phone', value: '0113 496 0001', rank: 1 },
        { system: 'phone', value: '0113 496 0002', rank: 1 },
      ],
    };
    assert.throws(() => preparePatient(twoPrimaries), /only one contact may have rank 1/);
    const unranked = preparePatient({
      ...examplePatient,
      telecom: [
        { system: 'phone', value: '0113 496 0001' },
        { system: 'email', value: 'a@b.example' },
      ],
      contact: [],
    });
    assert.deepEqual(
      unranked.telecom!.map((t) => t.rank),
      [1, 2],
    );
    assert.throws(() => preparePatient({ ...examplePatient, contact: [{ name: { family: 'X' } }] }), /relationship/);
  });

  it('BOOK, fs_xfercare: books through the proxy, keeps the URL without its version, completes the referral document with it', async () => {
    const { slots } = await consumer.slots(SERVICE);
    const slot = slots.find((s) => s.scheduleId === 'S1')!;
    const booked = await consumer.book({
      serviceId: SERVICE,
      slotId: slot.id,
      patient: examplePatient,
      reason: 'Cough for three weeks',
      disposition: 'Dx75',
      encounterId: 'enc-1',
      registeredPractice: 'B82001',
    });
    assert.match(booked.appointmentUrl, new RegExp(`^${provider.root()}/Appointment/[^/]+$`));
    assert.equal(booked.versionId, '1');
    const stored = await provider.store.db
      .selectFrom('appointment')
      .selectAll()
      .where('id', '=', booked.appointmentId)
      .executeTakeFirstOrThrow();
    assert.equal(stored.slot_id, slot.id);
    assert.equal(stored.consumer_ods, 'A1001');
    // The referral document carries the unversioned URL in the encounter's id and the linkHtml href.
    assert.ok(booked.referral.includes(`extension="${booked.appointmentUrl}"`));
    assert.ok(booked.referral.includes(`<linkHtml href="${booked.appointmentUrl}">`));
    assert.ok(!booked.referral.includes('_history'));
    assert.ok(booked.referral.includes(booked.documentId.toUpperCase()));
    const referral = await consumerStore.store.db
      .selectFrom('consumer_referral')
      .selectAll()
      .where('document_id', '=', booked.documentId)
      .executeTakeFirstOrThrow();
    assert.equal(referral.appointment_url, booked.appointmentUrl);
    // The booking's DocumentReference names the same document.
    const version = await provider.store.db
      .selectFrom('appointment_version')
      .select('content')
      .where('id', '=', booked.appointmentId)
      .executeTakeFirstOrThrow();
    assert.ok(version.content.includes(booked.documentId));
    const kinds = (await events()).filter((e) => e.encounter_id === 'enc-1').map((e) => e.kind);
    assert.deepEqual(kinds, ['slots-shown', 'booking-attempt', 'booked', 'referral-sent']);
    assert.equal((await events('booked')).at(-1)!.registered_practice, 'B82001');
  });

  it('a network failure after the booking was sent is retried with the same X-Request-ID, and books once', async () => {
    let dropped = false;
    const flaky: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      // The booking's POST (DoS's SOAP searches are POSTs too, and pass).
      if (!dropped && init?.method === 'POST' && String(input).endsWith('/Appointment')) {
        dropped = true;
        await response.body?.cancel();
        throw new TypeError('fetch failed (connection reset by the test)');
      }
      return response;
    };
    const c = new Consumer({
      spine: base,
      identity: consumerIdentity(),
      db: consumerStore.store.db,
      fetchImpl: flaky,
      retryDelaysMs: [10],
    });
    const { slots } = await c.slots(SERVICE);
    const slot = slots[0]!;
    const booked = await c.book({ serviceId: SERVICE, slotId: slot.id, patient: examplePatient, reason: 'Retry test' });
    assert.ok(dropped);
    const onSlot = await provider.store.db
      .selectFrom('appointment')
      .select('id')
      .where('slot_id', '=', slot.id)
      .execute();
    assert.deepEqual(
      onSlot.map((r) => r.id),
      [booked.appointmentId],
      'one appointment, the one the retry returned',
    );
    const requests = (await audit()).filter((r) => r.correlation_id === booked.requestId);
    assert.equal(requests.length, 2, 'the provider saw the first attempt and the retry, with the same X-Request-ID');
  });

  it('a slot taken between display and booking gives "slot-gone" with the next free slots', async () => {
    const { slots, route } = await consumer.slots(SERVICE);
    const slot = slots[0]!;
    await consumer.book({ serviceId: SERVICE, slotId: slot.id, patient: examplePatient, reason: 'First' });
    const gone = await rejectsWith(
      bookSlot(consumer.client, route, { slot, patient: examplePatient, reason: 'Second' }),
      'slot-gone',
      /just been taken/,
    );
    assert.equal(gone.source, 'provider');
    const again = await rejectsWith(
      consumer.book({ serviceId: SERVICE, slotId: slot.id, patient: examplePatient, reason: 'Second' }),
      'slot-gone',
    );
    const next = again.details.nextSlots as { id: string }[];
    assert.ok(next.length > 0 && !next.some((s) => s.id === slot.id));
  });

  it('ABUS.13: a slot after the time frame needs clinical approval, which is recorded', async () => {
    const { slots } = await consumer.slots(SERVICE);
    const slot = slots.at(-1)!;
    const refused = await rejectsWith(
      consumer.book({
        serviceId: SERVICE,
        slotId: slot.id,
        patient: examplePatient,
        reason: 'Late',
        disposition: 'Dx05',
      }),
      'breach-needs-approval',
      /after the Dx05 time frame ends/,
    );
    assert.ok((refused.details.breachMinutes as number) > 60);
    const booked = await consumer.book({
      serviceId: SERVICE,
      slotId: slot.id,
      patient: examplePatient,
      reason: 'Late',
      disposition: 'Dx05',
      approveBreach: true,
      encounterId: 'enc-late',
    });
    assert.ok(booked.breachMinutes > 60);
    const approved = (await events('breach-approved')).filter((e) => e.encounter_id === 'enc-late');
    assert.equal(approved.length, 1);
    assert.equal(JSON.parse(approved[0]!.details).minutes, booked.breachMinutes);
  });

  it('C2–C4: no referral without booking to a booking-only one; allowed when requirebooking is false; none before a search', async () => {
    await rejectsWith(
      consumer.referWithoutBooking('2000099004', { encounterId: 'enc-ref' }),
      'booking-required',
      /only accepts referrals with a booked appointment/,
    );
    await consumer.referWithoutBooking('2000099005', { encounterId: 'enc-ref' });
    const kinds = (await events()).filter((e) => e.encounter_id === 'enc-ref').map((e) => e.kind);
    assert.deepEqual(kinds, ['referral-withheld', 'referral-sent']);
    // H-006: a consumer that has not searched does not know whether a service is booking-only (DoS's details
    // by ID carry no attributes), so it refers nothing, even to the service that would take the referral.
    const fresh = new Consumer({ spine: base, identity: consumerIdentity(), db: consumerStore.store.db });
    await rejectsWith(
      fresh.referWithoutBooking('2000099005', { encounterId: 'enc-ref-fresh' }),
      'search-again',
      /search for services again/,
    );
    await fresh.findServices({ disposition: 'Dx05', postcode: 'LS1 4AP', age: 40, withSlots: false });
    await fresh.referWithoutBooking('2000099005', { encounterId: 'enc-ref-fresh' });
  });

  it('ABUS.21: cancel reads the latest version, changes only status; again: "already cancelled"; stale version re-read', async () => {
    const { slots } = await consumer.slots(SERVICE);
    const booked = await consumer.book({
      serviceId: SERVICE,
      slotId: slots[0]!.id,
      patient: examplePatient,
      reason: 'To cancel',
    });
    const cancelled = await consumer.cancel(booked.appointmentUrl);
    assert.deepEqual(cancelled, { appointmentUrl: booked.appointmentUrl, versionId: '2', alreadyCancelled: false });
    const row = await provider.store.db
      .selectFrom('appointment')
      .selectAll()
      .where('id', '=', booked.appointmentId)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'cancelled');
    assert.equal((await consumer.cancel(booked.appointmentUrl)).alreadyCancelled, true);

    const other = await consumer.book({
      serviceId: SERVICE,
      slotId: slots[1]!.id,
      patient: examplePatient,
      reason: 'Stale',
    });
    let staled = false;
    const stale: typeof fetch = (input, init) => {
      if (!staled && init?.method === 'PUT') {
        staled = true;
        return fetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), 'if-match': 'W/"7"' } });
      }
      return fetch(input, init);
    };
    const c = new Consumer({ spine: base, identity: consumerIdentity(), fetchImpl: stale });
    const route = { asid: PROVIDER_ASID, serviceRoot: provider.root() };
    const result = await cancelAppointment(c.client, route, other.appointmentUrl);
    assert.ok(staled);
    assert.equal(result.versionId, '2');
  });

  it('rebook books the new slot first, then cancels the old one, and reports both', async () => {
    const { slots } = await consumer.slots(SERVICE);
    const first = await consumer.book({
      serviceId: SERVICE,
      slotId: slots[0]!.id,
      patient: examplePatient,
      reason: 'Original reason',
    });
    const result = await consumer.rebook(first.appointmentUrl, { slotId: slots[1]!.id, encounterId: 'enc-rebook' });
    assert.notEqual(result.booked.appointmentUrl, first.appointmentUrl);
    assert.ok(!('error' in result.cancelled));
    const newRow = await provider.store.db
      .selectFrom('appointment')
      .selectAll()
      .where('id', '=', result.booked.appointmentId)
      .executeTakeFirstOrThrow();
    assert.equal(newRow.status, 'booked');
    assert.equal(newRow.slot_id, slots[1]!.id);
    const oldRow = await provider.store.db
      .selectFrom('appointment')
      .selectAll()
      .where('id', '=', first.appointmentId)
      .executeTakeFirstOrThrow();
    assert.equal(oldRow.status, 'cancelled');
    const kinds = (await events()).filter((e) => e.encounter_id === 'enc-rebook').map((e) => e.kind);
    assert.ok(kinds.indexOf('booked') < kinds.indexOf('cancelled') && kinds.includes('rebooked'));
  });

  it('ABUS.20: a patient’s appointments at the provider, with status', async () => {
    const shown = await consumer.show('9476719931', SERVICE);
    assert.equal(shown.length, 1);
    assert.ok(shown[0]!.appointments.length >= 3);
    assert.ok(
      shown[0]!.appointments.some((a) => a.status === 'cancelled') &&
        shown[0]!.appointments.some((a) => a.status === 'booked'),
    );
    const mine = await consumer.show('9476719931');
    assert.equal(mine[0]!.serviceRoot, provider.root());
    await rejectsWith(consumer.show('12345'), 'bad-nhs-number');
  });

  it('every proxy or provider error is a clear, specific message that says where the fault lies', async () => {
    const stranger = new Consumer({ spine: base, identity: consumerIdentity({ asid: '123412341234' }) });
    const refused = await rejectsWith(
      stranger.slots(SERVICE),
      'proxy-ssp_sender_not_authorised',
      /secure proxy refused the call.*123412341234/,
    );
    assert.equal(refused.source, 'proxy');
    const noSpine = new Consumer({ spine: 'http://127.0.0.1:9', identity: consumerIdentity() });
    await rejectsWith(noSpine.findServices({ disposition: 'Dx05', postcode: 'LS1' }), 'network', /cannot reach/);
    await rejectsWith(consumer.slots('2000099009'), 'no-booking-endpoint', /takes no bookings/);
    await rejectsWith(consumer.directory.serviceDetails('404404'), 'no-such-service');
    await rejectsWith(
      consumer.book({ serviceId: SERVICE, slotId: 'no-such-slot', patient: examplePatient, reason: 'x' }),
      'slot-gone',
    );
  });
});
