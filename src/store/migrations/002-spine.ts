/**
 * The national stand-ins (src/spine): the service directory (DoS), the endpoint directory (SDS:
 * accredited systems and message-handling endpoints) and the secure proxy's call log.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { autoIncrementColumn } from '../dialect.js';

type AnyDb = Kysely<any>; // migrations are frozen in time and must not follow later schema types

export async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  // A directory service: what DoS returns for a service. Lists and structures are JSON text.
  await db.schema
    .createTable('directory_service')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('ods_code', 'text')
    .addColumn('address', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('postcode', 'text')
    .addColumn('latitude', 'real')
    .addColumn('longitude', 'real')
    .addColumn('opening_times', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('dispositions', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('age_min', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('age_max', 'integer', (c) => c.notNull().defaultTo(130))
    .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('endpoints', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  // SDS nhsAS: an accredited system, by ASID, with its party key and the interactions it may use.
  await db.schema
    .createTable('sds_as')
    .addColumn('asid', 'text', (c) => c.primaryKey())
    .addColumn('party_key', 'text', (c) => c.notNull())
    .addColumn('ods_code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('interactions', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sds_as_party_key').on('sds_as').column('party_key').execute();

  // SDS nhsMHS: a message-handling endpoint of a party key for one interaction.
  await db.schema
    .createTable('sds_mhs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('party_key', 'text', (c) => c.notNull())
    .addColumn('interaction', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sds_mhs_party_interaction')
    .on('sds_mhs')
    .columns(['party_key', 'interaction'])
    .execute();

  // Every call through the proxy, for monitoring.
  await db.schema
    .createTable('proxy_call')
    .addColumn('seq', autoIncrementColumn(dialect), (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('trace_id', 'text')
    .addColumn('from_asid', 'text')
    .addColumn('to_asid', 'text')
    .addColumn('interaction', 'text')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('latency_ms', 'real', (c) => c.notNull())
    .addColumn('answered_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .execute();
  await db.schema.createIndex('proxy_call_at').on('proxy_call').column('at').execute();
  await db.schema.createIndex('proxy_call_trace').on('proxy_call').column('trace_id').execute();
}
