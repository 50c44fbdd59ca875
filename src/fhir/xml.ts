/**
 * FHIR STU3 XML ⇄ JSON (http://hl7.org/fhir/STU3/xml.html, json.html), driven by the STU3 model:
 * element order, arrays, primitive types, `value`/`id`/`url` attributes, primitive extensions
 * (`_name` in JSON), contained and bundled resources, and the XHTML narrative kept verbatim.
 * fast-xml-parser reads the XML; writing is a plain string builder.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { elementOf, isResourceType, typeDef, type ModelElement } from './model.js';

export const FHIR_NS = 'http://hl7.org/fhir';
const XHTML_NS = 'http://www.w3.org/1999/xhtml';

/** The XML could not be read as an STU3 resource; the message says what and where. */
export class FhirFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FhirFormatError';
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Writing

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"\n\r\t]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === '\n' ? '&#10;' : c === '\r' ? '&#13;' : '&#9;',
  );
}

class XmlWriter {
  parts: string[] = [];

  resource(resource: Json): void {
    const type = String(resource.resourceType);
    if (!typeDef(type)) throw new FhirFormatError(`cannot write unknown resource type "${type}" as XML`);
    this.parts.push(`<${type} xmlns="${FHIR_NS}">`);
    this.elements(resource, type, true);
    this.parts.push(`</${type}>`);
  }

  elements(value: Json, typeName: string, isResource: boolean): void {
    const def = typeDef(typeName);
    if (!def) return;
    for (const el of def.elements) {
      // Element.id and Extension.url are attributes, written with the start tag.
      if (!isResource && el.name === 'id') continue;
      if (typeName === 'Extension' && el.name === 'url') continue;
      const v = value[el.name];
      if (el.kind === 'primitive') {
        const ext = value[`_${el.name}`];
        if (el.array) {
          const values = Array.isArray(v) ? v : [];
          const exts = Array.isArray(ext) ? ext : [];
          for (let i = 0; i < Math.max(values.length, exts.length); i++) this.primitive(el.name, values[i], exts[i]);
        } else {
          this.primitive(el.name, v, ext);
        }
        continue;
      }
      if (v === undefined || v === null) continue;
      for (const item of Array.isArray(v) ? v : [v]) {
        if (el.kind === 'xhtml') this.xhtml(String(item));
        else if (el.kind === 'resource') {
          if (!isObject(item)) continue;
          this.parts.push(`<${el.name}>`);
          this.resource(item);
          this.parts.push(`</${el.name}>`);
        } else if (isObject(item)) this.complex(el, item);
      }
    }
  }

  complex(el: ModelElement, item: Json): void {
    let start = `<${el.name}`;
    if (typeof item.id === 'string') start += ` id="${escapeAttribute(item.id)}"`;
    if (el.type === 'Extension' && typeof item.url === 'string') start += ` url="${escapeAttribute(item.url)}"`;
    const mark = this.parts.length;
    this.parts.push('');
    this.elements(item, el.type, false);
    if (this.parts.length === mark + 1) this.parts[mark] = `${start}/>`;
    else {
      this.parts[mark] = `${start}>`;
      this.parts.push(`</${el.name}>`);
    }
  }

  primitive(name: string, value: unknown, ext: unknown): void {
    const hasValue = value !== undefined && value !== null;
    const extension = isObject(ext) ? ext : undefined;
    if (!hasValue && !extension) return;
    let start = `<${name}`;
    if (extension && typeof extension.id === 'string') start += ` id="${escapeAttribute(extension.id)}"`;
    if (hasValue) start += ` value="${escapeAttribute(String(value))}"`;
    const children = extension && Array.isArray(extension.extension) ? extension.extension : [];
    if (children.length === 0) {
      this.parts.push(`${start}/>`);
      return;
    }
    this.parts.push(`${start}>`);
    const extensionElement = elementOf('Element', 'extension')!;
    for (const child of children) if (isObject(child)) this.complex(extensionElement, child);
    this.parts.push(`</${name}>`);
  }

  xhtml(div: string): void {
    const trimmed = div.trim();
    this.parts.push(/^<div[^>]*\sxmlns=/.test(trimmed) ? trimmed : trimmed.replace(/^<div/, `<div xmlns="${XHTML_NS}"`));
  }
}

export function resourceToXml(resource: object): string {
  const writer = new XmlWriter();
  writer.resource(resource as Json);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${writer.parts.join('')}`;
}

// ---------------------------------------------------------------------------------------------
// Reading

interface XmlNode {
  [tag: string]: XmlNode[] | Record<string, string> | string | undefined;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  stopNodes: ['*.div'],
});

function tagOf(node: XmlNode): string | undefined {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text');
}
function attributesOf(node: XmlNode): Record<string, string> {
  return (node[':@'] as Record<string, string> | undefined) ?? {};
}
function childrenOf(node: XmlNode, tag: string): XmlNode[] {
  const c = node[tag];
  return Array.isArray(c) ? c : [];
}

class XmlReader {
  ignored: string[] = [];

  resource(node: XmlNode, path: string): Json {
    const tag = tagOf(node)!;
    if (!isResourceType(tag)) throw new FhirFormatError(`XML: <${tag}> at ${path || 'the root'} is not an STU3 resource`);
    const ns = attributesOf(node).xmlns;
    if (ns !== undefined && ns !== FHIR_NS) throw new FhirFormatError(`XML: <${tag}> must be in the namespace ${FHIR_NS}, not "${ns}"`);
    const out: Json = { resourceType: tag };
    this.elements(childrenOf(node, tag), tag, out, path || tag, true);
    return out;
  }

  elements(children: XmlNode[], typeName: string, out: Json, path: string, isResource: boolean): void {
    for (const child of children) {
      const tag = tagOf(child);
      if (!tag) continue; // text between elements
      const at = `${path}.${tag}`;
      const el = elementOf(typeName, tag);
      if (!el || (!isResource && tag === 'id') || (typeName === 'Extension' && tag === 'url')) {
        this.ignored.push(at);
        continue;
      }
      if (el.kind === 'primitive') this.primitive(child, tag, el, out, at);
      else if (el.kind === 'xhtml') this.put(out, el, this.xhtml(child, tag), at);
      else if (el.kind === 'resource') {
        const inner = childrenOf(child, tag).filter((n) => tagOf(n));
        if (inner.length !== 1) throw new FhirFormatError(`XML: <${tag}> at ${at} must hold exactly one resource`);
        this.put(out, el, this.resource(inner[0], `${at}`), at);
      } else {
        const value: Json = {};
        const attrs = attributesOf(child);
        if (attrs.id !== undefined) value.id = attrs.id;
        if (el.type === 'Extension' && attrs.url !== undefined) value.url = attrs.url;
        this.elements(childrenOf(child, tag), el.type, value, at, false);
        this.put(out, el, value, at);
      }
    }
  }

  put(out: Json, el: ModelElement, value: unknown, at: string): void {
    if (el.array) {
      ((out[el.name] as unknown[] | undefined) ?? (out[el.name] = [] as unknown[]) as unknown[]).push(value);
    } else {
      if (out[el.name] !== undefined) throw new FhirFormatError(`XML: <${el.name}> appears more than once at ${at}, but it does not repeat`);
      out[el.name] = value;
    }
  }

  primitive(node: XmlNode, tag: string, el: ModelElement, out: Json, at: string): void {
    const attrs = attributesOf(node);
    let value: unknown;
    if (attrs.value !== undefined) {
      if (el.jsonType === 'boolean') {
        if (attrs.value !== 'true' && attrs.value !== 'false') throw new FhirFormatError(`XML: ${at} value "${attrs.value}" must be true or false`);
        value = attrs.value === 'true';
      } else if (el.jsonType === 'number') {
        if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(attrs.value)) throw new FhirFormatError(`XML: ${at} value "${attrs.value}" must be a number`);
        value = Number(attrs.value);
      } else value = attrs.value;
    }
    let ext: Json | undefined;
    const holder: Json = {};
    if (attrs.id !== undefined) holder.id = attrs.id;
    this.elements(childrenOf(node, tag), 'Element', holder, at, false);
    if (holder.id !== undefined || holder.extension !== undefined) ext = holder;
    if (value === undefined && !ext) throw new FhirFormatError(`XML: <${tag}> at ${at} has neither a value nor extensions`);
    const key = `_${el.name}`;
    if (el.array) {
      const values = ((out[el.name] as unknown[] | undefined) ?? []) as unknown[];
      const exts = ((out[key] as unknown[] | undefined) ?? []) as unknown[];
      const index = Math.max(values.length, exts.length);
      values[index] = value ?? null;
      exts[index] = ext ?? null;
      out[el.name] = values;
      out[key] = exts;
    } else {
      if (out[el.name] !== undefined || out[key] !== undefined) throw new FhirFormatError(`XML: <${tag}> appears more than once at ${at}, but it does not repeat`);
      if (value !== undefined) out[el.name] = value;
      if (ext) out[key] = ext;
    }
  }

  xhtml(node: XmlNode, tag: string): string {
    const attrs = attributesOf(node);
    const inner = childrenOf(node, tag)
      .map((n) => (typeof n['#text'] === 'string' ? n['#text'] : ''))
      .join('');
    const attributeText = Object.entries(attrs)
      .map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`)
      .join('');
    const withNs = attrs.xmlns ? attributeText : ` xmlns="${XHTML_NS}"${attributeText}`;
    return `<div${withNs}>${inner}</div>`;
  }
}

/** Tidies primitive arrays read from XML: drop all-null value or extension arrays. */
function tidy(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(tidy);
    return;
  }
  if (!isObject(value)) return;
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (Array.isArray(v) && v.length > 0 && v.every((x) => x === null)) delete value[key];
    else tidy(v);
  }
}

export function xmlToResourceWithIgnored(xml: string): { resource: Record<string, unknown>; ignored: string[] } {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new FhirFormatError('XML: DOCTYPE and entity declarations are not allowed');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new FhirFormatError(`XML is not well-formed: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  }
  let nodes: XmlNode[];
  try {
    nodes = parser.parse(xml) as XmlNode[];
  } catch (err) {
    throw new FhirFormatError(`XML could not be read: ${(err as Error).message}`);
  }
  const roots = nodes.filter((n) => {
    const tag = tagOf(n);
    return tag !== undefined && !tag.startsWith('?');
  });
  if (roots.length !== 1) throw new FhirFormatError('XML must hold exactly one root element, the resource');
  const reader = new XmlReader();
  const resource = reader.resource(roots[0], '');
  tidy(resource);
  return { resource, ignored: reader.ignored };
}

export function xmlToResource(xml: string): Record<string, unknown> {
  return xmlToResourceWithIgnored(xml).resource;
}
