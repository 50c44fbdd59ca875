/**
 * Signing in to the web app (src/consumer/web-auth.ts) from a test: a local user the app is built
 * with, and a fetch that carries the session cookie and the app's own Origin, as its pages do.
 */
import { request as httpRequest } from 'node:http';
import type { LocalUser, WebAuthOptions } from '../../src/consumer/web-auth.js';

export const CALL_HANDLER: LocalUser = {
  username: 'robin.test',
  password: 'a long test password',
  given: 'Robin',
  family: 'Test',
  role: '111 call handler',
  sdsRoleProfileId: 'TEST-ROLE-111',
};

export const SUPERVISOR: LocalUser = {
  username: 'kim.super',
  password: 'another long test password',
  given: 'Kim',
  family: 'Supervisor',
  role: '111 clinical supervisor',
  sdsUserId: '555000000001',
  sdsRoleProfileId: 'TEST-ROLE-SUP',
};

/** The web app's auth options for tests: both users. */
export const testAuth = (more: Partial<WebAuthOptions> = {}): WebAuthOptions => ({
  localUsers: [CALL_HANDLER, SUPERVISOR],
  ...more,
});

export type SessionFetch = ((path: string, init?: RequestInit) => Promise<Response>) & { cookie: string };

/** Signs in at `base` (the app's origin) and answers a fetch for paths under it that carries the session. */
export async function signIn(base: string, user: LocalUser = CALL_HANDLER): Promise<SessionFetch> {
  const res = await fetch(`${base}/auth/local`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ username: user.username, password: user.password }),
  });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { origin: base, ...init.headers, cookie } });
  return Object.assign(call, { cookie });
}

/** A raw HTTP/1.1 request, for headers fetch will not send as given (Host). */
export function rawRequest(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: o.method ?? 'GET', headers: o.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
