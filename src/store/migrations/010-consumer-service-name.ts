/**
 * The service's name kept with each of the consumer's bookings (issue 13): DoS's ServiceDetailsById
 * carries no name, so the patient's bookings list names each service as it was when booked (from the
 * search, or the provider's own HealthcareService) rather than asking the directory again. Older rows
 * keep null, and the list falls back to the directory.
 */
import type { Kysely } from 'kysely';

type AnyDb = Kysely<any>; // migrations are frozen in time and must not follow later schema types

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('consumer_booking').addColumn('service_name', 'text').execute();
}
