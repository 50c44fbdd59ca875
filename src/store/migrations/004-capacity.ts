/**
 * Capacity management (src/capacity): rotas that make slots, the admin tokens that guard the admin
 * API, and the admin audit (who changed what, when, before and after).
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { appendOnlyTrigger, autoIncrementColumn } from '../dialect.js';
import { sql } from 'kysely';

type AnyDb = Kysely<any>; // migrations are frozen in time and must not follow later schema types

export async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('rota')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('schedule_id', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rota_pk', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('admin_token')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('admin_audit')
    .addColumn('seq', autoIncrementColumn(dialect), (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .execute();
  for (const statement of appendOnlyTrigger(dialect, 'admin_audit')) await sql.raw(statement).execute(db);
}
