/** `slotbridge provider …`: serve the provider FHIR API, and its operator commands. */
import { seedDemo } from '../capacity/demo.js';
import { setRefusedOrganisations } from '../capacity/catalogue.js';
import { buildProvider } from '../provider/app.js';
import { providerReport, receiveReferral } from '../reports/provider.js';
import { loadPki, tlsServerOptions } from '../spine/tls.js';
import { openStore, type Store } from '../store/store.js';
import { readFileSync } from 'node:fs';
import { UsageError, instantOption, parse, print, requireString, say, storeFrom, storeOptions, type Options } from './io.js';

export const PROVIDER_USAGE = `slotbridge provider [--port N] [--host H] [--data DIR | --database-url URL] [--public-url URL] [--seed demo] [--tls DIR] [--json]
slotbridge provider report --tenant ID [--from DATE] [--to DATE] [--json]
slotbridge provider policy --tenant ID [--refuse ODS,…] [--allow ODS,…] [--json]
slotbridge provider referral --tenant ID --document-id UUID --file FILE [--content-type TYPE] [--json]`;

export interface RunningProvider {
  close(): Promise<void>;
  tenants: { id: string; name: string; serviceRoot: string; asid: string; odsCode: string }[];
  origin: string;
}

export async function startProvider(values: Options, store?: Store): Promise<RunningProvider> {
  const port = values.port === undefined ? 4000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${String(values.port)} is not a port number`);
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  if (values.seed !== undefined && values.seed !== 'demo') throw new UsageError(`--seed ${String(values.seed)}: only "demo" is known`);

  const ownStore = !store;
  store ??= await openStore(storeFrom(values));
  say(`store: ${store.location}`);
  if (values.seed === 'demo') {
    for (const r of await seedDemo(store)) {
      say(`seeded ${r.tenant} (${r.name}): ${r.services} services, ${r.schedules} schedules, ${r.slotsAdded} new slots`);
    }
  }
  // The public origin must be known before listening when a port is fixed; with port 0 it is set after.
  let origin = (values['public-url'] as string | undefined)?.replace(/\/+$/, '');
  // --tls DIR: mutual TLS with the test PKI made by `slotbridge spine certs --out DIR` (docs/tls.md).
  const pki = values.tls ? loadPki(String(values.tls)) : undefined;
  const scheme = pki ? 'https' : 'http';
  const provider = await buildProvider({
    store,
    publicOrigin: origin ?? `${scheme}://localhost:${port}`,
    https: pki ? tlsServerOptions(pki, 'provider', { requireClientCert: true }) : undefined,
  });
  const address = await provider.app.listen({ port, host });
  const actualPort = Number(new URL(address).port);
  if (!origin) {
    origin = `${scheme}://localhost:${actualPort}`;
    provider.tenants.publicOrigin = origin;
  }
  const tenants = (await provider.tenants.load()).map((t) => ({
    id: t.id,
    name: t.name,
    serviceRoot: provider.tenants.serviceRoot(t.id),
    asid: t.asid,
    odsCode: t.ods_code,
  }));
  return {
    tenants,
    origin,
    close: async () => {
      await provider.app.close();
      if (ownStore) await store!.close();
    },
  };
}

async function withStore<T>(values: Options, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeFrom(values));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export async function providerCommand(args: string[]): Promise<number> {
  const sub = args[0] && !args[0].startsWith('-') ? args[0] : undefined;
  const rest = sub ? args.slice(1) : args;

  if (sub === 'report') {
    const { values } = parse(rest, { ...storeOptions, tenant: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } });
    const tenant = requireString(values, 'tenant');
    const to = instantOption(values, 'to', new Date().toISOString());
    const from = instantOption(values, 'from', new Date(Date.parse(to) - 30 * 86_400_000).toISOString());
    const report = await withStore(values, (store) => providerReport(store, tenant, from, to));
    print(values, report, [
      `Provider reports for ${tenant}, ${from} to ${to}`,
      `rep-prov-01 appointments booked: ${report['rep-prov-01'].booked}`,
      ...report['rep-prov-01'].byService.map((s) => `    service ${s.service}: ${s.booked}`),
      `rep-prov-02 booked vs referrals: ${report['rep-prov-02'].booked} of ${report['rep-prov-02'].referrals} (${report['rep-prov-02'].bookedPercent ?? '–'}%)`,
      `rep-prov-03 booked vs slots made available: ${report['rep-prov-03'].booked} of ${report['rep-prov-03'].slotsMadeAvailable} (${report['rep-prov-03'].bookedPercent ?? '–'}%)`,
      `rep-prov-04 referrals not booked: ${report['rep-prov-04'].notBooked} of ${report['rep-prov-04'].referrals} (${report['rep-prov-04'].notBookedPercent ?? '–'}%)`,
      `rep-prov-05 cancellations: ${report['rep-prov-05'].cancelled}`,
    ]);
    return 0;
  }

  if (sub === 'policy') {
    const { values } = parse(rest, { ...storeOptions, tenant: { type: 'string' }, refuse: { type: 'string' }, allow: { type: 'string' } });
    const tenantId = requireString(values, 'tenant');
    const list = (v: unknown) => (typeof v === 'string' ? v.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean) : []);
    const refused = await withStore(values, async (store) => {
      const tenant = await store.db.selectFrom('tenant').select('refused_organisations').where('id', '=', tenantId).executeTakeFirst();
      if (!tenant) throw new UsageError(`no tenant ${tenantId} in this store`);
      const current = new Set<string>(JSON.parse(tenant.refused_organisations));
      for (const c of list(values.refuse)) current.add(c);
      for (const c of list(values.allow)) current.delete(c);
      await setRefusedOrganisations(store.db, tenantId, [...current]);
      return [...current].sort();
    });
    print(values, { tenant: tenantId, refusedOrganisations: refused }, [
      refused.length ? `${tenantId} refuses requests from: ${refused.join(', ')}` : `${tenantId} refuses no organisation`,
    ]);
    return 0;
  }

  if (sub === 'referral') {
    const { values } = parse(rest, {
      ...storeOptions,
      tenant: { type: 'string' },
      'document-id': { type: 'string' },
      file: { type: 'string' },
      'content-type': { type: 'string' },
    });
    const tenant = requireString(values, 'tenant');
    const documentId = requireString(values, 'document-id');
    const body = readFileSync(requireString(values, 'file'), 'utf8');
    const result = await withStore(values, (store) =>
      receiveReferral(store, tenant, documentId, body, (values['content-type'] as string | undefined) ?? 'application/hl7-v3+xml'),
    );
    print(values, { tenant, documentId, result }, [`referral document ${documentId} ${result === 'linked' ? 'received and linked to its booking' : 'received'}`]);
    return 0;
  }

  if (sub !== undefined) throw new UsageError(`unknown command "provider ${sub}"\n${PROVIDER_USAGE}`);
  const { values } = parse(rest, {
    ...storeOptions,
    port: { type: 'string' },
    host: { type: 'string' },
    'public-url': { type: 'string' },
    seed: { type: 'string' },
    tls: { type: 'string' },
  });
  const running = await startProvider(values);
  announce(values, running);
  await untilSignalled(running.close);
  return 0;
}

export function announce(values: Options, running: RunningProvider): void {
  for (const t of running.tenants) say(`${t.id}: ${t.name} (ASID ${t.asid}, ODS ${t.odsCode})`);
  print(values, { tenants: running.tenants }, running.tenants.map((t) => t.serviceRoot));
}

export function untilSignalled(close: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      say('stopping…');
      void close().then(resolve, (err) => {
        say(`error while stopping: ${(err as Error).message}`);
        resolve();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
