/**
 * Check and book: the slot's details, the reason for the appointment, and a clinician's approval
 * when the slot starts after the disposition's time frame. A rebook (BookingsPage.tsx) uses it too,
 * with its own title and button, what the rebook replaces (children), and the reason optional.
 */
import type { ReactNode, RefObject } from 'react';
import { Field, SummaryList } from '../components';
import type { Slot } from './api';
import { ErrorBox } from './ErrorBox';
import { duration, time, when } from './format';

function SlotDetails({ slot }: { slot: Slot }) {
  const rows: [string, string][] = [
    ['Date and time', `${when(slot.start)} to ${time(slot.end)}`],
    ['Type of appointment', slot.deliveryChannel ?? 'Not given by the service'],
    ['Service', slot.service?.name ?? 'Not given'],
    ['Where', slot.location ? [slot.location.name, slot.location.address].filter(Boolean).join(', ') : 'Not given'],
    [
      'With',
      slot.practitioner?.name
        ? `${slot.practitioner.name}${slot.practitioner.gender ? ` (${slot.practitioner.gender})` : ''}${slot.role ? `, ${slot.role}` : ''}`
        : (slot.role ?? 'Not given'),
    ],
  ];
  if (slot.organisation) rows.push(['Provided by', slot.organisation]);
  return <SummaryList rows={rows} />;
}

export function ConfirmStep({
  error,
  heading,
  slot,
  disposition,
  busy,
  reason,
  approved,
  onReason,
  onApproved,
  onBook,
  onChooseAnother,
  title = 'Check and book',
  submitText = 'Book this appointment',
  reasonHint = 'Sent to the service with the booking, with the referral document',
  reasonRequired = true,
  children,
}: {
  error: string | undefined;
  heading: RefObject<HTMLHeadingElement | null>;
  slot: Slot;
  disposition: string;
  busy: boolean;
  reason: string;
  approved: boolean;
  onReason: (reason: string) => void;
  onApproved: (approved: boolean) => void;
  onBook: () => void;
  onChooseAnother: () => void;
  title?: string;
  submitText?: string;
  reasonHint?: string;
  reasonRequired?: boolean;
  children?: ReactNode;
}) {
  const late = slot.breachMinutes ?? 0;
  return (
    <form onSubmit={(e) => (e.preventDefault(), onBook())} noValidate>
      <ErrorBox error={error} />
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children}
      <SlotDetails slot={slot} />
      {late > 0 && (
        <div className="nhsuk-warning-callout">
          <h2 className="nhsuk-warning-callout__label">
            <span role="text">
              <span className="nhsuk-u-visually-hidden">Important: </span>Outside the time frame
            </span>
          </h2>
          <p>
            This slot starts {duration(late)} after the {disposition} time frame ends. Book it only if a clinician
            approves, and make sure the patient knows.
          </p>
          <div className="nhsuk-checkboxes">
            <div className="nhsuk-checkboxes__item">
              <input
                className="nhsuk-checkboxes__input"
                id="approve"
                type="checkbox"
                checked={approved}
                onChange={(e) => onApproved(e.target.checked)}
              />
              <label className="nhsuk-label nhsuk-checkboxes__label" htmlFor="approve">
                A clinician approved booking outside the time frame
              </label>
            </div>
          </div>
        </div>
      )}
      <Field id="reason" label="Reason for the appointment" hint={reasonHint}>
        <textarea
          className="nhsuk-textarea"
          id="reason"
          name="reason"
          rows={3}
          value={reason}
          onChange={(e) => onReason(e.target.value)}
          aria-describedby="reason-hint"
        />
      </Field>
      <button
        className="nhsuk-button"
        type="submit"
        disabled={busy || (reasonRequired && !reason.trim()) || (late > 0 && !approved)}
      >
        {submitText}
      </button>
      <p>
        <a href="#" className="nhsuk-back-link" onClick={(e) => (e.preventDefault(), onChooseAnother())}>
          Choose another slot
        </a>
      </p>
    </form>
  );
}
