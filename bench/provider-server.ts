/**
 * A provider in its own process for benchmarks: `node --import tsx bench/provider-server.ts '<store options JSON>'`.
 * Prints `{"origin": "http://127.0.0.1:PORT"}` on stdout once listening.
 */
import { buildProvider } from '../src/provider/app.js';
import { openStore } from '../src/store/store.js';

const store = await openStore(JSON.parse(process.argv[2] ?? '{}'));
const provider = await buildProvider({ store, publicOrigin: 'http://placeholder' });
const address = await provider.app.listen({ port: 0, host: '127.0.0.1' });
provider.tenants.publicOrigin = address;
process.stdout.write(`${JSON.stringify({ origin: address })}\n`);
const stop = async () => {
  await provider.app.close();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
