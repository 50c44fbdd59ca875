/** `slotbridge provider …`: serve the provider FHIR API, and its operator commands. */
import { seedDemo } from '../capacity/demo.js';
import { setRefusedOrganisations } from '../capacity/catalogue.js';
import { audit, createAdminToken } from '../capacity/admin.js';
import { setAvailability } from '../capacity/availability.js';
import { checkRota, generateRotas, getRota, listRotas, previewRota, putRota, type Rota } from '../capacity/rota.js';
import { progress } from './progress.js';
import { checkReleaseRule, putReleaseRule, setOrganisationType } from '../capacity/release.js';
import { dayView } from '../capacity/day.js';
import { setAppointmentStatus } from '../capacity/front-desk.js';
import { ReleaseView } from '../diary/release.js';
import { randomUUID } from 'node:crypto';
import { buildProviderServer } from '../server/provider.js';
import { providerReport, receiveReferral } from '../reports/provider.js';
import { loadPki, tlsServerOptions } from '../spine/tls.js';
import { openStore, type Store } from '../store/store.js';
import { readFileSync } from 'node:fs';
import { DIRECTORY_USAGE, providerDirectoryCommand } from './provider-directory.js';
import { rethrowOutcome, withStore } from './with-store.js';
import {
  UsageError,
  instantOption,
  parse,
  print,
  requireString,
  say,
  storeFrom,
  storeOptions,
  type Options,
} from './io.js';

export const PROVIDER_USAGE = `slotbridge provider [--port N] [--host H] [--data DIR | --database-url URL] [--public-url URL] [--seed demo] [--tls DIR] [--admin-token TOKEN] [--json]
slotbridge provider report --tenant ID [--from DATE] [--to DATE] [--json]
slotbridge provider policy --tenant ID [--refuse ODS,…] [--allow ODS,…] [--json]
slotbridge provider referral --tenant ID --document-id UUID --file FILE [--content-type TYPE] [--json]
slotbridge provider admin-token --name NAME [--json]                       a new admin API token (shown once)
slotbridge provider rota put --tenant ID --file ROTA.json | rota list --tenant ID
slotbridge provider rota preview --tenant ID --file ROTA.json [--days N]        the slots it would make, per day (nothing saved)
slotbridge provider rota generate --tenant ID (--rota ID | --all) [--days N]   makes the slots (default 28 days); progress on stderr
slotbridge provider slots block|release --tenant ID (--slot ID … | --schedule ID --from ISO --to ISO)
slotbridge provider release --tenant ID --schedule ID [--not-bookable] [--organisations ODS,…] [--types TYPE,…] [--cap-per-day N] [--cap-per-session N] [--window-days N] [--embargo-minutes N] | --clear
slotbridge provider organisation-type --tenant ID --ods CODE --type TYPE|none
slotbridge provider preview --tenant ID --ods CODE                            what that consumer's search would return, and why the rest is withheld
slotbridge provider day --tenant ID [--date YYYY-MM-DD]                        slots offered, booked, free, blocked per schedule, and who booked
slotbridge provider appointment --tenant ID --id ID --status arrived|fulfilled|noshow|cancelled
${DIRECTORY_USAGE}`;

export interface RunningProvider {
  close(): Promise<void>;
  tenants: { id: string; name: string; serviceRoot: string; asid: string; odsCode: string }[];
  origin: string;
}

export async function startProvider(values: Options, store?: Store): Promise<RunningProvider> {
  const port = values.port === undefined ? 4000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${String(values.port)} is not a port number`);
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  if (values.seed !== undefined && values.seed !== 'demo')
    throw new UsageError(`--seed ${String(values.seed)}: only "demo" is known`);

  const ownStore = !store;
  store ??= await openStore(storeFrom(values));
  say(`store: ${store.location}`);
  if (values.seed === 'demo') {
    for (const r of await seedDemo(store)) {
      say(
        `seeded ${r.tenant} (${r.name}): ${r.services} services, ${r.schedules} schedules, ${r.slotsAdded} new slots`,
      );
    }
  }
  // The public origin must be known before listening when a port is fixed; with port 0 it is set after.
  let origin = (values['public-url'] as string | undefined)?.replace(/\/+$/, '');
  // --tls DIR: mutual TLS with the test PKI made by `slotbridge spine certs --out DIR` (docs/tls.md).
  const pki = values.tls ? loadPki(String(values.tls)) : undefined;
  const scheme = pki ? 'https' : 'http';
  const provider = await buildProviderServer({
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

export async function providerCommand(args: string[]): Promise<number> {
  const sub = args[0] && !args[0].startsWith('-') ? args[0] : undefined;
  const rest = sub ? args.slice(1) : args;

  const done = await providerDirectoryCommand(sub, rest);
  if (done !== undefined) return done;

  if (sub === 'report') {
    const { values } = parse(rest, {
      ...storeOptions,
      tenant: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
    });
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
    const { values } = parse(rest, {
      ...storeOptions,
      tenant: { type: 'string' },
      refuse: { type: 'string' },
      allow: { type: 'string' },
    });
    const tenantId = requireString(values, 'tenant');
    const list = (v: unknown) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim().toUpperCase())
            .filter(Boolean)
        : [];
    const refused = await withStore(values, async (store) => {
      const tenant = await store.db
        .selectFrom('tenant')
        .select('refused_organisations')
        .where('id', '=', tenantId)
        .executeTakeFirst();
      if (!tenant) throw new UsageError(`no tenant ${tenantId} in this store`);
      const current = new Set<string>(JSON.parse(tenant.refused_organisations));
      for (const c of list(values.refuse)) current.add(c);
      for (const c of list(values.allow)) current.delete(c);
      await setRefusedOrganisations(store.db, tenantId, [...current]);
      return [...current].sort();
    });
    print(values, { tenant: tenantId, refusedOrganisations: refused }, [
      refused.length
        ? `${tenantId} refuses requests from: ${refused.join(', ')}`
        : `${tenantId} refuses no organisation`,
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
      receiveReferral(
        store,
        tenant,
        documentId,
        body,
        (values['content-type'] as string | undefined) ?? 'application/hl7-v3+xml',
      ),
    );
    print(values, { tenant, documentId, result }, [
      `referral document ${documentId} ${result === 'linked' ? 'received and linked to its booking' : 'received'}`,
    ]);
    return 0;
  }

  if (sub === 'admin-token') {
    const { values } = parse(rest, { ...storeOptions, name: { type: 'string' } });
    const name = requireString(values, 'name');
    const token = await withStore(values, (store) => createAdminToken(store.db, name));
    say(
      `admin token "${name}" made; it is shown only now (the store keeps its SHA-256): use it as "Authorization: Bearer <token>" on /admin/{tenant}/…`,
    );
    print(values, { name, token }, [token]);
    return 0;
  }

  if (sub === 'rota') {
    const [verb, ...more] = rest;
    const { values } = parse(more, {
      ...storeOptions,
      tenant: { type: 'string' },
      file: { type: 'string' },
      rota: { type: 'string' },
      all: { type: 'boolean' },
      days: { type: 'string' },
    });
    const tenant = requireString(values, 'tenant');
    const actor = `cli:${process.env.USER ?? 'operator'}`;
    const readRotaFile = (): unknown => {
      const file = requireString(values, 'file');
      try {
        return JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new UsageError(`--file ${file}: ${(err as Error).message}`);
      }
    };
    const horizon = (): number => {
      const days = values.days === undefined ? 28 : Number(values.days);
      if (!Number.isInteger(days) || days < 1 || days > 366)
        throw new UsageError('--days must be a whole number from 1 to 366');
      return days;
    };
    if (verb === 'put') {
      const body = readRotaFile();
      const rota = await withStore(values, async (store) => {
        const checked = await checkRota(store.db, tenant, body).catch(rethrowOutcome);
        const before = await putRota(store.db, tenant, checked);
        await audit(store.db, {
          tenantId: tenant,
          actor,
          action: before ? 'rota.update' : 'rota.create',
          target: `rota/${checked.id}`,
          before,
          after: checked,
        });
        return checked;
      });
      print(values, rota, [
        `rota ${rota.id} saved for schedule ${rota.scheduleId}: ${rota.days.join(', ')} ${rota.start}–${rota.end}, ${rota.slotMinutes}-minute slots (run "provider rota generate --tenant ${tenant} --rota ${rota.id}" to make them)`,
      ]);
      return 0;
    }
    if (verb === 'preview') {
      const body = readRotaFile();
      const days = horizon();
      const preview = await withStore(values, async (store) =>
        previewRota(tenant, await checkRota(store.db, tenant, body).catch(rethrowOutcome), days),
      );
      print(values, preview, [
        ...preview.days.map(
          (d) =>
            `${d.date} ${d.weekday}  ${String(d.count).padStart(4)} slots  ${d.first}–${d.last} (first and last start)`,
        ),
        `rota ${preview.rota.id} would make ${preview.total.toLocaleString('en-GB')} slots in the next ${days} days on ${preview.days.length} days (a preview: nothing was saved)`,
      ]);
      return 0;
    }
    if (verb === 'generate') {
      const id = values.rota as string | undefined;
      if (Boolean(id) === Boolean(values.all))
        throw new UsageError('give --rota ID or --all (every rota of the tenant)');
      const days = horizon();
      const bar = progress(`rota generate ${id ?? `--all (${tenant})`}`, 'slots');
      const started = performance.now();
      const result = await withStore(values, async (store) => {
        const rotas = id ? [await getRota(store.db, tenant, id)] : await listRotas(store.db, tenant);
        if (id && !rotas[0]) throw new UsageError(`no rota ${id} in ${tenant}`);
        if (!id && !(await store.db.selectFrom('tenant').select('id').where('id', '=', tenant).executeTakeFirst()))
          throw new UsageError(`no tenant ${tenant} in this store`);
        const summary = await generateRotas(store, tenant, rotas as Rota[], days, Date.now(), (p) =>
          bar.update(p.done, p.total),
        );
        bar.finish();
        for (const r of summary.reports) {
          await audit(store.db, {
            tenantId: tenant,
            actor,
            action: 'rota.generate',
            target: `rota/${r.rota}`,
            after: { added: r.added, removed: r.removed, kept: r.kept.length, horizonDays: days },
          });
        }
        return { summary, store: store.location };
      });
      const { summary } = result;
      const seconds = (performance.now() - started) / 1000;
      const n = (x: number) => Math.round(x).toLocaleString('en-GB');
      const perRota = summary.reports
        .map((r) => [
          `rota ${r.rota}: ${n(r.added)} slots added, ${n(r.removed)} free slots removed for the next ${days} days`,
          ...(r.kept.length
            ? [
                `kept (no longer in the rota, but ${[...new Set(r.kept.map((k) => k.status))].join('/')}): ${r.kept.map((k) => k.id).join(', ')}`,
              ]
            : []),
        ])
        .flat();
      const line = `generated ${summary.reports.length} rota${summary.reports.length === 1 ? '' : 's'} of ${tenant} for the next ${days} days: ${n(summary.total)} slots wanted, ${n(summary.added)} added, ${n(summary.removed)} free slots removed, ${n(summary.kept)} kept (booked or blocked) in ${seconds.toFixed(1)} s (${n(summary.total / Math.max(seconds, 0.001))} slots/s); store ${result.store}`;
      const stats = {
        horizonDays: days,
        total: summary.total,
        seconds: Number(seconds.toFixed(3)),
        store: result.store,
      };
      print(
        values,
        id
          ? { ...summary.reports[0]!, ...stats }
          : {
              tenant,
              ...stats,
              added: summary.added,
              removed: summary.removed,
              kept: summary.kept,
              rotas: summary.reports,
            },
        [...perRota, line],
      );
      return 0;
    }
    if (verb === 'list') {
      const rotas = await withStore(values, (store) => listRotas(store.db, tenant));
      print(
        values,
        { rotas },
        rotas.length
          ? rotas.map(
              (r) =>
                `${r.id}  schedule ${r.scheduleId}  ${r.days.join(',')} ${r.start}–${r.end} every ${r.slotMinutes} min  ${r.deliveryChannel ?? 'channel not set'}  from ${r.effectiveFrom}${r.effectiveTo ? ` to ${r.effectiveTo}` : ''}  bank holidays ${r.bankHolidays === 'open' || !r.bankHolidays ? 'open' : `closed (${r.bankHolidays})`}${r.practitionerId ? `  practitioner ${r.practitionerId}` : ''}${r.locationId ? `  location ${r.locationId}` : ''}`,
            )
          : [`${tenant} has no rotas`],
      );
      return 0;
    }
    throw new UsageError(`unknown command "provider rota ${verb ?? ''}"\n${PROVIDER_USAGE}`);
  }

  if (sub === 'slots') {
    const [verb, ...more] = rest;
    if (verb !== 'block' && verb !== 'release')
      throw new UsageError(`unknown command "provider slots ${verb ?? ''}"\n${PROVIDER_USAGE}`);
    const { values } = parse(more, {
      ...storeOptions,
      tenant: { type: 'string' },
      slot: { type: 'string', multiple: true },
      schedule: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
    });
    const tenant = requireString(values, 'tenant');
    const selection = {
      slotIds: values.slot as string[] | undefined,
      scheduleId: values.schedule as string | undefined,
      from: values.from as string | undefined,
      to: values.to as string | undefined,
    };
    const report = await withStore(values, async (store) => {
      const r = await setAvailability(store, tenant, selection, verb).catch(rethrowOutcome);
      await audit(store.db, {
        tenantId: tenant,
        actor: `cli:${process.env.USER ?? 'operator'}`,
        action: `slots.${verb}`,
        target: selection.slotIds?.length
          ? `slots ${selection.slotIds.length}`
          : `schedule/${selection.scheduleId} ${selection.from}–${selection.to}`,
        after: { changed: r.changed.length, skipped: r.skipped.length },
      });
      return r;
    });
    print(values, report, [
      `${verb === 'block' ? 'blocked' : 'released'} ${report.changed.length} slots`,
      ...(report.skipped.length
        ? [`left as they were: ${report.skipped.map((s) => `${s.id} (${s.status})`).join(', ')}`]
        : []),
    ]);
    return 0;
  }

  if (sub === 'release') {
    const { values } = parse(rest, {
      ...storeOptions,
      tenant: { type: 'string' },
      schedule: { type: 'string' },
      'not-bookable': { type: 'boolean' },
      organisations: { type: 'string' },
      types: { type: 'string' },
      'cap-per-day': { type: 'string' },
      'cap-per-session': { type: 'string' },
      'window-days': { type: 'string' },
      'embargo-minutes': { type: 'string' },
      clear: { type: 'boolean' },
    });
    const tenant = requireString(values, 'tenant');
    const schedule = requireString(values, 'schedule');
    const list = (v: unknown) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
        : [];
    const num = (v: unknown) => (v === undefined ? undefined : Number(v));
    const rule = await withStore(values, async (store) => {
      const actor = `cli:${process.env.USER ?? 'operator'}`;
      if (values.clear) {
        const before = await putReleaseRule(store, tenant, schedule, undefined);
        await audit(store.db, {
          tenantId: tenant,
          actor,
          action: 'release.remove',
          target: `schedule/${schedule}`,
          before,
        });
        return undefined;
      }
      const checked = await checkReleaseRule(store.db, tenant, schedule, {
        bookable: !values['not-bookable'],
        organisations: list(values.organisations),
        organisationTypes: list(values.types),
        capPerDay: num(values['cap-per-day']),
        capPerSession: num(values['cap-per-session']),
        bookingWindowDays: num(values['window-days']),
        embargoMinutes: num(values['embargo-minutes']),
      }).catch(rethrowOutcome);
      const before = await putReleaseRule(store, tenant, schedule, checked);
      await audit(store.db, {
        tenantId: tenant,
        actor,
        action: 'release.set',
        target: `schedule/${schedule}`,
        before,
        after: checked,
      });
      return checked;
    });
    print(values, { schedule, rule: rule ?? null }, [
      rule ? `schedule ${schedule}: ${JSON.stringify(rule)}` : `schedule ${schedule} is released to everyone`,
    ]);
    return 0;
  }

  if (sub === 'organisation-type') {
    const { values } = parse(rest, {
      ...storeOptions,
      tenant: { type: 'string' },
      ods: { type: 'string' },
      type: { type: 'string' },
    });
    const tenant = requireString(values, 'tenant');
    const ods = requireString(values, 'ods');
    const type = requireString(values, 'type');
    await withStore(values, async (store) => {
      await setOrganisationType(store, tenant, ods, type === 'none' ? undefined : type).catch(rethrowOutcome);
      await audit(store.db, {
        tenantId: tenant,
        actor: `cli:${process.env.USER ?? 'operator'}`,
        action: 'organisation.type',
        target: `organisation/${ods.toUpperCase()}`,
        after: { type },
      });
    });
    print(values, { ods: ods.toUpperCase(), type: type === 'none' ? null : type }, [
      `${ods.toUpperCase()} is ${type === 'none' ? 'of no type' : `of type ${type}`} for ${tenant}`,
    ]);
    return 0;
  }

  if (sub === 'preview') {
    const { values } = parse(rest, { ...storeOptions, tenant: { type: 'string' }, ods: { type: 'string' } });
    const tenant = requireString(values, 'tenant');
    const ods = requireString(values, 'ods').toUpperCase();
    const decided = await withStore(values, async (store) => {
      const now = Date.now();
      const slots = await store.db
        .selectFrom('slot')
        .select(['id', 'schedule_id', 'start', 'end'])
        .where('tenant_id', '=', tenant)
        .where('status', '=', 'free')
        .where('start', '>=', new Date(now).toISOString())
        .where('start', '<', new Date(now + 7 * 86_400_000).toISOString())
        .orderBy('start')
        .limit(5000)
        .execute();
      const view = await ReleaseView.load(store.db, tenant, ods);
      return slots.map((s) => ({ ...s, ...view.decide(s, ods, now) }));
    });
    const withheld = decided.filter((d) => !d.visible);
    const reasons = new Map<string, number>();
    for (const w of withheld)
      reasons.set(`${w.schedule_id}: ${w.reason}`, (reasons.get(`${w.schedule_id}: ${w.reason}`) ?? 0) + 1);
    print(values, { ods, visible: decided.length - withheld.length, withheld: withheld.length, slots: decided }, [
      `${ods} would see ${decided.length - withheld.length} of ${decided.length} free slots in the next 7 days`,
      ...[...reasons].map(([r, n]) => `  withheld ${n}: ${r}`),
    ]);
    return 0;
  }

  if (sub === 'day') {
    const { values } = parse(rest, { ...storeOptions, tenant: { type: 'string' }, date: { type: 'string' } });
    const tenant = requireString(values, 'tenant');
    const view = await withStore(values, (store) =>
      dayView(store.db, tenant, values.date as string | undefined).catch(rethrowOutcome),
    );
    print(values, view, [
      `${tenant} on ${view.date}`,
      ...view.schedules.map(
        (s) =>
          `  ${s.scheduleId} (${s.services.join(', ')}): ${s.offered} offered, ${s.booked} booked, ${s.free} free, ${s.blocked} blocked${s.bookings.length ? `; booked by ${[...new Set(s.bookings.map((b) => b.bookedBy))].join(', ')}` : ''}`,
      ),
    ]);
    return 0;
  }

  if (sub === 'appointment') {
    const { values } = parse(rest, {
      ...storeOptions,
      tenant: { type: 'string' },
      id: { type: 'string' },
      status: { type: 'string' },
    });
    const tenant = requireString(values, 'tenant');
    const id = requireString(values, 'id');
    const actor = `cli:${process.env.USER ?? 'operator'}`;
    const result = await withStore(values, async (store) => {
      const r = await setAppointmentStatus(store, tenant, id, values.status, actor, randomUUID()).catch(rethrowOutcome);
      await audit(store.db, {
        tenantId: tenant,
        actor,
        action: 'appointment.status',
        target: `appointment/${id}`,
        before: { status: r.before },
        after: { status: r.status, versionId: r.versionId },
      });
      return r;
    });
    print(values, result, [`appointment ${id}: ${result.before} → ${result.status} (version ${result.versionId})`]);
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
  print(
    values,
    { tenants: running.tenants },
    running.tenants.map((t) => t.serviceRoot),
  );
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
