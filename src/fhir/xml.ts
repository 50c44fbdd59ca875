/**
 * FHIR STU3 XML ⇄ JSON (http://hl7.org/fhir/STU3/xml.html and json.html), driven by the STU3 model
 * (src/fhir/model.ts):
 *  - the root element is the resource type, in the namespace http://hl7.org/fhir;
 *  - elements in definition order, whatever the JSON key order;
 *  - a primitive is `<name value="…"/>`; its JSON `_name` sibling (id and extensions) becomes the
 *    element's `id` attribute and `<extension>` children; repeating primitives pair `name[i]` with
 *    `_name[i]` (null where one side is absent);
 *  - Element.id and Extension.url are attributes; Resource.id is an element;
 *  - a resource inside a resource (contained, Bundle.entry.resource, Bundle.entry.response.outcome,
 *    Parameters.parameter.resource) is wrapped in an element named after its resource type;
 *  - Narrative.div is XHTML (namespace http://www.w3.org/1999/xhtml), a string in JSON, kept verbatim;
 *  - reading: values become JSON numbers/booleans by the element's JSON type, repeating elements
 *    become arrays even when they occur once, unknown elements are dropped and their paths listed.
 * fast-xml-parser reads the XML; writing is a string builder.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { elementOf, isResourceType, typeDef, type ModelElement, type TypeDef } from './model.js';
import { narrativeProblem } from './narrative.js';

export const FHIR_NS = 'http://hl7.org/fhir';
export const XHTML_NS = 'http://www.w3.org/1999/xhtml';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** The document is not STU3 XML (or a resource cannot be written as XML); the message says what and where. */
export class FhirFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FhirFormatError';
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// =============================================================================================
// Writing

/** Characters XML 1.0 cannot carry at all (written as U+FFFD; STU3 strings should not hold them). */
const NOT_XML_CHAR =
  // eslint-disable-next-line no-control-regex -- finding the control characters XML cannot carry is its purpose
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ATTRIBUTE_SPECIAL = /[&<>"\n\r\t]/;
const ATTRIBUTE_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\n': '&#10;',
  '\r': '&#13;',
  '\t': '&#9;',
};

/** An attribute value between double quotes; newlines and tabs as character references so they survive. */
function escapeAttribute(text: string): string {
  let out = ATTRIBUTE_SPECIAL.test(text) ? text.replace(/[&<>"\n\r\t]/g, (c) => ATTRIBUTE_ESCAPES[c]) : text;
  NOT_XML_CHAR.lastIndex = 0;
  if (NOT_XML_CHAR.test(out)) out = out.replace(NOT_XML_CHAR, '\uFFFD');
  return out;
}

const EXTENSION = elementOf('Element', 'extension')!;

class XmlWriter {
  out = '';

  resource(resource: unknown, path: string, root: boolean): void {
    if (!isObject(resource))
      throw new FhirFormatError(`XML: ${path} must be a resource (a JSON object) to be written as XML`);
    const type = resource.resourceType;
    if (!isResourceType(type))
      throw new FhirFormatError(`XML: ${path} has resourceType ${JSON.stringify(type)}, which is not an STU3 resource`);
    this.out += root ? `<${type} xmlns="${FHIR_NS}">` : `<${type}>`;
    this.elements(resource, typeDef(type)!, root ? type : path);
    this.out += `</${type}>`;
  }

  /** Positions (in definition order, sorted) of the elements present in `value`; `x` and `_x` share one. */
  present(value: Json, def: TypeDef): number[] {
    const present: number[] = [];
    for (const key of Object.keys(value)) {
      const ext = key.charCodeAt(0) === 95; // '_'
      const i = def.order.get(ext ? key.slice(1) : key);
      if (i === undefined) continue;
      const el = def.elements[i];
      if (ext && el.kind !== 'primitive') continue;
      if (el.name === 'id' && !def.resource) continue; // Element.id: an attribute
      if (el.name === 'url' && def.name === 'Extension') continue; // Extension.url: an attribute
      if (!present.includes(i)) present.push(i);
    }
    return present.length > 1 ? present.sort((a, b) => a - b) : present;
  }

  /** The elements of `value` in definition order. */
  elements(value: Json, def: TypeDef, path: string, present = this.present(value, def)): void {
    for (const i of present) {
      const el = def.elements[i];
      const at = `${path}.${el.name}`;
      const v = value[el.name];
      switch (el.kind) {
        case 'primitive': {
          const ext = value[`_${el.name}`];
          if (!el.array) {
            this.primitive(el, v, ext, at);
            break;
          }
          const values = v === undefined || v === null ? [] : v;
          const exts = ext === undefined || ext === null ? [] : ext;
          if (!Array.isArray(values) || !Array.isArray(exts))
            throw new FhirFormatError(`XML: ${at} repeats, so it must be a JSON array`);
          const n = Math.max(values.length, exts.length);
          for (let j = 0; j < n; j++) this.primitive(el, values[j], exts[j], `${at}[${j}]`);
          break;
        }
        case 'xhtml':
          if (v !== undefined && v !== null) this.xhtml(v, at);
          break;
        case 'resource':
        case 'complex': {
          if (v === undefined || v === null) break;
          if (el.array !== Array.isArray(v))
            throw new FhirFormatError(
              `XML: ${at} ${el.array ? 'repeats, so it must be a JSON array' : 'does not repeat, so it cannot be a JSON array'}`,
            );
          const items = el.array ? (v as unknown[]) : [v];
          for (let j = 0; j < items.length; j++) {
            const itemPath = el.array ? `${at}[${j}]` : at;
            if (el.kind === 'resource') {
              this.out += `<${el.name}>`;
              this.resource(items[j], itemPath, false);
              this.out += `</${el.name}>`;
            } else this.complex(el.name, el.type, items[j], itemPath);
          }
          break;
        }
      }
    }
  }

  complex(name: string, type: string, item: unknown, path: string): void {
    if (!isObject(item)) throw new FhirFormatError(`XML: ${path} must be a JSON object (${type})`);
    let tag = `<${name}`;
    if (item.id !== undefined) tag += ` id="${escapeAttribute(this.text(item.id, `${path}.id`))}"`;
    if (type === 'Extension' && item.url !== undefined)
      tag += ` url="${escapeAttribute(this.text(item.url, `${path}.url`))}"`;
    const def = typeDef(type)!;
    const present = this.present(item, def);
    if (present.length === 0) {
      this.out += `${tag}/>`;
      return;
    }
    this.out += `${tag}>`;
    this.elements(item, def, path, present);
    this.out += `</${name}>`;
  }

  primitive(el: ModelElement, value: unknown, ext: unknown, path: string): void {
    const hasValue = value !== undefined && value !== null;
    if (!hasValue && (ext === undefined || ext === null)) return;
    if (ext !== undefined && ext !== null && !isObject(ext))
      throw new FhirFormatError(`XML: the _${el.name} of ${path} must be a JSON object (id and extensions)`);
    const holder = ext as Json | undefined;
    let tag = `<${el.name}`;
    if (holder?.id !== undefined) tag += ` id="${escapeAttribute(this.text(holder.id, `${path}.id`))}"`;
    if (hasValue) tag += ` value="${escapeAttribute(this.primitiveText(value, el, path))}"`;
    const children = holder?.extension;
    if (children === undefined || (Array.isArray(children) && children.length === 0)) {
      this.out += `${tag}/>`;
      return;
    }
    if (!Array.isArray(children))
      throw new FhirFormatError(`XML: ${path}.extension repeats, so it must be a JSON array`);
    this.out += `${tag}>`;
    for (let j = 0; j < children.length; j++)
      this.complex('extension', EXTENSION.type, children[j], `${path}.extension[${j}]`);
    this.out += `</${el.name}>`;
  }

  primitiveText(value: unknown, el: ModelElement, path: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    throw new FhirFormatError(`XML: ${path} must be a JSON ${el.jsonType ?? 'string'} (${el.type})`);
  }

  text(value: unknown, path: string): string {
    if (typeof value !== 'string') throw new FhirFormatError(`XML: ${path} must be a JSON string`);
    return value;
  }

  xhtml(div: unknown, path: string): void {
    if (typeof div !== 'string' || !/^\s*<div[\s/>]/.test(div))
      throw new FhirFormatError(`XML: ${path} must be XHTML text starting with <div>`);
    const trimmed = div.trim();
    // Only a narrative that keeps FHIR's rules is written as markup. One that does not (stored before
    // they were enforced) is written as its text: a second root or a script must not become XML.
    if (narrativeProblem(trimmed)) {
      this.out += `<div xmlns="${XHTML_NS}">${escapeAttribute(trimmed)}</div>`;
      return;
    }
    const startTag = /^<div[^>]*>/.exec(trimmed)?.[0] ?? '';
    this.out += /\sxmlns\s*=/.test(startTag) ? trimmed : `<div xmlns="${XHTML_NS}"${trimmed.slice(4)}`;
  }
}

/** A JSON resource as STU3 XML, with the XML declaration first. Throws FhirFormatError for what XML cannot carry. */
export function resourceToXml(resource: object): string {
  const writer = new XmlWriter();
  writer.resource(resource, 'resource', true);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${writer.out}`;
}

// =============================================================================================
// Reading

type XmlNode = Record<string, unknown>;

const MAX_DEPTH = 100;
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Entities are decoded here (decodeText), not by the parser: character references must be honoured
  // and anything else (a DTD's entities, HTML's &nbsp;) refused.
  processEntities: false,
  htmlEntities: false,
  stopNodes: ['*.div'],
  maxNestedTags: MAX_DEPTH,
  jPath: false,
});

function validXmlCodePoint(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

const REFERENCE = /&(?:#x([0-9a-fA-F]{1,8})|#([0-9]{1,10})|(lt|gt|amp|quot|apos));|&/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Decodes the character and entity references of an attribute value (after XML's attribute-value
 * normalisation: literal tabs and line breaks read as spaces), refusing unknown entities and bare `&`.
 */
function decodeAttribute(raw: string, where: string): string {
  if (raw.includes('<')) throw new FhirFormatError(`XML: ${where} contains "<", which must be written &lt;`);
  let text = /[\t\n\r]/.test(raw) ? raw.replace(/\r\n|[\t\n\r]/g, ' ') : raw;
  if (text.includes('&')) text = checkReferences(text, where, true);
  return text;
}

/** Checks (and with `decode`, replaces) every reference in `text`. */
function checkReferences(text: string, where: string, decode: boolean): string {
  return text.replace(
    REFERENCE,
    (whole: string, hex: string | undefined, dec: string | undefined, named: string | undefined, offset: number) => {
      if (named) return decode ? NAMED[named] : whole;
      if (hex === undefined && dec === undefined) {
        const entity = /^&([^;\s&<]{0,20});/.exec(text.slice(offset))?.[1];
        throw new FhirFormatError(
          entity !== undefined
            ? `XML: ${where} uses the entity &${entity}; ` +
                'XML without a DTD knows only &lt; &gt; &amp; &quot; &apos; and character references'
            : `XML: ${where} contains a bare "&", which must be written &amp;`,
        );
      }
      const cp = hex !== undefined ? parseInt(hex, 16) : Number(dec);
      if (!validXmlCodePoint(cp))
        throw new FhirFormatError(`XML: ${where} refers to character ${whole}, which XML does not allow`);
      return decode ? String.fromCodePoint(cp) : whole;
    },
  );
}

function lineAndColumn(text: string, index: number): string {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return `line ${line}, column ${index - before.lastIndexOf('\n')}`;
}

function tagOf(node: XmlNode): string | undefined {
  for (const k in node) if (k !== ':@' && k !== '#text') return k;
  return undefined;
}
function attributesOf(node: XmlNode): Record<string, string> {
  return (node[':@'] as Record<string, string> | undefined) ?? {};
}
function childrenOf(node: XmlNode, tag: string): XmlNode[] {
  const c = node[tag];
  return Array.isArray(c) ? (c as XmlNode[]) : [];
}

/** Namespace declarations in scope: prefix ('' for the default namespace) → namespace. */
type Scope = ReadonlyMap<string, string>;

class XmlReader {
  ignored: string[] = [];

  /** Applies the node's namespace declarations to `scope` and checks the element is in `expected`. */
  enter(
    node: XmlNode,
    tag: string,
    scope: Scope,
    path: string,
    expected = FHIR_NS,
  ): { local: string; scope: Scope; attrs: Record<string, string> } {
    const attrs = attributesOf(node);
    let inner: Map<string, string> | undefined;
    for (const name in attrs) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        (inner ??= new Map(scope)).set(
          name === 'xmlns' ? '' : name.slice(6),
          decodeAttribute(attrs[name], `the ${name} attribute of <${tag}> at ${path}`),
        );
      }
    }
    const s = inner ?? scope;
    const colon = tag.indexOf(':');
    const prefix = colon < 0 ? '' : tag.slice(0, colon);
    const local = colon < 0 ? tag : tag.slice(colon + 1);
    const ns = s.get(prefix);
    if (ns === undefined && prefix)
      throw new FhirFormatError(`XML: element <${tag}> at ${path} uses the undeclared namespace prefix "${prefix}"`);
    if ((ns ?? '') !== expected) {
      const found = ns ? `in the namespace "${ns}"` : 'in no namespace';
      const wanted =
        expected === FHIR_NS
          ? 'FHIR elements are in the namespace'
          : 'the narrative div must be in the XHTML namespace';
      throw new FhirFormatError(`XML: element <${tag}> at ${path} is ${found}; ${wanted} ${expected}`);
    }
    return { local, scope: s, attrs };
  }

  /** Attributes other than the ones this element may carry are listed as ignored (schemaLocation silently). */
  otherAttributes(attrs: Record<string, string>, allowed: readonly string[], scope: Scope, path: string): void {
    for (const name in attrs) {
      if (allowed.includes(name) || name === 'xmlns' || name.startsWith('xmlns:')) continue;
      const colon = name.indexOf(':');
      if (colon > 0 && scope.get(name.slice(0, colon)) === XSI_NS) continue;
      this.ignored.push(`${path}@${name}`);
    }
  }

  resource(node: XmlNode, scope: Scope, path: string, depth: number): Json {
    const tag = tagOf(node)!;
    const where = path || 'the root';
    const { local, scope: inner, attrs } = this.enter(node, tag, scope, where);
    if (!isResourceType(local))
      throw new FhirFormatError(`XML: element <${tag}> at ${where} is not an STU3 resource type`);
    this.otherAttributes(attrs, [], inner, path || local);
    const out: Json = { resourceType: local };
    this.elements(childrenOf(node, tag), typeDef(local)!, out, path || local, inner, depth + 1);
    return out;
  }

  elements(children: XmlNode[], def: TypeDef, out: Json, path: string, scope: Scope, depth: number): void {
    if (depth > MAX_DEPTH) throw new FhirFormatError(`XML: elements at ${path} are nested more than ${MAX_DEPTH} deep`);
    let primitiveArrays: ModelElement[] | undefined;
    for (const child of children) {
      const tag = tagOf(child);
      if (tag === undefined) {
        const text = String(child['#text'] ?? '');
        if (text.trim())
          throw new FhirFormatError(
            `XML: text "${text.trim().slice(0, 40)}" inside ${path} is not allowed; FHIR XML puts values in value attributes`,
          );
        continue;
      }
      const local = tag.slice(tag.indexOf(':') + 1);
      let el = def.byName.get(local);
      if (el && ((local === 'id' && !def.resource) || (local === 'url' && def.name === 'Extension'))) el = undefined;
      const { scope: inner, attrs } = this.enter(
        child,
        tag,
        scope,
        `${path}.${local}`,
        el?.kind === 'xhtml' ? XHTML_NS : FHIR_NS,
      );
      if (!el) {
        this.ignored.push(`${path}.${local}`);
        continue;
      }
      if (el.kind === 'primitive') {
        this.primitive(child, tag, attrs, el, out, path, inner, depth);
        if (el.array) {
          primitiveArrays ??= [];
          if (!primitiveArrays.includes(el)) primitiveArrays.push(el);
        }
        continue;
      }
      const at = el.array
        ? `${path}.${local}[${((out[local] as unknown[] | undefined) ?? []).length}]`
        : `${path}.${local}`;
      if (!el.array && out[local] !== undefined)
        throw new FhirFormatError(
          `XML: <${tag}> appears more than once in ${path}, but ${def.name}.${local} does not repeat`,
        );
      let value: unknown;
      if (el.kind === 'xhtml') {
        value = this.xhtml(child, tag, attrs, at);
      } else if (el.kind === 'resource') {
        this.otherAttributes(attrs, [], inner, at);
        const content = childrenOf(child, tag).filter((n) => {
          if (tagOf(n) !== undefined) return true;
          if (String(n['#text'] ?? '').trim())
            throw new FhirFormatError(
              `XML: text inside <${tag}> at ${at} is not allowed; it holds one resource element`,
            );
          return false;
        });
        if (content.length !== 1)
          throw new FhirFormatError(
            `XML: <${tag}> at ${at} must hold exactly one resource element (found ${content.length})`,
          );
        value = this.resource(content[0], inner, at, depth);
      } else {
        const item: Json = {};
        const isExtension = el.type === 'Extension';
        if (attrs.id !== undefined) item.id = decodeAttribute(attrs.id, `the id attribute of ${at}`);
        if (isExtension && attrs.url !== undefined) item.url = decodeAttribute(attrs.url, `the url attribute of ${at}`);
        this.otherAttributes(attrs, isExtension ? ['id', 'url'] : ['id'], inner, at);
        const ignoredBefore = this.ignored.length;
        this.elements(childrenOf(child, tag), typeDef(el.type)!, item, at, inner, depth + 1);
        // Nothing but unknown elements (now listed in `ignored`): left out, as if absent, rather than `{}`.
        if (this.ignored.length > ignoredBefore && Object.keys(item).length === 0) continue;
        value = item;
      }
      if (el.array)
        ((out[local] as unknown[] | undefined) ?? ((out[local] = [] as unknown[]) as unknown[])).push(value);
      else out[local] = value;
    }
    // A repeating primitive whose values (or extensions) are all absent has no array of them.
    for (const el of primitiveArrays ?? []) {
      for (const key of [el.name, `_${el.name}`]) {
        const list = out[key] as unknown[] | undefined;
        if (list && list.every((x) => x === null)) delete out[key];
      }
    }
  }

  primitive(
    node: XmlNode,
    tag: string,
    attrs: Record<string, string>,
    el: ModelElement,
    out: Json,
    path: string,
    scope: Scope,
    depth: number,
  ): void {
    const key = `_${el.name}`;
    const index = el.array
      ? Math.max(
          ((out[el.name] as unknown[] | undefined) ?? []).length,
          ((out[key] as unknown[] | undefined) ?? []).length,
        )
      : 0;
    const at = el.array ? `${path}.${el.name}[${index}]` : `${path}.${el.name}`;
    if (!el.array && (out[el.name] !== undefined || out[key] !== undefined)) {
      throw new FhirFormatError(`XML: <${tag}> appears more than once in ${path}, but it does not repeat`);
    }
    let value: string | number | boolean | undefined;
    if (attrs.value !== undefined) {
      const text = decodeAttribute(attrs.value, `the value attribute of ${at}`);
      if (el.jsonType === 'boolean') {
        if (text !== 'true' && text !== 'false')
          throw new FhirFormatError(`XML: ${at} has value "${text.slice(0, 40)}"; a ${el.type} is true or false`);
        value = text === 'true';
      } else if (el.jsonType === 'number') {
        if (!/^[-+]?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text) || !Number.isFinite(Number(text))) {
          throw new FhirFormatError(`XML: ${at} has value "${text.slice(0, 40)}", which is not a ${el.type}`);
        }
        value = Number(text);
      } else value = text;
    }
    const holder: Json = {};
    if (attrs.id !== undefined) holder.id = decodeAttribute(attrs.id, `the id attribute of ${at}`);
    this.otherAttributes(attrs, ['value', 'id'], scope, at);
    this.elements(childrenOf(node, tag), typeDef('Element')!, holder, at, scope, depth + 1);
    const ext = holder.id !== undefined || holder.extension !== undefined ? holder : undefined;
    if (value === undefined && !ext)
      throw new FhirFormatError(`XML: <${tag}> at ${at} has neither a value attribute nor extensions`);
    if (el.array) {
      const values = ((out[el.name] as unknown[] | undefined) ?? (out[el.name] = [] as unknown[])) as unknown[];
      const exts = ((out[key] as unknown[] | undefined) ?? (out[key] = [] as unknown[])) as unknown[];
      while (values.length < index) values.push(null);
      while (exts.length < index) exts.push(null);
      values.push(value ?? null);
      exts.push(ext ?? null);
    } else {
      if (value !== undefined) out[el.name] = value;
      if (ext) out[key] = ext;
    }
  }

  /** The narrative div, verbatim: its start tag rebuilt from the parsed attributes, its content as written. */
  xhtml(node: XmlNode, tag: string, attrs: Record<string, string>, at: string): string {
    if (tag !== 'div')
      throw new FhirFormatError(
        `XML: the narrative at ${at} must be written <div xmlns="${XHTML_NS}">, without a prefix`,
      );
    if (attrs.xmlns === undefined || decodeAttribute(attrs.xmlns, at) !== XHTML_NS) {
      throw new FhirFormatError(
        `XML: the narrative <div> at ${at} must be in the XHTML namespace: <div xmlns="${XHTML_NS}">`,
      );
    }
    let start = '<div';
    for (const name in attrs)
      start += ` ${name}="${escapeAttribute(decodeAttribute(attrs[name], `the ${name} attribute of ${at}`))}"`;
    const inner = childrenOf(node, tag)
      .map((n) => (typeof n['#text'] === 'string' ? n['#text'] : ''))
      .join('');
    checkReferences(inner, `the narrative at ${at}`, false);
    return `${start}>${inner}</div>`;
  }
}

const FORBIDDEN_DECLARATION = /<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

/** Reads an STU3 XML resource; unknown elements are dropped and their paths returned in `ignored`. */
export function xmlToResourceWithIgnored(xml: string): { resource: Record<string, unknown>; ignored: string[] } {
  if (typeof xml !== 'string') throw new FhirFormatError('XML: the document must be text');
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  const declaration = FORBIDDEN_DECLARATION.exec(text);
  if (declaration) {
    throw new FhirFormatError(
      `XML: <!${declaration[1].toUpperCase()}> declarations are not allowed ` +
        `(${lineAndColumn(text, declaration.index)}); FHIR XML has no DTD`,
    );
  }
  NOT_XML_CHAR.lastIndex = 0;
  const bad = NOT_XML_CHAR.exec(text);
  NOT_XML_CHAR.lastIndex = 0;
  if (bad) {
    throw new FhirFormatError(
      `XML: character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} ` +
        `at ${lineAndColumn(text, bad.index)} is not allowed in XML`,
    );
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    throw new FhirFormatError(
      `XML is not well-formed: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
    );
  let nodes: XmlNode[];
  try {
    nodes = parser.parse(text) as XmlNode[];
  } catch (err) {
    const message = (err as Error).message;
    throw new FhirFormatError(
      /nested/i.test(message)
        ? `XML: elements are nested more than ${MAX_DEPTH} deep`
        : `XML could not be read: ${message}`,
    );
  }
  const roots: XmlNode[] = [];
  for (const n of nodes) {
    const tag = tagOf(n);
    if (tag === undefined) {
      if (String(n['#text'] ?? '').trim())
        throw new FhirFormatError('XML: text outside the root element is not allowed');
    } else if (!tag.startsWith('?')) roots.push(n);
  }
  if (roots.length !== 1)
    throw new FhirFormatError(
      `XML: the document must hold exactly one root element, the resource (found ${roots.length})`,
    );
  const reader = new XmlReader();
  const resource = reader.resource(roots[0], new Map(), '', 0);
  return { resource, ignored: reader.ignored };
}

/** Reads an STU3 XML resource as FHIR JSON (unknown elements dropped). Throws FhirFormatError. */
export function xmlToResource(xml: string): Record<string, unknown> {
  return xmlToResourceWithIgnored(xml).resource;
}
