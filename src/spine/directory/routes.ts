/**
 * The directory's JSON API, mounted at `{spine}/directory`:
 *   GET /services?disposition=Dx05&postcode=LS1 4AP[&age=40][&at=ISO][&max=20][&radiusKm=100]
 *                                   ranked summaries (like DoS CheckCapacitySummary)
 *   GET /services/:id              one service with its endpoints (like DoS ServiceDetailsByID)
 *   PUT|DELETE /services/:id       admin writes (a local stand-in: no authentication)
 */
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../../fhir/outcome.js';
import type { Store } from '../../store/store.js';
import { single } from '../http.js';
import { deleteDirectoryService, getDirectoryService, putDirectoryService } from './repository.js';
import { searchDirectory } from './search.js';

function wholeNumber(query: unknown, name: string, min: number, max: number): number | undefined {
  const text = single(query, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw badRequest(`${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text.slice(0, 40))}`, 'INVALID_PARAMETER');
  return n;
}

export async function directoryRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  const { db } = opts.store;

  app.get('/services', async (request) => {
    const disposition = single(request.query, 'disposition');
    const postcode = single(request.query, 'postcode');
    if (!disposition || !postcode) throw badRequest('disposition and postcode are required (e.g. ?disposition=Dx05&postcode=LS1 4AP)', 'INVALID_PARAMETER');
    const atText = single(request.query, 'at');
    const at = atText === undefined ? undefined : new Date(atText);
    if (at && Number.isNaN(at.getTime())) throw badRequest(`at ${JSON.stringify(atText)} is not an ISO date-time`, 'INVALID_PARAMETER');
    const services = await searchDirectory(db, {
      disposition,
      postcode,
      age: wholeNumber(request.query, 'age', 0, 130),
      at,
      max: wholeNumber(request.query, 'max', 1, 100),
      radiusKm: wholeNumber(request.query, 'radiusKm', 1, 2000),
    });
    return { services };
  });

  app.get<{ Params: { id: string } }>('/services/:id', async (request) => {
    const service = await getDirectoryService(db, request.params.id);
    if (!service) throw notFound(`No directory service has ID ${request.params.id}`);
    return service;
  });

  app.put<{ Params: { id: string } }>('/services/:id', async (request, reply) => {
    const body = request.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a JSON object (a directory service)', 'INVALID_REQUEST_MESSAGE');
    const { id } = body as { id?: unknown };
    if (id !== undefined && id !== request.params.id) throw badRequest(`The body's id ${JSON.stringify(id)} differs from the URL's ${request.params.id}`, 'INVALID_PARAMETER');
    const created = await putDirectoryService(db, { ...body, id: request.params.id });
    return reply.code(created ? 201 : 200).send(await getDirectoryService(db, request.params.id));
  });

  app.delete<{ Params: { id: string } }>('/services/:id', async (request, reply) => {
    if (!(await deleteDirectoryService(db, request.params.id))) throw notFound(`No directory service has ID ${request.params.id}`);
    return reply.code(204).send();
  });
}
