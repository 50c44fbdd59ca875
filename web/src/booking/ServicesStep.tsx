/**
 * The services found for the patient, with whether and when each can be booked. The server orders
 * them (src/consumer/choosing.ts): the directory's first service first, then those that can be
 * booked, then the rest; each card says its directory rank. A card offers only what the next page
 * allows, and says why a service cannot be booked in plain words, the technical reason one click away.
 */
import { useState, type RefObject } from 'react';
import { describedBy, ErrorSummary, Field } from '../components';
import type { FoundService } from './api';
import { ErrorBox } from './ErrorBox';
import { when } from './format';

function availabilityText(f: FoundService, disposition: string): string {
  const a = f.availability;
  if (!a) return 'Takes bookings';
  if ('error' in a)
    return 'Takes bookings, but its free slots could not be read just now. Try again, or choose another service.';
  if (a.free === 0)
    return f.bookingOnly
      ? 'Takes bookings, but has no free slots. It only takes patients with a booking: choose another service.'
      : 'Takes bookings, but has no free slots.';
  if (a.withinTimeFrame === 0)
    return (
      `Takes bookings: ${a.free} free slots, none within the ${disposition} time frame ` +
      `(earliest ${when(a.earliest!)})`
    );
  const earliest = when(a.earliestWithinTimeFrame!);
  return `Takes bookings: ${a.withinTimeFrame} free slots within the ${disposition} time frame, earliest ${earliest}`;
}

/** The NHS.UK details component with what support needs (ASIDs, endpoints, errors). */
function TechnicalDetails({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <details className="nhsuk-details">
      <summary className="nhsuk-details__summary">
        <span className="nhsuk-details__summary-text">Technical details</span>
      </summary>
      <div className="nhsuk-details__text">
        <p>{text}</p>
      </div>
    </details>
  );
}

function ServiceCard({
  f,
  total,
  disposition,
  busy,
  onChoose,
  onRefer,
}: {
  f: FoundService;
  total: number;
  disposition: string;
  busy: boolean;
  onChoose: (f: FoundService) => void;
  onRefer: (f: FoundService) => void;
}) {
  const a = f.availability;
  const noFreeSlots = !!a && !('error' in a) && a.free === 0;
  // A card never offers what the next page refuses: no "see slots" without free slots, no referral
  // without a booking for a booking-only service.
  const canSeeSlots = f.route.bookable && !noFreeSlots;
  const canRefer = !f.bookingOnly;
  return (
    <div className="nhsuk-card">
      <div className="nhsuk-card__content">
        <h2 className="nhsuk-card__heading nhsuk-heading-m">{f.service.name}</h2>
        <p className="nhsuk-card__description">
          {f.service.type}
          {f.service.distanceMiles !== null ? ` · ${f.service.distanceMiles} miles` : ''} ·{' '}
          {f.service.openNow ? 'Open now' : f.service.nextOpen ? `Closed, opens ${when(f.service.nextOpen)}` : 'Closed'}
          {f.bookingOnly && (
            <>
              {' '}
              · <strong className="nhsuk-tag nhsuk-tag--orange">Booking only</strong>
            </>
          )}
        </p>
        {f.service.address.length > 0 && <p className="sb-muted">{f.service.address.join(', ')}</p>}
        <p className="sb-muted">
          {f.service.rank === 1 ? 'The directory’s first choice' : `Directory rank ${f.service.rank} of ${total}`}
        </p>
        {f.route.bookable ? (
          <>
            <p>{availabilityText(f, disposition)}</p>
            {a && 'error' in a && <TechnicalDetails text={a.error} />}
          </>
        ) : (
          <>
            <p>
              <strong>Cannot be booked here.</strong> {f.route.plain ?? f.route.message}{' '}
              {f.bookingOnly
                ? 'It only takes patients with a booking: choose another service.'
                : 'You can refer the patient without a booking.'}
            </p>
            <TechnicalDetails text={f.route.message} />
          </>
        )}
        {(canSeeSlots || canRefer) && (
          <div className="sb-service-actions">
            {canSeeSlots && (
              <button className="nhsuk-button" type="button" disabled={busy} onClick={() => onChoose(f)}>
                See slots<span className="nhsuk-u-visually-hidden"> at {f.service.name}</span>
              </button>
            )}
            {canRefer && (
              <button
                className="nhsuk-button nhsuk-button--secondary"
                type="button"
                disabled={busy}
                onClick={() => onRefer(f)}
              >
                Refer without booking<span className="nhsuk-u-visually-hidden"> to {f.service.name}</span>
              </button>
            )}
          </div>
        )}
      </div>
    </div>
  );
}

export function ServicesStep({
  error,
  heading,
  services,
  disposition,
  postcode,
  location,
  busy,
  onChoose,
  onRefer,
  onBack,
}: {
  error: string | undefined;
  heading: RefObject<HTMLHeadingElement | null>;
  services: FoundService[];
  disposition: string;
  postcode: string;
  /** Where the patient is now, when the search went by that rather than their postcode. */
  location?: string;
  busy: boolean;
  onChoose: (f: FoundService) => void;
  onRefer: (f: FoundService) => void;
  onBack: () => void;
}) {
  const near = (location ?? postcode).toUpperCase();
  return (
    <>
      <ErrorBox error={error} />
      <h1 ref={heading} tabIndex={-1}>
        Services for {disposition} near {near}
      </h1>
      {location && (
        <p>
          Found near where the patient is now ({near}), not their postcode ({postcode.toUpperCase()}).
        </p>
      )}
      {services.length === 0 ? (
        <div className="nhsuk-inset-text">
          <span className="nhsuk-u-visually-hidden">Information: </span>
          <p>
            No service takes {disposition} near {near}. Check the disposition and the postcode, or follow your local
            procedure for a patient with no service found.
          </p>
        </div>
      ) : (
        <p>
          {services.filter((f) => f.route.bookable).length} of {services.length} services can be booked. The directory’s
          first choice is shown first, then the services you can book.
        </p>
      )}
      <ol className="nhsuk-list">
        {services.map((f) => (
          <li key={f.service.id}>
            <ServiceCard
              f={f}
              total={services.length}
              disposition={disposition}
              busy={busy}
              onChoose={onChoose}
              onRefer={onRefer}
            />
          </li>
        ))}
      </ol>
      <a href="#" className="nhsuk-back-link" onClick={(e) => (e.preventDefault(), onBack())}>
        Back to patient details
      </a>
    </>
  );
}

/** A patient with no fixed abode (ZZ99 postcodes): the services are found near where they are now. */
export function LocationStep({
  error,
  heading,
  postcode,
  initial,
  busy,
  onSearch,
  onBack,
}: {
  error: string | undefined;
  heading: RefObject<HTMLHeadingElement | null>;
  postcode: string;
  initial: string;
  busy: boolean;
  onSearch: (location: string) => void;
  onBack: () => void;
}) {
  const [location, setLocation] = useState(initial);
  const [problem, setProblem] = useState<string | undefined>();
  const submit = () => {
    if (!location.trim()) {
      setProblem('Enter the postcode, or the first half of it, where the patient is now');
      return;
    }
    setProblem(undefined);
    onSearch(location.trim());
  };
  return (
    <form onSubmit={(e) => (e.preventDefault(), submit())} noValidate>
      {problem ? <ErrorSummary errors={[{ field: 'location', message: problem }]} /> : <ErrorBox error={error} />}
      <h1 ref={heading} tabIndex={-1}>
        Where is the patient now?
      </h1>
      <p>
        {postcode.toUpperCase()} means the patient has no fixed abode or no known address. Services are found near where
        the patient is now.
      </p>
      <Field
        id="location"
        label="Postcode where the patient is now"
        hint="A full postcode, or the first half of it (for example, LS1). Ask the caller, or use the caller’s location."
        error={problem}
      >
        <input
          className="nhsuk-input nhsuk-input--width-10"
          id="location"
          name="location"
          autoComplete="off"
          value={location}
          onChange={(e) => setLocation(e.target.value)}
          aria-describedby={describedBy('location', 'hint', problem)}
        />
      </Field>
      <button className="nhsuk-button" type="submit" disabled={busy}>
        Find services
      </button>
      <p>
        <a href="#" className="nhsuk-back-link" onClick={(e) => (e.preventDefault(), onBack())}>
          Back to patient details
        </a>
      </p>
    </form>
  );
}
