/**
 * The spine (directory, endpoint directory, proxy) in its own process for the proxy benchmark:
 *   node --import tsx bench/spine-server.ts \
 *     '{"dataDir":"…","providerRoot":"http://127.0.0.1:P/STU3/1/t","providerAsid":"…","consumerAsid":"…"}'
 * Registers the consumer and the provider, listens on a free port of 127.0.0.1 and prints one JSON
 * line `{"origin":"http://127.0.0.1:PORT","roots":{}}` once listening. Stops on SIGTERM.
 */
import { buildSpine } from '../src/spine/app.js';
import { newOperatorToken } from '../src/spine/operator.js';
import { registerConsumer, registerProvider } from '../src/spine/registration.js';
import { openStore } from '../src/store/store.js';

const options = JSON.parse(process.argv[2] ?? '{}') as {
  dataDir: string;
  providerRoot: string;
  providerAsid: string;
  consumerAsid: string;
};
const store = await openStore({ dataDir: options.dataDir });
await registerConsumer(store.db, { asid: options.consumerAsid, odsCode: 'A1001', name: 'bench consumer' });
await registerProvider(store.db, {
  serviceRoot: options.providerRoot,
  asid: options.providerAsid,
  odsCode: 'B1',
  services: [],
});
// Registration goes straight to the store, so no one needs the operator token; the provider is on loopback.
const spine = await buildSpine({
  store,
  operatorToken: newOperatorToken(),
  proxyTargets: { allow: ['127.0.0.0/8', '::1/128'] },
});
const address = await spine.app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ origin: address, roots: {} })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await spine.app.close();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
