/**
 * A provider in its own process, started the way `slotbridge provider` starts one (`startProvider`):
 *   node --import tsx bench/provider-server.ts '{"dataDir":"…"}'                      (SQLite)
 *   node --import tsx bench/provider-server.ts '{"databaseUrl":"postgres://…","pgSchema":"…"}'
 * Listens on a free port of 127.0.0.1 and prints one JSON line on stdout once listening:
 * `{"origin":"http://127.0.0.1:PORT","roots":{"<tenant>":"<service root>"}}`. Stops on SIGTERM.
 */
import { startProvider } from '../src/cli/provider.js';
import { openStore, type Store, type StoreOptions } from '../src/store/store.js';

const options = JSON.parse(process.argv[2] ?? '{}') as StoreOptions;
// The CLI takes only a URL; a PostgreSQL schema needs the store opened here and handed over.
let store: Store | undefined;
if (options.databaseUrl) store = await openStore(options);
const running = await startProvider({ port: '0', host: '127.0.0.1', data: options.dataDir }, store);
const port = new URL(running.origin).port;
const roots = Object.fromEntries(running.tenants.map((t) => [t.id, t.serviceRoot]));
process.stdout.write(`${JSON.stringify({ origin: `http://127.0.0.1:${port}`, roots })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await running.close();
  await store?.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
