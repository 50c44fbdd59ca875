/**
 * The consumer's workflows, as a call handler meets them, over the national services only (DoS, SDS, the proxy):
 * find services (with their booking availability and free slots in the time frame), show a
 * service's slots, book, cancel, rebook, and show a patient's appointments. Every step the reports
 * need is recorded (events.ts). The CLI and the web app both drive this class.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Appointment, Patient } from 'fhir/r3.js';
import type { Requester } from '../fhir/token.js';
import type { Database } from '../store/schema.js';
import { cancelAppointment, patientAppointments, readAppointment, type Cancelled } from './appointments.js';
import { bookSlot, type Booked } from './booking.js';
import { bookableRoute, requiresBooking, resolveBookingRoute, type BookingRoute } from './discovery.js';
import { breachMinutes, timeFrameEnd } from './dispositions.js';
import { ConsumerError } from './errors.js';
import { NO_EVENTS, StoreEventSink, type ConsumerEvent, type EventSink } from './events.js';
import type { ConsumerIdentity } from './identity.js';
import { nhsNumberOf, preparePatient } from './patient.js';
import { ProviderClient, type Route } from './provider-client.js';
import { referralDocument, storeReferral } from './referral.js';
import { searchSlots, type SlotView } from './slots.js';
import { nationalClients, standInConfig, type NationalClients, type NationalConfig } from './connect.js';
import {
  serviceLabel,
  type EndpointDirectory,
  type ServiceDetails,
  type ServiceDirectory,
  type ServiceSummary,
} from './national.js';

export interface ConsumerOptions {
  /** Where DoS, SDS and the proxy are, with the credentials each needs (connect.ts; docs/going-live.md). */
  national?: NationalConfig;
  /** Shorthand for `national`: the stand-ins of the Slotbridge spine at this base URL, with the demo credentials. */
  spine?: string;
  identity: ConsumerIdentity;
  /** The consumer's own store (events, bookings, referral documents); without it nothing is kept. */
  db?: Kysely<Database>;
  fetchImpl?: typeof fetch;
  retryDelaysMs?: number[];
}

/** Who the call is about and why (the reports group by service and registered practice). */
export interface Encounter {
  encounterId?: string;
  disposition?: string;
  /** The patient's registered GP practice (ODS code). */
  registeredPractice?: string;
  /** When the patient was assessed; the time frame runs from here (default now). */
  assessedAt?: number;
}

export interface FoundService {
  service: ServiceSummary;
  route: BookingRoute;
  /** `requirebooking` present and true: no referral without a booking (C2–C4). */
  bookingOnly: boolean;
  /** For bookable services: free slots within the search window and within the time frame. */
  availability?:
    { free: number; withinTimeFrame: number; earliest?: string; earliestWithinTimeFrame?: string } | { error: string };
}

export type BookedSlot = Booked & { service: ServiceDetails; slot: SlotView; referral: string };

export interface Rebooked {
  booked: BookedSlot;
  cancelled: Cancelled | { error: string };
}

const DAY = 86_400_000;

export class Consumer {
  /** The service directory (DoS). */
  readonly directory: ServiceDirectory;
  /** The endpoint directory (SDS). */
  readonly endpoints: EndpointDirectory;
  readonly client: ProviderClient;
  /** Where this consumer's national services are (without secrets: describeConfig). */
  readonly national: NationalConfig;
  private readonly events: EventSink;
  private readonly clients: NationalClients;

  constructor(
    private readonly options: ConsumerOptions,
    clients?: NationalClients,
  ) {
    if (!options.national && !options.spine)
      throw new Error('a Consumer needs `national` (or `spine`, for the stand-ins)');
    this.national = options.national ?? standInConfig(options.spine!);
    this.clients = clients ?? nationalClients(this.national, options.fetchImpl);
    this.directory = this.clients.directory;
    this.endpoints = this.clients.endpoints;
    this.client = new ProviderClient(this.clients.proxy, options.identity, {
      fetchImpl: this.clients.fetchImpl,
      retryDelaysMs: options.retryDelaysMs,
    });
    this.events = options.db ? new StoreEventSink(options.db) : NO_EVENTS;
  }

  /**
   * The same consumer acting for one person (the web app's signed-in call handler): every JWT it sends
   * names them as the requesting practitioner, and every event it records names them as the user.
   * It shares this consumer's national clients; the system's ASID, organisation and device stay the same.
   */
  forUser(user: NonNullable<Requester['user']>): Consumer {
    const identity: ConsumerIdentity = {
      ...this.options.identity,
      requester: { ...this.options.identity.requester, user },
    };
    return new Consumer({ ...this.options, identity }, this.clients);
  }

  private record(e: ConsumerEvent, encounter: Encounter = {}): Promise<void> {
    return this.events.record({
      encounterId: encounter.encounterId,
      disposition: encounter.disposition,
      registeredPractice: encounter.registeredPractice,
      consumerOds: this.options.identity.requester.organisation.odsCode,
      userId: this.options.identity.requester.user?.id,
      ...e,
    });
  }

  /** The slot search window for a disposition: now until the time frame ends, at least a day, at most `days`. */
  window(encounter: Encounter, days = 7): { from: Date; to: Date } {
    const now = Date.now();
    return { from: new Date(now), to: new Date(now + days * DAY) };
  }

  /** ABUS.01–02, ABUS.23: ranked services with booking availability and free slots in the time frame. */
  async findServices(
    q: { disposition: string; postcode: string; age?: number; withSlots?: boolean } & Encounter,
  ): Promise<FoundService[]> {
    const summaries = await this.directory.searchServices({
      disposition: q.disposition,
      postcode: q.postcode,
      age: q.age,
      ...(q.encounterId ? { caseRef: q.encounterId } : {}),
    });
    const assessedAt = q.assessedAt ?? Date.now();
    const frameEnd = timeFrameEnd(q.disposition, assessedAt);
    const found = await Promise.all(
      summaries.map(async (service): Promise<FoundService> => {
        let route: BookingRoute;
        try {
          // CheckCapacitySummary carries each service's endpoints: no second directory call.
          route = await resolveBookingRoute(this.endpoints, service);
        } catch (err) {
          route = { bookable: false, serviceId: service.id, reason: 'no-such-asid', message: (err as Error).message };
        }
        const entry: FoundService = { service, route, bookingOnly: requiresBooking(service) };
        if (route.bookable && q.withSlots !== false) {
          try {
            const { slots } = await searchSlots(this.client, route, { serviceId: service.id, ...this.window(q) });
            const within = slots.filter((s) => breachMinutes(q.disposition, assessedAt, s.start) === 0);
            entry.availability = {
              free: slots.length,
              withinTimeFrame: frameEnd === undefined ? slots.length : within.length,
              earliest: slots[0]?.start,
              earliestWithinTimeFrame: within[0]?.start,
            };
          } catch (err) {
            entry.availability = { error: (err as Error).message };
          }
        }
        return entry;
      }),
    );
    await this.record(
      {
        kind: 'services-shown',
        serviceId: summaries[0]?.id,
        details: {
          services: summaries.map((s) => s.id),
          bookable: found.filter((f) => f.route.bookable).map((f) => f.service.id),
        },
      },
      q,
    );
    return found;
  }

  /** C20, C27–C30: a service's free slots, earliest first, with where and with whom. */
  async slots(
    serviceId: string,
    q: { from?: Date; to?: Date } & Encounter = {},
  ): Promise<{ service: ServiceDetails; route: Route; slots: SlotView[] }> {
    const found = await bookableRoute(this.directory, this.endpoints, serviceId);
    const { route } = found;
    const window = this.window(q);
    const { slots } = await searchSlots(this.client, route, {
      serviceId,
      from: q.from ?? window.from,
      to: q.to ?? window.to,
    });
    // DoS's details by ID carry no name (unless a search listed the service): the provider's HealthcareService names it.
    const service = found.service.name
      ? found.service
      : { ...found.service, name: slots.find((s) => s.service?.name)?.service?.name ?? serviceLabel(found.service) };
    const assessedAt = q.assessedAt ?? Date.now();
    const within = q.disposition
      ? slots.filter((s) => breachMinutes(q.disposition, assessedAt, s.start) === 0).length
      : slots.length;
    await this.record(
      {
        kind: slots.length ? 'slots-shown' : 'no-slots-shown',
        serviceId,
        details: { shown: slots.length, withinTimeFrame: within },
      },
      q,
    );
    return { service, route, slots };
  }

  /** Records that the call handler passed over the top-ranked service that offered booking (rep-cons-05). */
  async rejectTopService(serviceId: string, encounter: Encounter & { reason?: string } = {}): Promise<void> {
    await this.record(
      { kind: 'top-service-rejected', serviceId, details: { reason: encounter.reason ?? null } },
      encounter,
    );
  }

  /**
   * Books a slot by its ID (as listed by `slots`), produces and keeps the referral document with the
   * appointment's URL, and remembers the booking. A slot that is no longer free gives a `slot-gone`
   * error carrying the next free slots.
   */
  async book(
    b: {
      serviceId: string;
      slotId: string;
      patient: unknown;
      reason: string;
      approveBreach?: boolean;
      from?: Date;
      to?: Date;
    } & Encounter,
  ): Promise<BookedSlot> {
    const patient = preparePatient(b.patient);
    const { service, route, slots } = await this.slots(b.serviceId, b);
    const slot = slots.find((s) => s.id === b.slotId);
    const nextSlots = (except: string) => slots.filter((s) => s.id !== except).slice(0, 5);
    if (!slot) {
      await this.record(
        {
          kind: 'booking-failed',
          serviceId: b.serviceId,
          details: {
            slotId: b.slotId,
            reason: 'slot-gone',
            message: 'the slot is not free (or not in the search window)',
          },
        },
        b,
      );
      throw new ConsumerError(
        'slot-gone',
        `Slot ${b.slotId} is no longer free at ${service.name}. Choose another slot.`,
        'provider',
        { nextSlots: nextSlots(b.slotId) },
      );
    }
    const documentId = randomUUID();
    await this.record(
      { kind: 'booking-attempt', serviceId: b.serviceId, details: { slotId: slot.id, start: slot.start, documentId } },
      b,
    );
    let booked: Booked;
    try {
      booked = await bookSlot(this.client, route, {
        slot,
        patient,
        reason: b.reason,
        documentId,
        disposition: b.disposition,
        assessedAt: b.assessedAt,
        approveBreach: b.approveBreach,
      });
    } catch (err) {
      const e =
        err instanceof ConsumerError ? err : new ConsumerError('unexpected', (err as Error).message, 'consumer');
      await this.record(
        {
          kind: 'booking-failed',
          serviceId: b.serviceId,
          details: { slotId: slot.id, reason: e.code, message: e.message, status: e.details.status ?? null },
        },
        b,
      );
      if (e.code === 'slot-gone') {
        const again = await searchSlots(this.client, route, { serviceId: b.serviceId, ...this.window(b) }).catch(
          () => ({ slots: [] as SlotView[] }),
        );
        throw new ConsumerError(e.code, e.message, e.source, {
          ...e.details,
          nextSlots: again.slots.filter((s) => s.id !== slot.id).slice(0, 5),
        });
      }
      throw e;
    }
    if (booked.breachMinutes > 0)
      await this.record(
        {
          kind: 'breach-approved',
          serviceId: b.serviceId,
          appointmentUrl: booked.appointmentUrl,
          details: { minutes: booked.breachMinutes },
        },
        b,
      );
    await this.record(
      {
        kind: 'booked',
        serviceId: b.serviceId,
        appointmentUrl: booked.appointmentUrl,
        details: {
          slotId: slot.id,
          start: slot.start,
          requestId: booked.requestId,
          breachMinutes: booked.breachMinutes,
          // The assessment's time; a rebook keeps its time frame (rebook below).
          assessedAt: new Date(b.assessedAt ?? Date.now()).toISOString(),
        },
      },
      b,
    );
    const referral = referralDocument({
      documentId: booked.documentId,
      appointmentUrl: booked.appointmentUrl,
      serviceName: service.name,
      slotStart: slot.start,
      patient,
      reason: b.reason,
      disposition: b.disposition,
      author: {
        organisation: this.options.identity.requester.organisation.name,
        user: this.options.identity.requester.user?.id ?? 'unknown',
      },
    });
    if (this.options.db) {
      const now = new Date().toISOString();
      await this.options.db
        .insertInto('consumer_booking')
        .values({
          appointment_url: booked.appointmentUrl,
          service_id: b.serviceId,
          asid: route.asid,
          service_root: route.serviceRoot,
          appointment_id: booked.appointmentId,
          version_id: booked.versionId,
          status: 'booked',
          slot_id: slot.id,
          slot_start: slot.start,
          slot_end: slot.end,
          service_name: service.name,
          nhs_number: nhsNumberOf(patient) ?? null,
          patient: JSON.stringify(patient),
          document_id: booked.documentId,
          request_id: booked.requestId,
          encounter_id: b.encounterId ?? null,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('appointment_url').doNothing())
        .execute();
      await storeReferral(this.options.db, {
        documentId: booked.documentId,
        appointmentUrl: booked.appointmentUrl,
        serviceId: b.serviceId,
        content: referral,
      });
      await this.record(
        {
          kind: 'referral-sent',
          serviceId: b.serviceId,
          appointmentUrl: booked.appointmentUrl,
          details: { documentId: booked.documentId, withBooking: true },
        },
        b,
      );
    }
    return { ...booked, service, slot, referral };
  }

  /** Records a referral sent without a booking; refused for a booking-only service (C2–C4). */
  async referWithoutBooking(serviceId: string, encounter: Encounter = {}): Promise<void> {
    const service = await this.directory.serviceDetails(serviceId);
    // Whether the service is booking-only is in its attributes, which only a search gives (DoS's details
    // by ID carry none): without them, a referral is not sent on a guess (C2–C4; hazard H-006).
    if (service.attributes === undefined) {
      await this.record({ kind: 'referral-withheld', serviceId, details: { reason: 'attributes-unknown' } }, encounter);
      throw new ConsumerError(
        'search-again',
        `Whether ${serviceLabel(service)} takes referrals without a booking is not known here: search for services again, ` +
          'then refer from the list.',
        'directory',
      );
    }
    if (requiresBooking(service)) {
      await this.record({ kind: 'referral-withheld', serviceId, details: { reason: 'requirebooking' } }, encounter);
      throw new ConsumerError(
        'booking-required',
        `${service.name} only accepts referrals with a booked appointment. Book a slot, or choose another service.`,
        'directory',
      );
    }
    await this.record({ kind: 'referral-sent', serviceId, details: { withBooking: false } }, encounter);
  }

  /** The route to an appointment: from the consumer's own bookings, else through the directory by service ID. */
  async routeOf(appointmentUrl: string, serviceId?: string): Promise<{ route: Route; serviceId: string }> {
    const mine =
      this.options.db &&
      (await this.options.db
        .selectFrom('consumer_booking')
        .selectAll()
        .where('appointment_url', '=', appointmentUrl)
        .executeTakeFirst());
    if (mine) return { route: { asid: mine.asid, serviceRoot: mine.service_root }, serviceId: mine.service_id };
    if (!serviceId)
      throw new ConsumerError(
        'unknown-appointment',
        `This consumer did not make the booking ${appointmentUrl}; say which service it is with (--service ID).`,
        'consumer',
      );
    const { route } = await bookableRoute(this.directory, this.endpoints, serviceId);
    return { route, serviceId };
  }

  /** ABUS.21: cancels an appointment (latest version, only `status` changed). */
  async cancel(appointmentUrl: string, o: { serviceId?: string } & Encounter = {}): Promise<Cancelled> {
    const { route, serviceId } = await this.routeOf(appointmentUrl, o.serviceId);
    try {
      const cancelled = await cancelAppointment(this.client, route, appointmentUrl);
      await this.options.db
        ?.updateTable('consumer_booking')
        .set({ status: 'cancelled', version_id: cancelled.versionId, updated_at: new Date().toISOString() })
        .where('appointment_url', '=', appointmentUrl)
        .execute();
      const booking = await this.options.db
        ?.selectFrom('consumer_booking')
        .select(['encounter_id'])
        .where('appointment_url', '=', appointmentUrl)
        .executeTakeFirst();
      const sameEncounter = Boolean(o.encounterId && booking?.encounter_id === o.encounterId);
      await this.record(
        {
          kind: 'cancelled',
          serviceId,
          appointmentUrl,
          details: { alreadyCancelled: cancelled.alreadyCancelled, sameEncounter },
        },
        o,
      );
      return cancelled;
    } catch (err) {
      await this.record(
        { kind: 'cancel-failed', serviceId, appointmentUrl, details: { message: (err as Error).message } },
        o,
      );
      throw err;
    }
  }

  /**
   * The assessment a booking was made for: its disposition and when the patient was assessed, from the
   * consumer's record of the booking (the `booked` event). A rebook keeps that time frame.
   */
  async assessmentOf(appointmentUrl: string): Promise<{ disposition?: string; assessedAt?: number }> {
    const row = await this.options.db
      ?.selectFrom('consumer_event')
      .select(['disposition', 'details', 'at'])
      .where('kind', '=', 'booked')
      .where('appointment_url', '=', appointmentUrl)
      .orderBy('seq', 'desc')
      .executeTakeFirst();
    if (!row) return {};
    let assessedAt = Date.parse(row.at);
    try {
      const details = JSON.parse(row.details) as { assessedAt?: unknown };
      if (typeof details.assessedAt === 'string' && !Number.isNaN(Date.parse(details.assessedAt)))
        assessedAt = Date.parse(details.assessedAt);
    } catch {
      // details are written by book() as JSON; an unreadable row keeps the time it was recorded at.
    }
    return { disposition: row.disposition ?? undefined, assessedAt };
  }

  /**
   * Books the new slot first, then cancels the old appointment; both outcomes are reported. The new
   * slot is held to the time frame of the assessment the booking was made for (its disposition and
   * assessment time, `assessmentOf`), not the caller's: a slot outside it is refused without the
   * clinician's approval (`breach-needs-approval`), as a booking is. A disposition given by the caller
   * counts only when the consumer has none recorded for the booking (one it did not make).
   */
  async rebook(
    appointmentUrl: string,
    r: { slotId: string; serviceId?: string; reason?: string; approveBreach?: boolean } & Encounter,
  ): Promise<Rebooked> {
    const { route, serviceId } = await this.routeOf(appointmentUrl, r.serviceId);
    const { appointment } = await readAppointment(this.client, route, appointmentUrl);
    const patient = (appointment.contained ?? []).find((c) => c.resourceType === 'Patient') as Patient | undefined;
    if (!patient)
      throw new ConsumerError(
        'no-patient',
        'The appointment to rebook carries no patient details to book with.',
        'provider',
      );
    const { id: _id, ...patientWithoutId } = patient;
    const assessment = await this.assessmentOf(appointmentUrl);
    const booked = await this.book({
      ...r,
      disposition: assessment.disposition ?? r.disposition,
      assessedAt: assessment.disposition ? assessment.assessedAt : r.assessedAt,
      serviceId: r.serviceId ?? serviceId,
      patient: patientWithoutId,
      reason: r.reason ?? appointment.description ?? 'Rebooked appointment',
    });
    let cancelled: Cancelled | { error: string };
    try {
      cancelled = await this.cancel(appointmentUrl, r);
    } catch (err) {
      cancelled = { error: (err as Error).message };
    }
    await this.record(
      {
        kind: 'rebooked',
        serviceId: booked.service.id,
        appointmentUrl: booked.appointmentUrl,
        details: { from: appointmentUrl, oldCancelled: !('error' in cancelled) },
      },
      r,
    );
    return { booked, cancelled };
  }

  /** ABUS.20: a patient's appointments at a service's provider, or at every provider this consumer booked them with. */
  async show(
    nhsNumber: string,
    serviceId?: string,
  ): Promise<{ serviceId: string; serviceRoot: string; appointments: Appointment[] }[]> {
    if (!/^\d{10}$/.test(nhsNumber))
      throw new ConsumerError('bad-nhs-number', `NHS number ${nhsNumber} is not 10 digits.`, 'consumer');
    const routes: { serviceId: string; route: Route }[] = [];
    if (serviceId)
      routes.push({ serviceId, route: (await bookableRoute(this.directory, this.endpoints, serviceId)).route });
    else if (this.options.db) {
      const rows = await this.options.db
        .selectFrom('consumer_booking')
        .select(['service_id', 'asid', 'service_root'])
        .where('nhs_number', '=', nhsNumber)
        .execute();
      const seen = new Set<string>();
      for (const r of rows) {
        if (seen.has(r.service_root)) continue;
        seen.add(r.service_root);
        routes.push({ serviceId: r.service_id, route: { asid: r.asid, serviceRoot: r.service_root } });
      }
    }
    if (routes.length === 0)
      throw new ConsumerError(
        'no-provider',
        'Say which service to ask (--service ID): this consumer has booked no appointments for that patient.',
        'consumer',
      );
    return Promise.all(
      routes.map(async ({ serviceId: id, route }) => ({
        serviceId: id,
        serviceRoot: route.serviceRoot,
        appointments: await patientAppointments(this.client, route, nhsNumber),
      })),
    );
  }
}
