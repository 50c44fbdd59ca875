/**
 * The capacity area: a provider's rota manager signs in with the tenant and an admin token, then
 * manages rotas, runs the day (blocking, releasing, the front desk), sets release rules, previews
 * what a consumer would see, adds an extra slot, keeps the provider's directory (services,
 * locations, practitioners, roles, organisations, schedules and the service-to-schedule mapping)
 * and reads the audit trail. Every call goes to the
 * provider's admin API through the web server's forwarder (/capacity-api).
 */
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ErrorSummary, SubNavigation, type Problem } from '../components';
import { navigate, useLocation } from '../router';
import {
  CapacityError,
  capacityApi,
  knownTenants,
  resourceName,
  type CapacityApi,
  type DirectoryResource,
} from './api';
import { AuditPage } from './AuditPage';
import { DayPage } from './DayPage';
import { DirectoryForm, DirectoryPage, directoryRoute } from './directory';
import { Input, Radios, errorFor } from './forms';
import { ExtraSlotPage, PreviewPage } from './OfferPages';
import { ReleasePage } from './ReleasePage';
import { RotaForm, RotaList } from './RotaPages';
import { signIn, signOut, signOutReason, useCapacitySession } from './session';

/** The tenant's directory, which the forms choose from. */
export interface Directory {
  schedules: DirectoryResource[];
  practitioners: DirectoryResource[];
  locations: DirectoryResource[];
  services: DirectoryResource[];
  roles: DirectoryResource[];
  organizations: DirectoryResource[];
  /** "S1 (Test ED (adults))": a schedule with the services it is the actor of. */
  scheduleLabel(id: string): string;
  /** Reads the directory again (after the Directory page changed it), so every page's choices follow. */
  reload(): Promise<void>;
}

function useDirectory(api: CapacityApi): { directory?: Directory; problems: Problem[] } {
  const [directory, setDirectory] = useState<Directory>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const live = useRef(true);
  const load = useCallback(async (): Promise<void> => {
    const [schedules, practitioners, locations, services, roles, organizations] = await Promise.all(
      (['Schedule', 'Practitioner', 'Location', 'HealthcareService', 'PractitionerRole', 'Organization'] as const).map(
        (type) => api.resources(type).then((r) => r.resources),
      ),
    );
    if (!live.current) return;
    const serviceName = new Map(services!.map((s) => [s.id, resourceName(s)]));
    const labels = new Map(
      schedules!.map((s) => {
        const names = (s.actor ?? [])
          .map((a) => a.reference ?? '')
          .filter((r) => r.startsWith('HealthcareService/'))
          .map((r) => serviceName.get(r.slice('HealthcareService/'.length)) ?? r);
        return [s.id, names.length ? `${s.id} (${names.join(', ')})` : s.id];
      }),
    );
    // The directory is replaced only once read in full: a page that is showing it keeps its state meanwhile.
    setDirectory({
      schedules: schedules!,
      practitioners: practitioners!,
      locations: locations!,
      services: services!,
      roles: roles!,
      organizations: organizations!,
      scheduleLabel: (id) => labels.get(id) ?? id,
      reload: load,
    });
  }, [api]);
  useEffect(() => {
    live.current = true;
    load().catch(
      (err) =>
        live.current &&
        setProblems([{ message: `The tenant's schedules could not be read: ${(err as Error).message}` }]),
    );
    return () => {
      live.current = false;
    };
  }, [load]);
  return { directory, problems };
}

const PAGES = [
  { href: '/capacity/rotas', text: 'Rotas' },
  { href: '/capacity/day', text: 'Day view' },
  { href: '/capacity/release', text: 'Release rules' },
  { href: '/capacity/preview', text: 'Consumer preview' },
  { href: '/capacity/extra-slot', text: 'Extra slot' },
  { href: '/capacity/directory', text: 'Directory' },
  { href: '/capacity/audit', text: 'Audit trail' },
];

export function CapacitySection() {
  const session = useCapacitySession();
  useEffect(() => {
    document.title = 'Manage capacity – Slotbridge';
  }, []);
  if (!session) return <SignIn />;
  return <SignedIn key={`${session.tenant}:${session.token}`} tenant={session.tenant} token={session.token} />;
}

function SignedIn({ tenant, token }: { tenant: string; token: string }) {
  const { path, query } = useLocation();
  // A refused token (a restarted provider makes a new one) ends the session with the provider's reason.
  const api = useMemo(
    () =>
      capacityApi({ tenant, token }, (message) =>
        signOut(`The provider no longer accepts this admin token (${message}). Sign in again.`),
      ),
    [tenant, token],
  );
  const { directory, problems } = useDirectory(api);
  const page =
    path === '/capacity'
      ? '/capacity/rotas'
      : (PAGES.find((p) => path === p.href || path.startsWith(`${p.href}/`))?.href ?? '/capacity/rotas');
  const rotaId = path.startsWith('/capacity/rotas/')
    ? decodeURIComponent(path.slice('/capacity/rotas/'.length))
    : undefined;
  return (
    <>
      <SubNavigation label="Capacity" current={page} items={PAGES} />
      <ErrorSummary errors={problems} />
      {!directory ? (
        !problems.length && <p>Reading {tenant}'s schedules …</p>
      ) : page === '/capacity/rotas' ? (
        rotaId ? (
          <RotaForm api={api} directory={directory} rotaId={rotaId === 'new' ? undefined : rotaId} />
        ) : (
          <RotaList api={api} directory={directory} />
        )
      ) : page === '/capacity/day' ? (
        <DayPage api={api} directory={directory} date={query.get('date') ?? undefined} />
      ) : page === '/capacity/release' ? (
        <ReleasePage api={api} directory={directory} />
      ) : page === '/capacity/preview' ? (
        <PreviewPage api={api} directory={directory} />
      ) : page === '/capacity/extra-slot' ? (
        <ExtraSlotPage api={api} directory={directory} />
      ) : page === '/capacity/directory' ? (
        directoryRoute(path, query) ? (
          <DirectoryForm api={api} directory={directory} route={directoryRoute(path, query)!} />
        ) : (
          <DirectoryPage api={api} directory={directory} />
        )
      ) : (
        <AuditPage api={api} />
      )}
    </>
  );
}

function SignIn() {
  const [tenants, setTenants] = useState<{ id: string; name: string }[] | undefined>();
  const [tenant, setTenant] = useState('');
  const [token, setToken] = useState('');
  const [problems, setProblems] = useState<Problem[]>(() => {
    const reason = signOutReason();
    return reason ? [{ message: reason }] : [];
  });
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    void knownTenants().then((list) => {
      setTenants(list);
      if (list.length === 1) setTenant(list[0]!.id);
    });
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found: Problem[] = [];
    if (!tenant.trim())
      found.push({
        field: tenants?.length ? 'tenant-0' : 'tenant',
        message: 'Choose the provider tenant whose capacity you manage',
      });
    if (!token.trim()) found.push({ field: 'token', message: 'Enter your admin token' });
    setProblems(found);
    if (found.length) return;
    setBusy(true);
    try {
      // The provider checks the token on every call; a cheap read says at once whether it is accepted.
      await capacityApi({ tenant: tenant.trim(), token: token.trim() }).rotas();
      signIn({
        tenant: tenant.trim(),
        tenantName: tenants?.find((t) => t.id === tenant.trim())?.name,
        token: token.trim(),
      });
      navigate('/capacity/rotas', { replace: true });
    } catch (err) {
      const status = err instanceof CapacityError ? err.status : 0;
      const message = (err as Error).message;
      const tenantName = tenants?.find((t) => t.id === tenant.trim())?.name ?? tenant.trim();
      if (status === 401)
        setProblems([{ field: 'token', message: `The provider did not accept this admin token: ${message}` }]);
      else if (status === 403)
        // A token is made for some tenants only: the provider accepts it, but not for this one.
        setProblems([
          {
            field: tenants?.length ? 'tenant-0' : 'tenant',
            message: `This admin token is not for ${tenantName}: choose the tenant it was made for, or ask for a token for ${tenantName}`,
          },
        ]);
      else if (status === 429)
        setProblems([{ field: 'token', message: `Too many refused admin tokens from this computer: ${message}` }]);
      else if (status === 404)
        setProblems([
          {
            field: tenants?.length ? 'tenant-0' : 'tenant',
            message: `The provider does not know this tenant: ${message}`,
          },
        ]);
      else setProblems([{ message: `Could not sign in: ${message}` }]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <ErrorSummary errors={problems} />
      <h1>Sign in to manage capacity</h1>
      <p>
        For a provider's rota manager: rotas, the day's slots and bookings, and who may book them. Changes go to the
        provider's admin API and are audited under your token's name.
      </p>
      {tenants === undefined ? (
        <p>Reading the provider's tenants …</p>
      ) : tenants.length ? (
        <Radios
          id="tenant"
          legend="Provider tenant"
          hint="The service whose slots you manage"
          error={errorFor(problems, 'tenant-0')}
          options={tenants.map((t) => ({ value: t.id, text: `${t.name} (${t.id})` }))}
          value={tenant}
          onChange={setTenant}
        />
      ) : (
        <Input
          id="tenant"
          label="Provider tenant"
          hint="The tenant's id, as in its service root /STU3/1/{tenant}"
          error={errorFor(problems, 'tenant')}
          value={tenant}
          onChange={setTenant}
          width={20}
        />
      )}
      <Input
        id="token"
        label="Admin token"
        hint={
          '`slotbridge start` prints it (or set SLOTBRIDGE_ADMIN_TOKEN); ' +
          '`slotbridge provider admin-token --name NAME --tenant ID` makes one of your own. It is kept in this browser tab only.'
        }
        error={errorFor(problems, 'token')}
        value={token}
        onChange={setToken}
        type="password"
        width={30}
      />
      <button className="nhsuk-button" type="submit" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}
