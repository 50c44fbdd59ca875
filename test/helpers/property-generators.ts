/**
 * The generators of test/provider/property.test.ts: fast-check arbitraries of booking bodies (JSON
 * and XML, valid, varied and mutated), raw bodies and Content-Types, query strings, paths, tokens,
 * headers, X-Request-IDs, cancels and concurrent mixes, with the functions that apply a generated
 * mutation to a body. The properties, and what every answer must be, stay in the test file.
 */
import fc from 'fast-check';
import type { NewSlot } from '../../src/capacity/catalogue.js';
import { SCOPE, token } from './consumer.js';
import { OTHER_TENANT, SERVICE, TENANT, bookingFor } from './provider.js';

// ---- text a request can carry ------------------------------------------------------------------

/** Any text as a header value HTTP allows: its UTF-8 bytes as latin1, control characters replaced. */
export const headerSafe = (s: string) =>
  Buffer.from(s, 'utf8')
    .toString('latin1')
    // eslint-disable-next-line no-control-regex -- control characters are what this replaces: HTTP refuses them in a header.
    .replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '?');
/** Any text as URL characters node:http sends (0x21–0xFF): spaces and non-latin1 percent-encoded. */
export const pathSafe = (s: string) => s.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c));

// ---- arbitraries: values and mutations ------------------------------------------------------------

const loneSurrogates = fc.string({
  unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 3,
});
/** Nesting `depth` levels deep: arrays, objects, or extensions (elements the model knows, so they are walked). */
function deepValue(depth: number, shape: 'array' | 'object' | 'extension'): unknown {
  let v: unknown = shape === 'array' ? [] : shape === 'object' ? {} : { url: 'x', valueString: 'x' };
  for (let i = 0; i < depth; i++)
    v = shape === 'array' ? [v] : shape === 'object' ? { a: v } : { url: 'x', extension: [v] };
  return v;
}

/** Values of every JSON type and many shapes, including the awkward ones. */
export const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  loneSurrogates,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.constant(''),
  fc.constant('   '),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('1', '0', '-1', '1e3', '0x10', 'NaN', 'Infinity', 'true', 'null', '[]', '{}'),
  fc.constantFrom(
    '2019-01-17T15:00:00',
    '2019-01-17',
    '2019-02-30T10:00:00Z',
    '9999-12-31T23:59:59Z',
    '0000-01-01T00:00:00Z',
    '2019-01-17T25:00:00Z',
    '2019-01-17T15:00:00+15:00',
  ),
  fc.constantFrom('#P1', '#123', '#slot002', 'Patient/P1', '#', 'booked', 'cancelled', 'current', 'male'),
  fc.constantFrom('\u0000', '\u202e\u200b\ufeff', '😀', 'e\u0301', '\uffff'),
);

export type Json = any;
/** `n` characters of seeded noise (base64url of an xorshift stream): text that does not compress. */
export function noise(n: number, seed: number): string {
  let x = seed | 1;
  const bytes = Buffer.alloc(Math.ceil((n * 3) / 4) + 3);
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes.toString('base64url').slice(0, n);
}
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export type Path = (string | number)[];

export function allPaths(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) allPaths(v, [...prefix, Array.isArray(value) ? Number(k) : k], out);
  }
  return out;
}
const pick = (paths: Path[], n: number) => paths[n % paths.length];
export function getAt(root: Json, at: Path): Json {
  return at.reduce((c, k) => (c == null ? undefined : c[k]), root);
}
/** Sets (or, with `remove`, deletes) the value at a path; a `__proto__` key becomes an own property. */
export function setAt(root: Json, at: Path, value: unknown, remove = false): Json {
  if (at.length === 0) return remove ? {} : value;
  const parent = getAt(root, at.slice(0, -1));
  if (!parent || typeof parent !== 'object') return root;
  const last = at[at.length - 1];
  if (remove) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  return root;
}

/** A value of another JSON type: numbers as strings, strings as numbers, arrays as objects and back. */
function retyped(v: unknown, flip: boolean): unknown {
  if (typeof v === 'string') return flip ? (Number.isFinite(Number(v)) ? Number(v) : v.length) : [v];
  if (typeof v === 'number') return flip ? String(v) : [v];
  if (typeof v === 'boolean') return flip ? String(v) : Number(v);
  if (v === null) return flip ? {} : [];
  if (Array.isArray(v)) return flip ? { ...v } : (v[0] ?? {});
  return flip ? [v] : (Object.values(v as object)[0] ?? []);
}

export type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'retype'; at: number; flip: boolean }
  | { kind: 'key'; at: number; key: string; value: unknown }
  | { kind: 'resourceType'; at: number; value: string }
  | { kind: 'duplicate'; at: number }
  | { kind: 'move'; at: number; to: number }
  | { kind: 'unknownOnly'; at: number; key: string }
  | { kind: 'huge'; at: number; size: number; char: string }
  | { kind: 'deep'; at: number; depth: number; shape: 'array' | 'object' | 'extension' };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: junkValue }),
  fc.record({ kind: fc.constant('retype' as const), at: fc.nat(), flip: fc.boolean() }),
  fc.record({
    kind: fc.constant('key' as const),
    at: fc.nat(),
    key: fc.oneof(
      fc.constantFrom(
        '__proto__',
        'constructor',
        'prototype',
        'toString',
        'hasOwnProperty',
        'resourceType',
        '_status',
        '_start',
        'extension',
        'modifierExtension',
        'id',
        'contained',
        'slot',
      ),
      fc.string({ maxLength: 8 }),
    ),
    value: junkValue,
  }),
  fc.record({
    kind: fc.constant('resourceType' as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(
        'Appointment',
        'Patient',
        'Slot',
        'DocumentReference',
        'Bundle',
        'OperationOutcome',
        'Resource',
        'DomainResource',
        'appointment',
        '',
        'constructor',
        '__proto__',
      ),
      fc.string({ maxLength: 12 }),
    ),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('move' as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('unknownOnly' as const), at: fc.nat(), key: fc.stringMatching(/^zz[a-z]{0,6}$/) }),
  fc.record({
    kind: fc.constant('huge' as const),
    at: fc.nat(),
    size: fc.constantFrom(10_000, 300_000, 1_100_000),
    char: fc.constantFrom('x', 'é', '😀', '\u0000', ' '),
  }),
  fc.record({
    kind: fc.constant('deep' as const),
    at: fc.nat(),
    depth: fc.integer({ min: 10, max: 1000 }),
    shape: fc.constantFrom('array' as const, 'object' as const, 'extension' as const),
  }),
);

/**
 * The body after each mutation in turn, or undefined when deep nestings moved inside one another pass
 * the depth this process can copy (structuredClone's stack on Node 22, seed 534606918): nothing to send.
 */
export function mutateAll(body: Json, mutations: readonly Mutation[]): Json | undefined {
  try {
    return mutations.reduce(mutate, body);
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

export function mutate(body: Json, m: Mutation): Json {
  const paths = allPaths(body);
  const at = pick(paths, m.at);
  switch (m.kind) {
    case 'delete':
      return setAt(body, at, undefined, true);
    case 'replace':
      return setAt(body, at, structuredClone(m.value));
    case 'retype':
      return setAt(body, at, retyped(getAt(body, at), m.flip));
    case 'unknownOnly': {
      // An element holding nothing the model knows (API-8: its content is to be ignored).
      const objects = paths.filter((q) => q.length > 0 && isObject(getAt(body, q)));
      return objects.length ? setAt(body, pick(objects, m.at), { [m.key]: 1 }) : body;
    }
    case 'huge':
      return setAt(body, at, m.char.repeat(m.size / m.char.length));
    case 'deep':
      return setAt(body, at, deepValue(m.depth, m.shape));
    case 'move':
      return setAt(body, pick(paths, m.to), structuredClone(getAt(body, at)) ?? null);
    case 'key': {
      const objects = paths.filter((q) => {
        const v = getAt(body, q);
        return v && typeof v === 'object' && !Array.isArray(v);
      });
      if (objects.length === 0) return body;
      return setAt(body, [...pick(objects, m.at), m.key], structuredClone(m.value));
    }
    case 'resourceType': {
      const resources = paths.filter((q) => getAt(body, q)?.resourceType !== undefined);
      if (resources.length === 0) return body;
      return setAt(body, [...pick(resources, m.at), 'resourceType'], m.value);
    }
    case 'duplicate': {
      const arrays = paths.filter((q) => Array.isArray(getAt(body, q)) && getAt(body, q).length > 0);
      if (arrays.length === 0) return body;
      const list = getAt(body, pick(arrays, m.at));
      list.push(structuredClone(list[0]));
      return body;
    }
  }
}

/** Changes a valid booking may undergo and stay valid (so it must still be booked). */
export type Benign =
  | { kind: 'unknown'; at: number; key: string; value: unknown }
  | { kind: 'offset'; zone: string }
  | { kind: 'noNhsNumber' }
  | { kind: 'participantStatus'; status: string }
  | { kind: 'text'; text: string }
  | { kind: 'dropOptional'; which: 'created' | 'meta' | 'telecom' | 'display' };

export const benignArb: fc.Arbitrary<Benign> = fc.oneof(
  fc.record({
    kind: fc.constant('unknown' as const),
    at: fc.nat(),
    key: fc.stringMatching(/^zz[a-zA-Z]{0,8}$/),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({
    kind: fc.constant('offset' as const),
    zone: fc.constantFrom('+01:00', '-05:30', '+14:00', '-12:00', '+00:00'),
  }),
  fc.record({ kind: fc.constant('noNhsNumber' as const) }),
  fc.record({
    kind: fc.constant('participantStatus' as const),
    status: fc.constantFrom('accepted', 'tentative', 'needs-action'),
  }),
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) }),
  fc.record({
    kind: fc.constant('dropOptional' as const),
    which: fc.constantFrom('created' as const, 'meta' as const, 'telecom' as const, 'display' as const),
  }),
);

function withOffset(instant: string, zone: string): string {
  const sign = zone.startsWith('-') ? -1 : 1;
  const [h, m] = zone.slice(1).split(':').map(Number);
  const local = new Date(Date.parse(instant) + sign * (h * 60 + m) * 60_000).toISOString();
  return local.replace('Z', zone);
}

export function applyBenign(body: Json, b: Benign): Json {
  const of = (type: string) => body.contained.find((r: Json) => r.resourceType === type);
  switch (b.kind) {
    case 'unknown': {
      const objects = allPaths(body).filter((q) => {
        const v = getAt(body, q);
        return v && typeof v === 'object' && !Array.isArray(v);
      });
      return setAt(body, [...pick(objects, b.at), b.key], b.value);
    }
    case 'offset':
      body.start = withOffset(body.start, b.zone);
      body.end = withOffset(body.end, b.zone);
      of('Slot').start = withOffset(of('Slot').start, b.zone);
      return body;
    case 'noNhsNumber':
      delete of('Patient').identifier;
      return body;
    case 'participantStatus':
      body.participant[0].status = b.status;
      return body;
    case 'text':
      body.description = `Reason: ${b.text}`;
      of('Patient').name[0].family = `${b.text}x`;
      return body;
    case 'dropOptional':
      if (b.which === 'created' || b.which === 'meta') delete body[b.which];
      if (b.which === 'telecom') delete of('Patient').telecom;
      if (b.which === 'display') delete of('DocumentReference').type.coding[0].display;
      return body;
  }
}

/**
 * Values STU3 allows that the booking rules refuse (BOOK-1, fs_fhir_overrides, docs/decisions.md): with
 * one of them in place a booking must be refused (422), whatever else is right.
 */
export const wrongButWellFormed: fc.Arbitrary<{ at: Path; value: unknown }> = fc.oneof(
  fc.record({
    at: fc.constant<Path>(['status']),
    value: fc.constantFrom('proposed', 'pending', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error'),
  }),
  fc.record({
    at: fc.constant<Path>(['contained', 0, 'status']),
    value: fc.constantFrom('superseded', 'entered-in-error'),
  }),
  fc.record({
    at: fc.constant<Path>(['participant', 0, 'actor', 'reference']),
    value: fc.constantFrom('#P2', 'Patient/P1', '#123'),
  }),
  fc.record({ at: fc.constant<Path>(['slot', 0, 'reference']), value: fc.constantFrom('#other', '#P1') }),
  fc.record({
    at: fc.constant<Path>(['supportingInformation', 0, 'reference']),
    value: fc.constantFrom('#999', '#slot002'),
  }),
  fc.record({
    at: fc.constant<Path>(['contained', 1, 'identifier', 0, 'value']),
    value: fc.constantFrom('1234567890', '0000000001', '123455432'),
  }),
  fc.record({ at: fc.constant<Path>(['contained', 1, 'gender']), value: fc.constant(undefined) }),
  fc.record({ at: fc.constant<Path>(['description']), value: fc.constant(undefined) }),
  fc.record({
    at: fc.constant<Path>(['contained', 2, 'start']),
    value: fc.constantFrom('2019-01-17T15:00:00Z', '2099-01-01T00:00:00Z'),
  }),
  fc.record({
    at: fc.constant<Path>(['contained', 2, 'schedule', 'reference']),
    value: fc.constantFrom('Schedule/S2', 'Schedule/nope'),
  }),
  fc.record({ at: fc.constant<Path>(['end']), value: fc.constant('start') }),
);

/** The standard's example booking of a test slot, with a generated referral document UUID. */
export function exampleBooking(slot: NewSlot, documentId: string): Json {
  const body = bookingFor(slot);
  body.contained.find((r: Json) => r.resourceType === 'DocumentReference').identifier[0].value = documentId;
  return body;
}

export const JSON_TYPES = ['application/fhir+json', 'application/json+fhir', 'application/json'];
export const XML_TYPES = ['application/fhir+xml', 'application/xml+fhir', 'application/xml', 'text/xml'];

export const contentTypeArb = fc.oneof(
  fc.constantFrom(
    ...JSON_TYPES,
    ...XML_TYPES,
    'application/fhir+json; charset=utf-8',
    'application/fhir+json; charset=ISO-8859-1',
    'application/fhir+xml;charset=utf-16',
    'APPLICATION/FHIR+JSON',
    'text/plain',
    'text/html',
    'text/json',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
    ';',
    '',
    'application/fhir+json;;;=',
  ),
  fc.constant(undefined),
  fc.string({ maxLength: 30 }).map(headerSafe),
);

// ---- booking bodies ---------------------------------------------------------------------------

/** A JSON booking of a slot of the pool: benign changes, junk mutations and maybe one value the rules refuse. */
export const jsonBookingArb = (poolSize: number) =>
  fc.record({
    slot: fc.nat(poolSize - 1),
    documentId: fc.uuid({ version: 4 }),
    requestId: fc.uuid({ version: 4 }),
    benign: fc.array(benignArb, { maxLength: 3 }),
    junk: fc.array(mutationArb, { maxLength: 4 }),
    wrong: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: wrongButWellFormed }),
  });

/** A raw body: a valid booking in JSON or XML, random text, or random bytes. */
export const rawBodyArb = (poolSize: number) =>
  fc.oneof(
    fc.record({
      kind: fc.constant('json' as const),
      slot: fc.nat(poolSize - 1),
      documentId: fc.uuid({ version: 4 }),
    }),
    fc.record({
      kind: fc.constant('xml' as const),
      slot: fc.nat(poolSize - 1),
      documentId: fc.uuid({ version: 4 }),
    }),
    fc.record({
      kind: fc.constant('text' as const),
      text: fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc.json(),
        fc.constantFrom(
          '',
          ' ',
          'null',
          '[]',
          '{}',
          '"x"',
          '<x/>',
          '<?xml version="1.0"?>',
          '\ufeff{}',
          '{"resourceType":"Appointment"}',
        ),
      ),
    }),
    fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
  );

// ---- XML mutations ------------------------------------------------------------------------------

/** Ways to break (or merely vary) an XML booking document. */
export type XmlMutation =
  | { how: 'truncate'; at: number }
  | { how: 'rename'; at: number; name: string }
  | { how: 'dropAttribute'; at: number }
  | { how: 'doctype'; decl: string }
  | { how: 'entity'; at: number; ref: string }
  | { how: 'junk'; at: number; text: string }
  | { how: 'namespace'; ns: string }
  | { how: 'duplicate'; at: number }
  | { how: 'deep'; depth: number }
  | { how: 'prolog'; text: string };
export const xmlMutationArb: fc.Arbitrary<XmlMutation> = fc.oneof(
  fc.record({ how: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    how: fc.constant('rename' as const),
    at: fc.nat(),
    name: fc.oneof(
      fc.constantFrom(
        'Bogus',
        'Patient',
        'status',
        'extension',
        '__proto__',
        'constructor',
        'toString',
        'a:b',
        'x-y',
        'contained',
      ),
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9._-]{0,10}$/),
    ),
  }),
  fc.record({ how: fc.constant('dropAttribute' as const), at: fc.nat() }),
  fc.record({
    how: fc.constant('doctype' as const),
    decl: fc.constantFrom(
      '<!DOCTYPE Appointment>',
      '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
      '<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
      '<!doctype html>',
    ),
  }),
  fc.record({
    how: fc.constant('entity' as const),
    at: fc.nat(),
    ref: fc.constantFrom('&lt;', '&amp;', '&#x1F600;', '&#0;', '&#xD800;', '&unknown;', '&', '&#x110000;', '&quot;'),
  }),
  fc.record({
    how: fc.constant('junk' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.constantFrom(
        '<<',
        '&&',
        '>',
        '<![CDATA[x]]>',
        '<!-- c -->',
        '<?pi x?>',
        '</Appointment>',
        '<a',
        '"',
        '\u0000',
        '\ud800',
      ),
      fc.string({ maxLength: 10 }),
    ),
  }),
  fc.record({
    how: fc.constant('namespace' as const),
    ns: fc.constantFrom('', 'http://hl7.org/fhir/', 'http://www.w3.org/1999/xhtml', 'urn:x'),
  }),
  fc.record({ how: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ how: fc.constant('deep' as const), depth: fc.integer({ min: 10, max: 5000 }) }),
  fc.record({
    how: fc.constant('prolog' as const),
    text: fc.constantFrom(
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<?xml version="1.0" encoding="UTF-16"?>',
      '\ufeff',
      '<?xml version="2.0"?>',
      '  ',
      '<?xml?>',
    ),
  }),
);
/** The XML booking `doc` with the mutation applied. */
export function applyXmlMutation(doc: string, m: XmlMutation): string {
  const tags = [...doc.matchAll(/<([A-Za-z_][\w.:-]*)/g)];
  const attributes = [...doc.matchAll(/ (value|url|id|xmlns)="[^"]*"/g)];
  const values = [...doc.matchAll(/ value="([^"]*)"/g)];
  const nth = <T>(list: T[], n: number) => list[n % Math.max(list.length, 1)];
  switch (m.how) {
    case 'truncate':
      return doc.slice(0, m.at % doc.length);
    case 'rename': {
      const t = nth(tags, m.at);
      if (!t) return doc;
      const name = t[1];
      // Rename the start tag and the end tag that follows it (if any).
      const i = t.index!;
      let out = `${doc.slice(0, i)}<${m.name}${doc.slice(i + 1 + name.length)}`;
      const close = out.indexOf(`</${name}>`, i);
      if (close >= 0) out = `${out.slice(0, close)}</${m.name}>${out.slice(close + name.length + 3)}`;
      return out;
    }
    case 'dropAttribute': {
      const a = nth(attributes, m.at);
      return a ? doc.slice(0, a.index!) + doc.slice(a.index! + a[0].length) : doc;
    }
    case 'doctype':
      return doc.replace('<Appointment', `${m.decl}<Appointment`).replace('value="Reason for calling"', 'value="&c;"');
    case 'entity': {
      const v = nth(values, m.at);
      return v ? doc.slice(0, v.index! + 8) + m.ref + doc.slice(v.index! + 8) : doc;
    }
    case 'junk': {
      const at = m.at % (doc.length + 1);
      return doc.slice(0, at) + m.text + doc.slice(at);
    }
    case 'namespace':
      return doc.replace('xmlns="http://hl7.org/fhir"', m.ns ? `xmlns="${m.ns}"` : '');
    case 'duplicate': {
      const simple = [...doc.matchAll(/<(\w+) value="[^"]*"\/>/g)];
      const s = nth(simple, m.at);
      return s ? doc.slice(0, s.index!) + s[0] + doc.slice(s.index!) : doc;
    }
    case 'deep':
      return doc.replace(
        '<status value="booked"/>',
        `<status value="booked"/><modifierExtension url="x">${'<extension url="x">'.repeat(m.depth)}` +
          `${'</extension>'.repeat(m.depth)}</modifierExtension>`,
      );
    case 'prolog':
      return m.text + doc;
  }
}

// ---- query strings and paths ------------------------------------------------------------------

const queryNames = fc.oneof(
  fc.constantFrom(
    'service',
    'schedule.actor:healthcareservice',
    'status',
    'start',
    '_include',
    '_include:iterate',
    '_include:recurse',
    '_count',
    '_format',
    'start:missing',
    'status:not',
    'service:exact',
    '_count:x',
    'patient.identifier',
    'identifier',
    'patient:Patient.identifier',
    'Appointment.participant.actor:Patient.identifier',
    'actor:Patient.identifier',
    'date',
    'date:above',
    '_sort',
    '_summary',
    '_elements',
    '_lastUpdated',
    '_id',
    'colour',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    '',
    '[]',
    'a[b]',
    'status[]',
  ),
  fc.string({ maxLength: 10 }),
);
const queryDateValue = fc
  .record({
    prefix: fc.constantFrom('', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap', 'zz', 'EQ', 'g'),
    y: fc.constantFrom('2019', '2026', '2027', '0000', '9999', '1', '20266'),
    rest: fc.constantFrom(
      '',
      '-01',
      '-12-31',
      '-02-30',
      '-13-01',
      '-01-01T10:00',
      '-01-01T10:00:00',
      '-01-01T10:00:00.123Z',
      '-01-01T10:00:00+01:00',
      '-01-01T10:00:00 01:00',
      '-01-01T24:00:00Z',
      '-01-01T10:00:00+15:00',
      'T',
    ),
  })
  .map((d) => d.prefix + d.y + d.rest);
const queryValues = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  queryDateValue,
  fc.constantFrom(
    'free',
    'busy',
    'free,busy',
    'free,,busy',
    ',',
    'free\\,busy',
    SERVICE,
    `${SERVICE},200001`,
    '|',
    `https://fhir.nhs.uk/Id/nhs-number|1234554321`,
    '|1234554321',
    'x|',
    'Slot:schedule',
    'Schedule:actor:HealthcareService',
    'HealthcareService:location',
    '*',
    'constructor',
    '__proto__',
    'toString',
    'valueOf',
    'hasOwnProperty',
    'xml',
    'json',
    'application/fhir+xml',
    'html',
    '0',
    '-1',
    '1.5',
    '1e3',
    '1e400',
    '99999999999999999999',
    'NaN',
    'booked',
    'cancelled',
  ),
);
/** Percent-encoding junk and raw separators, sent unencoded. */
const queryRawJunk = fc.constantFrom(
  '%',
  '%zz',
  '%E0%A4%A',
  '%00',
  '%C0%AF',
  '%FF',
  '%2',
  '+',
  '++',
  '&',
  '&&',
  '=',
  '==',
  ';',
  '%26',
  '%3D',
  '%25',
  '?',
  '??',
  '%u0041',
  '%%',
);
/** One query parameter: a name, a value (percent-encoded, or raw junk), and whether to send the name alone. */
export const queryPairArb = fc.tuple(
  queryNames,
  fc.oneof(
    { weight: 4, arbitrary: queryValues.map((v) => encodeURIComponent(v)) },
    { weight: 1, arbitrary: queryRawJunk },
  ),
  fc.boolean(),
);

/** A path segment: resource types and ids (the booked appointment's among them), percent-encoding junk, long ones. */
export const pathSegmentArb = (appointmentId: string) =>
  fc.oneof(
    fc.constantFrom(
      'Appointment',
      'Slot',
      'Schedule',
      'HealthcareService',
      'Location',
      'Practitioner',
      'PractitionerRole',
      'Organization',
      'metadata',
      '_history',
      '1',
      appointmentId,
      SERVICE,
      'S1',
      's1-000',
      'Patient',
      '_search',
      '$book',
    ),
    fc.constantFrom(
      '%zz',
      '%',
      '%E0%A4%A',
      '%00',
      '%2F',
      '%2e%2e',
      '..',
      '.',
      'a%20b',
      '%C0%AF',
      '%FF%FE',
      '~',
      '__proto__',
      'constructor',
      ';x=1',
    ),
    fc.nat({ max: 400 }).map((n) => 'a'.repeat(n)),
    fc.string({ maxLength: 12 }).map((s) => pathSafe(encodeURIComponent(s))),
  );
/** A tenant segment: one of the two tenants, or any segment. */
export const tenantArb = (segment: fc.Arbitrary<string>) =>
  fc.oneof(fc.constant(TENANT), fc.constant(OTHER_TENANT), segment);

// ---- tokens ------------------------------------------------------------------------------------

/** Tokens that break one rule of the standard each: every one must be refused with a 401. */
export function invalidTokens({
  root,
  otherRoot,
  origin,
}: {
  /** The tenant's service root (the valid audience). */
  root: () => string;
  /** Another tenant's service root. */
  otherRoot: () => string;
  /** The provider's origin. */
  origin: () => string;
}): Record<string, () => string | undefined> {
  const now = () => Math.floor(Date.now() / 1000);
  return {
    'no header': () => undefined,
    'empty header': () => '',
    'scheme only': () => 'Bearer',
    'Basic scheme': () => 'Basic dXNlcjpwYXNz',
    'token without scheme': () => token({ aud: root(), scope: SCOPE.slotRead }),
    'missing dot': () => `Bearer ${token({ aud: root(), scope: SCOPE.slotRead }).slice(0, -1)}`,
    'two parts': () => `Bearer ${token({ aud: root(), scope: SCOPE.slotRead }).split('.').slice(0, 2).join('.')}`,
    'four parts': () => `Bearer ${token({ aud: root(), scope: SCOPE.slotRead })}.`,
    signature: () => `Bearer ${token({ aud: root(), scope: SCOPE.slotRead })}c2lnbmF0dXJl`,
    'alg HS256': () => `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, header: { alg: 'HS256', typ: 'JWT' } })}`,
    'alg RS256': () => `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, header: { alg: 'RS256', typ: 'JWT' } })}`,
    'alg None': () => `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, header: { alg: 'None', typ: 'JWT' } })}`,
    'no alg': () => `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, header: { typ: 'JWT' } })}`,
    'typ JWS': () => `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, header: { alg: 'none', typ: 'JWS' } })}`,
    'payload not JSON': () =>
      `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{not json').toString('base64url')}.`,
    'payload an array': () =>
      `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('[1,2]').toString('base64url')}.`,
    'payload not base64url': () => `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.a+b/c==.`,
    expired: () => `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, iat: now() - 1000, exp: now() - 700 })}`,
    'issued in the future': () =>
      `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, iat: now() + 600, exp: now() + 800 })}`,
    'lifetime over 5 minutes': () =>
      `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, iat: now(), exp: now() + 301 })}`,
    'exp before iat': () => `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, iat: now(), exp: now() - 1 })}`,
    'exp not an integer': () =>
      `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, claims: { exp: now() + 100.5 } })}`,
    'exp a string': () =>
      `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, claims: { exp: String(now() + 100) } })}`,
    'aud another tenant': () => `Bearer ${token({ aud: otherRoot(), scope: SCOPE.slotRead })}`,
    'aud with a slash': () => `Bearer ${token({ aud: `${root()}/`, scope: SCOPE.slotRead })}`,
    'aud the origin': () => `Bearer ${token({ aud: origin(), scope: SCOPE.slotRead })}`,
    'scope appointment.read': () => `Bearer ${token({ aud: root(), scope: SCOPE.read })}`,
    'scope appointment.write': () => `Bearer ${token({ aud: root(), scope: SCOPE.write })}`,
    'scope with a space': () => `Bearer ${token({ aud: root(), scope: `${SCOPE.slotRead} ${SCOPE.read}` })}`,
    'reason not directcare': () =>
      `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, claims: { reason_for_request: 'secondaryuses' } })}`,
    'sub is not the practitioner': () =>
      `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, claims: { sub: 'someone-else' } })}`,
    'device not a Device': () =>
      `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, claims: { requesting_device: { resourceType: 'Patient' } } })}`,
    'organisation without ODS code': () =>
      `Bearer ${token({
        aud: root(),
        scope: SCOPE.slotRead,
        claims: {
          requesting_organization: {
            resourceType: 'Organization',
            name: 'x',
            identifier: [{ system: 'urn:x', value: 'A1' }],
          },
        },
      })}`,
    ...Object.fromEntries(
      [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'reason_for_request',
        'requested_scope',
        'requesting_device',
        'requesting_organization',
      ].map((claim) => [
        `no ${claim}`,
        () => `Bearer ${token({ aud: root(), scope: SCOPE.slotRead, claims: { [claim]: undefined } })}`,
      ]),
    ),
  };
}

/** The claims the provider checks. */
export const CHECKED_CLAIMS = [
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'reason_for_request',
  'requested_scope',
  'requesting_device',
  'requesting_organization',
  'requesting_practitioner',
];
const claimChange = fc.record({ claim: fc.constantFrom(...CHECKED_CLAIMS), value: junkValue, remove: fc.boolean() });
/**
 * A token case: one of the invalid tokens (by rule name), a valid token with extra claims, random claim
 * changes, garbage, or a valid token of an organisation with an odd ODS code or name.
 */
export const tokenCaseArb = (rules: string[]) =>
  fc.oneof(
    fc.record({
      kind: fc.constant('invalid' as const),
      rule: fc.constantFrom(...rules),
      extra: fc.dictionary(fc.stringMatching(/^x_[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
    }),
    fc.record({
      kind: fc.constant('benign' as const),
      extra: fc.dictionary(fc.stringMatching(/^x_[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
      scheme: fc.constantFrom('Bearer', 'bearer', 'BEARER'),
      practitioner: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('random claims' as const),
      changes: fc.array(claimChange, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({
      kind: fc.constant('garbage' as const),
      text: fc.oneof(
        fc.string().map((s) => `Bearer ${s}`),
        fc.base64String({ maxLength: 200 }).map((s) => `Bearer ${s}.${s}.`),
        fc.base64String({ maxLength: 200 }).map((s) => `Bearer ${s.replace(/[+/=]/g, '')}`),
        fc
          .tuple(fc.jsonValue(), fc.jsonValue())
          .map(
            ([h, b]) =>
              `Bearer ${Buffer.from(JSON.stringify(h)).toString('base64url')}.${Buffer.from(JSON.stringify(b)).toString('base64url')}.`,
          ),
        fc.constantFrom('Bearer ..', 'Bearer .', 'Bearer  a.b.', `Bearer ${'a'.repeat(20_000)}..`, 'Bearer e30.e30.'),
      ),
    }),
    // A valid token whose organisation has an odd ODS code or name, used to book (what it says is stored).
    fc.record({
      kind: fc.constant('odd organisation' as const),
      ods: fc.oneof(
        fc.constantFrom('A\u0000B', 'Ä1', '🙂', ' A1 ', 'x'.repeat(500), '\u202e1', 'a\tb'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
      ),
      name: fc.oneof(
        fc.constant('111 North East Service'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
        fc.constant('N\u0000E'),
      ),
    }),
  );

// ---- headers -----------------------------------------------------------------------------------

/** API-2: `_format` takes json, xml and the FHIR MIME types (parameters such as q= aside). */
export const FORMATS: Record<string, 'json' | 'xml'> = {
  json: 'json',
  xml: 'xml',
  'application/fhir+json': 'json',
  'application/json+fhir': 'json',
  'application/json': 'json',
  'text/json': 'json',
  'application/fhir+xml': 'xml',
  'application/xml+fhir': 'xml',
  'application/xml': 'xml',
  'text/xml': 'xml',
};
/** Accept, _format, Accept-Encoding and X-Request-ID headers, and a path to ask. */
export const headerArb = fc.record({
  accept: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        undefined,
        'application/fhir+json',
        'application/fhir+xml',
        'application/fhir+json;q=0.1, application/fhir+xml',
        '*/*',
        'application/*',
        'text/*',
        'text/html',
        '',
        ';;;,,q=x',
        'application/fhir+xml;q=0',
        'application/json',
        'xml',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map(headerSafe) },
  ),
  format: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        ...Object.keys(FORMATS),
        'html',
        'XML',
        'application/fhir+json;q=1',
        '',
        'constructor',
        '__proto__',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  ),
  encoding: fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'gzip;q=0', 'identity', '*', 'x-junk'),
  requestId: fc.oneof(
    fc.uuid(),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.nat({ max: 6000 }).map((n) => 'r'.repeat(n)),
    fc.constantFrom('é\u0000', ' padded ', '', '\t'),
  ),
  path: fc.constantFrom(
    `/Slot?service=${SERVICE}&_include=Slot:schedule`,
    '/Slot?status=nope',
    '/metadata',
    '/Appointment/nope',
  ),
});

const headerBytes = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b));
/** Raw bytes in a header value, a header name or the request line, or a method Node refuses. */
export const rawHeaderArb = fc.oneof(
  fc.record({ where: fc.constant('value' as const), bytes: headerBytes }),
  fc.record({ where: fc.constant('name' as const), bytes: headerBytes }),
  fc.record({ where: fc.constant('line' as const), bytes: headerBytes }),
  fc.record({
    where: fc.constant('method' as const),
    bytes: fc.constantFrom('FOO', 'get', 'TRACE', 'PROPFIND', 'G ET').map((s) => Buffer.from(s)),
  }),
);

// ---- X-Request-IDs, cancels, concurrent mixes ------------------------------------------------------

/** Two X-Request-IDs that differ only at their ends: UUIDs, odd characters, long ones, long ones that do not compress. */
export const requestIdPairArb = fc.oneof(
  fc.tuple(fc.uuid(), fc.uuid()),
  fc
    .tuple(
      fc.string({ unit: 'binary', minLength: 0, maxLength: 600 }),
      fc.constantFrom('1', '2', 'a', 'b'),
      fc.constantFrom('3', '4', 'c', 'd'),
    )
    .map(([prefix, a, b]) => [prefix + a, prefix + b] as [string, string]),
  fc
    .tuple(fc.nat({ max: 1000 }), fc.string({ minLength: 1, maxLength: 5 }))
    .map(([n, s]) => [`${'x'.repeat(n)}-1-${s}`, `${'x'.repeat(n)}-2-${s}`] as [string, string]),
  // Long ids that do not compress (a database index holds a few kilobytes at most).
  fc.tuple(fc.integer({ min: 1000, max: 12_000 }), fc.integer()).map(([n, s]) => {
    const random = noise(n, s);
    return [`${random}-1`, `${random}-2`] as [string, string];
  }),
);

/** An If-Match value: the current version in many spellings (`{v}`), stale ones, junk, or none. */
const ifMatchArb = fc.oneof(
  fc.constantFrom(
    'none',
    'W/"{v}"',
    '"{v}"',
    '{v}',
    ' W/"{v}" ',
    'W/"{v-1}"',
    'W/"{v+1}"',
    'W/"0"',
    'W/"x"',
    '*',
    '',
    'W/',
    'W/"1", W/"2"',
    'W/"9999999999"',
    'w/"{v}"',
  ),
  fc.string({ maxLength: 12 }),
);
/** A cancel of the booked appointment: If-Match, status, mutations, format and target. */
export const cancelArb = fc.record({
  rebook: fc.boolean(),
  tag: ifMatchArb,
  status: fc.constantFrom('cancelled', 'cancelled', 'booked', 'noshow', 'Cancelled'),
  changes: fc.oneof(
    { weight: 2, arbitrary: fc.constant([] as Mutation[]) },
    { weight: 3, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 2 }) },
  ),
  format: fc.constantFrom('json', 'json', 'xml'),
  target: fc.constantFrom('self', 'self', 'self', 'unknown', 'other-tenant'),
});

/** One operation of a concurrent mix: a booking (with one of a few X-Request-IDs, by one of two consumers) or a cancel. */
export const mixOpArb = (poolSize: number) =>
  fc.oneof(
    fc.record({
      kind: fc.constant('book' as const),
      slot: fc.nat(poolSize - 1),
      key: fc.nat(3),
      ods: fc.constantFrom('A1001', 'B2002'),
    }),
    fc.record({ kind: fc.constant('cancel' as const), slot: fc.nat(poolSize - 1) }),
  );
