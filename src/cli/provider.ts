/** `slotbridge provider …`: serve the provider FHIR API, and its operator commands. */
import { seedDemo } from '../capacity/demo.js';
import { setRefusedOrganisations } from '../capacity/catalogue.js';
import { audit, createAdminToken } from '../capacity/admin.js';
import { setAvailability } from '../capacity/availability.js';
import { checkRota, generateRotaSlots, getRota, listRotas, putRota } from '../capacity/rota.js';
import { OperationOutcomeError } from '../fhir/outcome.js';
import { buildProvider } from '../provider/app.js';
import { providerReport, receiveReferral } from '../reports/provider.js';
import { loadPki, tlsServerOptions } from '../spine/tls.js';
import { openStore, type Store } from '../store/store.js';
import { readFileSync } from 'node:fs';
import { UsageError, instantOption, parse, print, requireString, say, storeFrom, storeOptions, type Options } from './io.js';

export const PROVIDER_USAGE = `slotbridge provider [--port N] [--host H] [--data DIR | --database-url URL] [--public-url URL] [--seed demo] [--tls DIR] [--admin-token TOKEN] [--json]
slotbridge provider report --tenant ID [--from DATE] [--to DATE] [--json]
slotbridge provider policy --tenant ID [--refuse ODS,…] [--allow ODS,…] [--json]
slotbridge provider referral --tenant ID --document-id UUID --file FILE [--content-type TYPE] [--json]
slotbridge provider admin-token --name NAME [--json]                       a new admin API token (shown once)
slotbridge provider rota put --tenant ID --file ROTA.json | rota generate --tenant ID --rota ID [--days N] | rota list --tenant ID
slotbridge provider slots block|release --tenant ID (--slot ID … | --schedule ID --from ISO --to ISO)`;

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
    adminToken: (values['admin-token'] as string | undefined) ?? process.env.SLOTBRIDGE_ADMIN_TOKEN,
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

/** A rule the input broke, as a usage error (exit 2) with the rule's message. */
function rethrowOutcome(err: unknown): never {
  if (err instanceof OperationOutcomeError) throw new UsageError(err.message);
  throw err;
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

  if (sub === 'admin-token') {
    const { values } = parse(rest, { ...storeOptions, name: { type: 'string' } });
    const name = requireString(values, 'name');
    const token = await withStore(values, (store) => createAdminToken(store.db, name));
    say(`admin token "${name}" made; it is shown only now (the store keeps its SHA-256): use it as "Authorization: Bearer <token>" on /admin/{tenant}/…`);
    print(values, { name, token }, [token]);
    return 0;
  }

  if (sub === 'rota') {
    const [verb, ...more] = rest;
    const { values } = parse(more, { ...storeOptions, tenant: { type: 'string' }, file: { type: 'string' }, rota: { type: 'string' }, days: { type: 'string' } });
    const tenant = requireString(values, 'tenant');
    const actor = `cli:${process.env.USER ?? 'operator'}`;
    if (verb === 'put') {
      const file = requireString(values, 'file');
      let body: unknown;
      try {
        body = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new UsageError(`--file ${file}: ${(err as Error).message}`);
      }
      const rota = await withStore(values, async (store) => {
        const checked = await checkRota(store.db, tenant, body).catch(rethrowOutcome);
        const before = await putRota(store.db, tenant, checked);
        await audit(store.db, { tenantId: tenant, actor, action: before ? 'rota.update' : 'rota.create', target: `rota/${checked.id}`, before, after: checked });
        return checked;
      });
      print(values, rota, [`rota ${rota.id} saved for schedule ${rota.scheduleId}: ${rota.days.join(', ')} ${rota.start}–${rota.end}, ${rota.slotMinutes}-minute slots (run "provider rota generate --tenant ${tenant} --rota ${rota.id}" to make them)`]);
      return 0;
    }
    if (verb === 'generate') {
      const id = requireString(values, 'rota');
      const days = values.days === undefined ? 28 : Number(values.days);
      if (!Number.isInteger(days) || days < 1 || days > 366) throw new UsageError('--days must be a whole number from 1 to 366');
      const report = await withStore(values, async (store) => {
        const rota = await getRota(store.db, tenant, id);
        if (!rota) throw new UsageError(`no rota ${id} in ${tenant}`);
        const r = await generateRotaSlots(store, tenant, rota, days);
        await audit(store.db, { tenantId: tenant, actor, action: 'rota.generate', target: `rota/${id}`, after: { added: r.added, removed: r.removed, kept: r.kept.length, horizonDays: days } });
        return r;
      });
      print(values, report, [
        `rota ${id}: ${report.added} slots added, ${report.removed} free slots removed for the next ${days} days`,
        ...(report.kept.length ? [`kept (no longer in the rota, but ${[...new Set(report.kept.map((k) => k.status))].join('/')}): ${report.kept.map((k) => k.id).join(', ')}`] : []),
      ]);
      return 0;
    }
    if (verb === 'list') {
      const rotas = await withStore(values, (store) => listRotas(store.db, tenant));
      print(values, { rotas }, rotas.length ? rotas.map((r) => `${r.id}  schedule ${r.scheduleId}  ${r.days.join(',')} ${r.start}–${r.end} every ${r.slotMinutes} min  ${r.deliveryChannel ?? 'channel not set'}  from ${r.effectiveFrom}${r.effectiveTo ? ` to ${r.effectiveTo}` : ''}`) : [`${tenant} has no rotas`]);
      return 0;
    }
    throw new UsageError(`unknown command "provider rota ${verb ?? ''}"\n${PROVIDER_USAGE}`);
  }

  if (sub === 'slots') {
    const [verb, ...more] = rest;
    if (verb !== 'block' && verb !== 'release') throw new UsageError(`unknown command "provider slots ${verb ?? ''}"\n${PROVIDER_USAGE}`);
    const { values } = parse(more, { ...storeOptions, tenant: { type: 'string' }, slot: { type: 'string', multiple: true }, schedule: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } });
    const tenant = requireString(values, 'tenant');
    const selection = { slotIds: values.slot as string[] | undefined, scheduleId: values.schedule as string | undefined, from: values.from as string | undefined, to: values.to as string | undefined };
    const report = await withStore(values, async (store) => {
      const r = await setAvailability(store, tenant, selection, verb).catch(rethrowOutcome);
      await audit(store.db, { tenantId: tenant, actor: `cli:${process.env.USER ?? 'operator'}`, action: `slots.${verb}`, target: selection.slotIds?.length ? `slots ${selection.slotIds.length}` : `schedule/${selection.scheduleId} ${selection.from}–${selection.to}`, after: { changed: r.changed.length, skipped: r.skipped.length } });
      return r;
    });
    print(values, report, [`${verb === 'block' ? 'blocked' : 'released'} ${report.changed.length} slots`, ...(report.skipped.length ? [`left as they were: ${report.skipped.map((s) => `${s.id} (${s.status})`).join(', ')}`] : [])]);
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
    'admin-token': { type: 'string' },
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
