/**
 * The credentials the stand-ins of the national directories ask for, as the real services do: DoS's
 * SOAP API a username and password in each request's `userInfo`, the SDS FHIR API an `apikey` header.
 * `slotbridge spine` takes them from `--dos-account NAME:PASSWORD` and `--sds-apikey KEY`; without them it
 * accepts the demo credentials below, which are public (docs/security.md).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface DosUser {
  username: string;
  password: string;
}

export interface NationalCredentials {
  dosUsers: DosUser[];
  sdsApiKeys: string[];
}

export const DEMO_DOS_USER: DosUser = { username: 'slotbridge-demo', password: 'slotbridge-demo-password' };
export const DEMO_SDS_APIKEY = 'slotbridge-demo-apikey';

export function demoCredentials(): NationalCredentials {
  return { dosUsers: [DEMO_DOS_USER], sdsApiKeys: [DEMO_SDS_APIKEY] };
}

/** Equal in constant time (both sides hashed first, so their lengths say nothing). */
function same(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function isDosUser(credentials: NationalCredentials, username: string, password: string): boolean {
  let ok = false;
  for (const user of credentials.dosUsers) ok = (same(user.username, username) && same(user.password, password)) || ok;
  return ok;
}

export function isSdsApiKey(credentials: NationalCredentials, key: string): boolean {
  let ok = false;
  for (const k of credentials.sdsApiKeys) ok = same(k, key) || ok;
  return ok;
}

/** `NAME:PASSWORD` (the password may itself hold colons); undefined when it is not that shape. */
export function parseDosUser(value: string): DosUser | undefined {
  const at = value.indexOf(':');
  if (at < 1 || at === value.length - 1) return undefined;
  return { username: value.slice(0, at), password: value.slice(at + 1) };
}
