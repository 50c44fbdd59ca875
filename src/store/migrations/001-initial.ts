/** The initial schema: tenants, reference resources, slots, appointments with versions, audit. */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { appendOnlyTrigger, autoIncrementColumn, clusteredByPrimaryKey } from '../dialect.js';

type AnyDb = Kysely<any>; // migrations are frozen in time and must not follow later schema types

/** `CREATE TABLE …` with the engine's clustering clause appended (see dialect.ts). */
function clustered<T extends { modifyEnd(node: any): T }>(builder: T, dialect: Dialect): T {
  const clause = clusteredByPrimaryKey(dialect);
  return clause ? builder.modifyEnd(sql.raw(clause)) : builder;
}

async function referenceTable(db: AnyDb, dialect: Dialect, name: string, extra: (t: any) => any = (t) => t) {
  let builder = db.schema
    .createTable(name)
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('version_id', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('last_updated', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull());
  builder = extra(builder);
  await clustered(builder.addPrimaryKeyConstraint(`${name}_pk`, ['tenant_id', 'id']), dialect).execute();
}

export async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('tenant')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ods_code', 'text', (c) => c.notNull())
    .addColumn('asid', 'text', (c) => c.notNull())
    .addColumn('refused_organisations', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await referenceTable(db, dialect, 'organization', (t) =>
    t.addColumn('ods_code', 'text').addColumn('name', 'text', (c: any) => c.notNull()),
  );
  await referenceTable(db, dialect, 'location', (t) => t.addColumn('name', 'text', (c: any) => c.notNull()));
  await referenceTable(db, dialect, 'practitioner');
  await referenceTable(db, dialect, 'practitioner_role', (t) => t.addColumn('practitioner_id', 'text'));
  await referenceTable(db, dialect, 'healthcare_service', (t) =>
    t
      .addColumn('name', 'text', (c: any) => c.notNull())
      .addColumn('organization_id', 'text')
      .addColumn('location_id', 'text')
      .addColumn('active', 'integer', (c: any) => c.notNull().defaultTo(1)),
  );
  await referenceTable(db, dialect, 'schedule', (t) =>
    t
      .addColumn('healthcare_service_id', 'text', (c: any) => c.notNull())
      .addColumn('practitioner_id', 'text')
      .addColumn('practitioner_role_id', 'text')
      .addColumn('active', 'integer', (c: any) => c.notNull().defaultTo(1)),
  );

  await clustered(
    db.schema
      .createTable('service_schedule')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('healthcare_service_id', 'text', (c) => c.notNull())
      .addColumn('schedule_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('service_schedule_pk', ['tenant_id', 'healthcare_service_id', 'schedule_id']),
    dialect,
  ).execute();

  await clustered(
    db.schema
      .createTable('slot')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('identifier', 'text', (c) => c.notNull())
      .addColumn('schedule_id', 'text', (c) => c.notNull())
      .addColumn('start', 'text', (c) => c.notNull())
      .addColumn('end', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('delivery_channel', 'text')
      .addColumn('appointment_id', 'text')
      .addColumn('version_id', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('last_updated', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('slot_pk', ['tenant_id', 'id']),
    dialect,
  ).execute();
  await db.schema.createIndex('slot_identifier').unique().on('slot').columns(['tenant_id', 'identifier']).execute();
  await db.schema
    .createIndex('slot_schedule_start')
    .on('slot')
    .columns(['tenant_id', 'schedule_id', 'start'])
    .execute();

  await clustered(
    db.schema
      .createTable('appointment')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('version_id', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('slot_id', 'text', (c) => c.notNull())
      .addColumn('start', 'text', (c) => c.notNull())
      .addColumn('end', 'text', (c) => c.notNull())
      .addColumn('created', 'text', (c) => c.notNull())
      .addColumn('patient_identifier', 'text', (c) => c.notNull())
      .addColumn('consumer_ods', 'text', (c) => c.notNull())
      .addColumn('document_id', 'text')
      .addColumn('last_updated', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('appointment_pk', ['tenant_id', 'id']),
    dialect,
  ).execute();
  await db.schema
    .createIndex('appointment_patient')
    .on('appointment')
    .columns(['tenant_id', 'patient_identifier', 'start'])
    .execute();
  await db.schema.createIndex('appointment_slot').on('appointment').columns(['tenant_id', 'slot_id']).execute();

  await clustered(
    db.schema
      .createTable('appointment_version')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('version_id', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('last_updated', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('interaction', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('correlation_id', 'text')
      .addColumn('author_id', 'text')
      .addColumn('author_name', 'text')
      .addColumn('author_role', 'text')
      .addColumn('entered_by', 'text')
      .addColumn('organisation_ods', 'text', (c) => c.notNull())
      .addColumn('organisation_name', 'text')
      .addColumn('device', 'text')
      .addPrimaryKeyConstraint('appointment_version_pk', ['tenant_id', 'id', 'version_id']),
    dialect,
  ).execute();
  await db.schema
    .createIndex('appointment_version_updated')
    .on('appointment_version')
    .columns(['tenant_id', 'last_updated'])
    .execute();

  await clustered(
    db.schema
      .createTable('booking_request')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('consumer_ods', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('appointment_id', 'text', (c) => c.notNull())
      .addColumn('version_id', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('booking_request_pk', ['tenant_id', 'consumer_ods', 'request_id']),
    dialect,
  ).execute();

  await clustered(
    db.schema
      .createTable('referral_document')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('document_id', 'text', (c) => c.notNull())
      .addColumn('appointment_id', 'text')
      .addColumn('linked_at', 'text')
      .addColumn('decoupled_at', 'text')
      .addColumn('received_at', 'text')
      .addColumn('content_type', 'text')
      .addColumn('body', 'text')
      .addColumn('consumer_ods', 'text')
      .addPrimaryKeyConstraint('referral_document_pk', ['tenant_id', 'document_id']),
    dialect,
  ).execute();

  await db.schema
    .createTable('audit_event')
    .addColumn('seq', autoIncrementColumn(dialect), (c) =>
      dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
    )
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('interaction', 'text')
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('diagnostics', 'text')
    .addColumn('consumer_fault', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('correlation_id', 'text')
    .addColumn('ssp_trace_id', 'text')
    .addColumn('ssp_from', 'text')
    .addColumn('ssp_to', 'text')
    .addColumn('ssp_interaction_id', 'text')
    .addColumn('organisation_ods', 'text')
    .addColumn('organisation_name', 'text')
    .addColumn('device_id', 'text')
    .addColumn('device_model', 'text')
    .addColumn('device_version', 'text')
    .addColumn('practitioner_id', 'text')
    .addColumn('practitioner_name', 'text')
    .addColumn('practitioner_sds_user_id', 'text')
    .addColumn('practitioner_sds_role_profile_id', 'text')
    .addColumn('resource_type', 'text')
    .addColumn('resource_id', 'text')
    .addColumn('version_id', 'text')
    .addColumn('duration_ms', 'real', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('audit_event_tenant').on('audit_event').columns(['tenant_id', 'seq']).execute();
  // Every request appends a row, so the audit trail keeps only indexes that grow at their end:
  // random-UUID indexes on request ids would double the cost of each row. Looking up one request
  // id (an investigation, `slotbridge audit --request-id`) scans, within a tenant and time range.
  await db.schema.createIndex('audit_event_at').on('audit_event').columns(['at']).execute();

  // The audit trail and the version history are append-only, enforced by the database itself.
  for (const table of ['audit_event', 'appointment_version']) {
    for (const statement of appendOnlyTrigger(dialect, table)) await sql.raw(statement).execute(db);
  }
}
