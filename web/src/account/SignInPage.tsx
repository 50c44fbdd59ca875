/**
 * The call handler's sign-in: with NHS CIS2 (or whichever OpenID Connect provider is configured) and,
 * where the server has local users (the demo network), with a user name and password.
 */
import { useState, type FormEvent } from 'react';
import { ErrorSummary, Field, describedBy, type Problem } from '../components';
import type { SessionInfo } from './session';
import { TooManySignIns, signInLocal } from './session';

const PROBLEMS: Record<string, string> = {
  'oidc-unavailable': 'The identity provider cannot be reached. Try again, or ask your administrator.',
  'oidc-refused': 'The identity provider did not sign you in. Try again.',
  'oidc-no-pending': 'That sign-in had expired. Try again.',
};

export function SignInPage({ info, problem }: { info: SessionInfo; problem?: string | null }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Problem[]>(() =>
    problem ? [{ message: PROBLEMS[problem] ?? 'Could not sign in. Try again.' }] : [],
  );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found: Problem[] = [];
    if (!username.trim()) found.push({ field: 'username', message: 'Enter your user name' });
    if (!password) found.push({ field: 'password', message: 'Enter your password' });
    setProblems(found);
    if (found.length) return;
    setBusy(true);
    try {
      await signInLocal(username.trim(), password);
    } catch (err) {
      // Too many failed sign-ins: not this password's fault, so said for the whole form.
      setProblems([
        { ...(err instanceof TooManySignIns ? {} : { field: 'password' }), message: (err as Error).message },
      ]);
    } finally {
      setBusy(false);
    }
  };
  const errorFor = (field: string) => problems.find((p) => p.field === field)?.message;

  return (
    <>
      <ErrorSummary errors={problems} />
      <h1>Sign in</h1>
      <p>Sign in to book appointments for patients as a 111 call handler, or to manage a provider's capacity.</p>
      {info.signIn.oidc && (
        <p>
          <a className="nhsuk-button" href="/auth/oidc/start">
            {info.signIn.oidc}
          </a>
        </p>
      )}
      {info.signIn.local && (
        <form onSubmit={(e) => void submit(e)} noValidate>
          {info.signIn.oidc && <h2>Or with a user name and password</h2>}
          <p className="nhsuk-body-s">
            On the demo network, <code>slotbridge start</code> prints the user name and password.
          </p>
          <Field id="username" label="User name" error={errorFor('username')}>
            <input
              className={`nhsuk-input nhsuk-input--width-20${errorFor('username') ? ' nhsuk-input--error' : ''}`}
              id="username"
              name="username"
              autoComplete="username"
              spellCheck={false}
              aria-describedby={describedBy('username', undefined, errorFor('username'))}
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          </Field>
          <Field id="password" label="Password" error={errorFor('password')}>
            <input
              className={`nhsuk-input nhsuk-input--width-20${errorFor('password') ? ' nhsuk-input--error' : ''}`}
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              aria-describedby={describedBy('password', undefined, errorFor('password'))}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </Field>
          <button className="nhsuk-button" type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      )}
      {!info.signIn.local && !info.signIn.oidc && (
        <p>No way to sign in is configured on this server. Ask your administrator.</p>
      )}
    </>
  );
}
