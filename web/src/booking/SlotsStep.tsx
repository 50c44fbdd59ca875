/**
 * The chosen service's free slots (SlotPicker: by day, filtered); a slot after the disposition's time
 * frame is marked. Used for a booking and for a rebook (BookingsPage.tsx, with its own heading and way back).
 */
import type { RefObject } from 'react';
import type { FoundService, Slot } from './api';
import { ErrorBox } from './ErrorBox';
import { SlotPicker } from './SlotPicker';

export function SlotsStep({
  error,
  heading,
  service,
  slots,
  frame,
  disposition,
  busy,
  onPick,
  onBack,
  title,
  backText = 'Back to services',
}: {
  error: string | undefined;
  heading: RefObject<HTMLHeadingElement | null>;
  service: Pick<FoundService, 'bookingOnly'> & { service: Pick<FoundService['service'], 'name'> };
  slots: Slot[];
  frame?: string;
  disposition: string;
  busy: boolean;
  onPick: (slot: Slot) => void;
  onBack: () => void;
  title?: string;
  backText?: string;
}) {
  return (
    <>
      <ErrorBox error={error} />
      <h1 ref={heading} tabIndex={-1}>
        {title ?? `Choose a slot at ${service.service.name}`}
      </h1>
      {slots.length === 0 ? (
        <p>
          There are no free slots at this service.{' '}
          {service.bookingOnly
            ? 'This service only accepts referrals with a booking: choose another service.'
            : 'Choose another service, or refer without booking.'}
        </p>
      ) : (
        <>
          {slots.some((s) => s.breachMinutes) && (
            <p className="sb-muted">
              Slots marked “After the time frame” start after the {disposition} time frame{' '}
              {`(${frame ?? 'see the disposition'})`}: booking one needs a clinician’s approval.
            </p>
          )}
          <SlotPicker slots={slots} busy={busy} onPick={onPick} />
        </>
      )}
      <a href="#" className="nhsuk-back-link" onClick={(e) => (e.preventDefault(), onBack())}>
        {backText}
      </a>
    </>
  );
}
