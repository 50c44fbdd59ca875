/** `slotbridge spine …`: the national stand-ins (directory, endpoint directory, proxy) and their admin commands. */
import type { Spine, spineUrls } from '../spine/app.js';
import {
  DEMO_DOS_USER,
  DEMO_SDS_APIKEY,
  parseDosUser,
  type NationalCredentials,
} from '../spine/national-credentials.js';
import type { ProviderRegistration, RegistrationResult } from '../spine/registration.js';
import type { Store } from '../store/store.js';
import type { Command } from './command.js';
import { UsageError, print, requireString, say, storeOptions, type Options } from './io.js';
import { untilSignalled } from './provider.js';
import { openStoreFrom } from './with-store.js';

export const DEFAULT_SPINE_PORT = 4100;

export interface RunningSpine {
  spine: Spine;
  urls: ReturnType<typeof spineUrls>;
  /** The operator token the spine takes, and whether it was made for this run (then it must be printed). */
  operatorToken: string;
  operatorTokenMade: boolean;
  /** Who may search the DoS and SDS stand-ins, and whether that is the public demo credentials. */
  national: NationalCredentials & { demo: boolean };
  close(): Promise<void>;
}

/** The demo consumers' client certificate in the test CA of `--tls DIR` (the party "consumer"). */
export const DEMO_CONSUMER_CERTIFICATE = 'CN=consumer';

/** `--operator-token` or SLOTBRIDGE_OPERATOR_TOKEN, or undefined. */
function operatorTokenGiven(values: Options): string | undefined {
  const given = (values['operator-token'] as string | undefined) ?? process.env.SLOTBRIDGE_OPERATOR_TOKEN;
  return given === '' ? undefined : given;
}

/** The operator token a command that calls the spine's operator API sends. */
export function operatorTokenOption(values: Options): string {
  const token = operatorTokenGiven(values);
  if (!token)
    throw new UsageError(
      '--operator-token TOKEN is required (or SLOTBRIDGE_OPERATOR_TOKEN): the spine printed it when it started',
    );
  return token;
}

/** The token a spine starts with: the one given (if strong enough) or a new one. */
async function operatorTokenFor(values: Options): Promise<{ token: string; made: boolean }> {
  const { newOperatorToken, operatorTokenWeakness } = await import('../spine/operator.js');
  const given = operatorTokenGiven(values);
  if (given === undefined) return { token: newOperatorToken(), made: true };
  const weakness = operatorTokenWeakness(given);
  if (weakness)
    throw new UsageError(
      `the operator token (--operator-token or SLOTBRIDGE_OPERATOR_TOKEN) is too weak: ${weakness}. ` +
        'Leave it out and the spine makes a strong one, or make one with: openssl rand -base64 32',
    );
  return { token: given, made: false };
}

/** `--proxy-allow-private` and `--proxy-allow CIDR …`: the non-public addresses the proxy may reach. */
async function proxyTargetsOf(values: Options, extra: string[] = []) {
  const { parseCidrs } = await import('../spine/proxy/address-policy.js');
  const allow = [...((values['proxy-allow'] as string[] | undefined) ?? []), ...extra];
  try {
    parseCidrs(allow);
  } catch (err) {
    throw new UsageError(`--proxy-allow: ${(err as Error).message}`);
  }
  return { allowPrivate: values['proxy-allow-private'] === true, allow };
}

function portOf(value: unknown, fallback: number): number {
  const port = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${String(value)} is not a port number`);
  return port;
}

/**
 * Starts a spine. `proxyAllow` adds networks the proxy may reach besides `--proxy-allow` (the demo
 * network allows its own loopback).
 */
export async function startSpine(values: Options, store?: Store, proxyAllow: string[] = []): Promise<RunningSpine> {
  const port = portOf(values.port, DEFAULT_SPINE_PORT);
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  if (values.seed !== undefined && values.seed !== 'demo')
    throw new UsageError(`--seed ${String(values.seed)}: only "demo" is known`);
  const timeout = values['proxy-timeout'] === undefined ? undefined : Number(values['proxy-timeout']);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0))
    throw new UsageError('--proxy-timeout must be a whole number of milliseconds');
  const operator = await operatorTokenFor(values);
  const national = standInCredentials(values, process.env);
  const proxyTargets = await proxyTargetsOf(values, proxyAllow);
  const [{ buildSpine, spineUrls }, { seedDemoSpine }, { loadPki, tlsClientOptions, tlsServerOptions }] =
    await Promise.all([import('../spine/app.js'), import('../spine/demo.js'), import('../spine/tls.js')]);
  const ownStore = !store;
  store ??= await openStoreFrom(values);
  if (ownStore) say(`store: ${store.location}`);
  if (values.seed === 'demo') {
    // Under mutual TLS the demo consumers send with the test CA's "consumer" certificate, bound to their ASIDs.
    const seeded = await seedDemoSpine(store.db, {
      clientCertificate: values.tls ? DEMO_CONSUMER_CERTIFICATE : undefined,
    });
    say(
      `seeded the spine: ${seeded.consumers} consumer systems, ${seeded.directoryServices} directory services, ` +
        `${seeded.sdsCases} endpoint-directory test cases`,
    );
  }
  const pki = values.tls ? loadPki(String(values.tls)) : undefined;
  const spine = await buildSpine({
    store,
    operatorToken: operator.token,
    proxyTargets,
    proxyTimeoutMs: timeout,
    https: pki ? tlsServerOptions(pki, 'spine', { requireClientCert: true }) : undefined,
    proxyClientTls: pki ? tlsClientOptions(pki, 'spine') : undefined,
    national,
  });
  const address = await spine.app.listen({ port, host });
  const actual = new URL(address);
  const base = `${actual.protocol}//localhost:${actual.port}`;
  return {
    spine,
    urls: spineUrls(base),
    operatorToken: operator.token,
    operatorTokenMade: operator.made,
    national,
    close: async () => {
      await spine.app.close();
      if (ownStore) await store!.close();
    },
  };
}

/** How a spine's made-up operator token is printed (`slotbridge spine`, `slotbridge start`). */
export function operatorTokenLine(token: string): string {
  return `operator token: ${token} (made for this run; give --operator-token or SLOTBRIDGE_OPERATOR_TOKEN to keep one)`;
}

export function announceSpine(urls: ReturnType<typeof spineUrls>): string[] {
  return [
    `spine: ${urls.spine}`,
    `directory: ${urls.directory}`,
    `endpoints: ${urls.endpoints}`,
    `proxy: ${urls.proxy}`,
    `dos: ${urls.dos}`,
    `sds: ${urls.sds}`,
  ];
}

/** How the stand-ins' credentials are printed when they are the public demo ones. */
export function demoCredentialsLine(national: { demo: boolean }): string[] {
  if (!national.demo) return [];
  return [
    `dos and sds credentials: the public demo ones (DoS user ${DEMO_DOS_USER.username}, password ${DEMO_DOS_USER.password}; ` +
      `SDS apikey ${DEMO_SDS_APIKEY}); give --dos-account and --sds-apikey to choose others`,
  ];
}

/**
 * `--dos-account NAME:PASSWORD …` and `--sds-apikey KEY …` (or SLOTBRIDGE_SPINE_DOS_ACCOUNT and
 * SLOTBRIDGE_SPINE_SDS_APIKEY): who may search the DoS and SDS stand-ins; the public demo credentials when
 * neither is given.
 */
export function standInCredentials(values: Options, env: NodeJS.ProcessEnv): NationalCredentials & { demo: boolean } {
  const accounts = [
    ...((values['dos-account'] as string[] | undefined) ?? []),
    ...(env.SLOTBRIDGE_SPINE_DOS_ACCOUNT ? [env.SLOTBRIDGE_SPINE_DOS_ACCOUNT] : []),
  ];
  const keys = [
    ...((values['sds-apikey'] as string[] | undefined) ?? []),
    ...(env.SLOTBRIDGE_SPINE_SDS_APIKEY ? [env.SLOTBRIDGE_SPINE_SDS_APIKEY] : []),
  ];
  const dosUsers = accounts.map((a) => {
    const user = parseDosUser(a);
    if (!user || user.password.length < 12)
      throw new UsageError('--dos-account must be NAME:PASSWORD with a password of at least 12 characters');
    return user;
  });
  for (const key of keys) if (key.length < 16) throw new UsageError('--sds-apikey must be at least 16 characters');
  if (!dosUsers.length && !keys.length) return { dosUsers: [DEMO_DOS_USER], sdsApiKeys: [DEMO_SDS_APIKEY], demo: true };
  return {
    dosUsers: dosUsers.length ? dosUsers : [DEMO_DOS_USER],
    sdsApiKeys: keys.length ? keys : [DEMO_SDS_APIKEY],
    demo: !dosUsers.length || !keys.length,
  };
}

/** `fetch`, presenting a client certificate when mutual TLS is on (Node's own fetch cannot). */
export async function fetchWith(tls?: { key: Buffer; cert: Buffer; ca: Buffer }): Promise<typeof fetch> {
  if (!tls) return fetch;
  const { Agent, fetch: undiciFetch } = await import('undici');
  const dispatcher = new Agent({ connect: tls });
  return ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}

/** Calls the spine's operator API (`method` with a JSON body, or GET); a failure names the URL and the spine's reason. */
async function operatorCall<T>(
  url: string,
  operatorToken: string,
  options: { method?: string; body?: unknown; fetchImpl?: typeof fetch } = {},
): Promise<T> {
  const fetchImpl = options.fetchImpl ?? fetch;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: options.method ?? 'GET',
      headers: {
        authorization: `Bearer ${operatorToken}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (err) {
    const reason = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new Error(`cannot reach ${url}: ${reason}`, { cause: err });
  }
  const text = await response.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!response.ok)
    throw new Error(
      `${url} answered ${response.status}: ${json?.issue?.map((i: { diagnostics?: string }) => i.diagnostics).join('; ') ?? text}`,
    );
  return json;
}

/** Reads the provider's services (unless given) and enrols it with the spine over its admin API. */
export async function registerProviderWith(
  spineUrl: string,
  options: {
    root: string;
    asid: string;
    ods: string;
    name?: string;
    serviceIds?: string[];
    postcode?: string;
    dispositions?: string[];
    requireBooking?: boolean;
    /** Client certificate for a provider and spine that require mutual TLS. */
    tls?: { key: Buffer; cert: Buffer; ca: Buffer };
    /** The spine's operator token (registration is the operator's). */
    operatorToken: string;
    /** Move an ASID already registered at another service root (else the spine answers 409). */
    replace?: boolean;
    /** The client certificate the provider's system presents under mutual TLS (`CN=…` or a SHA-256 fingerprint). */
    clientCertificate?: string;
  },
): Promise<Omit<RegistrationResult, 'change'> & { replaced?: string[] }> {
  const fetchImpl = await fetchWith(options.tls);
  const { servicesFromProvider } = await import('../spine/enrol.js');
  const services = await servicesFromProvider({
    serviceRoot: options.root,
    serviceIds: options.serviceIds,
    postcode: options.postcode,
    dispositions: options.dispositions,
    odsCode: options.ods,
    fetchImpl,
  });
  const registration: ProviderRegistration = {
    serviceRoot: options.root,
    asid: options.asid,
    odsCode: options.ods,
    name: options.name,
    services,
    requireBooking: options.requireBooking,
    ...(options.replace ? { replace: true } : {}),
    ...(options.clientCertificate ? { clientCertificate: options.clientCertificate } : {}),
  };
  return operatorCall(`${spineUrl.replace(/\/+$/, '')}/admin/providers`, options.operatorToken, {
    method: 'POST',
    body: registration,
    fetchImpl,
  });
}

function spineOption(values: Options): string {
  const url = (values.spine as string | undefined) ?? process.env.SLOTBRIDGE_SPINE;
  if (!url) throw new UsageError('--spine URL is required (or SLOTBRIDGE_SPINE)');
  return url.replace(/\/+$/, '');
}

async function serveCommand(values: Options): Promise<number> {
  const running = await startSpine(values);
  print(values, { ...running.urls, operatorToken: running.operatorToken }, [
    ...announceSpine(running.urls),
    ...(running.operatorTokenMade ? [operatorTokenLine(running.operatorToken)] : []),
    ...demoCredentialsLine(running.national),
  ]);
  say('ready: press Ctrl+C to stop');
  await untilSignalled(running.close);
  return 0;
}

async function registerProviderCommand(values: Options): Promise<number> {
  const requireBooking = values['require-booking'];
  if (requireBooking !== undefined && requireBooking !== 'true' && requireBooking !== 'false')
    throw new UsageError('--require-booking must be true or false');
  const spineUrl = spineOption(values);
  const operatorToken = operatorTokenOption(values);
  const { loadPki, tlsClientOptions } = await import('../spine/tls.js');
  const result = await registerProviderWith(spineUrl, {
    operatorToken,
    replace: values.replace === true,
    clientCertificate: values.certificate as string | undefined,
    root: requireString(values, 'root').replace(/\/+$/, ''),
    asid: requireString(values, 'asid'),
    ods: requireString(values, 'ods'),
    name: values.name as string | undefined,
    serviceIds: values.service as string[] | undefined,
    postcode: values.postcode as string | undefined,
    dispositions:
      typeof values.dispositions === 'string'
        ? values.dispositions
            .split(',')
            .map((d) => d.trim())
            .filter(Boolean)
        : undefined,
    requireBooking: requireBooking === undefined ? undefined : requireBooking === 'true',
    tls: values.tls ? tlsClientOptions(loadPki(String(values.tls)), 'spine') : undefined,
  });
  print(values, result, [
    `registered ASID ${result.asid} (party key ${result.partyKey}) at ${spineUrl}: endpoint ${result.serviceRoot}` +
      (result.replaced?.length ? ` (replacing ${result.replaced.join(', ')})` : ''),
    `listed in the directory: ${result.services.join(', ') || 'no services'}`,
  ]);
  return 0;
}

async function registerConsumerCommand(values: Options): Promise<number> {
  const spineUrl = spineOption(values);
  const operatorToken = operatorTokenOption(values);
  const body = {
    asid: requireString(values, 'asid'),
    odsCode: requireString(values, 'ods'),
    name: requireString(values, 'name'),
    ...(values.certificate ? { clientCertificate: values.certificate as string } : {}),
  };
  const result = await operatorCall<{ asid: string; partyKey: string }>(`${spineUrl}/admin/consumers`, operatorToken, {
    method: 'POST',
    body,
  });
  print(values, result, [`registered consumer ASID ${result.asid} (party key ${result.partyKey}) at ${spineUrl}`]);
  return 0;
}

async function callsCommand(values: Options): Promise<number> {
  const url = new URL(`${spineOption(values)}/monitor/proxy-calls`);
  if (values.trace) url.searchParams.set('traceId', String(values.trace));
  if (values.limit) url.searchParams.set('limit', String(values.limit));
  const json = await operatorCall<{
    calls: {
      at: string;
      trace_id: string | null;
      from_asid: string | null;
      to_asid: string | null;
      interaction: string | null;
      method: string;
      status: number;
      latency_ms: number;
      answered_by: string;
      reason: string | null;
    }[];
  }>(url.href, operatorTokenOption(values));
  print(
    values,
    json,
    json.calls.map(
      (c) =>
        `${c.at} ${c.status} ${c.method} ${c.interaction?.split(':').slice(-2).join(':') ?? '-'} ` +
        `from ${c.from_asid ?? '-'} to ${c.to_asid ?? '-'} trace ${c.trace_id ?? '-'} ${c.latency_ms.toFixed(1)} ms` +
        (c.answered_by === 'proxy' ? ` refused by the proxy: ${c.reason}` : ''),
    ),
  );
  return 0;
}

async function auditCommand(values: Options): Promise<number> {
  const url = new URL(`${spineOption(values)}/monitor/audit`);
  if (values.asid) url.searchParams.set('target', `ASID:${String(values.asid)}`);
  if (values.limit) url.searchParams.set('limit', String(values.limit));
  const json = await operatorCall<{
    entries: { at: string; actor: string; action: string; target: string; before: unknown; after: unknown }[];
  }>(url.href, operatorTokenOption(values));
  print(
    values,
    json,
    json.entries.map((e) => `${e.at} ${e.action} ${e.target} by ${e.actor}`),
  );
  return 0;
}

async function certsCommand(values: Options): Promise<number> {
  const { createTestPki } = await import('../spine/test-ca.js');
  const pki = await createTestPki(requireString(values, 'out'), { hosts: values.host as string[] | undefined });
  print(values, pki, [
    `test CA (for tests only): ${pki.caFile}`,
    ...Object.entries(pki.parties).map(([name, p]) => `${name}: ${p.certFile} ${p.keyFile}`),
  ]);
  return 0;
}

export const spineCommands: Command[] = [
  {
    name: 'spine',
    usage:
      '[--port N] [--host H] [--data DIR | --database-url URL] [--seed demo] [--proxy-timeout MS] [--tls DIR] ' +
      '[--operator-token T] [--proxy-allow-private] [--proxy-allow CIDR …] [--dos-account NAME:PASSWORD …] [--sds-apikey KEY …]',
    summary:
      'the directory (DoS SOAP), endpoint directory (SDS FHIR) and proxy (port 4100); prints the spine:, directory:, ' +
      'endpoints:, proxy:, dos: and sds: URLs, and the operator token when it made one',
    options: {
      ...storeOptions,
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      'proxy-timeout': { type: 'string' },
      tls: { type: 'string' },
      'operator-token': { type: 'string' },
      'proxy-allow-private': { type: 'boolean' },
      'proxy-allow': { type: 'string', multiple: true },
      'dos-account': { type: 'string', multiple: true },
      'sds-apikey': { type: 'string', multiple: true },
    },
    run: serveCommand,
  },
  {
    name: 'spine register-provider',
    usage:
      '--spine URL --operator-token T --root SERVICE_ROOT --asid ASID --ods CODE [--service ID …] [--postcode PC] ' +
      '[--dispositions Dx05,Dx06,…] [--require-booking true|false] [--name NAME] [--tls DIR] [--replace] ' +
      '[--certificate CN=NAME|SHA256]',
    summary:
      'enrols a provider tenant and its services, read from its HealthcareService resources; ' +
      '--replace moves an ASID registered at another root',
    options: {
      spine: { type: 'string' },
      'operator-token': { type: 'string' },
      replace: { type: 'boolean' },
      certificate: { type: 'string' },
      root: { type: 'string' },
      asid: { type: 'string' },
      ods: { type: 'string' },
      name: { type: 'string' },
      service: { type: 'string', multiple: true },
      postcode: { type: 'string' },
      dispositions: { type: 'string' },
      'require-booking': { type: 'string' },
      tls: { type: 'string' },
    },
    run: registerProviderCommand,
  },
  {
    name: 'spine register-consumer',
    usage: '--spine URL --operator-token T --asid ASID --ods CODE --name NAME [--certificate CN=NAME|SHA256]',
    summary: 'enrols a consumer system (with --certificate, the client certificate it must send with under mutual TLS)',
    options: {
      spine: { type: 'string' },
      'operator-token': { type: 'string' },
      asid: { type: 'string' },
      ods: { type: 'string' },
      name: { type: 'string' },
      certificate: { type: 'string' },
    },
    run: registerConsumerCommand,
  },
  {
    name: 'spine calls',
    usage: '--spine URL --operator-token T [--trace ID] [--limit N]',
    summary: "the proxy's call log",
    options: {
      spine: { type: 'string' },
      'operator-token': { type: 'string' },
      trace: { type: 'string' },
      limit: { type: 'string' },
    },
    run: callsCommand,
  },
  {
    name: 'spine audit',
    usage: '--spine URL --operator-token T [--asid ASID] [--limit N]',
    summary: "the spine's audit trail: every registration and directory change, who made it, before and after",
    options: {
      spine: { type: 'string' },
      'operator-token': { type: 'string' },
      asid: { type: 'string' },
      limit: { type: 'string' },
    },
    run: auditCommand,
  },
  {
    name: 'spine certs',
    usage: '--out DIR [--host NAME …]',
    summary: 'a local test CA and certificates for mutual TLS (docs/tls.md)',
    options: { out: { type: 'string' }, host: { type: 'string', multiple: true } },
    run: certsCommand,
  },
];
