/** `slotbridge provider …`: serve the provider FHIR API, and its operator commands. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Rota } from '../capacity/rota.js';
import type { Store } from '../store/store.js';
import type { Command } from './command.js';
import { providerDirectoryCommands } from './provider-directory.js';
import { auditChange, cliActor, openStoreFrom, rethrowOutcome, withStore } from './with-store.js';
import { UsageError, instantOption, print, requireString, say, storeOptions, type Options } from './io.js';

export interface RunningProvider {
  close(): Promise<void>;
  tenants: { id: string; name: string; serviceRoot: string; asid: string; odsCode: string }[];
  origin: string;
}

/**
 * The start-up admin token: `--admin-token`, else SLOTBRIDGE_ADMIN_TOKEN (an empty one is unset).
 * It is the operator's, good on every tenant, so a weak one is refused (a usage error).
 */
export async function startupAdminToken(values: Options): Promise<string | undefined> {
  const given = values['admin-token'] as string | undefined;
  const token = given ?? (process.env.SLOTBRIDGE_ADMIN_TOKEN || undefined);
  if (token === undefined) return undefined;
  const { weakStartupToken } = await import('../capacity/admin-tokens.js');
  const weak = weakStartupToken(token);
  if (weak)
    throw new UsageError(
      `${given !== undefined ? '--admin-token' : 'SLOTBRIDGE_ADMIN_TOKEN'} is too weak to guard every tenant: ${weak} ` +
        '(make a random one, e.g. "openssl rand -base64 32")',
    );
  return token;
}

export interface ProviderExtras {
  /** Addresses whose X-Forwarded-For the admin API believes (the web app's capacity forwarder). */
  adminTrustedProxies?: string[];
}

export async function startProvider(
  values: Options,
  store?: Store,
  extras: ProviderExtras = {},
): Promise<RunningProvider> {
  const port = values.port === undefined ? 4000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${String(values.port)} is not a port number`);
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  if (values.seed !== undefined && values.seed !== 'demo')
    throw new UsageError(`--seed ${String(values.seed)}: only "demo" is known`);
  const adminToken = await startupAdminToken(values);
  const [{ seedDemo }, { buildProviderServer }, { loadPki, tlsServerOptions }, { addressList }] = await Promise.all([
    import('../capacity/demo.js'),
    import('../server/provider.js'),
    import('../spine/tls.js'),
    import('../provider/http/peer.js'),
  ]);
  // Only the proxy may call, when either is given (docs/security.md): by address, by client certificate.
  const allowFrom = ((values['allow-from'] as string[] | undefined) ?? []).flatMap((v) => listOption(v));
  const proxyCertificateNames = ((values['proxy-cert-cn'] as string[] | undefined) ?? []).flatMap((v) => listOption(v));
  try {
    addressList(allowFrom);
  } catch (err) {
    throw new UsageError(`--allow-from ${(err as Error).message}`);
  }
  if (proxyCertificateNames.length && !values.tls)
    throw new UsageError(
      '--proxy-cert-cn needs --tls DIR: the proxy is known by its client certificate under mutual TLS',
    );

  const ownStore = !store;
  store ??= await openStoreFrom(values);
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
    peers: { allowFrom, proxyCertificateNames },
    adminToken,
    admin: { trustedProxies: extras.adminTrustedProxies },
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

const tenantOption = { ...storeOptions, tenant: { type: 'string' } } as const;

/** A comma-separated list option: `--refuse A1,B2`. */
function listOption(value: unknown, normalise: (s: string) => string = (s) => s): string[] {
  return typeof value === 'string'
    ? value
        .split(',')
        .map((s) => normalise(s.trim()))
        .filter(Boolean)
    : [];
}

async function serveCommand(values: Options): Promise<number> {
  const running = await startProvider(values);
  announce(values, running);
  await untilSignalled(running.close);
  return 0;
}

async function reportCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const to = instantOption(values, 'to', new Date().toISOString());
  const from = instantOption(values, 'from', new Date(Date.parse(to) - 30 * 86_400_000).toISOString());
  const { providerReport } = await import('../reports/provider.js');
  const report = await withStore(values, (store) => providerReport(store, tenant, from, to));
  const [r2, r3, r4] = [report['rep-prov-02'], report['rep-prov-03'], report['rep-prov-04']];
  const share = (n: number, of: number, percent: number | null | undefined) => `${n} of ${of} (${percent ?? '–'}%)`;
  print(values, report, [
    `Provider reports for ${tenant}, ${from} to ${to}`,
    `rep-prov-01 appointments booked: ${report['rep-prov-01'].booked}`,
    ...report['rep-prov-01'].byService.map((s) => `    service ${s.service}: ${s.booked}`),
    `rep-prov-02 booked vs referrals: ${share(r2.booked, r2.referrals, r2.bookedPercent)}`,
    `rep-prov-03 booked vs slots made available: ${share(r3.booked, r3.slotsMadeAvailable, r3.bookedPercent)}`,
    `rep-prov-04 referrals not booked: ${share(r4.notBooked, r4.referrals, r4.notBookedPercent)}`,
    `rep-prov-05 cancellations: ${report['rep-prov-05'].cancelled}`,
  ]);
  return 0;
}

async function policyCommand(values: Options): Promise<number> {
  const tenantId = requireString(values, 'tenant');
  const upper = (s: string) => s.toUpperCase();
  const { setRefusedOrganisations } = await import('../capacity/catalogue.js');
  const refused = await withStore(values, async (store) => {
    const tenant = await store.db
      .selectFrom('tenant')
      .select('refused_organisations')
      .where('id', '=', tenantId)
      .executeTakeFirst();
    if (!tenant) throw new UsageError(`no tenant ${tenantId} in this store`);
    const current = new Set<string>(JSON.parse(tenant.refused_organisations));
    for (const c of listOption(values.refuse, upper)) current.add(c);
    for (const c of listOption(values.allow, upper)) current.delete(c);
    await setRefusedOrganisations(store.db, tenantId, [...current]);
    return [...current].sort();
  });
  print(values, { tenant: tenantId, refusedOrganisations: refused }, [
    refused.length ? `${tenantId} refuses requests from: ${refused.join(', ')}` : `${tenantId} refuses no organisation`,
  ]);
  return 0;
}

async function referralCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const documentId = requireString(values, 'document-id');
  const body = readFileSync(requireString(values, 'file'), 'utf8');
  const { receiveReferral } = await import('../reports/provider.js');
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

/** The admin-token commands' mistakes in what a token should be are usage errors. */
async function tokenRequest<T>(work: Promise<T>): Promise<T> {
  const { AdminTokenRequestError } = await import('../capacity/admin-tokens.js');
  return work.catch((err: unknown) => {
    throw err instanceof AdminTokenRequestError ? new UsageError(err.message) : err;
  });
}

type TokenInfo = import('../capacity/admin-tokens.js').AdminTokenInfo;
const tenantsOf = (t: TokenInfo) => (t.tenants === 'all' ? 'all tenants' : t.tenants.join(', ') || 'no tenant');

async function adminTokenCommand(values: Options): Promise<number> {
  const name = requireString(values, 'name');
  const { createAdminToken } = await import('../capacity/admin-tokens.js');
  const made = await tokenRequest(
    withStore(values, (store) =>
      createAdminToken(store.db, {
        name,
        tenants: (values.tenant as string[] | undefined) ?? [],
        allTenants: values['all-tenants'] === true,
        expires: values.expires as string | undefined,
      }),
    ),
  );
  say(
    `admin token "${name}" (id ${made.id}) made for ${tenantsOf(made)}, expiring ${made.expires}; ` +
      'it is shown only now (the store keeps its SHA-256): use it as "Authorization: Bearer <token>" on /admin/{tenant}/…',
  );
  print(values, made, [made.token]);
  return 0;
}

async function adminTokenListCommand(values: Options): Promise<number> {
  const { listAdminTokens } = await import('../capacity/admin-tokens.js');
  const tokens = await withStore(values, (store) => listAdminTokens(store.db));
  const now = new Date().toISOString();
  const state = (t: TokenInfo) =>
    t.revoked
      ? `revoked ${t.revoked}`
      : t.expires && t.expires <= now
        ? `expired ${t.expires}`
        : `expires ${t.expires ?? 'never'}`;
  print(
    values,
    { tokens },
    tokens.length
      ? tokens.map((t) => `${t.id}  "${t.name}"  ${tenantsOf(t)}  created ${t.created}  ${state(t)}`)
      : ['no admin tokens made (slotbridge provider admin-token --name NAME --tenant ID makes one)'],
  );
  return 0;
}

async function adminTokenRevokeCommand(values: Options): Promise<number> {
  const { revokeAdminTokens } = await import('../capacity/admin-tokens.js');
  const which = { name: values.name as string | undefined, id: values.id as string | undefined };
  const revoked = await tokenRequest(withStore(values, (store) => revokeAdminTokens(store.db, which)));
  if (!revoked.length) {
    say(`no live admin token ${which.name ? `named "${which.name}"` : `with id ${which.id}`}`);
    print(values, { revoked }, []);
    return 1;
  }
  print(
    values,
    { revoked },
    revoked.map((t) => `revoked ${t.id} "${t.name}" (${tenantsOf(t)}): the admin API refuses it from now on`),
  );
  return 0;
}

function readRotaFile(values: Options): unknown {
  const file = requireString(values, 'file');
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--file ${file}: ${(err as Error).message}`);
  }
}

function horizon(values: Options): number {
  const days = values.days === undefined ? 28 : Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 366)
    throw new UsageError('--days must be a whole number from 1 to 366');
  return days;
}

async function rotaPutCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const body = readRotaFile(values);
  const { checkRota, putRota } = await import('../capacity/rota.js');
  const rota = await withStore(values, async (store) => {
    const checked = await checkRota(store.db, tenant, body).catch(rethrowOutcome);
    const before = await putRota(store.db, tenant, checked);
    await auditChange(store, {
      tenantId: tenant,
      actor: cliActor(),
      action: before ? 'rota.update' : 'rota.create',
      target: `rota/${checked.id}`,
      before,
      after: checked,
    });
    return checked;
  });
  print(values, rota, [
    `rota ${rota.id} saved for schedule ${rota.scheduleId}: ${rota.days.join(', ')} ${rota.start}–${rota.end}, ` +
      `${rota.slotMinutes}-minute slots (run "provider rota generate --tenant ${tenant} --rota ${rota.id}" to make them)`,
  ]);
  return 0;
}

async function rotaPreviewCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const body = readRotaFile(values);
  const days = horizon(values);
  const { checkRota, previewRotaWithSkips } = await import('../capacity/rota.js');
  const preview = await withStore(values, async (store) =>
    previewRotaWithSkips(store.db, tenant, await checkRota(store.db, tenant, body).catch(rethrowOutcome), days),
  );
  print(values, preview, [
    ...preview.days.map(
      (d) =>
        `${d.date} ${d.weekday}  ${String(d.count).padStart(4)} slots  ${d.first}–${d.last} (first and last start)`,
    ),
    `rota ${preview.rota.id} would make ${preview.total.toLocaleString('en-GB')} slots in the next ${days} days ` +
      `on ${preview.days.length} days (a preview: nothing was saved)`,
    ...(preview.existing ? [`${preview.existing.toLocaleString('en-GB')} of them are already there`] : []),
    ...preview.skipped.reasons.map(
      (r) => `${r.count.toLocaleString('en-GB')} would be skipped: ${r.text} (a rota never doubles a slot)`,
    ),
    ...(preview.past ? [preview.past] : []),
  ]);
  return 0;
}

async function rotaGenerateCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const id = values.rota as string | undefined;
  if (Boolean(id) === Boolean(values.all)) throw new UsageError('give --rota ID or --all (every rota of the tenant)');
  const days = horizon(values);
  const [{ generateRotas, getRota, listRotas }, { progress }] = await Promise.all([
    import('../capacity/rota.js'),
    import('./progress.js'),
  ]);
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
      await auditChange(store, {
        tenantId: tenant,
        actor: cliActor(),
        action: 'rota.generate',
        target: `rota/${r.rota}`,
        after: { added: r.added, removed: r.removed, kept: r.kept.length, skipped: r.skipped.count, horizonDays: days },
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
            `kept (no longer in the rota, but ${[...new Set(r.kept.map((k) => k.status))].join('/')}): ` +
              r.kept.map((k) => k.id).join(', '),
          ]
        : []),
      ...r.skipped.reasons.map((k) => `${n(k.count)} skipped: ${k.text} (a rota never doubles a slot)`),
    ])
    .flat();
  const rotas = `${summary.reports.length} rota${summary.reports.length === 1 ? '' : 's'}`;
  const line =
    `generated ${rotas} of ${tenant} for the next ${days} days: ${n(summary.total)} slots wanted, ` +
    `${n(summary.added)} added, ${n(summary.removed)} free slots removed, ${n(summary.kept)} kept (booked or blocked) ` +
    `in ${seconds.toFixed(1)} s (${n(summary.total / Math.max(seconds, 0.001))} slots/s); store ${result.store}`;
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

async function rotaListCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const { listRotas } = await import('../capacity/rota.js');
  const rotas = await withStore(values, (store) => listRotas(store.db, tenant));
  print(
    values,
    { rotas },
    rotas.length
      ? rotas.map((r) =>
          [
            `${r.id}  schedule ${r.scheduleId}  ${r.days.join(',')} ${r.start}–${r.end} every ${r.slotMinutes} min`,
            `  ${r.deliveryChannel ?? 'channel not set'}  from ${r.effectiveFrom}`,
            r.effectiveTo ? ` to ${r.effectiveTo}` : '',
            `  bank holidays ${r.bankHolidays === 'open' || !r.bankHolidays ? 'open' : `closed (${r.bankHolidays})`}`,
            r.practitionerId ? `  practitioner ${r.practitionerId}` : '',
            r.locationId ? `  location ${r.locationId}` : '',
          ].join(''),
        )
      : [`${tenant} has no rotas`],
  );
  return 0;
}

/** `provider slots block` and `provider slots release`: the same selection, the opposite change. */
function slotsCommand(verb: 'block' | 'release'): (values: Options) => Promise<number> {
  return async (values) => {
    const tenant = requireString(values, 'tenant');
    const selection = {
      slotIds: values.slot as string[] | undefined,
      scheduleId: values.schedule as string | undefined,
      from: values.from as string | undefined,
      to: values.to as string | undefined,
    };
    const { setAvailability } = await import('../capacity/availability.js');
    const report = await withStore(values, async (store) => {
      const r = await setAvailability(store, tenant, selection, verb).catch(rethrowOutcome);
      await auditChange(store, {
        tenantId: tenant,
        actor: cliActor(),
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
  };
}

async function releaseCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const schedule = requireString(values, 'schedule');
  const num = (v: unknown) => (v === undefined ? undefined : Number(v));
  const { checkReleaseRule, putReleaseRule } = await import('../capacity/release.js');
  const rule = await withStore(values, async (store) => {
    if (values.clear) {
      const before = await putReleaseRule(store, tenant, schedule, undefined);
      await auditChange(store, {
        tenantId: tenant,
        actor: cliActor(),
        action: 'release.remove',
        target: `schedule/${schedule}`,
        before,
      });
      return undefined;
    }
    const checked = await checkReleaseRule(store.db, tenant, schedule, {
      bookable: !values['not-bookable'],
      organisations: listOption(values.organisations),
      organisationTypes: listOption(values.types),
      capPerDay: num(values['cap-per-day']),
      capPerSession: num(values['cap-per-session']),
      bookingWindowDays: num(values['window-days']),
      embargoMinutes: num(values['embargo-minutes']),
    }).catch(rethrowOutcome);
    const before = await putReleaseRule(store, tenant, schedule, checked);
    await auditChange(store, {
      tenantId: tenant,
      actor: cliActor(),
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

async function organisationTypeCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const ods = requireString(values, 'ods');
  const type = requireString(values, 'type');
  const { setOrganisationType } = await import('../capacity/release.js');
  await withStore(values, async (store) => {
    await setOrganisationType(store, tenant, ods, type === 'none' ? undefined : type).catch(rethrowOutcome);
    await auditChange(store, {
      tenantId: tenant,
      actor: cliActor(),
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

async function previewCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const ods = requireString(values, 'ods').toUpperCase();
  const { ReleaseView } = await import('../diary/release.js');
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

async function dayCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const { dayView } = await import('../capacity/day.js');
  const view = await withStore(values, (store) =>
    dayView(store.db, tenant, values.date as string | undefined).catch(rethrowOutcome),
  );
  print(values, view, [
    `${tenant} on ${view.date}`,
    ...view.schedules.map(
      (s) =>
        `  ${s.scheduleId} (${s.services.join(', ')}): ` +
        `${s.offered} offered, ${s.booked} booked, ${s.free} free, ${s.blocked} blocked` +
        (s.bookings.length ? `; booked by ${[...new Set(s.bookings.map((b) => b.bookedBy))].join(', ')}` : ''),
    ),
  ]);
  return 0;
}

async function appointmentCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const id = requireString(values, 'id');
  const actor = cliActor();
  const { setAppointmentStatus } = await import('../capacity/front-desk.js');
  const result = await withStore(values, async (store) => {
    const r = await setAppointmentStatus(store, tenant, id, values.status, actor, randomUUID()).catch(rethrowOutcome);
    await auditChange(store, {
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

const rotaOptions = { ...tenantOption, file: { type: 'string' }, days: { type: 'string' } } as const;
const slotsOptions = {
  ...tenantOption,
  slot: { type: 'string', multiple: true },
  schedule: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
} as const;

export const providerCommands: Command[] = [
  {
    name: 'provider',
    usage:
      '[--port N] [--host H] [--data DIR | --database-url URL] [--public-url URL] [--seed demo] [--tls DIR] [--admin-token TOKEN] ' +
      '[--allow-from CIDR …] [--proxy-cert-cn NAME …]',
    summary: "serves every tenant's FHIR API (port 4000); prints each tenant's service root once listening",
    options: {
      ...storeOptions,
      port: { type: 'string' },
      host: { type: 'string' },
      'public-url': { type: 'string' },
      seed: { type: 'string' },
      tls: { type: 'string' },
      'admin-token': { type: 'string' },
      'allow-from': { type: 'string', multiple: true },
      'proxy-cert-cn': { type: 'string', multiple: true },
    },
    run: serveCommand,
  },
  {
    name: 'provider report',
    usage: '--tenant ID [--from DATE] [--to DATE]',
    summary: 'the provider reports rep-prov-01 … 05 (default: the last 30 days)',
    options: { ...tenantOption, from: { type: 'string' }, to: { type: 'string' } },
    run: reportCommand,
  },
  {
    name: 'provider policy',
    usage: '--tenant ID [--refuse ODS,…] [--allow ODS,…]',
    summary: 'consumer organisations the tenant refuses (P7)',
    options: { ...tenantOption, refuse: { type: 'string' }, allow: { type: 'string' } },
    run: policyCommand,
  },
  {
    name: 'provider referral',
    usage: '--tenant ID --document-id UUID --file FILE [--content-type TYPE]',
    summary: 'records an arrived referral document (linked to its booking)',
    options: {
      ...tenantOption,
      'document-id': { type: 'string' },
      file: { type: 'string' },
      'content-type': { type: 'string' },
    },
    run: referralCommand,
  },
  {
    name: 'provider admin-token',
    usage: '--name NAME (--tenant ID … | --all-tenants) [--expires 90d|12h|DATE]',
    summary:
      'a new admin API token for /admin/{tenant}/… of those tenants (shown once; 90 days unless told, 366 at most)',
    options: {
      ...storeOptions,
      name: { type: 'string' },
      tenant: { type: 'string', multiple: true },
      'all-tenants': { type: 'boolean' },
      expires: { type: 'string' },
    },
    run: adminTokenCommand,
  },
  {
    name: 'provider admin-token list',
    usage: '[--data DIR | --database-url URL]',
    summary: 'every admin token made: id, name, tenants, created, expires, revoked (never the token)',
    options: storeOptions,
    run: adminTokenListCommand,
  },
  {
    name: 'provider admin-token revoke',
    usage: '(--name NAME | --id ID)',
    summary: 'the admin API refuses the token (every live one of that name) from now on',
    options: { ...storeOptions, name: { type: 'string' }, id: { type: 'string' } },
    run: adminTokenRevokeCommand,
  },
  {
    name: 'provider rota put',
    usage: '--tenant ID --file ROTA.json',
    summary: 'saves a rota (docs/capacity.md); "rota generate" makes its slots',
    options: { ...tenantOption, file: { type: 'string' } },
    run: rotaPutCommand,
  },
  {
    name: 'provider rota list',
    usage: '--tenant ID',
    summary: "the tenant's rotas",
    options: tenantOption,
    run: rotaListCommand,
  },
  {
    name: 'provider rota preview',
    usage: '--tenant ID --file ROTA.json [--days N]',
    summary: 'the slots it would make, per day (nothing saved)',
    options: rotaOptions,
    run: rotaPreviewCommand,
  },
  {
    name: 'provider rota generate',
    usage: '--tenant ID (--rota ID | --all) [--days N]',
    summary: 'makes the slots (default 28 days); progress on stderr',
    options: { ...tenantOption, rota: { type: 'string' }, all: { type: 'boolean' }, days: { type: 'string' } },
    run: rotaGenerateCommand,
  },
  {
    name: 'provider slots block',
    usage: '--tenant ID (--slot ID … | --schedule ID --from ISO --to ISO)',
    summary: 'stops offering free slots (booked slots are never touched)',
    options: slotsOptions,
    run: slotsCommand('block'),
  },
  {
    name: 'provider slots release',
    usage: '--tenant ID (--slot ID … | --schedule ID --from ISO --to ISO)',
    summary: 'offers blocked slots again',
    options: slotsOptions,
    run: slotsCommand('release'),
  },
  {
    name: 'provider release',
    usage:
      '--tenant ID --schedule ID [--not-bookable] [--organisations ODS,…] [--types TYPE,…] [--cap-per-day N] ' +
      '[--cap-per-session N] [--window-days N] [--embargo-minutes N] | --clear',
    summary: 'the release rule of a schedule: who may see and book its slots, and how many',
    options: {
      ...tenantOption,
      schedule: { type: 'string' },
      'not-bookable': { type: 'boolean' },
      organisations: { type: 'string' },
      types: { type: 'string' },
      'cap-per-day': { type: 'string' },
      'cap-per-session': { type: 'string' },
      'window-days': { type: 'string' },
      'embargo-minutes': { type: 'string' },
      clear: { type: 'boolean' },
    },
    run: releaseCommand,
  },
  {
    name: 'provider organisation-type',
    usage: '--tenant ID --ods CODE --type TYPE|none',
    summary: "a consumer organisation's type, which release rules can name",
    options: { ...tenantOption, ods: { type: 'string' }, type: { type: 'string' } },
    run: organisationTypeCommand,
  },
  {
    name: 'provider preview',
    usage: '--tenant ID --ods CODE',
    summary: "what that consumer's search would return, and why the rest is withheld",
    options: { ...tenantOption, ods: { type: 'string' } },
    run: previewCommand,
  },
  {
    name: 'provider day',
    usage: '--tenant ID [--date YYYY-MM-DD]',
    summary: 'slots offered, booked, free, blocked per schedule, and who booked',
    options: { ...tenantOption, date: { type: 'string' } },
    run: dayCommand,
  },
  {
    name: 'provider appointment',
    usage: '--tenant ID --id ID --status arrived|fulfilled|noshow|cancelled',
    summary: "the front desk: marks a patient's appointment",
    options: { ...tenantOption, id: { type: 'string' }, status: { type: 'string' } },
    run: appointmentCommand,
  },
  ...providerDirectoryCommands,
];

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
