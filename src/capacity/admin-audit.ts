/** The append-only admin audit: who changed what, when, before and after, and from where. */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export interface AdminAuditEntry {
  tenantId: string;
  actor: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
  /** The address the call came from (none for the command line). */
  peer?: string;
}

export async function audit(db: Kysely<Database>, e: AdminAuditEntry): Promise<void> {
  await db
    .insertInto('admin_audit')
    .values({
      at: new Date().toISOString(),
      tenant_id: e.tenantId,
      actor: e.actor,
      action: e.action,
      target: e.target,
      before: e.before === undefined ? null : JSON.stringify(e.before),
      after: e.after === undefined ? null : JSON.stringify(e.after),
      peer: e.peer ?? null,
    })
    .execute();
}
