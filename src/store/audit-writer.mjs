// The SQLite audit writer thread: appends batches of audit rows on its own connection, so the API's
// event loop never waits for audit I/O. Plain JavaScript so it runs in a worker whether or not the
// parent process loaded TypeScript through tsx. Protocol: { id, rows } in, { id, error? } out.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const columns = workerData.columns;
const insert = db.prepare(`INSERT INTO audit_event (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
const append = db.transaction((rows) => {
  for (const row of rows) insert.run(row);
});

parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    append(message.rows);
    parentPort.postMessage({ id: message.id });
  } catch (err) {
    parentPort.postMessage({ id: message.id, error: String(err && err.message ? err.message : err) });
  }
});
