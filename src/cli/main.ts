/** `slotbridge <command>`: the command line (docs/decisions.md fixes its contract). */
import { randomBytes } from 'node:crypto';
import { auditCommands } from './audit.js';
import { helpText, runCommand, type Command } from './command.js';
import { consumerCommands } from './consumer.js';
import { UsageError, print, say, storeOptions, type Options } from './io.js';
import { providerCommands, startProvider, startupAdminToken, untilSignalled } from './provider.js';
import { nationalFrom } from './national.js';
import {
  announceSpine,
  demoCredentialsLine,
  fetchWith,
  operatorTokenLine,
  registerProviderWith,
  spineCommands,
  startSpine,
} from './spine.js';
import { tokenCommands } from './token.js';
import { openStoreFrom, withStore } from './with-store.js';

/**
 * The demo network: the spine (directory, endpoint directory, proxy) and the demo provider's tenants
 * on one store, each tenant enrolled with the spine over HTTP exactly as `spine register-provider`
 * does, so a consumer that knows only the spine's URL finds them.
 */
async function startCommand(values: Options): Promise<number> {
  const [
    { createTestPki },
    { tlsClientOptions },
    { DEFAULT_WEB_PORT, DEMO_CALL_HANDLER, oidcFromEnv, webHostsFromEnv, startConsumerWeb },
  ] = await Promise.all([import('../spine/test-ca.js'), import('../spine/tls.js'), import('./web.js')]);
  // The call handler's sign-in: SLOTBRIDGE_WEB_PASSWORD, or a new password each start (printed below).
  const password = process.env.SLOTBRIDGE_WEB_PASSWORD || randomBytes(12).toString('hex');
  if (password.length < 12) throw new UsageError('SLOTBRIDGE_WEB_PASSWORD must be at least 12 characters');
  const webUrl = values['web-url'] as string | undefined;
  if (webUrl !== undefined && !/^https?:\/\/[^/]+\/?$/.test(webUrl))
    throw new UsageError(`--web-url ${webUrl} is not an http(s) origin such as https://book.example.nhs.uk`);
  // --tls DIR: the whole network on mutual TLS, with a test CA made in DIR when there is none.
  const pki = values.tls ? await createTestPki(String(values.tls)) : undefined;
  if (pki) say(`mutual TLS: certificates in ${pki.dir} (test CA ${pki.caFile})`);
  // The operator's admin token for the capacity area (every tenant): SLOTBRIDGE_ADMIN_TOKEN (refused
  // when weak), or a new one each start.
  const adminToken = (await startupAdminToken({})) ?? `sbadm_${randomBytes(24).toString('base64url')}`;
  const store = await openStoreFrom(values);
  // The web app's capacity forwarder calls the provider from this machine and names the browser's
  // address in X-Forwarded-For, which the admin API's limit on failed credentials then goes by.
  const provider = await startProvider({ ...values, seed: 'demo', 'admin-token': adminToken }, store, {
    adminTrustedProxies: ['127.0.0.1', '::1'],
  });
  // The spine's operator token: SLOTBRIDGE_OPERATOR_TOKEN, or a new one each start (printed below).
  // Its proxy may reach the demo's own providers on this machine's loopback, and no other internal address.
  const spine = await startSpine(
    {
      port: values['spine-port'],
      host: values.host,
      seed: 'demo',
      tls: values.tls,
      'proxy-allow': values['proxy-allow'],
      'proxy-allow-private': values['proxy-allow-private'],
    },
    store,
    ['127.0.0.0/8', '::1/128'],
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
        operatorToken: spine.operatorToken,
        // The demo's store keeps its registrations between runs, and a new run may serve on other ports.
        replace: true,
      });
      say(`registered ${t.id} with the spine: ASID ${t.asid}, services ${result.services.join(', ')}`);
    }
    // The call handler's web app (plain HTTP on this machine; with --tls it calls the spine over mutual TLS as "consumer").
    // Its capacity area forwards to the provider's admin API (with --tls, over mutual TLS as "consumer" too).
    // Its national services: the spine's stand-ins, unless SLOTBRIDGE_DOS_URL and the rest say otherwise (docs/going-live.md).
    const national = nationalFrom({}, process.env, spine.urls.spine);
    web = await startConsumerWeb({
      national,
      store,
      port: portOption(values['web-port'], DEFAULT_WEB_PORT),
      host: values.host as string | undefined,
      fetchImpl: pki ? await fetchWith(tlsClientOptions(pki, 'consumer')) : undefined,
      auth: {
        localUsers: [{ ...DEMO_CALL_HANDLER, password }],
        oidc: oidcFromEnv(process.env),
        publicUrl: webUrl,
        ...webHostsFromEnv(process.env),
      },
      capacity: {
        providerOrigin: provider.origin,
        tenants: provider.tenants.map((t) => ({ id: t.id, name: t.name })),
        fetchImpl: pki ? await fetchWith(tlsClientOptions(pki, 'consumer')) : undefined,
      },
    });
  } catch (err) {
    await close();
    throw err;
  }
  for (const t of provider.tenants) say(`${t.id}: ${t.name} (ASID ${t.asid}, ODS ${t.odsCode})`);
  if (web)
    say(
      `open ${web.url} and sign in (below) to book a patient as a 111 call handler, or ${web.url}/capacity to manage a provider's capacity`,
    );
  const capacity = web && { url: `${web.url}/capacity`, adminToken };
  const signIn = web && {
    url: `${webUrl?.replace(/\/+$/, '') ?? web.url}/sign-in`,
    username: DEMO_CALL_HANDLER.username,
    password,
  };
  print(
    values,
    {
      ...spine.urls,
      operatorToken: spine.operatorToken,
      ...(web ? { web: web.url } : {}),
      ...(signIn ? { signIn } : {}),
      ...(capacity ? { capacity } : {}),
      tenants: provider.tenants,
    },
    [
      ...announceSpine(spine.urls),
      ...(spine.operatorTokenMade ? [operatorTokenLine(spine.operatorToken)] : []),
      ...demoCredentialsLine(spine.national),
      ...(web ? [`web: ${web.url}`] : []),
      ...(signIn ? [`sign in: ${signIn.url} (user ${signIn.username}, password ${signIn.password})`] : []),
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

async function seedCommand(values: Options): Promise<number> {
  const { seedDemo } = await import('../capacity/demo.js');
  await withStore(values, async (store) => {
    const reports = await seedDemo(store);
    print(
      values,
      reports,
      reports.map(
        (r) =>
          `${r.tenant}: ${r.services} services, ${r.schedules} schedules, ${r.slotsAdded} new slots (${store.location})`,
      ),
    );
  });
  return 0;
}

/** Every command, in the order `slotbridge help` lists them. */
export const COMMANDS: Command[] = [
  {
    name: 'start',
    usage:
      '[--port N] [--spine-port N] [--web-port N] [--web-url URL] [--host H] [--data DIR] [--public-url URL] [--tls DIR] ' +
      '[--proxy-allow-private] [--proxy-allow CIDR …]',
    summary:
      'the demo network on the embedded store (what npm start runs): provider on 4000, spine on 4100, web app on 4200; ' +
      'prints the admin and operator tokens it made',
    options: {
      ...storeOptions,
      port: { type: 'string' },
      'spine-port': { type: 'string' },
      'web-port': { type: 'string' },
      'web-url': { type: 'string' },
      host: { type: 'string' },
      'public-url': { type: 'string' },
      tls: { type: 'string' },
      'proxy-allow-private': { type: 'boolean' },
      'proxy-allow': { type: 'string', multiple: true },
    },
    run: startCommand,
  },
  ...providerCommands,
  ...spineCommands,
  ...consumerCommands,
  {
    name: 'seed demo',
    usage: '[--data DIR | --database-url URL]',
    summary: 'seeds the demo tenants without serving',
    options: storeOptions,
    run: seedCommand,
  },
  ...auditCommands,
  ...tokenCommands,
];

export async function main(argv: string[]): Promise<number> {
  try {
    if (argv.length === 0 || (argv[0] === 'help' && argv.length === 1)) {
      process.stdout.write(helpText(COMMANDS));
      return argv.length === 0 ? 2 : 0;
    }
    // `slotbridge help provider rota` is `slotbridge provider rota --help`.
    return await runCommand(COMMANDS, argv[0] === 'help' ? [...argv.slice(1), '--help'] : argv);
  } catch (err) {
    if (err instanceof UsageError) {
      say(`slotbridge: ${err.message}`);
      if (err.usage) say(`usage:\n${err.usage}`);
      else say(`run "slotbridge ${err.command ? `${err.command} --help` : 'help'}" for usage`);
      return 2;
    }
    say(`slotbridge: ${(err as Error).message}`);
    return 1;
  }
}
