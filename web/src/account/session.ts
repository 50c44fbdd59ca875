/**
 * The call handler's sign-in to the web app (src/consumer/web-auth.ts): the server keeps the session
 * and the browser only holds its HttpOnly cookie, so the pages ask the server who is signed in.
 */
import { useEffect, useState } from 'react';
import type { SessionInfo, SessionUser, SignedIn } from '../../../src/consumer/web-schemas';
import { forgetJourney } from '../booking/patient';

export type { SessionInfo, SessionUser };

const EVENT = 'slotbridge:account';
let known: SessionInfo | undefined;

async function load(): Promise<SessionInfo> {
  const response = await fetch('/auth/session', { cache: 'no-store' });
  if (!response.ok) throw new Error(`The booking app could not say who is signed in (${response.status}).`);
  known = (await response.json()) as SessionInfo;
  // Nobody is signed in (signed out, or the session ended): the patient details of a journey in progress go.
  if (!known.user) forgetJourney();
  return known;
}

/** Who is signed in (undefined while the server is asked; `error` when it could not be). */
export function useAccount(): { info?: SessionInfo; error?: string } {
  const [state, setState] = useState<{ info?: SessionInfo; error?: string }>({ info: known });
  useEffect(() => {
    const update = () =>
      void load().then(
        (info) => setState({ info }),
        (err: Error) => setState({ error: err.message }),
      );
    update();
    window.addEventListener(EVENT, update);
    return () => window.removeEventListener(EVENT, update);
  }, []);
  return state;
}

/** Asks every page to read the session again (after signing in or out, or when the server says it ended). */
export function sessionChanged(): void {
  known = undefined;
  window.dispatchEvent(new Event(EVENT));
}

/** A sign-in refused because too many failed from here (or for the user name): try again after `retryAfter` seconds. */
export class TooManySignIns extends Error {
  constructor(
    message: string,
    readonly retryAfter: number,
  ) {
    super(message);
  }
}

/** Signs in with a local user name and password; the error's message is for the call handler. */
export async function signInLocal(username: string, password: string): Promise<SessionUser> {
  const response = await fetch('/auth/local', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const json = (await response.json().catch(() => ({}))) as Partial<SignedIn> & { message?: string };
  if (response.status === 429) {
    const wait = Number(response.headers.get('retry-after')) || 60;
    throw new TooManySignIns(json.message ?? `Too many failed sign-ins from here; try again in ${wait} seconds.`, wait);
  }
  if (!response.ok || !json.user) throw new Error(json.message ?? `Could not sign in (${response.status}).`);
  sessionChanged();
  return json.user;
}

export async function signOutOfApp(): Promise<void> {
  forgetJourney();
  await fetch('/auth/sign-out', { method: 'POST' }).catch(() => undefined);
  sessionChanged();
}
