/**
 * The provider's audit trail records who was on the other end of each call (issue 11): the peer's
 * socket address, its client certificate under mutual TLS, the Forwarded header the proxy adds, and
 * whether the peer was the configured proxy.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

type AnyDb = Kysely<any>; // migrations are frozen in time and must not follow later schema types

export async function up(db: AnyDb, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('audit_event').addColumn('peer_address', 'text').execute();
  await db.schema.alterTable('audit_event').addColumn('peer_certificate', 'text').execute();
  await db.schema.alterTable('audit_event').addColumn('forwarded', 'text').execute();
  await db.schema.alterTable('audit_event').addColumn('via_proxy', 'integer').execute();
}
