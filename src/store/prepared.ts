/**
 * Queries built with Kysely once and run many times with new values. Building and compiling a
 * query costs more than running it on SQLite, so the booking path prepares its statements: each
 * is built once per database (SQLite and PostgreSQL compile differently) with marker values, and
 * each run swaps the markers for real values.
 */
import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

interface Compilable<R> {
  compile(): CompiledQuery<R>;
}

interface Compiled<R> {
  query: CompiledQuery<R>;
  positions: number[];
}

export function prepared<Args extends unknown[], R>(
  build: (db: Kysely<Database>, ...args: Args) => Compilable<R>,
): (db: Kysely<Database>, ...args: Args) => Promise<QueryResult<R>> {
  // Keyed by the executor's adapter: the same for a Kysely instance and its transactions.
  const byDatabase = new WeakMap<object, Compiled<R>>();
  return (db, ...args) => {
    const key = db.getExecutor().adapter as object;
    let compiled = byDatabase.get(key);
    if (!compiled) {
      const markers = args.map((_, i) => `\u0000slotbridge-parameter-${i}\u0000`) as unknown as Args;
      const query = build(db, ...markers).compile();
      const positions = query.parameters.map((p) => (markers as unknown[]).indexOf(p));
      if (
        positions.filter((p) => p >= 0).length !== args.length ||
        new Set(positions.filter((p) => p >= 0)).size !== args.length
      ) {
        throw new Error(`a prepared query must use each argument exactly once as a value: ${query.sql}`);
      }
      compiled = { query, positions };
      byDatabase.set(key, compiled);
    }
    const constants = compiled.query.parameters;
    const parameters = compiled.positions.map((p, i) => (p >= 0 ? args[p] : constants[i]));
    return db.executeQuery({ ...compiled.query, parameters });
  };
}
