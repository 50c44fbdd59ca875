/**
 * The consumer's own records (src/consumer): every step the consumer reports need (rep-cons-01…12),
 * the bookings it made (so it can cancel and rebook them later), and the referral documents it
 * produced for them.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { autoIncrementColumn } from '../dialect.js';

type AnyDb = Kysely<any>; // migrations are frozen in time and must not follow later schema types

export async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('consumer_event')
    .addColumn('seq', autoIncrementColumn(dialect), (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('encounter_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text')
    .addColumn('registered_practice', 'text')
    .addColumn('disposition', 'text')
    .addColumn('consumer_ods', 'text')
    .addColumn('user_id', 'text')
    .addColumn('appointment_url', 'text')
    .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema.createIndex('consumer_event_at').on('consumer_event').columns(['at']).execute();
  await db.schema.createIndex('consumer_event_encounter').on('consumer_event').columns(['encounter_id']).execute();

  await db.schema
    .createTable('consumer_booking')
    .addColumn('appointment_url', 'text', (c) => c.primaryKey())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('asid', 'text', (c) => c.notNull())
    .addColumn('service_root', 'text', (c) => c.notNull())
    .addColumn('appointment_id', 'text', (c) => c.notNull())
    .addColumn('version_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('slot_id', 'text', (c) => c.notNull())
    .addColumn('slot_start', 'text', (c) => c.notNull())
    .addColumn('slot_end', 'text', (c) => c.notNull())
    .addColumn('nhs_number', 'text')
    .addColumn('patient', 'text', (c) => c.notNull())
    .addColumn('document_id', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('encounter_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('consumer_booking_nhs').on('consumer_booking').columns(['nhs_number']).execute();

  await db.schema
    .createTable('consumer_referral')
    .addColumn('document_id', 'text', (c) => c.primaryKey())
    .addColumn('appointment_url', 'text')
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}
