/**
 * SOAP envelopes (1.2, and 1.1 for clients that still send it) read and written with fast-xml-parser,
 * for the two sides of NHS Directory of Services' SOAP API: the spine's stand-in
 * (src/spine/directory/soap.ts) and the consumer's client (src/consumer/dos-client.ts). It lives here
 * because both layers may import src/fhir and neither may import the other.
 *
 * Reading turns the document into a tree of elements whose names are resolved against the namespace
 * declarations in scope (`{ns, name}`), so `web:postcode`, `postcode` under a default namespace and
 * `ns1:postcode` all read alike. Documents with a DOCTYPE are refused: SOAP forbids them, and refusing
 * them keeps entity tricks out. Writing builds plain objects for XMLBuilder, which escapes text.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export type SoapVersion = '1.1' | '1.2';

/** An element with its namespace resolved; `text` is its own text (trimmed), children in document order. */
export interface XmlElement {
  ns: string;
  name: string;
  /** Its attributes as written (namespace declarations left out). */
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
}

/** Why a document could not be read as a SOAP message. */
export class SoapReadError extends Error {
  constructor(
    readonly kind: 'not-xml' | 'not-soap',
    message: string,
  ) {
    super(message);
    this.name = 'SoapReadError';
  }
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  htmlEntities: false,
});

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function resolve(node: Ordered, scope: Map<string, string>): XmlElement | undefined {
  const tag = Object.keys(node).find((k) => k !== ':@' && k !== '#text');
  if (!tag) return undefined;
  const attributes = node[':@'] ?? {};
  let inner = scope;
  const own: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (inner === scope) inner = new Map(scope);
      inner.set(name === 'xmlns' ? '' : name.slice(6), String(value));
    } else own[name] = String(value);
  }
  const colon = tag.indexOf(':');
  const prefix = colon < 0 ? '' : tag.slice(0, colon);
  const element: XmlElement = {
    ns: inner.get(prefix) ?? '',
    name: colon < 0 ? tag : tag.slice(colon + 1),
    attributes: own,
    text: '',
    children: [],
  };
  const content = Array.isArray(node[tag]) ? (node[tag] as Ordered[]) : [];
  for (const part of content) {
    if ('#text' in part) element.text += String(part['#text']);
    else {
      const child = resolve(part, inner);
      if (child) element.children.push(child);
    }
  }
  element.text = element.text.trim();
  return element;
}

/** The document element of an XML text; SoapReadError('not-xml') when it is not well-formed XML. */
export function readXml(text: string): XmlElement {
  if (/<!DOCTYPE/i.test(text)) throw new SoapReadError('not-xml', 'a document type declaration is not allowed');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new SoapReadError('not-xml', `${valid.err.msg} (line ${valid.err.line})`);
  let nodes: Ordered[];
  try {
    nodes = parser.parse(text) as Ordered[];
  } catch (err) {
    // The parser's own limits (e.g. more than 100 nested elements) make the document unreadable too.
    throw new SoapReadError('not-xml', (err as Error).message);
  }
  const roots = nodes.map((n) => resolve(n, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']])));
  const root = roots.find((r): r is XmlElement => r !== undefined);
  if (!root) throw new SoapReadError('not-xml', 'the document has no element');
  return root;
}

export interface SoapMessage {
  version: SoapVersion;
  header: XmlElement[];
  /** The body's elements: the operation's element, or a Fault. */
  body: XmlElement[];
}

/** A SOAP envelope, 1.2 or 1.1 (by the Envelope's namespace); SoapReadError when it is not one. */
export function readEnvelope(text: string): SoapMessage {
  const root = readXml(text);
  const version = root.ns === SOAP12_NS ? '1.2' : root.ns === SOAP11_NS ? '1.1' : undefined;
  if (root.name !== 'Envelope' || !version)
    throw new SoapReadError(
      'not-soap',
      `the document element is ${root.name} in namespace "${root.ns}", not a SOAP Envelope`,
    );
  const header = root.children.find((c) => c.ns === root.ns && c.name === 'Header');
  const body = root.children.find((c) => c.ns === root.ns && c.name === 'Body');
  if (!body) throw new SoapReadError('not-soap', 'the SOAP Envelope has no Body');
  return { version, header: header?.children ?? [], body: body.children };
}

/** The first child with this local name (any namespace); `ignoreCase` for lenient readers. */
export function child(element: XmlElement | undefined, name: string, ignoreCase = false): XmlElement | undefined {
  if (!element) return undefined;
  const want = ignoreCase ? name.toLowerCase() : name;
  return element.children.find((c) => (ignoreCase ? c.name.toLowerCase() : c.name) === want);
}

/** Every child with this local name. */
export function children(element: XmlElement | undefined, name: string, ignoreCase = false): XmlElement[] {
  if (!element) return [];
  const want = ignoreCase ? name.toLowerCase() : name;
  return element.children.filter((c) => (ignoreCase ? c.name.toLowerCase() : c.name) === want);
}

/** The text of a child element, or undefined when there is no such child. */
export function childText(element: XmlElement | undefined, name: string, ignoreCase = false): string | undefined {
  return child(element, name, ignoreCase)?.text;
}

export interface SoapFault {
  /** DoS puts its own number here (303, 101 …); standard faults carry a QName such as env:Sender. */
  code: string;
  reason: string;
}

/** The Fault in a message's body, 1.2 (Code/Value, Reason/Text) or 1.1 (faultcode, faultstring). */
export function faultOf(message: SoapMessage): SoapFault | undefined {
  const fault = message.body.find((e) => e.name === 'Fault');
  if (!fault) return undefined;
  if (message.version === '1.2') {
    const code = child(fault, 'Code');
    return { code: childText(code, 'Value') ?? '', reason: childText(child(fault, 'Reason'), 'Text') ?? '' };
  }
  return { code: childText(fault, 'faultcode') ?? '', reason: childText(fault, 'faultstring') ?? '' };
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  suppressBooleanAttributes: false,
  // Text and attribute values arrive escaped (prepare, below), in one pass that also names the elements.
  processEntities: false,
  // No callback here reads the element's path; without this the builder (fast-xml-builder) writes every
  // element's path out as a string. The option is in its code and README but not yet in its types.
  ...({ jPath: false } as object),
});

/** An XMLBuilder object: element names (prefixed as you declare them) to text, numbers, objects or lists. */
export type XmlContent = Record<string, unknown>;

const SPECIAL = /[&<>"']/;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeXml = (text: string) => (SPECIAL.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c]!) : text);

/** Prefixed element names (the vocabulary of a few documents: bounded all the same). */
const PREFIXED = new Map<string, string>();
const prefixed = (prefix: string, name: string) => {
  const key = `${prefix}:${name}`;
  const known = PREFIXED.get(key);
  if (known) return known;
  if (PREFIXED.size < 1_000) PREFIXED.set(key, key);
  return key;
};

/**
 * One pass over the content before the builder: every string escaped for XML (text and attribute values,
 * quotes too), and, given `prefix`, every element name put in that namespace (`name` → `prefix:name`;
 * attributes, `#text` and names that already have a prefix are left as they are).
 */
function prepare(content: unknown, prefix?: string): unknown {
  if (typeof content === 'string') return escapeXml(content);
  if (Array.isArray(content)) return content.map((item) => prepare(item, prefix));
  if (content === null || typeof content !== 'object') return content;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(content)) {
    const name = prefix && key[0] !== '@' && key[0] !== '#' && !key.includes(':') ? prefixed(prefix, key) : key;
    out[name] = prepare((content as Record<string, unknown>)[key], prefix);
  }
  return out;
}

const DECLARATION = { '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' } };

/** Writes an XMLBuilder object as a document with an XML declaration. */
export function writeXml(content: XmlContent): string {
  return builder.build({ ...DECLARATION, ...(prepare(content) as XmlContent) });
}

/**
 * A SOAP envelope (prefix `env`) whose body is `body`; `namespaces` declares prefixes on the Envelope
 * (e.g. `{ web: 'https://…' }`) for the body's and header's element names. `qualify` puts every element
 * of the body written without a prefix in that prefix's namespace.
 */
export function writeEnvelope(
  version: SoapVersion,
  body: XmlContent,
  options: { header?: XmlContent; namespaces?: Record<string, string>; qualify?: string } = {},
): string {
  const declarations: Record<string, string> = { '@_xmlns:env': version === '1.2' ? SOAP12_NS : SOAP11_NS };
  for (const [prefix, uri] of Object.entries(options.namespaces ?? {}))
    declarations[`@_xmlns:${prefix}`] = escapeXml(uri);
  return builder.build({
    ...DECLARATION,
    'env:Envelope': {
      ...declarations,
      ...(options.header ? { 'env:Header': prepare(options.header) } : {}),
      'env:Body': prepare(body, options.qualify),
    },
  });
}

/** A fault envelope: 1.2 `Code/Value` + `Reason/Text` (as DoS writes them), or 1.1 `faultcode` + `faultstring`. */
export function writeFault(version: SoapVersion, fault: SoapFault): string {
  const body =
    version === '1.2'
      ? {
          'env:Fault': {
            'env:Code': { 'env:Value': fault.code },
            'env:Reason': { 'env:Text': { '@_xml:lang': 'en', '#text': fault.reason } },
          },
        }
      : { 'env:Fault': { faultcode: fault.code, faultstring: fault.reason } };
  return writeEnvelope(version, body);
}

/** The content type of a SOAP message: 1.2's carries the action as a parameter, 1.1 uses SOAPAction instead. */
export function soapContentType(version: SoapVersion, action?: string): string {
  return version === '1.2'
    ? `application/soap+xml; charset=utf-8${action ? `; action="${action}"` : ''}`
    : 'text/xml; charset=utf-8';
}
