/**
 * The endpoint directory's JSON API, mounted at `{spine}/endpoints`:
 *   GET /as/:asid                           nhsAS (step 1: ASID → party key and interactions)
 *   GET /mhs?partyKey=…&interaction=…       nhsMHS entries (step 2: party key + interaction → endpoint)
 *   PUT|DELETE /as/:asid, PUT|DELETE /mhs/:id   admin writes (a local stand-in: no authentication)
 */
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../../fhir/outcome.js';
import type { Store } from '../../store/store.js';
import { single } from '../http.js';
import { INTERACTIONS, SLOT_SEARCH_ALIAS } from '../interactions.js';
import {
  checkAsid,
  deleteAccreditedSystem,
  deleteMessageHandlingService,
  findMessageHandlingServices,
  getAccreditedSystem,
  putAccreditedSystem,
  putMessageHandlingService,
  type AccreditedSystem,
  type MessageHandlingService,
} from './repository.js';

function objectBody(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('The body must be a JSON object', 'INVALID_REQUEST_MESSAGE');
  return body as Record<string, unknown>;
}

export async function endpointRoutes(
  app: FastifyInstance,
  opts: { store: Store; onChange?: () => void },
): Promise<void> {
  const { db } = opts.store;
  const changed = () => opts.onChange?.();

  app.get<{ Params: { asid: string } }>('/as/:asid', async (request) => {
    checkAsid(request.params.asid);
    const as = await getAccreditedSystem(db, request.params.asid);
    if (!as) throw notFound(`No accredited system (nhsAS) has ASID ${request.params.asid}`);
    return as;
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

  app.put<{ Params: { asid: string } }>('/as/:asid', async (request, reply) => {
    const body = objectBody(request.body);
    const as = { ...body, uniqueIdentifier: request.params.asid } as AccreditedSystem;
    const existed = Boolean(await getAccreditedSystem(db, request.params.asid).catch(() => undefined));
    await putAccreditedSystem(db, as);
    changed();
    return reply.code(existed ? 200 : 201).send(await getAccreditedSystem(db, request.params.asid));
  });

  app.put<{ Params: { id: string } }>('/mhs/:id', async (request) => {
    const body = objectBody(request.body);
    const mhs = { ...body, uniqueIdentifier: request.params.id } as MessageHandlingService;
    await putMessageHandlingService(db, mhs);
    changed();
    return mhs;
  });

  app.delete<{ Params: { asid: string } }>('/as/:asid', async (request, reply) => {
    checkAsid(request.params.asid);
    if (!(await deleteAccreditedSystem(db, request.params.asid)))
      throw notFound(`No accredited system has ASID ${request.params.asid}`);
    changed();
    return reply.code(204).send();
  });

  app.delete<{ Params: { id: string } }>('/mhs/:id', async (request, reply) => {
    if (!(await deleteMessageHandlingService(db, request.params.id)))
      throw notFound(`No endpoint (nhsMHS) has id ${request.params.id}`);
    changed();
    return reply.code(204).send();
  });
}
