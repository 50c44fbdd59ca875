/**
 * Which services each schedule serves: a schedule serves its own service (its actor) and any other
 * service mapped to it here (PUT and DELETE /admin/{tenant}/mappings), and a search for a service
 * finds the slots of every schedule that serves it.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Tag, type Problem } from '../../components';
import type { CapacityApi, DirectoryResource } from '../api';
import type { Directory } from '../CapacityArea';
import { Select, errorFor, problemsOf } from '../forms';
import { actorServices, serviceLabel } from './resources';

/** Which services each schedule serves, as the provider has it now (GET /admin/{tenant}/mappings). */
async function readMapping(api: CapacityApi): Promise<Map<string, string[]>> {
  const { mappings } = await api.mappings();
  return new Map(mappings.map((m) => [m.scheduleId, m.services]));
}

export interface ServiceMapping {
  /** Schedule id → the services it serves; undefined until read. */
  mapping?: Map<string, string[]>;
  /** What went wrong reading or changing it, for the page's error summary. */
  problems: Problem[];
  /** What the last change did, for the page to show. */
  message?: string;
  busy: boolean;
  map(serviceId: string, scheduleId: string, mapped: boolean): Promise<void>;
}

/** The mapping, read with the directory when the page opens and again after every change. */
export function useServiceMapping(api: CapacityApi, directory: Directory): ServiceMapping {
  const [mapping, setMapping] = useState<Awaited<ReturnType<typeof readMapping>>>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);
  const { reload } = directory;

  const load = useCallback(async () => setMapping(await readMapping(api)), [api]);
  useEffect(() => {
    // The directory as the provider has it now (another rota manager, or the CLI, may have changed it).
    Promise.all([reload(), load()]).catch((err) => setProblems(problemsOf(err)));
  }, [reload, load]);

  const map = async (serviceId: string, scheduleId: string, mapped: boolean) => {
    setBusy(true);
    setMessage(undefined);
    try {
      await api.mapService(serviceId, scheduleId, mapped);
      await Promise.all([load(), reload()]);
      setProblems([]);
      setMessage(
        mapped
          ? `${scheduleId} now serves ${serviceText(directory, serviceId)}: a search for that service finds its slots.`
          : `${scheduleId} no longer serves ${serviceText(directory, serviceId)}.`,
      );
    } catch (err) {
      setProblems(problemsOf(err));
    } finally {
      setBusy(false);
    }
  };
  return { mapping, problems, message, busy, map };
}

/** "Test ED (adults) (100001)", or the id alone when the tenant has no such service. */
function serviceText(directory: Directory, id: string): string {
  const s = directory.services.find((x) => x.id === id);
  return s ? serviceLabel(s) : id;
}

/** The schedule's own service first, then the ones mapped to it. */
function serving(s: DirectoryResource, mapping: Map<string, string[]> | undefined): string[] {
  const own = actorServices(s);
  const services = mapping?.get(s.id) ?? own;
  return [...own.filter((x) => services.includes(x)), ...services.filter((x) => !own.includes(x)).sort()];
}

/** The table of what each schedule serves, with an Unmap button per mapped service, and the form to map one. */
export function ServiceMappingSection({ directory, mapping }: { directory: Directory; mapping: ServiceMapping }) {
  const { problems, busy, map } = mapping;
  const [form, setForm] = useState({
    serviceId: directory.services[0]?.id ?? '',
    scheduleId: directory.schedules[0]?.id ?? '',
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void map(form.serviceId, form.scheduleId, true);
  };
  return (
    <section aria-labelledby="mapping-heading">
      <h2 id="mapping-heading">Services and schedules</h2>
      <p>
        A schedule serves its own service (its actor) and any other service mapped to it; a search for a service finds
        the slots of every schedule that serves it, at once. One schedule may serve several services, and one service
        several schedules.
      </p>
      {!mapping.mapping ? (
        <p>Reading which services each schedule serves …</p>
      ) : (
        <table className="nhsuk-table" id="service-mapping">
          <caption className="nhsuk-table__caption nhsuk-u-visually-hidden">The services each schedule serves</caption>
          <thead className="nhsuk-table__head">
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">Serves</th>
            </tr>
          </thead>
          <tbody className="nhsuk-table__body">
            {directory.schedules.map((s) => {
              const services = serving(s, mapping.mapping);
              const own = actorServices(s);
              return (
                <tr key={s.id} data-schedule={s.id}>
                  <td>{s.id}</td>
                  <td>
                    <ul className="nhsuk-list nhsuk-u-margin-bottom-0">
                      {services.map((service) => (
                        <li key={service} data-service={service}>
                          {serviceText(directory, service)}{' '}
                          {own.includes(service) ? (
                            <Tag colour="grey">its own service</Tag>
                          ) : (
                            <button
                              className="nhsuk-button nhsuk-button--secondary nhsuk-button--small nhsuk-u-margin-bottom-0"
                              type="button"
                              disabled={busy}
                              onClick={() => void map(service, s.id, false)}
                            >
                              Unmap
                              <span className="nhsuk-u-visually-hidden">
                                {' '}
                                {serviceText(directory, service)} from {s.id}
                              </span>
                            </button>
                          )}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} noValidate>
        <h3>Map a service to a schedule</h3>
        <div className="sb-inline-fields">
          <Select
            id="map-service"
            label="Service"
            error={errorFor(problems, 'map-service')}
            value={form.serviceId}
            onChange={(serviceId) => setForm({ ...form, serviceId })}
            options={directory.services.map((s) => ({ value: s.id, text: serviceLabel(s) }))}
          />
          <Select
            id="map-schedule"
            label="Schedule"
            error={errorFor(problems, 'map-schedule')}
            value={form.scheduleId}
            onChange={(scheduleId) => setForm({ ...form, scheduleId })}
            options={directory.schedules.map((s) => ({ value: s.id, text: directory.scheduleLabel(s.id) }))}
          />
        </div>
        <div className="sb-actions">
          <button className="nhsuk-button" type="submit" disabled={busy}>
            Map service to schedule
          </button>
          <button
            className="nhsuk-button nhsuk-button--secondary"
            type="button"
            disabled={busy}
            onClick={() => void map(form.serviceId, form.scheduleId, false)}
          >
            Unmap service from schedule
          </button>
        </div>
      </form>
    </section>
  );
}
