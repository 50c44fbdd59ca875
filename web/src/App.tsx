/**
 * The web app's shell: the NHS.UK header with a navigation between the two areas, and the area the
 * address names. Booking (`/`, `/bookings`) is the call handler's; capacity (`/capacity/…`) is a
 * provider's rota manager's. Nobody sees either before signing in (`/sign-in`); the header says who
 * is signed in.
 */
import { useEffect } from 'react';
import { SignInPage } from './account/SignInPage';
import { signOutOfApp, useAccount } from './account/session';
import { BookingSection } from './booking/BookingArea';
import { CapacitySection } from './capacity/CapacityArea';
import { signOut, useCapacitySession } from './capacity/session';
import { follow, navigate, useLocation } from './router';

export function App() {
  const { path, query } = useLocation();
  const session = useCapacitySession();
  const account = useAccount();
  const user = account.info?.user;
  const signingIn = path === '/sign-in';
  const next = query.get('next');
  useEffect(() => {
    if (!account.info) return;
    // A visitor who is not signed in is sent to sign in, and comes back to the page they asked for.
    if (!user && !signingIn)
      navigate(`/sign-in?next=${encodeURIComponent(window.location.pathname + window.location.search)}`, {
        replace: true,
      });
    if (user && signingIn) navigate(next?.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
  }, [account.info, user, signingIn, next]);
  const area = path === '/capacity' || path.startsWith('/capacity/') ? 'capacity' : 'booking';
  const areas = [
    { id: 'booking', href: '/', text: 'Booking' },
    { id: 'capacity', href: '/capacity', text: 'Capacity' },
  ];
  return (
    <>
      <a className="nhsuk-skip-link" href="#maincontent">
        Skip to main content
      </a>
      <header className="nhsuk-header" role="banner">
        <div className="nhsuk-header__container nhsuk-width-container">
          <div className="nhsuk-header__service">
            <a className="nhsuk-header__service-name" href="/" onClick={follow}>
              Slotbridge
            </a>
          </div>
          {user && (
            <nav className="nhsuk-header__account" aria-label="Account">
              <ul className="nhsuk-header__account-list">
                <li className="nhsuk-header__account-item">
                  Signed in as {user.name}, {user.role}
                </li>
                {area === 'capacity' && session && (
                  <>
                    <li className="nhsuk-header__account-item">
                      Rota manager for {session.tenantName ?? session.tenant}
                    </li>
                    <li className="nhsuk-header__account-item">
                      <a
                        className="nhsuk-header__account-link"
                        href="/capacity"
                        onClick={(e) => {
                          e.preventDefault();
                          signOut();
                          navigate('/capacity');
                        }}
                      >
                        Forget admin token
                      </a>
                    </li>
                  </>
                )}
                <li className="nhsuk-header__account-item">
                  <a
                    className="nhsuk-header__account-link"
                    href="/sign-in"
                    onClick={(e) => {
                      e.preventDefault();
                      // Signing out of the app forgets the capacity area's admin token too.
                      signOut();
                      void signOutOfApp().then(() => navigate('/sign-in', { replace: true }));
                    }}
                  >
                    Sign out
                  </a>
                </li>
              </ul>
            </nav>
          )}
        </div>
        {user && (
          <nav className="nhsuk-header__navigation" aria-label="Areas">
            <div className="nhsuk-header__navigation-container nhsuk-width-container">
              <ul className="nhsuk-header__navigation-list">
                {areas.map((a) => (
                  <li
                    className={`nhsuk-header__navigation-item${a.id === area ? ' nhsuk-header__navigation-item--current' : ''}`}
                    key={a.id}
                  >
                    <a
                      className="nhsuk-header__navigation-link"
                      href={a.href}
                      aria-current={a.id === area ? 'true' : undefined}
                      onClick={follow}
                    >
                      {a.id === area ? (
                        <strong className="nhsuk-header__navigation-item-current-fallback">{a.text}</strong>
                      ) : (
                        a.text
                      )}
                    </a>
                  </li>
                ))}
              </ul>
            </div>
          </nav>
        )}
      </header>
      <div className="nhsuk-width-container">
        <main className="nhsuk-main-wrapper" id="maincontent" role="main">
          {account.error ? (
            <p>{account.error}</p>
          ) : !account.info || (!user && !signingIn) ? (
            <p>Loading …</p>
          ) : !user ? (
            <SignInPage info={account.info} problem={query.get('problem')} />
          ) : area === 'capacity' ? (
            <CapacitySection />
          ) : (
            <BookingSection />
          )}
        </main>
      </div>
      <footer role="contentinfo">
        <div className="nhsuk-footer">
          <div className="nhsuk-width-container">
            <p className="nhsuk-body-s">
              Slotbridge: the NHS Booking Standard, open source. Every booking goes through the secure proxy; capacity
              changes go to the provider's admin API with the rota manager's own token.
            </p>
          </div>
        </div>
      </footer>
    </>
  );
}
