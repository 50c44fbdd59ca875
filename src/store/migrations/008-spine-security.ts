/**
 * The spine's security (issue 11): the client certificate bound to an accredited system (the proxy
 * lets an ASID send only with that certificate when mutual TLS is on), and the spine's audit trail
 * of the operator's changes (registrations, endpoint and directory edits, re-pointed service roots).
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { autoIncrementColumn } from '../dialect.js';

type AnyDb = Kysely<any>; // migrations are frozen in time and must not follow later schema types

export async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  // `CN=<name>` or `SHA256:<64 hex digits>`; null: no certificate bound (the ASID cannot send under mutual TLS).
  await db.schema.alterTable('sds_as').addColumn('client_certificate', 'text').execute();

  await db.schema
    .createTable('spine_audit')
    .addColumn('seq', autoIncrementColumn(dialect), (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .execute();
  await db.schema.createIndex('spine_audit_target').on('spine_audit').column('target').execute();
}
