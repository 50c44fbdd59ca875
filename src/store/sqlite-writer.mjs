// The SQLite background writer thread, with its own connection, so the API's event loop never waits
// for these two kinds of I/O:
//  - audit rows, appended in batches: { id, rows } in, { id, error? } out;
//  - WAL checkpoints (PASSIVE, every second): the API connections turn automatic checkpoints off,
//    because a checkpoint's fsync inside a booking's COMMIT tripled that booking's cost;
//  - query planner statistics (PRAGMA optimize every 10 minutes).
// Plain JavaScript so it runs in a worker whether or not the parent loaded TypeScript through tsx.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const columns = workerData.columns;
// Prepared at the first batch, not at start: the thread starts while the store's migrations may still
// be making audit_event (a new data folder), and a statement on a missing table fails to prepare.
let append;
const appendBatch = (rows) => {
  if (!append) {
    const insert = db.prepare(
      `INSERT INTO audit_event (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
    );
    append = db.transaction((batch) => {
      // A column a row leaves out (a caller that predates it) is written as null, not refused.
      for (const row of batch) insert.run(Object.fromEntries(columns.map((c) => [c, row[c] ?? null])));
    });
  }
  append(rows);
};

const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // busy: the next tick will do it
  }
};
const timer = setInterval(checkpoint, workerData.checkpointMs ?? 1000);
// Keep the query planner's statistics fresh as slots are added (bounded sampling).
db.pragma('analysis_limit = 1000');
const optimizer = setInterval(() => {
  try {
    db.pragma('optimize');
  } catch {
    // busy: try again next time
  }
}, 10 * 60_000);

parentPort.on('message', (message) => {
  if (message === 'close') {
    clearInterval(timer);
    clearInterval(optimizer);
    checkpoint();
    db.close();
    parentPort.close();
    return;
  }
  try {
    appendBatch(message.rows);
    parentPort.postMessage({ id: message.id });
  } catch (err) {
    const error = String(err && err.message ? err.message : err);
    parentPort.postMessage({ id: message.id, error, code: err && typeof err.code === 'string' ? err.code : undefined });
  }
});
