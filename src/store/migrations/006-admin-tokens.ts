/**
 * Admin tokens bound to tenants, with an expiry and a revocation (issue 11, finding 3), and the peer
 * address on every admin audit row (finding 7: refused admin calls are audited with where they came
 * from). Tokens made before this migration named no tenant and worked on every tenant; they are
 * revoked here, so each must be made again with `slotbridge provider admin-token --tenant …`.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

type AnyDb = Kysely<any>; // migrations are frozen in time and must not follow later schema types

export async function up(db: AnyDb, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('admin_token').addColumn('id', 'text').execute();
  await db.schema
    .alterTable('admin_token')
    .addColumn('tenants', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema
    .alterTable('admin_token')
    .addColumn('all_tenants', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('admin_token').addColumn('expires_at', 'text').execute();
  await db.schema.alterTable('admin_token').addColumn('revoked_at', 'text').execute();
  // The tokens made before tenants were bound: an id to name them by (from their hash), and revoked.
  await db
    .updateTable('admin_token')
    .set({ id: sql`substr(token_hash, 1, 12)`, revoked_at: new Date().toISOString() })
    .execute();
  await db.schema.createIndex('admin_token_id').unique().on('admin_token').column('id').execute();
  await db.schema.alterTable('admin_audit').addColumn('peer', 'text').execute();
}
