/**
 * Route schemas (TypeBox's JSON Schema) checked with TypeBox's compiler, for the two JSON APIs: the
 * providers' admin API (src/capacity/admin.ts) and the booking app's API (src/consumer/web.ts).
 *
 * A schema says what a client must be told besides what is allowed: a property's `errorMessage` is the
 * sentence a client reads when that property (or anything inside it) is wrong or missing (`{value}`
 * in it stands for the value sent), and its `errorCode` the web API's error code. Each API turns the
 * fault into its own error shape (an OperationOutcome, or the web API's `{ code, message }`), so a
 * fault reads the same whether Fastify found it in a request or a CLI command's input was checked
 * against the same schema.
 */
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/** What is wrong with an input: the top-level field it is about ('' for the whole input) and what to say. */
export interface SchemaFault {
  field: string;
  message: string;
  /** The schema's `errorCode` for the field, if it names one. */
  code?: string;
}

type Validator = ReturnType<typeof Compile<TSchema>>;
const validators = new WeakMap<TSchema, Validator>();

function validatorOf(schema: TSchema): Validator {
  let validator = validators.get(schema);
  if (!validator) validators.set(schema, (validator = Compile(schema)));
  return validator;
}

interface Annotated {
  errorMessage?: string;
  errorCode?: string;
  properties?: Record<string, Annotated>;
  items?: Annotated;
}

/**
 * The fault a client is told of, from TypeBox's errors: the first wrong field in the order the schema
 * declares them (the order of a form), with the message of the nearest schema on its path that gives one.
 */
function faultOf(
  schema: TSchema,
  input: unknown,
  errors: readonly FastifySchemaValidationError[],
  part: string,
): SchemaFault {
  const root = schema as Annotated;
  const order = Object.keys(root.properties ?? {});
  let best: { rank: number; path: string[] } | undefined;
  for (const error of errors) {
    const path = error.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    const missing = (error.params as { requiredProperties?: string[] }).requiredProperties;
    if (error.keyword === 'required' && missing?.length) {
      const first = [...missing].sort((a, b) => rankOf(order, [a]) - rankOf(order, [b]))[0]!;
      path.push(first);
    }
    const rank = rankOf(order, path);
    if (!best || rank < best.rank) best = { rank, path };
  }
  const path = best?.path ?? [];
  let node: Annotated | undefined = root;
  let message = root.errorMessage;
  let code = root.errorCode;
  for (const segment of path) {
    node = node.properties?.[segment] ?? (/^\d+$/.test(segment) ? node.items : undefined);
    if (!node) break;
    if (node.errorMessage) message = node.errorMessage;
    if (node.errorCode) code = node.errorCode;
  }
  const field = path[0] ?? '';
  const fallback = errors.find((e) => e.instancePath === (path.length ? `/${path.join('/')}` : ''))?.message;
  const value = field ? (input as Record<string, unknown> | null)?.[field] : input;
  return {
    field,
    message: message
      ? message.replace('{value}', typeof value === 'string' || typeof value === 'number' ? String(value) : 'it')
      : `${field || part} ${fallback ?? 'is not valid'}`,
    ...(code ? { code } : {}),
  };
}

/** A field's place in the declared order; a fault in the whole input (no field) comes after any field's. */
const rankOf = (order: string[], path: string[]) =>
  path.length === 0 ? order.length + 1 : order.includes(path[0]!) ? order.indexOf(path[0]!) : order.length;

/** Checks a value against a schema: the value, typed, or the fault to report. */
export function checkAgainst<T extends TSchema>(
  schema: T,
  value: unknown,
  part = 'body',
): { value: Static<T>; fault?: undefined } | { fault: SchemaFault } {
  const validator = validatorOf(schema);
  if (validator.Check(value)) return { value: value as Static<T> };
  return { fault: faultOf(schema, value, validator.Errors(value) as FastifySchemaValidationError[], part) };
}

/**
 * Query strings and path parameters arrive as text: a property the schema wants as a number is read
 * as one only when it is written as plain decimal digits (TypeBox's Value.Convert would also read
 * "true" as 1, "0x10" as 16 and "1.5" as an integer 1).
 */
function numbersRead(schema: TSchema, value: unknown): unknown {
  type Property = { type?: unknown; anyOf?: Property[] };
  const properties = (schema as { properties?: Record<string, Property> }).properties;
  if (!properties || !value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, property] of Object.entries(properties)) {
    const text = out[key];
    if (typeof text !== 'string') continue;
    const types = [property, ...(property.anyOf ?? [])].map((p) => p.type);
    if (types.includes('integer') && /^-?\d{1,15}$/.test(text)) out[key] = Number(text);
    else if (types.includes('number') && /^-?\d{1,15}(\.\d{1,15})?$/.test(text)) out[key] = Number(text);
  }
  return out;
}

/**
 * Fastify's validator compiler for TypeBox route schemas. A failed check hands the plugin's schema
 * error formatter one error whose `message` is the fault's message and whose `params` hold the fault
 * (see `faultFrom`); bodies are never converted.
 */
export const routeSchemaCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const part = httpPart ?? 'body';
  return (input) => {
    const value = part === 'body' ? input : numbersRead(schema, input);
    const checked = checkAgainst(schema, value, part);
    if (!checked.fault) return { value: checked.value };
    const { field, message } = checked.fault;
    const error: FastifySchemaValidationError = {
      keyword: 'errorMessage',
      instancePath: field ? `/${field}` : '',
      schemaPath: '#',
      params: { ...checked.fault },
      message,
    };
    return { error: [error] };
  };
};

/** The fault `routeSchemaCompiler` reported, read back in a schema error formatter. */
export function faultFrom(errors: readonly FastifySchemaValidationError[], part: string): SchemaFault {
  const params = errors[0]?.params as Partial<SchemaFault> | undefined;
  return {
    field: params?.field ?? '',
    message: params?.message ?? errors[0]?.message ?? `The ${part} is not valid`,
    ...(params?.code ? { code: params.code } : {}),
  };
}
