/**
 * Input checked against the admin API's schemas (./schemas.ts) outside Fastify: the CLI's commands
 * call the same functions the admin API's handlers do, with input that no route schema has seen.
 * A fault is the 400 OperationOutcome the admin API answers for it.
 */
import type { Static, TSchema } from 'typebox';
import { badRequest, type OperationOutcomeError } from '../fhir/outcome.js';
import { checkAgainst, type SchemaFault } from '../validation/route-schema.js';

/** The admin API's answer to a fault in a request: a 400 naming the field (or the part, for the whole of it). */
export const faultOutcome = (fault: SchemaFault, part: string): OperationOutcomeError =>
  badRequest(fault.message, 'INVALID_PARAMETER', [fault.field || part]);

/** The value, typed, when it fits the schema; otherwise throws the admin API's 400. */
export function checkInput<T extends TSchema>(schema: T, value: unknown, part = 'body'): Static<T> {
  const checked = checkAgainst(schema, value, part);
  if (checked.fault) throw faultOutcome(checked.fault, part);
  return checked.value;
}
