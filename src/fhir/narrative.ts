/**
 * FHIR STU3's narrative rules (narrative.html, constraints txt-1 and txt-2): `Narrative.div` is one
 * XHTML `<div>` holding only basic HTML formatting (no scripts, forms, frames, objects or styles
 * elements; no event attributes such as `onerror`; no `javascript:` URLs) and some non-whitespace
 * content. A consumer's narrative is shown to people by other systems, so one that breaks these
 * rules is refused (src/fhir/structure.ts names the element), never stored or passed on.
 *
 * The text is read as XML (it must already be well-formed: structure.ts checks that first) and every
 * element and attribute is checked against the allow-list below, which is the FHIR validator's.
 */
import { XMLParser } from 'fast-xml-parser';

/** The HTML elements txt-1 allows (chapters 7–11 and 15 of HTML 4.0, `<a>`, images). */
const ELEMENTS = new Set([
  'p', 'br', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'a', 'span', 'b', 'em', 'i', 'strong', 'small', 'big',
  'tt', 'dfn', 'q', 'var', 'abbr', 'acronym', 'cite', 'blockquote', 'hr', 'address', 'bdo', 'kbd', 'samp',
  'sub', 'sup', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'pre', 'table', 'caption', 'colgroup', 'col', 'thead',
  'tr', 'tfoot', 'tbody', 'th', 'td', 'code', 'img', 'map', 'area', 'ins', 'del', 's', 'u', 'strike', 'center',
  'font',
]); // prettier-ignore

/** Attributes that hold a URL, whose scheme is checked. */
const URL_ATTRIBUTES = new Set(['href', 'src', 'cite', 'longdesc', 'usemap', 'background']);
/** Schemes that run code when followed or loaded. */
const SCRIPT_SCHEME = /^(javascript|vbscript|livescript|data):/;

const XHTML_NS = 'http://www.w3.org/1999/xhtml';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  allowBooleanAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  commentPropName: '#comment',
});

type Node = Record<string, unknown>;

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Character references and the five XML entities decoded (the structure check allows nothing else). */
function decode(text: string): string {
  return text.replace(/&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(lt|gt|amp|quot|apos));/g, (all, hex, dec, name) => {
    if (name) return NAMED[name];
    const cp = hex ? parseInt(hex, 16) : Number(dec);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
  });
}

function tagOf(node: Node): string | undefined {
  return Object.keys(node).find((k) => k !== ':@');
}

/** What is wrong with the narrative `div`, or undefined when it keeps FHIR's rules. */
export function narrativeProblem(div: string): string | undefined {
  let nodes: Node[];
  try {
    nodes = parser.parse(div) as Node[];
  } catch {
    return 'must be well-formed XHTML';
  }
  const roots = nodes.filter((n) => tagOf(n) !== '#comment');
  for (const n of roots) {
    if (tagOf(n) === '#text' && String(n['#text']).trim()) return 'must hold one <div> element and no text outside it';
  }
  const elements = roots.filter((n) => tagOf(n) !== '#text');
  if (elements.length !== 1 || tagOf(elements[0]) !== 'div') {
    const names = elements.map((n) => `<${tagOf(n)}>`).join(', ');
    return `must be exactly one <div> element (found ${names || 'none'})`;
  }
  let content = false;
  const walk = (node: Node, depth: number): string | undefined => {
    const tag = tagOf(node)!;
    if (tag === '#text') {
      if (decode(String(node['#text'])).trim()) content = true;
      return undefined;
    }
    if (tag === '#comment') return undefined;
    if (!ELEMENTS.has(tag)) {
      return tag.startsWith('?')
        ? 'must not hold processing instructions'
        : `must not hold <${tag}>: narrative allows only basic HTML formatting (no scripts, forms, frames, objects or styles)`;
    }
    if (tag === 'img') content = true;
    for (const [name, raw] of Object.entries((node[':@'] as Record<string, unknown> | undefined) ?? {})) {
      const value = decode(typeof raw === 'string' ? raw : '');
      const lower = name.toLowerCase();
      if (lower.startsWith('on')) return `must not hold event attributes (<${tag} ${name}=…>)`;
      if (lower === 'xmlns') {
        if (value !== XHTML_NS) return `must be in the XHTML namespace (<${tag} xmlns="${XHTML_NS}">)`;
        continue;
      }
      if (lower.includes(':') && lower !== 'xml:lang') return `must not hold the attribute ${name} on <${tag}>`;
      // Browsers ignore whitespace and control characters inside a URL's scheme: "java\tscript:" runs.
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      const scheme = value.replace(/[\u0000-\u0020\u007f-\u009f]/g, '').toLowerCase();
      if (URL_ATTRIBUTES.has(lower) && SCRIPT_SCHEME.test(scheme) && !(tag === 'img' && /^data:image\//.test(scheme)))
        return `must not hold a ${scheme.slice(0, scheme.indexOf(':'))}: URL (<${tag} ${name}=…>)`;
      if (lower === 'style' && /expression\s*\(|javascript:|vbscript:|url\s*\(/i.test(scheme))
        return `must not hold a style that loads or runs anything (<${tag} style=…>)`;
    }
    if (depth > 64) return 'is nested too deeply';
    for (const child of (node[tag] as Node[] | undefined) ?? []) {
      const problem = walk(child, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  };
  const problem = walk(elements[0], 0);
  if (problem) return problem;
  if (!content) return 'must have some non-whitespace content';
  return undefined;
}
