/**
 * The directory's JSON API, mounted by the spine at `{spine}/directory` (docs/directory.md):
 *   GET    /services?disposition=Dx05&postcode=LS1 4AP[&age=40][&at=ISO][&max=20][&radiusKm=100]
 *            ranked summaries, like DoS CheckCapacitySummary (ABUS.01)
 *   GET    /services/:id   one service with its endpoints, like DoS ServiceDetailsByID (C1, ABUS.23)
 *   PUT    /services/:id   add or replace a service (the operator's: operator token; audited)
 *   DELETE /services/:id   remove it (the operator's: operator token; audited)
 * Failures are thrown as OperationOutcomeErrors; the spine's error handler (registerSpineErrors)
 * answers them, so every 4xx carries an OperationOutcome.
 */
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { badRequest, notFound } from '../../fhir/outcome.js';
import { parseInstant } from '../../fhir/time.js';
import type { Store } from '../../store/store.js';
import { single } from '../http.js';
import { actorOf, auditSpine } from '../operator.js';
import type { DirectoryService } from './model.js';
import { deleteDirectoryService, getDirectoryService, putDirectoryService } from './repository.js';
import { MAX_MAX, searchDirectory } from './search.js';

function wholeNumber(query: unknown, name: string, min: number, max: number): number | undefined {
  const text = single(query, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d{1,6}$/.test(text) || n < min || n > max) {
    throw badRequest(
      `${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text.slice(0, 40))}`,
      'INVALID_PARAMETER',
      [name],
    );
  }
  return n;
}

/**
 * `at`: an instant with an offset (2026-06-10T12:00:00Z, …+01:00); seconds may be left out. An
 * unencoded "+" in a query string arrives as a space, so a space before the offset is read as "+".
 */
function instant(query: unknown): Date | undefined {
  const text = single(query, 'at');
  if (text === undefined) return undefined;
  const repaired = text
    .replace(/ (\d{2}:\d{2})$/, '+$1')
    .replace(/^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(Z|[+-]\d{2}:\d{2})$/, '$1:00$2');
  const ms = parseInstant(repaired);
  if (ms === undefined)
    throw badRequest(
      `at must be an instant with an offset such as 2026-06-10T12:00:00Z, not ${JSON.stringify(text.slice(0, 40))}`,
      'INVALID_PARAMETER',
      ['at'],
    );
  return new Date(ms);
}

// `/services/*` rather than `/services/:id`: Fastify answers a path parameter over 100 characters
// itself, with a 414 and no OperationOutcome, before any handler or error handler runs. A wildcard
// has no such limit, and the repository refuses any ID that is not 1–32 letters, digits or "-"
// (so `/services/a/b` is simply an unknown ID: 404).
type ById = { Params: { '*': string } };
const idOf = (params: ById['Params']) => params['*'];
const unknownId = (id: string) => notFound(`No directory service has ID ${JSON.stringify(id.slice(0, 40))}`);

export async function directoryRoutes(
  app: FastifyInstance,
  opts: { store: Store; operator: onRequestHookHandler },
): Promise<void> {
  const { store } = opts;
  const { db } = store;
  const operatorOnly = { onRequest: opts.operator };

  app.get('/services', async (request) => {
    const disposition = single(request.query, 'disposition');
    const postcode = single(request.query, 'postcode');
    if (!disposition || !postcode) {
      throw badRequest(
        'disposition and postcode are required (e.g. ?disposition=Dx05&postcode=LS1 4AP)',
        'INVALID_PARAMETER',
        [disposition ? 'postcode' : 'disposition'],
      );
    }
    const services = await searchDirectory(db, {
      disposition,
      postcode,
      age: wholeNumber(request.query, 'age', 0, 130),
      at: instant(request.query),
      max: wholeNumber(request.query, 'max', 1, MAX_MAX),
      radiusKm: wholeNumber(request.query, 'radiusKm', 1, 2000),
    });
    return { services };
  });

  app.get<ById>('/services/*', async (request) => {
    const id = idOf(request.params);
    const service = await getDirectoryService(db, id);
    if (!service) throw unknownId(id);
    return service;
  });

  app.put<ById>('/services/*', operatorOnly, async (request, reply) => {
    const pathId = idOf(request.params);
    const body = request.body;
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw badRequest('The body must be a JSON object (a directory service)', 'INVALID_REQUEST_MESSAGE');
    const { id } = body as { id?: unknown };
    if (id !== undefined && id !== pathId) {
      throw badRequest(
        `id ${JSON.stringify(String(id).slice(0, 40))} in the body differs from the URL's ${JSON.stringify(pathId.slice(0, 40))}`,
        'INVALID_REQUEST_MESSAGE',
        ['id'],
      );
    }
    // putDirectoryService checks every field (the ID from the path too) whatever its static type says.
    const before = (await getDirectoryService(db, pathId)) ?? null;
    // 201 or 200 comes from the write itself (which of two concurrent first PUTs created the service),
    // never from the read above, which only gives the audit its "before".
    const { created, after } = await store.transaction(async (trx) => {
      const isNew = await putDirectoryService(trx, { ...(body as DirectoryService), id: pathId });
      const stored = (await getDirectoryService(trx, pathId))!;
      const action = 'put-directory-service';
      await auditSpine(trx, { actor: actorOf(request), action, target: `service:${pathId}`, before, after: stored });
      return { created: isNew, after: stored };
    });
    return reply.code(created ? 201 : 200).send(after);
  });

  app.delete<ById>('/services/*', operatorOnly, async (request, reply) => {
    const id = idOf(request.params);
    const before = await getDirectoryService(db, id);
    const deleted = await store.transaction(async (trx) => {
      if (!(await deleteDirectoryService(trx, id))) return false;
      await auditSpine(trx, {
        actor: actorOf(request),
        action: 'delete-directory-service',
        target: `service:${id}`,
        before,
      });
      return true;
    });
    if (!deleted) throw unknownId(id);
    return reply.code(204).send();
  });
}
