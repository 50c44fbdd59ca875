/**
 * The consumer's record of every step the consumer reports need (fs_reporting rep-cons-01…12):
 * services shown and the top one rejected, slots shown or not (and whether any were within the
 * disposition's time frame), booking attempts and their outcomes, referrals with or without a
 * booking, cancellations, rebooks, bookings outside the time frame with their approval. The web app
 * also records who signed in and out, and every refused sign-in (src/consumer/web-auth.ts).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export type ConsumerEventKind =
  | 'services-shown'
  | 'top-service-rejected'
  | 'slots-shown'
  | 'no-slots-shown'
  | 'booking-attempt'
  | 'booked'
  | 'booking-failed'
  | 'breach-approved'
  | 'referral-sent'
  | 'referral-withheld'
  | 'cancelled'
  | 'cancel-failed'
  | 'rebooked'
  | 'signed-in'
  | 'signed-out'
  | 'sign-in-refused'
  | 'sign-in-refused-summary';

export interface ConsumerEvent {
  kind: ConsumerEventKind;
  encounterId?: string;
  serviceId?: string;
  registeredPractice?: string;
  disposition?: string;
  consumerOds?: string;
  userId?: string;
  appointmentUrl?: string;
  details?: Record<string, unknown>;
  at?: string;
}

export interface EventSink {
  record(event: ConsumerEvent): Promise<void>;
}

export class StoreEventSink implements EventSink {
  constructor(private readonly db: Kysely<Database>) {}

  async record(e: ConsumerEvent): Promise<void> {
    await this.db
      .insertInto('consumer_event')
      .values({
        at: e.at ?? new Date().toISOString(),
        encounter_id: e.encounterId ?? null,
        kind: e.kind,
        service_id: e.serviceId ?? null,
        registered_practice: e.registeredPractice ?? null,
        disposition: e.disposition ?? null,
        consumer_ods: e.consumerOds ?? null,
        user_id: e.userId ?? null,
        appointment_url: e.appointmentUrl ?? null,
        details: JSON.stringify(e.details ?? {}),
      })
      .execute();
  }
}

/** Drops events (a consumer used without a store). */
export const NO_EVENTS: EventSink = { record: async () => {} };
