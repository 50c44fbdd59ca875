/**
 * The rota manager's sign-in: the tenant and the admin token, kept in sessionStorage (gone when the
 * tab closes; never in localStorage, so it is not left behind on a shared computer).
 */
import { useEffect, useState } from 'react';

export interface CapacitySession {
  tenant: string;
  tenantName?: string;
  token: string;
}

const KEY = 'slotbridge.capacity.session';
const EVENT = 'slotbridge:capacity-session';

export function currentSession(): CapacitySession | undefined {
  try {
    const stored = JSON.parse(window.sessionStorage.getItem(KEY) ?? 'null') as CapacitySession | null;
    return stored && typeof stored.tenant === 'string' && typeof stored.token === 'string' ? stored : undefined;
  } catch {
    return undefined;
  }
}

export function signIn(session: CapacitySession): void {
  endedBecause = undefined;
  window.sessionStorage.setItem(KEY, JSON.stringify(session));
  window.dispatchEvent(new Event(EVENT));
}

/** Why the last session ended, when the provider ended it (shown on the sign-in page until the next sign-in). */
let endedBecause: string | undefined;

export function signOut(reason?: string): void {
  endedBecause = reason;
  window.sessionStorage.removeItem(KEY);
  window.dispatchEvent(new Event(EVENT));
}

export function signOutReason(): string | undefined {
  return endedBecause;
}

export function useCapacitySession(): CapacitySession | undefined {
  const [session, setSession] = useState(currentSession);
  useEffect(() => {
    const update = () => setSession(currentSession());
    window.addEventListener(EVENT, update);
    return () => window.removeEventListener(EVENT, update);
  }, []);
  return session;
}
