/**
 * What consumers are offered: the consumer preview ("what would organisation X see right now, and
 * why is the rest withheld?") and squeezing in an extra one-off slot.
 */
import { useState, type FormEvent } from 'react';
import { ErrorSummary, SummaryList, Tag, type Problem } from '../components';
import { CHANNELS, type CapacityApi, type ConsumerPreview, type ExtraSlot } from './api';
import type { Directory } from './CapacityArea';
import { Input, Outcome, Pagination, Radios, Select, errorFor, problemsOf, usePages } from './forms';
import { isDate, isTime, londonDate, londonInstant, when } from './time';

/**
 * Withheld slots counted per reason, most first. A reason's particulars in brackets (which session
 * reached its cap) are left out, so the same rule counts once.
 */
export function withheldByReason(preview: ConsumerPreview): { reason: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const s of preview.slots) {
    if (s.visible) continue;
    const reason = (s.reason ?? 'no reason given').replace(/ \(.*\)$/, '');
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}

function PreviewSlots({ preview, directory }: { preview: ConsumerPreview; directory: Directory }) {
  const { rows, page, pages, setPage } = usePages(preview.slots);
  if (!preview.slots.length) return null;
  return (
    <>
      <table className="nhsuk-table" id="consumer-preview-slots">
        <caption className="nhsuk-table__caption nhsuk-u-visually-hidden">
          Free slots and whether {preview.ods} sees them{pages > 1 ? `, page ${page} of ${pages}` : ''}
        </caption>
        <thead className="nhsuk-table__head">
          <tr>
            <th scope="col">Starts (UK time)</th>
            <th scope="col">Schedule</th>
            <th scope="col">Seen</th>
            <th scope="col">Why withheld</th>
          </tr>
        </thead>
        <tbody className="nhsuk-table__body">
          {rows.map((s) => (
            <tr key={s.id}>
              <td>{when(s.start)}</td>
              <td>{directory.scheduleLabel(s.schedule_id)}</td>
              <td>{s.visible ? <Tag colour="green">Visible</Tag> : <Tag colour="orange">Withheld</Tag>}</td>
              <td>{s.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pagination id="consumer-preview-pages" label="Slot pages" page={page} pages={pages} setPage={setPage} />
    </>
  );
}

export function PreviewPage({ api, directory }: { api: CapacityApi; directory: Directory }) {
  const [ods, setOds] = useState('');
  const [preview, setPreview] = useState<ConsumerPreview>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const code = ods.trim().toUpperCase();
    if (!/^[A-Z0-9]{1,12}$/.test(code))
      return setProblems([
        { field: 'preview-ods', message: 'Enter the consumer organisation’s ODS code, for example A1001' },
      ]);
    setBusy(true);
    try {
      setPreview(await api.consumerPreview(code));
      setProblems([]);
    } catch (err) {
      setProblems(problemsOf(err, { ods: 'preview-ods' }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <ErrorSummary errors={problems} />
      <h1>Consumer preview</h1>
      <p>
        What a consumer organisation's slot search would return right now over the next 7 days, and why each withheld
        free slot is withheld.
      </p>
      <form className="sb-actions" onSubmit={(e) => void submit(e)} noValidate>
        <Input
          id="preview-ods"
          label="Consumer organisation's ODS code"
          hint="From its JWT's requesting organisation, for example A1001 for the demo 111 service"
          error={errorFor(problems, 'preview-ods')}
          value={ods}
          onChange={setOds}
          width={10}
        />
        <button className="nhsuk-button" type="submit" disabled={busy}>
          Show what they would see
        </button>
      </form>
      {preview && (
        <section aria-labelledby="consumer-preview-heading">
          <h2 id="consumer-preview-heading">What {preview.ods} would see</h2>
          <SummaryList
            rows={[
              ['Visible free slots', String(preview.visible)],
              ['Withheld free slots', String(preview.withheld)],
            ]}
          />
          {preview.withheld > 0 && (
            <>
              <h3>Why slots are withheld</h3>
              <ul id="withheld-reasons">
                {withheldByReason(preview).map((r) => (
                  <li key={r.reason}>
                    {r.count} {r.count === 1 ? 'slot' : 'slots'}: {r.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
          <PreviewSlots preview={preview} directory={directory} />
        </section>
      )}
    </>
  );
}

export function ExtraSlotPage({ api, directory }: { api: CapacityApi; directory: Directory }) {
  const [fields, setFields] = useState({
    scheduleId: directory.schedules[0]?.id ?? '',
    date: londonDate(),
    start: '',
    end: '',
    deliveryChannel: 'In-person',
    release: 'no',
  });
  const [slot, setSlot] = useState<ExtraSlot>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof fields) => (value: string) => setFields((f) => ({ ...f, [key]: value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found: Problem[] = [];
    if (!isDate(fields.date)) found.push({ field: 'extra-date', message: 'Enter the date, for example 2026-12-01' });
    if (!isTime(fields.start))
      found.push({ field: 'extra-start', message: 'Enter the start as HH:MM, for example 16:30' });
    if (!isTime(fields.end)) found.push({ field: 'extra-end', message: 'Enter the end as HH:MM, for example 16:45' });
    setProblems(found);
    if (found.length) return;
    setBusy(true);
    try {
      setSlot(
        await api.extraSlot({
          scheduleId: fields.scheduleId,
          start: londonInstant(fields.date, fields.start, 'start'),
          end: londonInstant(fields.date, fields.end, 'end'),
          deliveryChannel: fields.deliveryChannel || null,
          release: fields.release === 'yes',
        }),
      );
    } catch (err) {
      setSlot(undefined);
      setProblems(
        problemsOf(err, {
          scheduleId: 'extra-scheduleId',
          start: 'extra-start',
          end: 'extra-end',
          deliveryChannel: 'extra-deliveryChannel-0',
        }),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <ErrorSummary errors={problems} />
      <h1>Add an extra slot</h1>
      <p>
        A one-off slot to squeeze a patient in. It may overlap other slots. It stays blocked until you offer it, and
        then consumers see it as the schedule's release rule allows.
      </p>
      {slot && (
        <Outcome>
          <p>
            Added slot <code>{slot.id}</code>, {when(slot.start)} to {when(slot.end).split(', ')[1]}:{' '}
            {slot.status === 'free' ? 'offered to consumers now' : 'blocked until you release it (day view)'}.
          </p>
        </Outcome>
      )}
      <Select
        id="extra-scheduleId"
        label="Schedule"
        error={errorFor(problems, 'extra-scheduleId')}
        value={fields.scheduleId}
        onChange={set('scheduleId')}
        options={directory.schedules.map((s) => ({ value: s.id, text: directory.scheduleLabel(s.id) }))}
      />
      <div className="sb-inline-fields">
        <Input
          id="extra-date"
          label="Date"
          error={errorFor(problems, 'extra-date')}
          value={fields.date}
          onChange={set('date')}
          type="date"
        />
        <Input
          id="extra-start"
          label="Starts"
          hint="HH:MM, UK time"
          error={errorFor(problems, 'extra-start')}
          value={fields.start}
          onChange={set('start')}
          width={5}
        />
        <Input
          id="extra-end"
          label="Ends"
          hint="HH:MM, UK time"
          error={errorFor(problems, 'extra-end')}
          value={fields.end}
          onChange={set('end')}
          width={5}
        />
      </div>
      <Radios
        id="extra-deliveryChannel"
        legend="Delivery channel"
        error={errorFor(problems, 'extra-deliveryChannel-0')}
        inline
        options={[...CHANNELS.map((c) => ({ value: c, text: c })), { value: '', text: 'Not known' }]}
        value={fields.deliveryChannel}
        onChange={set('deliveryChannel')}
      />
      <Radios
        id="extra-release"
        legend="Offer it to consumers now?"
        inline
        options={[
          { value: 'no', text: 'No, keep it blocked' },
          { value: 'yes', text: 'Yes, offer it now' },
        ]}
        value={fields.release}
        onChange={set('release')}
      />
      <button className="nhsuk-button" type="submit" disabled={busy}>
        Add the slot
      </button>
    </form>
  );
}
