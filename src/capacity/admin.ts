/**
 * The providers' admin API, `/admin/{tenant}/…` on the provider's port: not part of the FHIR API and
 * never reached with a consumer's JWT. Every call needs an admin token (`Authorization: Bearer …`):
 * the one given at start-up (`--admin-token` or SLOTBRIDGE_ADMIN_TOKEN) or one made by
 * `slotbridge provider admin-token`, kept only as its SHA-256. Every change is written to the
 * append-only admin audit with who, what, when, before and after.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { OperationOutcomeError, badRequest, notFound } from '../fhir/outcome.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { setAvailability, type SlotSelection } from './availability.js';
import { checkRota, generateRotaSlots, getRota, listRotas, previewRota, putRota } from './rota.js';
import { BANK_HOLIDAY_REGIONS, FIRST_YEAR, LAST_YEAR, bankHolidays, isBankHolidayRegion } from './bank-holidays.js';
import { checkReleaseRule, putReleaseRule, setOrganisationType } from './release.js';
import { ReleaseView } from '../diary/release.js';
import { setAppointmentStatus } from './front-desk.js';
import { addExtraSlot, dayView } from './day.js';
import { listMappings, mapService, putResource, referenceType } from './directory.js';
import { REFERENCE_TABLES } from '../diary/representation.js';
import { registerAdminOutcomes } from './admin-outcomes.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Makes a new admin token; only its hash is kept, so the token is shown once. */
export async function createAdminToken(db: Kysely<Database>, name: string): Promise<string> {
  if (!/^[\w .@-]{1,80}$/.test(name)) throw new Error('the token name must be 1–80 letters, digits, spaces or ._@-');
  const token = `sbadm_${randomBytes(24).toString('base64url')}`;
  await db
    .insertInto('admin_token')
    .values({ token_hash: sha256(token), name, created_at: new Date().toISOString() })
    .execute();
  return token;
}

function unauthorised(message: string): OperationOutcomeError {
  return new OperationOutcomeError(
    401,
    [{ severity: 'error', code: 'security', spineCode: 'NOT_AUTHORISED', diagnostics: message }],
    { 'WWW-Authenticate': 'Bearer realm="slotbridge-admin"' },
  );
}

export async function audit(
  db: Kysely<Database>,
  e: { tenantId: string; actor: string; action: string; target: string; before?: unknown; after?: unknown },
): Promise<void> {
  await db
    .insertInto('admin_audit')
    .values({
      at: new Date().toISOString(),
      tenant_id: e.tenantId,
      actor: e.actor,
      action: e.action,
      target: e.target,
      before: e.before === undefined ? null : JSON.stringify(e.before),
      after: e.after === undefined ? null : JSON.stringify(e.after),
    })
    .execute();
}

export interface AdminOptions {
  store: Store;
  /** A token accepted besides the stored ones (set at start-up). */
  adminToken?: string;
}

/**
 * Why a parsed admin body cannot be stored, if it cannot: a NUL character (no PostgreSQL text holds
 * one) or nesting deeper than any admin body needs.
 */
function unstorable(value: unknown, depth: number): string | undefined {
  if (depth > 32) return 'is nested more than 32 levels deep';
  if (typeof value === 'string') return value.includes('\u0000') ? 'holds a NUL character (\\u0000)' : undefined;
  if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      const fault =
        (key.includes('\u0000') ? 'holds a NUL character (\\u0000)' : undefined) ?? unstorable(v, depth + 1);
      if (fault) return fault;
    }
  }
  return undefined;
}

/**
 * The admin API as one encapsulated Fastify plugin (registered with the prefix `/admin`, not wrapped
 * in fastify-plugin): its JSON body parser, token check and error handling apply to its routes only.
 */
export async function adminRoutes(app: FastifyInstance, opts: AdminOptions): Promise<void> {
  const { store } = opts;
  const { db } = store;
  const actors = new WeakMap<FastifyRequest, string>();

  // Plain JSON here, not FHIR.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      const parsed = body === '' ? {} : JSON.parse(body as string);
      const fault = unstorable(parsed, 0);
      done(fault ? badRequest(`The body ${fault}`, 'INVALID_REQUEST_MESSAGE') : null, parsed);
    } catch (err) {
      done(badRequest(`The body is not valid JSON: ${(err as Error).message}`, 'INVALID_REQUEST_MESSAGE'));
    }
  });

  registerAdminOutcomes(app);

  app.addHook('onRequest', async (request) => {
    // A URL the admin API does not have is answered as such, with or without a token.
    if (request.is404) return;
    if (/%00/.test(request.url)) throw badRequest('The URL holds a NUL character (%00)', 'INVALID_REQUEST_MESSAGE');
    const header = request.headers.authorization;
    const token = typeof header === 'string' && /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token)
      throw unauthorised(
        'The admin API needs an admin token (Authorization: Bearer …); consumer JWTs are not accepted here',
      );
    if (
      opts.adminToken &&
      token.length === opts.adminToken.length &&
      timingSafeEqual(Buffer.from(token), Buffer.from(opts.adminToken))
    ) {
      actors.set(request, 'start-up admin token');
    } else {
      const row = await db
        .selectFrom('admin_token')
        .select('name')
        .where('token_hash', '=', sha256(token))
        .executeTakeFirst();
      if (!row) throw unauthorised('The admin token is not known');
      actors.set(request, row.name);
    }
    const tenant = (request.params as { tenant?: string } | undefined)?.tenant;
    if (tenant && !(await db.selectFrom('tenant').select('id').where('id', '=', tenant).executeTakeFirst()))
      throw notFound(`No tenant ${tenant}`);
  });
  const actor = (request: FastifyRequest) => actors.get(request) ?? 'unknown';
  /** Tells every API process that the tenant's slot searches may answer differently now. */
  const announce = async (tenant: string) => {
    await store.transaction((trx) => store.announceSlotChange(trx, tenant));
    store.slotChanges.bump(tenant);
  };

  app.get<{ Params: { tenant: string } }>('/:tenant/rotas', async (request) => ({
    rotas: await listRotas(db, request.params.tenant),
  }));

  app.put<{ Params: { tenant: string; id: string } }>('/:tenant/rotas/:id', async (request, reply) => {
    const { tenant, id } = request.params;
    const body = request.body as Record<string, unknown> | undefined;
    if (body && typeof body === 'object' && body.id !== undefined && body.id !== id)
      throw badRequest(`The body's id ${JSON.stringify(body.id)} differs from the URL's ${id}`, 'INVALID_PARAMETER');
    const rota = await checkRota(db, tenant, { ...(body ?? {}), id });
    const before = await putRota(db, tenant, rota);
    await audit(db, {
      tenantId: tenant,
      actor: actor(request),
      action: before ? 'rota.update' : 'rota.create',
      target: `rota/${id}`,
      before,
      after: rota,
    });
    return reply.code(before ? 200 : 201).send(rota);
  });

  /** A dry run: the body PUT takes (with the rota's id), checked the same way; nothing is saved or audited. */
  app.post<{ Params: { tenant: string } }>('/:tenant/rotas/preview', async (request) => {
    const { tenant } = request.params;
    const raw = (request.query as { days?: string }).days;
    const days = raw === undefined ? 28 : /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
    if (!(days >= 1 && days <= 366))
      throw badRequest('days must be a whole number from 1 to 366', 'INVALID_PARAMETER', ['days']);
    const rota = await checkRota(db, tenant, request.body);
    return previewRota(tenant, rota, days);
  });

  /** A region's bank holidays in a year (what a rota closed on them skips). */
  app.get<{ Params: { tenant: string } }>('/:tenant/bank-holidays', async (request) => {
    const q = request.query as { region?: string; year?: string };
    if (!isBankHolidayRegion(q.region))
      throw badRequest(`region must be one of ${BANK_HOLIDAY_REGIONS.join(', ')}`, 'INVALID_PARAMETER', ['region']);
    const year = q.year === undefined ? new Date().getUTCFullYear() : /^\d{4}$/.test(q.year) ? Number(q.year) : NaN;
    if (!(year >= FIRST_YEAR && year <= LAST_YEAR))
      throw badRequest(`year must be a year from ${FIRST_YEAR} to ${LAST_YEAR}`, 'INVALID_PARAMETER', ['year']);
    return { region: q.region, year, dates: bankHolidays(q.region, year) };
  });

  app.post<{ Params: { tenant: string; id: string } }>('/:tenant/rotas/:id/generate', async (request) => {
    const { tenant, id } = request.params;
    const rota = await getRota(db, tenant, id);
    if (!rota) throw notFound(`No rota ${id} in ${tenant}`);
    const horizon = (request.body as { horizonDays?: unknown } | undefined)?.horizonDays ?? 28;
    if (!Number.isInteger(horizon) || (horizon as number) < 1 || (horizon as number) > 366)
      throw badRequest('horizonDays must be a whole number from 1 to 366', 'INVALID_PARAMETER');
    const report = await generateRotaSlots(store, tenant, rota, horizon as number);
    await audit(db, {
      tenantId: tenant,
      actor: actor(request),
      action: 'rota.generate',
      target: `rota/${id}`,
      after: { added: report.added, removed: report.removed, kept: report.kept.length, horizonDays: horizon },
    });
    return report;
  });

  for (const action of ['block', 'release'] as const) {
    app.post<{ Params: { tenant: string } }>(`/:tenant/slots/${action}`, async (request) => {
      const { tenant } = request.params;
      const selection = (request.body ?? {}) as SlotSelection;
      const report = await setAvailability(store, tenant, selection, action);
      await audit(db, {
        tenantId: tenant,
        actor: actor(request),
        action: `slots.${action}`,
        target: selection.slotIds?.length
          ? `slots ${selection.slotIds.length}`
          : `schedule/${selection.scheduleId} ${selection.from}–${selection.to}`,
        before: { status: action === 'block' ? 'free' : 'busy-unavailable', slots: report.changed },
        after: { status: action === 'block' ? 'busy-unavailable' : 'free', skipped: report.skipped.length },
      });
      return report;
    });
  }

  app.get<{ Params: { tenant: string } }>('/:tenant/release', async (request) => {
    const rows = await db
      .selectFrom('release_rule')
      .select('content')
      .where('tenant_id', '=', request.params.tenant)
      .orderBy('schedule_id')
      .execute();
    const types = await db
      .selectFrom('consumer_organisation_type')
      .select(['ods_code', 'type'])
      .where('tenant_id', '=', request.params.tenant)
      .orderBy('ods_code')
      .execute();
    return { rules: rows.map((r) => JSON.parse(r.content)), organisationTypes: types };
  });

  app.put<{ Params: { tenant: string; schedule: string } }>('/:tenant/release/:schedule', async (request) => {
    const { tenant, schedule } = request.params;
    const rule = await checkReleaseRule(db, tenant, schedule, request.body);
    const before = await putReleaseRule(store, tenant, schedule, rule);
    await audit(db, {
      tenantId: tenant,
      actor: actor(request),
      action: 'release.set',
      target: `schedule/${schedule}`,
      before,
      after: rule,
    });
    return rule;
  });

  app.delete<{ Params: { tenant: string; schedule: string } }>('/:tenant/release/:schedule', async (request, reply) => {
    const { tenant, schedule } = request.params;
    const before = await putReleaseRule(store, tenant, schedule, undefined);
    if (!before) throw notFound(`schedule ${schedule} has no release rule`);
    await audit(db, {
      tenantId: tenant,
      actor: actor(request),
      action: 'release.remove',
      target: `schedule/${schedule}`,
      before,
    });
    return reply.code(204).send();
  });

  app.put<{ Params: { tenant: string; ods: string } }>('/:tenant/organisations/:ods', async (request) => {
    const { tenant, ods } = request.params;
    const type = (request.body as { type?: unknown } | undefined)?.type;
    if (type !== null && typeof type !== 'string')
      throw badRequest('type must be an organisation type, or null to remove it', 'INVALID_PARAMETER');
    await setOrganisationType(store, tenant, ods, type ?? undefined);
    await audit(db, {
      tenantId: tenant,
      actor: actor(request),
      action: 'organisation.type',
      target: `organisation/${ods.toUpperCase()}`,
      after: { type },
    });
    return { ods: ods.toUpperCase(), type };
  });

  /** "What would consumer X see right now?": every free slot in the window, and why any is withheld. */
  app.get<{ Params: { tenant: string } }>('/:tenant/preview', async (request) => {
    const { tenant } = request.params;
    const q = request.query as Record<string, string | undefined>;
    const ods = q.ods?.trim().toUpperCase();
    if (!ods || !/^[A-Z0-9]{1,12}$/.test(ods))
      throw badRequest('ods (the consumer organisation’s ODS code) is required', 'INVALID_PARAMETER');
    const now = Date.now();
    const from = q.from ? Date.parse(q.from) : now;
    const to = q.to ? Date.parse(q.to) : now + 7 * 86_400_000;
    if (Number.isNaN(from) || Number.isNaN(to) || to <= from)
      throw badRequest('from and to must be instants, to after from', 'INVALID_PARAMETER');
    const slots = await db
      .selectFrom('slot')
      .select(['id', 'schedule_id', 'start', 'end'])
      .where('tenant_id', '=', tenant)
      .where('status', '=', 'free')
      .where('start', '>=', new Date(Math.max(from, now)).toISOString())
      .where('start', '<', new Date(to).toISOString())
      .orderBy('start')
      .limit(5000)
      .execute();
    const view = await ReleaseView.load(db, tenant, ods);
    const decided = slots.map((s) => ({ ...s, ...view.decide(s, ods, now) }));
    return {
      ods,
      visible: decided.filter((d) => d.visible).length,
      withheld: decided.filter((d) => !d.visible).length,
      slots: decided,
    };
  });

  app.post<{ Params: { tenant: string; id: string } }>('/:tenant/appointments/:id/status', async (request) => {
    const { tenant, id } = request.params;
    const result = await setAppointmentStatus(
      store,
      tenant,
      id,
      (request.body as { status?: unknown } | undefined)?.status,
      actor(request),
      request.id,
    );
    await audit(db, {
      tenantId: tenant,
      actor: actor(request),
      action: 'appointment.status',
      target: `appointment/${id}`,
      before: { status: result.before },
      after: { status: result.status, versionId: result.versionId },
    });
    return result;
  });

  /** A one-off extra slot (overlap allowed: the staff way to squeeze someone in), blocked unless released. */
  app.post<{ Params: { tenant: string } }>('/:tenant/slots', async (request, reply) => {
    const { tenant } = request.params;
    const slot = await addExtraSlot(store, tenant, request.body);
    await audit(db, {
      tenantId: tenant,
      actor: actor(request),
      action: 'slot.extra',
      target: `slot/${slot.id}`,
      after: slot,
    });
    return reply.code(201).send(slot);
  });

  /** The day at a glance, per service and schedule: offered, booked, free, blocked, and who booked. */
  app.get<{ Params: { tenant: string } }>('/:tenant/day', async (request) =>
    dayView(db, request.params.tenant, (request.query as { date?: string }).date),
  );

  app.get<{ Params: { tenant: string; type: string } }>('/:tenant/resources/:type', async (request) => {
    const { tenant, type } = request.params;
    const table = REFERENCE_TABLES[referenceType(type)] as 'location';
    const rows = await db
      .selectFrom(table)
      .select(['id', 'version_id', 'content'])
      .where('tenant_id', '=', tenant)
      .orderBy('id')
      .execute();
    return {
      resources: rows.map((r) => ({
        resourceType: type,
        id: r.id,
        meta: { versionId: String(r.version_id) },
        ...JSON.parse(r.content),
      })),
    };
  });

  app.put<{ Params: { tenant: string; type: string; id: string } }>(
    '/:tenant/resources/:type/:id',
    async (request, reply) => {
      const { tenant, type, id } = request.params;
      const { version, before } = await putResource(db, tenant, referenceType(type), id, request.body);
      await audit(db, {
        tenantId: tenant,
        actor: actor(request),
        action: `${type}.put`,
        target: `${type}/${id}`,
        before,
        after: request.body,
      });
      await announce(tenant);
      return reply.code(before ? 200 : 201).send({ resourceType: type, id, versionId: String(version) });
    },
  );

  /** Which services each schedule serves (its own actor and the mapped ones). */
  app.get<{ Params: { tenant: string } }>('/:tenant/mappings', async (request) => ({
    mappings: await listMappings(db, request.params.tenant),
  }));

  for (const mapped of [true, false]) {
    app.route<{ Params: { tenant: string; service: string; schedule: string } }>({
      method: mapped ? 'PUT' : 'DELETE',
      url: '/:tenant/services/:service/schedules/:schedule',
      handler: async (request, reply) => {
        const { tenant, service, schedule } = request.params;
        await mapService(db, tenant, service, schedule, mapped);
        await audit(db, {
          tenantId: tenant,
          actor: actor(request),
          action: mapped ? 'mapping.add' : 'mapping.remove',
          target: `HealthcareService/${service} Schedule/${schedule}`,
        });
        await announce(tenant);
        return mapped ? { service, schedule, mapped } : reply.code(204).send();
      },
    });
  }

  app.get<{ Params: { tenant: string } }>('/:tenant/audit', async (request) => {
    const rows = await db
      .selectFrom('admin_audit')
      .selectAll()
      .where('tenant_id', '=', request.params.tenant)
      .orderBy('seq', 'desc')
      .limit(200)
      .execute();
    return {
      entries: rows.map((r) => ({
        ...r,
        before: r.before && JSON.parse(r.before),
        after: r.after && JSON.parse(r.after),
      })),
    };
  });
}
