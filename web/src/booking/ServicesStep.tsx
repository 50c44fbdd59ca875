/** The services found for the patient, ranked, with whether and when each can be booked. */
import type { RefObject } from 'react';
import type { FoundService } from './api';
import { ErrorBox } from './ErrorBox';
import { when } from './format';

function availabilityText(f: FoundService, disposition: string): string {
  if (!f.route.bookable) return `Cannot book online: ${f.route.message}`;
  const a = f.availability;
  if (!a) return 'Takes bookings';
  if ('error' in a) return `Takes bookings, but its slots could not be read: ${a.error}`;
  if (a.free === 0) return 'Takes bookings: no free slots';
  if (a.withinTimeFrame === 0)
    return (
      `Takes bookings: ${a.free} free slots, none within the ${disposition} time frame ` +
      `(earliest ${when(a.earliest!)})`
    );
  const earliest = when(a.earliestWithinTimeFrame!);
  return `Takes bookings: ${a.withinTimeFrame} free slots within the ${disposition} time frame, earliest ${earliest}`;
}

export function ServicesStep({
  error,
  heading,
  services,
  disposition,
  postcode,
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
  busy: boolean;
  onChoose: (f: FoundService) => void;
  onRefer: (f: FoundService) => void;
  onBack: () => void;
}) {
  return (
    <>
      <ErrorBox error={error} />
      <h1 ref={heading} tabIndex={-1}>
        Services for {disposition} near {postcode.toUpperCase()}
      </h1>
      {services.length === 0 && <p>No services take this disposition near the patient.</p>}
      <ol className="nhsuk-list">
        {services.map((f) => (
          <li key={f.service.id}>
            <div className="nhsuk-card">
              <div className="nhsuk-card__content">
                <h2 className="nhsuk-card__heading nhsuk-heading-m">
                  {f.service.rank}. {f.service.name}
                </h2>
                <p className="nhsuk-card__description">
                  {f.service.type}
                  {f.service.distanceMiles !== null ? ` · ${f.service.distanceMiles} miles` : ''} ·{' '}
                  {f.service.openNow
                    ? 'Open now'
                    : f.service.nextOpen
                      ? `Closed, opens ${when(f.service.nextOpen)}`
                      : 'Closed'}
                  {f.bookingOnly && (
                    <>
                      {' '}
                      · <strong className="nhsuk-tag nhsuk-tag--orange">Booking only</strong>
                    </>
                  )}
                </p>
                <p>{availabilityText(f, disposition)}</p>
                <div className="sb-service-actions">
                  {f.route.bookable && (
                    <button className="nhsuk-button" type="button" disabled={busy} onClick={() => onChoose(f)}>
                      See slots<span className="nhsuk-u-visually-hidden"> at {f.service.name}</span>
                    </button>
                  )}
                  <button
                    className="nhsuk-button nhsuk-button--secondary"
                    type="button"
                    disabled={busy}
                    onClick={() => onRefer(f)}
                  >
                    Refer without booking<span className="nhsuk-u-visually-hidden"> to {f.service.name}</span>
                  </button>
                </div>
              </div>
            </div>
          </li>
        ))}
      </ol>
      <a href="#" className="nhsuk-back-link" onClick={(e) => (e.preventDefault(), onBack())}>
        Back to patient details
      </a>
    </>
  );
}
