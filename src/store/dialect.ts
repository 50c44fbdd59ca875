/**
 * The few places where SQLite and PostgreSQL differ, kept in one module: the identity column, the
 * append-only trigger, and the connection set-up.
 */
import type { ColumnDataType } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

export function autoIncrementColumn(dialect: Dialect): ColumnDataType {
  return dialect === 'sqlite' ? 'integer' : 'bigserial';
}

/**
 * SQLite stores a table with a composite text primary key as two b-trees (the rowid table and the
 * key's index) unless it is declared WITHOUT ROWID; then the rows live in the key's b-tree and every
 * insert touches one structure fewer. PostgreSQL needs no such thing.
 */
export function clusteredByPrimaryKey(dialect: Dialect): string | undefined {
  return dialect === 'sqlite' ? 'without rowid' : undefined;
}

/** Statements that make `table` refuse UPDATE and DELETE. */
export function appendOnlyTrigger(dialect: Dialect, table: string): string[] {
  if (dialect === 'sqlite') {
    return [
      `CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`,
      `CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`,
    ];
  }
  return [
    'CREATE OR REPLACE FUNCTION slotbridge_append_only() RETURNS trigger LANGUAGE plpgsql AS ' +
      `$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$`,
    `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION slotbridge_append_only()`,
  ];
}
