/**
 * Release rules (issue 6): which consumers see and may book a schedule's slots, modelled on GP
 * Connect's slot availability management, and the organisation type of each consumer organisation.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

type AnyDb = Kysely<any>; // migrations are frozen in time and must not follow later schema types

export async function up(db: AnyDb, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('release_rule')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('schedule_id', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('release_rule_pk', ['tenant_id', 'schedule_id'])
    .execute();
  await db.schema
    .createTable('consumer_organisation_type')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('ods_code', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('consumer_organisation_type_pk', ['tenant_id', 'ods_code'])
    .execute();
}
