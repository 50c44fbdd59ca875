/**
 * The endpoint directory's JSON API, mounted at `{spine}/endpoints`:
 *   GET /as/:asid                           nhsAS (step 1: ASID → party key and interactions)
 *   GET /mhs?partyKey=…&interaction=…       nhsMHS entries (step 2: party key + interaction → endpoint)
 *   PUT|DELETE /as/:asid, PUT|DELETE /mhs/:id   the operator's writes (operator token; audited)
 * The reads are public (consumers need them); a system's bound client certificate is never in them.
 */
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { badRequest, notFound } from '../../fhir/outcome.js';
import type { Store } from '../../store/store.js';
import { single, useSpineSchemas } from '../http.js';
import { INTERACTIONS, SLOT_SEARCH_ALIAS } from '../interactions.js';
import { actorOf, auditSpine } from '../operator.js';
import { AccreditedSystemBody, AsidParams, MessageHandlingServiceBody, MhsParams } from '../schemas.js';
import {
  checkAsid,
  deleteAccreditedSystem,
  deleteMessageHandlingService,
  findMessageHandlingServices,
  getAccreditedSystem,
  putAccreditedSystem,
  putMessageHandlingService,
} from './repository.js';

export async function endpointRoutes(
  app: FastifyInstance,
  opts: { store: Store; operator: onRequestHookHandler; onChange?: () => void },
): Promise<void> {
  const { store } = opts;
  const { db } = store;
  const changed = () => opts.onChange?.();
  useSpineSchemas(app);
  const operatorOnly = { onRequest: opts.operator };

  app.get<{ Params: { asid: string } }>('/as/:asid', async (request) => {
    checkAsid(request.params.asid);
    const as = await getAccreditedSystem(db, request.params.asid);
    if (!as) throw notFound(`No accredited system (nhsAS) has ASID ${request.params.asid}`);
    const { clientCertificate: _bound, ...published } = as;
    return published;
  });

  app.get('/mhs', async (request) => {
    const partyKey = single(request.query, 'partyKey');
    if (!partyKey) throw badRequest('partyKey is required', 'INVALID_PARAMETER');
    const interaction = single(request.query, 'interaction');
    // The two names of the slot search interaction find the same endpoints (docs/decisions.md).
    if (interaction === INTERACTIONS.slotSearch || interaction === SLOT_SEARCH_ALIAS) {
      const both = [
        ...(await findMessageHandlingServices(db, partyKey, INTERACTIONS.slotSearch)),
        ...(await findMessageHandlingServices(db, partyKey, SLOT_SEARCH_ALIAS)),
      ];
      return { entries: both };
    }
    return { entries: await findMessageHandlingServices(db, partyKey, interaction) };
  });

  app.put<{ Params: { asid: string }; Body: AccreditedSystemBody }>(
    '/as/:asid',
    { ...operatorOnly, schema: { params: AsidParams, body: AccreditedSystemBody } },
    async (request, reply) => {
      const { asid } = request.params;
      if (request.body.uniqueIdentifier !== undefined && request.body.uniqueIdentifier !== asid)
        throw badRequest(`uniqueIdentifier differs from the URL's ASID ${asid}`, 'INVALID_PARAMETER', [
          'uniqueIdentifier',
        ]);
      const before = await getAccreditedSystem(db, asid);
      const after = await store.transaction(async (trx) => {
        await putAccreditedSystem(trx, { ...request.body, uniqueIdentifier: asid });
        const stored = (await getAccreditedSystem(trx, asid))!;
        await auditSpine(trx, {
          actor: actorOf(request),
          action: 'put-as',
          target: `ASID:${asid}`,
          before,
          after: stored,
        });
        return stored;
      });
      changed();
      const { clientCertificate: _bound, ...published } = after;
      return reply.code(before ? 200 : 201).send(published);
    },
  );

  app.put<{ Params: { id: string }; Body: MessageHandlingServiceBody }>(
    '/mhs/:id',
    { ...operatorOnly, schema: { params: MhsParams, body: MessageHandlingServiceBody } },
    async (request) => {
      const { id } = request.params;
      const mhs = { ...request.body, uniqueIdentifier: id };
      const before = (await db.selectFrom('sds_mhs').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
      await store.transaction(async (trx) => {
        await putMessageHandlingService(trx, mhs);
        await auditSpine(trx, { actor: actorOf(request), action: 'put-mhs', target: `MHS:${id}`, before, after: mhs });
      });
      changed();
      return mhs;
    },
  );

  app.delete<{ Params: { asid: string } }>(
    '/as/:asid',
    { ...operatorOnly, schema: { params: AsidParams } },
    async (request, reply) => {
      const { asid } = request.params;
      const before = await getAccreditedSystem(db, asid);
      const deleted = await store.transaction(async (trx) => {
        if (!(await deleteAccreditedSystem(trx, asid))) return false;
        await auditSpine(trx, { actor: actorOf(request), action: 'delete-as', target: `ASID:${asid}`, before });
        return true;
      });
      if (!deleted) throw notFound(`No accredited system has ASID ${asid}`);
      changed();
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/mhs/:id',
    { ...operatorOnly, schema: { params: MhsParams } },
    async (request, reply) => {
      const { id } = request.params;
      const before = await db.selectFrom('sds_mhs').selectAll().where('id', '=', id).executeTakeFirst();
      const deleted = await store.transaction(async (trx) => {
        if (!(await deleteMessageHandlingService(trx, id))) return false;
        await auditSpine(trx, { actor: actorOf(request), action: 'delete-mhs', target: `MHS:${id}`, before });
        return true;
      });
      if (!deleted) throw notFound(`No endpoint (nhsMHS) has id ${id}`);
      changed();
      return reply.code(204).send();
    },
  );
}
