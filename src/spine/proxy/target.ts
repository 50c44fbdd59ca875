/**
 * Where a proxied call goes. A consumer calls `{proxy}/{service root}/{FHIR request}`; the service
 * root may be written out (`/proxy/https://host/STU3/1/x/Slot?…`, as the SSP guide shows) or
 * URL-encoded as one path segment (`/proxy/https%3A%2F%2Fhost%2FSTU3%2F1%2Fx/Slot?…`, consumer
 * requirement C19). Either way the target is the URL after the proxy's prefix.
 */
import { ProxyRefusal } from './errors.js';

const ENCODED_SCHEME = /^https?%3A%2F%2F/i;

/** The absolute target URL of a raw request URL that starts with `prefix` (e.g. `/proxy/`). */
export function targetOf(rawUrl: string, prefix: string): URL {
  let rest = rawUrl.slice(prefix.length);
  if (ENCODED_SCHEME.test(rest)) {
    const end = rest.search(/[/?]/);
    const head = end === -1 ? rest : rest.slice(0, end);
    try {
      rest = decodeURIComponent(head) + (end === -1 ? '' : rest.slice(end));
    } catch {
      throw new ProxyRefusal(
        'SSP_TARGET_INVALID',
        `the URL-encoded service root ${JSON.stringify(head.slice(0, 200))} cannot be decoded`,
      );
    }
  }
  let url: URL;
  try {
    url = new URL(rest);
  } catch {
    throw new ProxyRefusal(
      'SSP_TARGET_INVALID',
      // The query is left out: it may name a patient, and this message is kept in the call log.
      `expected {proxy}/{service root}/{FHIR request}; ${JSON.stringify(rest.split('?')[0]!.slice(0, 200))} is not an absolute URL`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ProxyRefusal('SSP_TARGET_INVALID', `the target URL must be http or https, not ${url.protocol}`);
  if (url.username || url.password)
    throw new ProxyRefusal('SSP_TARGET_INVALID', 'the target URL must not carry credentials');
  return url;
}

/**
 * The FHIR request path of `target` relative to a registered service root (`/Slot`, `/metadata`…),
 * or undefined when the target is not under that root. Scheme and host compare case-insensitively
 * (URL normalises them); the path is case-sensitive (API rules).
 */
export function pathUnderRoot(target: URL, root: string): string | undefined {
  let base: URL;
  try {
    base = new URL(root);
  } catch {
    return undefined; // an unusable registration matches nothing
  }
  if (base.origin !== target.origin) return undefined;
  const rootPath = base.pathname.replace(/\/+$/, '');
  if (target.pathname === rootPath) return '';
  if (!target.pathname.startsWith(`${rootPath}/`)) return undefined;
  return target.pathname.slice(rootPath.length);
}
