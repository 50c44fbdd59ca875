/** `slotbridge <command>`: the command line (decisions.md fixes its contract). */
import { AUDIT_USAGE, auditCommand } from './audit.js';
import { TOKEN_USAGE, tokenCommand } from './token.js';
import { UsageError, parse, print, say, storeFrom, storeOptions } from './io.js';
import { PROVIDER_USAGE, providerCommand, startProvider, untilSignalled } from './provider.js';
import { seedDemo } from '../capacity/demo.js';
import { randomBytes } from 'node:crypto';
import { openStore } from '../store/store.js';
import { createTestPki } from '../spine/test-ca.js';
import { tlsClientOptions } from '../spine/tls.js';
import { CONSUMER_USAGE, consumerCommand } from './consumer.js';
import { DEFAULT_WEB_PORT, startConsumerWeb } from './web.js';
import { SPINE_USAGE, announceSpine, fetchWith, registerProviderWith, spineCommand, startSpine } from './spine.js';

const USAGE = `usage:
slotbridge start [--port N] [--spine-port N] [--web-port N] [--data DIR] [--tls DIR]   the demo network on the embedded store (what npm start runs)
${PROVIDER_USAGE}
${SPINE_USAGE}
${CONSUMER_USAGE}
slotbridge seed demo [--data DIR | --database-url URL] [--json]
${AUDIT_USAGE}
${TOKEN_USAGE}
Every command takes --json (one JSON document on stdout).`;

/**
 * The demo network: the spine (directory, endpoint directory, proxy) and the demo provider's tenants
 * on one store, each tenant enrolled with the spine over HTTP exactly as `spine register-provider`
 * does, so a consumer that knows only the spine's URL finds them.
 */
async function startCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...storeOptions,
    port: { type: 'string' },
    'spine-port': { type: 'string' },
    'web-port': { type: 'string' },
    host: { type: 'string' },
    'public-url': { type: 'string' },
    tls: { type: 'string' },
  });
  // --tls DIR: the whole network on mutual TLS, with a test CA made in DIR when there is none.
  const pki = values.tls ? await createTestPki(String(values.tls)) : undefined;
  if (pki) say(`mutual TLS: certificates in ${pki.dir} (test CA ${pki.caFile})`);
  const store = await openStore(storeFrom(values));
  // The rota manager's admin token for the capacity area: SLOTBRIDGE_ADMIN_TOKEN, or a new one each start.
  const adminToken = process.env.SLOTBRIDGE_ADMIN_TOKEN || `sbadm_${randomBytes(24).toString('base64url')}`;
  const provider = await startProvider({ ...values, seed: 'demo', 'admin-token': adminToken }, store);
  const spine = await startSpine(
    { port: values['spine-port'], host: values.host, seed: 'demo', tls: values.tls },
    store,
  ).catch(async (err) => {
    await provider.close();
    throw err;
  });
  let web: { url: string; close(): Promise<void> } | undefined;
  const close = async () => {
    await web?.close();
    await spine.close();
    await provider.close();
    await store.close();
  };
  try {
    for (const t of provider.tenants) {
      const result = await registerProviderWith(spine.urls.spine, {
        root: t.serviceRoot,
        asid: t.asid,
        ods: t.odsCode,
        name: t.name,
        tls: pki && tlsClientOptions(pki, 'spine'),
      });
      say(`registered ${t.id} with the spine: ASID ${t.asid}, services ${result.services.join(', ')}`);
    }
    // The call handler's web app (plain HTTP on this machine; with --tls it calls the spine over mutual TLS as "consumer").
    // Its capacity area forwards to the provider's admin API (with --tls, over mutual TLS as "consumer" too).
    web = await startConsumerWeb({
      spine: spine.urls.spine,
      store,
      port: portOption(values['web-port'], DEFAULT_WEB_PORT),
      host: values.host as string | undefined,
      fetchImpl: pki ? fetchWith(tlsClientOptions(pki, 'consumer')) : undefined,
      capacity: {
        providerOrigin: provider.origin,
        tenants: provider.tenants.map((t) => ({ id: t.id, name: t.name })),
        fetchImpl: pki ? fetchWith(tlsClientOptions(pki, 'consumer')) : undefined,
      },
    });
  } catch (err) {
    await close();
    throw err;
  }
  for (const t of provider.tenants) say(`${t.id}: ${t.name} (ASID ${t.asid}, ODS ${t.odsCode})`);
  if (web)
    say(
      `open ${web.url} to book a patient as a 111 call handler, or ${web.url}/capacity to manage a provider's capacity`,
    );
  const capacity = web && { url: `${web.url}/capacity`, adminToken };
  print(
    values,
    { ...spine.urls, ...(web ? { web: web.url } : {}), ...(capacity ? { capacity } : {}), tenants: provider.tenants },
    [
      ...announceSpine(spine.urls),
      ...(web ? [`web: ${web.url}`] : []),
      ...(capacity ? [`capacity: ${capacity.url} (admin token: ${capacity.adminToken})`] : []),
      ...provider.tenants.map((t) => t.serviceRoot),
    ],
  );
  say('ready: press Ctrl+C to stop');
  await untilSignalled(close);
  return 0;
}

function portOption(value: unknown, fallback: number): number {
  const port = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`${String(value)} is not a port number`);
  return port;
}

async function seedCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...storeOptions });
  if (positionals[0] !== 'demo') throw new UsageError('only "slotbridge seed demo" is known');
  const store = await openStore(storeFrom(values));
  try {
    const reports = await seedDemo(store);
    print(
      values,
      reports,
      reports.map(
        (r) =>
          `${r.tenant}: ${r.services} services, ${r.schedules} schedules, ${r.slotsAdded} new slots (${store.location})`,
      ),
    );
  } finally {
    await store.close();
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await startCommand(rest);
      case 'provider':
        return await providerCommand(rest);
      case 'spine':
        return await spineCommand(rest);
      case 'consumer':
        return await consumerCommand(rest);
      case 'seed':
        return await seedCommand(rest);
      case 'audit':
        return await auditCommand(rest);
      case 'token':
        return await tokenCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      say(`slotbridge: ${err.message}`);
      if (!err.message.includes('usage')) say(`run "slotbridge help" for usage`);
      return 2;
    }
    say(`slotbridge: ${(err as Error).message}`);
    return 1;
  }
}
