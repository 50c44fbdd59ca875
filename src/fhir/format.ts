/**
 * Content negotiation (API-1, API-2, API-3, P9): `_format` beats `Accept`, which beats the
 * request's Content-Type, which beats the default, JSON.
 */

export type WireFormat = 'json' | 'xml';

export const MIME: Record<WireFormat, string> = {
  json: 'application/fhir+json',
  xml: 'application/fhir+xml',
};

export const CONTENT_TYPE: Record<WireFormat, string> = {
  json: 'application/fhir+json; charset=utf-8',
  xml: 'application/fhir+xml; charset=utf-8',
};

const JSON_TYPES = new Set(['application/fhir+json', 'application/json+fhir', 'application/json', 'json', 'text/json']);
const XML_TYPES = new Set(['application/fhir+xml', 'application/xml+fhir', 'application/xml', 'xml', 'text/xml']);

/** The wire format a media type (or `_format` value) names, or undefined. Parameters are ignored. */
export function formatOfMediaType(value: string | undefined): WireFormat | undefined {
  if (!value) return undefined;
  const type = value.split(';')[0].trim().toLowerCase();
  if (JSON_TYPES.has(type)) return 'json';
  if (XML_TYPES.has(type)) return 'xml';
  return undefined;
}

export type Negotiated = { format: WireFormat } | { format: WireFormat; unsupported: string };

interface MediaRange {
  type: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => {
      const [type, ...params] = part.split(';');
      let q = 1;
      for (const p of params) {
        const [k, v] = p.split('=').map((s) => s.trim());
        if (k === 'q') {
          const n = Number(v);
          q = Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 0;
        }
      }
      return { type: type.trim().toLowerCase(), q };
    })
    .filter((r) => r.type.length > 0);
}

/**
 * Picks the response format. When the caller asked only for formats we do not speak the answer
 * names it in `unsupported` (the caller answers 415) while `format` still says how to write that
 * error.
 */
export function negotiate(
  formatParam: string | string[] | undefined,
  accept: string | undefined,
  contentType: string | undefined,
): Negotiated {
  const fallback: WireFormat = formatOfMediaType(contentType) ?? 'json';
  const param = Array.isArray(formatParam) ? formatParam[0] : formatParam;
  if (param !== undefined) {
    const format = formatOfMediaType(param);
    return format ? { format } : { format: fallback, unsupported: `_format=${param}` };
  }
  if (accept === MIME.json || accept === MIME.xml) return { format: accept === MIME.json ? 'json' : 'xml' };
  if (accept && accept.trim()) {
    let best: { format: WireFormat; q: number } | undefined;
    for (const range of parseAccept(accept)) {
      if (range.q <= 0) continue;
      let format = formatOfMediaType(range.type);
      if (!format && (range.type === '*/*' || range.type === 'application/*')) format = fallback;
      if (!format && range.type === 'text/*') format = fallback;
      if (format && (!best || range.q > best.q)) best = { format, q: range.q };
    }
    return best ? { format: best.format } : { format: fallback, unsupported: `Accept: ${accept}` };
  }
  return { format: fallback };
}
