/**
 * The providers' admin API, `/admin/{tenant}/…` on the provider's port: not part of the FHIR API and
 * never reached with a consumer's JWT. Every call needs an admin token (`Authorization: Bearer …`)
 * that is live and bound to the tenant (./admin-guard.ts, ./admin-tokens.ts): the one given at
 * start-up (`--admin-token` or SLOTBRIDGE_ADMIN_TOKEN, every tenant) or one made by `slotbridge
 * provider admin-token --tenant …`, kept only as its SHA-256. Every change is written to the
 * append-only admin audit with who, what, when, before and after, and from where; so is every
 * refused call.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { badRequest, notFound, unprocessable } from '../fhir/outcome.js';
import { faultFrom, routeSchemaCompiler } from '../validation/route-schema.js';
import type { Store } from '../store/store.js';
import { setAvailability } from './availability.js';
import {
  checkRota,
  generateRotaSlots,
  getRota,
  listRotas,
  pastMessage,
  previewRotaWithSkips,
  putRota,
} from './rota.js';
import { bankHolidays } from './bank-holidays.js';
import { checkReleaseRule, putReleaseRule, setOrganisationType } from './release.js';
import { ReleaseView } from '../diary/release.js';
import { setAppointmentStatus } from './front-desk.js';
import { addExtraSlot, dayView } from './day.js';
import { listMappings, mapService, putResource, referenceType } from './directory.js';
import { REFERENCE_TABLES } from '../diary/representation.js';
import { registerAdminOutcomes } from './admin-outcomes.js';
import { audit as writeAudit, type AdminAuditEntry } from './admin-audit.js';
import { registerAdminGuard, type AdminGuardOptions } from './admin-guard.js';
import { faultOutcome } from './input.js';
import {
  AppointmentParams,
  AppointmentStatusAnswer,
  AppointmentStatusBody,
  AuditList,
  AvailabilityReport,
  BankHolidaysQuery,
  ConsumerPreview,
  ConsumerPreviewQuery,
  DayQuery,
  DayView,
  DirectoryResource,
  ExtraSlot,
  ExtraSlotInput,
  GenerateBody,
  GenerationReport,
  MappingAnswer,
  MappingList,
  MappingParams,
  OrganisationParams,
  OrganisationTypeAnswer,
  OrganisationTypeBody,
  PreviewQuery,
  ReleaseList,
  ReleaseRule,
  ReleaseRuleInput,
  ResourceList,
  ResourceParams,
  ResourceStored,
  ResourceTypeParams,
  Rota,
  RotaInput,
  RotaList,
  RotaParams,
  RotaPreview,
  RotaPutBody,
  ScheduleParams,
  SlotSelection,
  TenantParams,
} from './schemas.js';

export { audit } from './admin-audit.js';
export {
  AdminTokenRequestError,
  createAdminToken,
  listAdminTokens,
  revokeAdminTokens,
  weakStartupToken,
} from './admin-tokens.js';

export interface AdminOptions extends Omit<AdminGuardOptions, 'db'> {
  store: Store;
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
    if (!request.is404 && /%00/.test(request.url))
      throw badRequest('The URL holds a NUL character (%00)', 'INVALID_REQUEST_MESSAGE');
  });
  const guard = await registerAdminGuard(app, { ...opts, db });
  const actor = (request: FastifyRequest) => guard.actor(request);
  /** Writes a change to the admin audit, with the address the call came from. */
  const audit = (request: FastifyRequest, entry: Omit<AdminAuditEntry, 'peer' | 'actor'>) =>
    writeAudit(db, { ...entry, actor: actor(request), peer: guard.peer(request) });
  /** Tells every API process that the tenant's slot searches may answer differently now. */
  const announce = async (tenant: string) => {
    await store.transaction((trx) => store.announceSlotChange(trx, tenant));
    store.slotChanges.bump(tenant);
  };

  // Each route's params, query and body are checked against its schema (./schemas.ts) before the
  // handler runs; a fault is a 400 OperationOutcome naming the field (src/validation/route-schema.ts).
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.setValidatorCompiler(routeSchemaCompiler);
  api.setSchemaErrorFormatter((errors, part) => faultOutcome(faultFrom(errors, part), part));
  // A request without a body is read as an empty JSON object, as an empty JSON body is (above).
  api.addHook('preValidation', async (request) => {
    if (request.body === undefined) request.body = {};
  });
  const ok = <T extends TSchema>(schema: T) => ({ '2xx': schema });

  api.get('/:tenant/rotas', { schema: { params: TenantParams, response: ok(RotaList) } }, async (request) => ({
    rotas: await listRotas(db, request.params.tenant),
  }));

  api.put(
    '/:tenant/rotas/:id',
    { schema: { params: RotaParams, body: RotaPutBody, response: ok(Rota) } },
    async (request, reply) => {
      const { tenant, id } = request.params;
      const body = request.body;
      if (body.id !== undefined && body.id !== id)
        throw badRequest(`The body's id ${JSON.stringify(body.id)} differs from the URL's ${id}`, 'INVALID_PARAMETER');
      const rota = await checkRota(db, tenant, { ...body, id });
      // A rota wholly in the past makes nothing: most likely a mistyped year.
      const today = new Date().toLocaleDateString('en-CA', { timeZone: rota.timeZone });
      if (rota.effectiveTo !== undefined && rota.effectiveTo < today)
        throw unprocessable(pastMessage(rota, today), 'INVALID_RESOURCE', ['effectiveTo']);
      const before = await putRota(db, tenant, rota);
      await audit(request, {
        tenantId: tenant,
        action: before ? 'rota.update' : 'rota.create',
        target: `rota/${id}`,
        before,
        after: rota,
      });
      return reply.code(before ? 200 : 201).send(rota);
    },
  );

  /** A dry run: the body PUT takes (with the rota's id), checked the same way; nothing is saved or audited. */
  api.post(
    '/:tenant/rotas/preview',
    { schema: { params: TenantParams, querystring: PreviewQuery, body: RotaInput, response: ok(RotaPreview) } },
    async (request) => {
      const { tenant } = request.params;
      const rota = await checkRota(db, tenant, request.body);
      return previewRotaWithSkips(db, tenant, rota, request.query.days ?? 28);
    },
  );

  /** A region's bank holidays in a year (what a rota closed on them skips). */
  api.get(
    '/:tenant/bank-holidays',
    { schema: { params: TenantParams, querystring: BankHolidaysQuery } },
    async (request) => {
      const { region, year = new Date().getUTCFullYear() } = request.query;
      return { region, year, dates: bankHolidays(region, year) };
    },
  );

  api.post(
    '/:tenant/rotas/:id/generate',
    { schema: { params: RotaParams, body: GenerateBody, response: ok(GenerationReport) } },
    async (request) => {
      const { tenant, id } = request.params;
      const rota = await getRota(db, tenant, id);
      if (!rota) throw notFound(`No rota ${id} in ${tenant}`);
      const horizon = request.body.horizonDays ?? 28;
      const report = await generateRotaSlots(store, tenant, rota, horizon);
      await audit(request, {
        tenantId: tenant,
        action: 'rota.generate',
        target: `rota/${id}`,
        after: {
          added: report.added,
          removed: report.removed,
          kept: report.kept.length,
          skipped: report.skipped.count,
          horizonDays: horizon,
        },
      });
      return report;
    },
  );

  for (const action of ['block', 'release'] as const) {
    api.post(
      `/:tenant/slots/${action}`,
      { schema: { params: TenantParams, body: SlotSelection, response: ok(AvailabilityReport) } },
      async (request) => {
        const { tenant } = request.params;
        const selection = request.body;
        const report = await setAvailability(store, tenant, selection, action);
        await audit(request, {
          tenantId: tenant,
          action: `slots.${action}`,
          target: selection.slotIds?.length
            ? `slots ${selection.slotIds.length}`
            : `schedule/${selection.scheduleId} ${selection.from}–${selection.to}`,
          before: { status: action === 'block' ? 'free' : 'busy-unavailable', slots: report.changed },
          after: { status: action === 'block' ? 'busy-unavailable' : 'free', skipped: report.skipped.length },
        });
        return report;
      },
    );
  }

  api.get('/:tenant/release', { schema: { params: TenantParams, response: ok(ReleaseList) } }, async (request) => {
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
    return { rules: rows.map((r) => JSON.parse(r.content) as ReleaseRule), organisationTypes: types };
  });

  api.put(
    '/:tenant/release/:schedule',
    { schema: { params: ScheduleParams, body: ReleaseRuleInput, response: ok(ReleaseRule) } },
    async (request) => {
      const { tenant, schedule } = request.params;
      const rule = await checkReleaseRule(db, tenant, schedule, request.body);
      const before = await putReleaseRule(store, tenant, schedule, rule);
      await audit(request, {
        tenantId: tenant,
        action: 'release.set',
        target: `schedule/${schedule}`,
        before,
        after: rule,
      });
      return rule;
    },
  );

  api.delete('/:tenant/release/:schedule', { schema: { params: ScheduleParams } }, async (request, reply) => {
    const { tenant, schedule } = request.params;
    const before = await putReleaseRule(store, tenant, schedule, undefined);
    if (!before) throw notFound(`schedule ${schedule} has no release rule`);
    await audit(request, {
      tenantId: tenant,
      action: 'release.remove',
      target: `schedule/${schedule}`,
      before,
    });
    return reply.code(204).send();
  });

  api.put(
    '/:tenant/organisations/:ods',
    { schema: { params: OrganisationParams, body: OrganisationTypeBody, response: ok(OrganisationTypeAnswer) } },
    async (request) => {
      const { tenant, ods } = request.params;
      const { type } = request.body;
      await setOrganisationType(store, tenant, ods, type ?? undefined);
      const code = ods.trim().toUpperCase();
      await audit(request, {
        tenantId: tenant,
        action: 'organisation.type',
        target: `organisation/${code}`,
        after: { type },
      });
      return { ods: code, type };
    },
  );

  /** "What would consumer X see right now?": every free slot in the window, and why any is withheld. */
  api.get(
    '/:tenant/preview',
    { schema: { params: TenantParams, querystring: ConsumerPreviewQuery, response: ok(ConsumerPreview) } },
    async (request) => {
      const { tenant } = request.params;
      const q = request.query;
      const ods = q.ods.trim().toUpperCase();
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
    },
  );

  api.post(
    '/:tenant/appointments/:id/status',
    { schema: { params: AppointmentParams, body: AppointmentStatusBody, response: ok(AppointmentStatusAnswer) } },
    async (request) => {
      const { tenant, id } = request.params;
      const result = await setAppointmentStatus(store, tenant, id, request.body.status, actor(request), request.id);
      await audit(request, {
        tenantId: tenant,
        action: 'appointment.status',
        target: `appointment/${id}`,
        before: { status: result.before },
        after: { status: result.status, versionId: result.versionId },
      });
      return result;
    },
  );

  /** A one-off extra slot (overlap allowed: the staff way to squeeze someone in), blocked unless released. */
  api.post(
    '/:tenant/slots',
    { schema: { params: TenantParams, body: ExtraSlotInput, response: ok(ExtraSlot) } },
    async (request, reply) => {
      const { tenant } = request.params;
      const slot = await addExtraSlot(store, tenant, request.body);
      await audit(request, {
        tenantId: tenant,
        action: 'slot.extra',
        target: `slot/${slot.id}`,
        after: slot,
      });
      return reply.code(201).send(slot);
    },
  );

  /** The day at a glance, per service and schedule: offered, booked, free, blocked, and who booked. */
  api.get(
    '/:tenant/day',
    { schema: { params: TenantParams, querystring: DayQuery, response: ok(DayView) } },
    async (request) => dayView(db, request.params.tenant, request.query.date),
  );

  api.get(
    '/:tenant/resources/:type',
    {
      schema: {
        params: ResourceTypeParams,
        response: ok(ResourceList),
      },
    },
    async (request) => {
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
          ...(JSON.parse(r.content) as Omit<DirectoryResource, 'resourceType' | 'id' | 'meta'>),
        })),
      };
    },
  );

  api.put(
    '/:tenant/resources/:type/:id',
    { schema: { params: ResourceParams, response: ok(ResourceStored) } },
    async (request, reply) => {
      const { tenant, type, id } = request.params;
      const { version, before } = await putResource(db, tenant, referenceType(type), id, request.body);
      await audit(request, {
        tenantId: tenant,
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
  api.get('/:tenant/mappings', { schema: { params: TenantParams, response: ok(MappingList) } }, async (request) => ({
    mappings: await listMappings(db, request.params.tenant),
  }));

  /** Maps a service to a schedule, or unmaps it (not the schedule's own service). */
  const setMapping = async (request: FastifyRequest, params: Static<typeof MappingParams>, mapped: boolean) => {
    const { tenant, service, schedule } = params;
    await mapService(db, tenant, service, schedule, mapped);
    await audit(request, {
      tenantId: tenant,
      action: mapped ? 'mapping.add' : 'mapping.remove',
      target: `HealthcareService/${service} Schedule/${schedule}`,
    });
    await announce(tenant);
  };
  const mappingUrl = '/:tenant/services/:service/schedules/:schedule';
  api.put(
    mappingUrl,
    {
      schema: {
        params: MappingParams,
        response: ok(MappingAnswer),
      },
    },
    async (request) => {
      await setMapping(request, request.params, true);
      return { service: request.params.service, schedule: request.params.schedule, mapped: true };
    },
  );
  api.delete(mappingUrl, { schema: { params: MappingParams } }, async (request, reply) => {
    await setMapping(request, request.params, false);
    return reply.code(204).send();
  });

  api.get('/:tenant/audit', { schema: { params: TenantParams, response: ok(AuditList) } }, async (request) => {
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
