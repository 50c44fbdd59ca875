/**
 * The day at a glance (a UK day): per schedule the slots offered, booked, free and blocked; the
 * bookings with their status and who made them, with the front desk's buttons (cancel, no-show and
 * fulfilled ask first, FrontDeskConfirm.tsx; a mistaken status can be corrected); and blocking or
 * releasing a range of UK local times, which updates the view at once.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ErrorSummary, Tag, type Problem, type TagColour } from '../components';
import { follow, navigate } from '../router';
import { resourceName, type AvailabilityReport, type CapacityApi, type DayBooking, type DaySchedule } from './api';
import type { Directory } from './CapacityArea';
import { CONFIRMED_MOVES, FrontDeskConfirm } from './FrontDeskConfirm';
import { Input, Outcome, Select, errorFor, problemsOf } from './forms';
import { addDays, isDate, isTime, londonDate, londonInstant, londonTime, longDate, normaliseTime } from './time';

const STATUS_COLOUR: Record<string, TagColour> = {
  booked: 'blue',
  arrived: 'aqua-green',
  fulfilled: 'green',
  noshow: 'red',
  cancelled: 'grey',
};
const STATUS_TEXT: Record<string, string> = { noshow: 'no-show' };
/** The front desk's buttons; the day view says which moves each booking allows now. */
const MOVE_TEXT: Record<string, string> = {
  arrived: 'Arrived',
  fulfilled: 'Fulfilled',
  noshow: 'No-show',
  cancelled: 'Cancel',
};
/** A move back to booked, or back to arrived from no-show or fulfilled, corrects a mistaken status. */
const moveText = (from: string, to: string) =>
  to === 'booked' || (to === 'arrived' && from !== 'booked') ? `Correct to ${to}` : (MOVE_TEXT[to] ?? to);

export function StatusTag({ status }: { status: string }) {
  return <Tag colour={STATUS_COLOUR[status] ?? 'white'}>{STATUS_TEXT[status] ?? status}</Tag>;
}

function skippedText(report: AvailabilityReport, action: 'block' | 'release'): string {
  if (!report.skipped.length) return '';
  const counts = new Map<string, number>();
  const name = (status: string) =>
    status === 'busy'
      ? 'booked'
      : status === 'busy-unavailable'
        ? action === 'block'
          ? 'already blocked'
          : 'blocked'
        : status === 'free'
          ? 'already free'
          : status;
  for (const s of report.skipped) counts.set(name(s.status), (counts.get(name(s.status)) ?? 0) + 1);
  return ` Left as they were: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}.`;
}

/** An NHS number as people read it: 943 476 5919. */
const spacedNhsNumber = (n: string) => (/^\d{10}$/.test(n) ? `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}` : n);

/** The booked patient for the provider's staff: name, then NHS number (the appointment's id for support, folded). */
function PatientCell({ booking }: { booking: DayBooking }) {
  return (
    <>
      {booking.patientName ?? 'Name not given'}
      <br />
      <span className="sb-muted">
        {booking.nhsNumber ? `NHS number ${spacedNhsNumber(booking.nhsNumber)}` : 'No NHS number given'}
      </span>
    </>
  );
}

export function DayPage({ api, directory, date }: { api: CapacityApi; directory: Directory; date?: string }) {
  const day = date && isDate(date) ? date : londonDate();
  const [dateField, setDateField] = useState(day);
  const [schedules, setSchedules] = useState<DaySchedule[]>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [message, setMessage] = useState<string>();
  const [range, setRange] = useState({ scheduleId: directory.schedules[0]?.id ?? '', from: '08:00', to: '12:00' });
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<{ booking: DayBooking; move: string; services: string }>();

  const load = useCallback(async () => {
    const view = await api.day(day);
    setSchedules(view.schedules);
  }, [api, day]);

  useEffect(() => {
    setDateField(day);
    setSchedules(undefined);
    load().catch((err) => setProblems(problemsOf(err)));
  }, [load, day]);

  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setMessage(undefined);
    try {
      const said = await action();
      // The day as the provider has it now, shown together with what was done.
      await load();
      setProblems([]);
      setMessage(said);
    } catch (err) {
      setProblems(problemsOf(err, { scheduleId: 'range-scheduleId' }));
      await load().catch(() => undefined);
    } finally {
      setBusy(false);
    }
  };

  const changeRange = (action: 'block' | 'release') => {
    const found: Problem[] = [];
    if (!isTime(range.from))
      found.push({ field: 'range-from', message: 'Enter the start of the range as HH:MM, for example 08:00' });
    if (!isTime(range.to))
      found.push({
        field: 'range-to',
        message: 'Enter the end of the range as HH:MM, for example 12:00 (24:00 for midnight)',
      });
    if (!found.length && normaliseTime(range.to) <= normaliseTime(range.from))
      found.push({
        field: 'range-to',
        message: `The end of the range (${range.to}) must be after its start (${range.from})`,
      });
    if (found.length) {
      setMessage(undefined);
      return setProblems(found);
    }
    void run(async () => {
      const report = await api.availability(action, {
        scheduleId: range.scheduleId,
        from: londonInstant(day, range.from, 'start'),
        to: londonInstant(day, range.to, 'end'),
      });
      const done = action === 'block' ? 'Blocked' : 'Released';
      const slots = `${report.changed.length} ${report.changed.length === 1 ? 'slot' : 'slots'}`;
      const [from, to] = [normaliseTime(range.from), normaliseTime(range.to)];
      return `${done} ${slots} on ${range.scheduleId} from ${from} to ${to}.${skippedText(report, action)}`;
    });
  };

  const move = (booking: DayBooking, status: string) =>
    run(async () => {
      const result = await api.appointmentStatus(booking.appointmentId, status);
      const was = STATUS_TEXT[result.before] ?? result.before;
      const now = STATUS_TEXT[result.status] ?? result.status;
      return `Appointment ${result.id} at ${londonTime(booking.start)} was ${was} and is now ${now}.`;
    });

  const showDay = (e: FormEvent) => {
    e.preventDefault();
    if (!isDate(dateField))
      return setProblems([{ field: 'day-date', message: 'Enter a date, for example 2026-12-01' }]);
    setProblems([]);
    navigate(`/capacity/day?date=${dateField}`);
  };

  const serviceName = (id: string) => {
    const service = directory.services.find((s) => s.id === id);
    return service ? resourceName(service) : id;
  };
  const bookings = (schedules ?? [])
    .flatMap((s) => s.bookings.map((b) => ({ ...b, scheduleId: s.scheduleId, services: s.services })))
    .sort((a, b) => a.start.localeCompare(b.start));

  if (confirming)
    return (
      <FrontDeskConfirm
        booking={confirming.booking}
        move={confirming.move}
        services={confirming.services}
        day={day}
        busy={busy}
        onConfirm={() => void move(confirming.booking, confirming.move).then(() => setConfirming(undefined))}
        onBack={() => setConfirming(undefined)}
      />
    );

  return (
    <>
      <ErrorSummary errors={problems} />
      <span className="nhsuk-caption-l">Day view</span>
      <h1>{longDate(day)}</h1>
      <div className="sb-day-bar">
        <a href={`/capacity/day?date=${addDays(day, -1)}`} onClick={follow}>
          Previous day<span className="nhsuk-u-visually-hidden">: {longDate(addDays(day, -1))}</span>
        </a>
        <form className="sb-actions" onSubmit={showDay} noValidate>
          <Input
            id="day-date"
            label="Show another day"
            error={errorFor(problems, 'day-date')}
            value={dateField}
            onChange={setDateField}
            type="date"
          />
          <button className="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">
            Show day
          </button>
        </form>
        <a href={`/capacity/day?date=${addDays(day, 1)}`} onClick={follow}>
          Next day<span className="nhsuk-u-visually-hidden">: {longDate(addDays(day, 1))}</span>
        </a>
      </div>
      {message && <Outcome>{message}</Outcome>}

      {!schedules ? (
        <p>Reading the day …</p>
      ) : schedules.length === 0 ? (
        <p>No slots on this day.</p>
      ) : (
        <table className="nhsuk-table" id="day-summary">
          <caption className="nhsuk-table__caption">
            Slots per schedule
            <span className="nhsuk-caption-m">
              Every slot offered is booked, free or blocked: offered = booked + free + blocked.
            </span>
          </caption>
          <thead className="nhsuk-table__head">
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">Services</th>
              <th scope="col" className="nhsuk-table__header--numeric">
                Offered
              </th>
              <th scope="col" className="nhsuk-table__header--numeric">
                Booked
              </th>
              <th scope="col" className="nhsuk-table__header--numeric">
                Free
              </th>
              <th scope="col" className="nhsuk-table__header--numeric">
                Blocked
              </th>
              <th scope="col">Adds up</th>
            </tr>
          </thead>
          <tbody className="nhsuk-table__body">
            {schedules.map((s) => (
              <tr key={s.scheduleId} data-schedule={s.scheduleId}>
                <th scope="row">{s.scheduleId}</th>
                <td>{s.services.map(serviceName).join(', ')}</td>
                <td className="nhsuk-table__cell--numeric" data-count="offered">
                  {s.offered}
                </td>
                <td className="nhsuk-table__cell--numeric" data-count="booked">
                  {s.booked}
                </td>
                <td className="nhsuk-table__cell--numeric" data-count="free">
                  {s.free}
                </td>
                <td className="nhsuk-table__cell--numeric" data-count="blocked">
                  {s.blocked}
                </td>
                <td data-count="sum" className="nhsuk-u-nowrap">
                  {s.offered === s.booked + s.free + s.blocked
                    ? `${s.offered} = ${s.booked} + ${s.free} + ${s.blocked}`
                    : `Does not add up: ${s.offered} offered, ${s.booked + s.free + s.blocked} counted`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {schedules && schedules.length > 0 && (
        <section aria-labelledby="bookings-heading">
          <h2 id="bookings-heading">Bookings</h2>
          {bookings.length === 0 ? (
            <p>No bookings on this day.</p>
          ) : (
            <table className="nhsuk-table">
              <caption className="nhsuk-table__caption nhsuk-u-visually-hidden">
                Bookings on {longDate(day)}, with the front desk's actions
              </caption>
              <thead className="nhsuk-table__head">
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Patient</th>
                  <th scope="col">Booked by</th>
                  <th scope="col">Status</th>
                  <th scope="col">Front desk</th>
                </tr>
              </thead>
              <tbody className="nhsuk-table__body">
                {bookings.map((b) => (
                  <tr key={b.appointmentId} data-appointment={b.appointmentId}>
                    <td>{londonTime(b.start)}</td>
                    <td>{b.scheduleId}</td>
                    <td data-patient>
                      <PatientCell booking={b} />
                    </td>
                    <td>{b.bookedBy ? `Organisation ${b.bookedBy}` : 'Not known'}</td>
                    <td>
                      <StatusTag status={b.status} />
                    </td>
                    <td>
                      {b.moves.length === 0 ? (
                        <span className="sb-muted">No further changes</span>
                      ) : (
                        <div className="sb-row-actions">
                          {b.moves.map((m) => (
                            <button
                              key={m}
                              className="nhsuk-button nhsuk-button--secondary nhsuk-button--small"
                              type="button"
                              disabled={busy}
                              onClick={() =>
                                CONFIRMED_MOVES.includes(m)
                                  ? (setMessage(undefined),
                                    setConfirming({
                                      booking: b,
                                      move: m,
                                      services: b.services.map(serviceName).join(', '),
                                    }))
                                  : void move(b, m)
                              }
                            >
                              {moveText(b.status, m)}
                              <span className="nhsuk-u-visually-hidden">: appointment at {londonTime(b.start)}</span>
                            </button>
                          ))}
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}

      <section aria-labelledby="range-heading">
        <h2 id="range-heading">Block or release slots</h2>
        <p>
          Blocking takes free slots out of every consumer's search; releasing offers blocked ones again. Booked slots
          are never changed.
        </p>
        <Select
          id="range-scheduleId"
          label="Schedule"
          error={errorFor(problems, 'range-scheduleId')}
          value={range.scheduleId}
          onChange={(scheduleId) => setRange({ ...range, scheduleId })}
          options={directory.schedules.map((s) => ({ value: s.id, text: directory.scheduleLabel(s.id) }))}
        />
        <div className="sb-inline-fields">
          <Input
            id="range-from"
            label="From"
            hint={`HH:MM on ${longDate(day)}, UK time`}
            error={errorFor(problems, 'range-from')}
            value={range.from}
            onChange={(from) => setRange({ ...range, from })}
            width={5}
          />
          <Input
            id="range-to"
            label="To"
            hint="HH:MM, not included"
            error={errorFor(problems, 'range-to')}
            value={range.to}
            onChange={(to) => setRange({ ...range, to })}
            width={5}
          />
        </div>
        <div className="sb-actions">
          <button className="nhsuk-button" type="button" disabled={busy} onClick={() => changeRange('block')}>
            Block slots
          </button>
          <button
            className="nhsuk-button nhsuk-button--secondary"
            type="button"
            disabled={busy}
            onClick={() => changeRange('release')}
          >
            Release slots
          </button>
        </div>
      </section>
    </>
  );
}
