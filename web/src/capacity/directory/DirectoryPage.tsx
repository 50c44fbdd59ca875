/**
 * The provider's directory: the tenant's healthcare services (with their directory service IDs),
 * locations, practitioners, practitioner roles, organisations and schedules, each type in a table
 * with a link to its form (DirectoryForm.tsx), and which services each schedule serves
 * (ServiceMapping.tsx). After a change the whole capacity area reads the directory again.
 */
import type { ReactNode } from 'react';
import { ErrorSummary } from '../../components';
import { follow } from '../../router';
import { resourceName, type CapacityApi, type DirectoryResource, type DirectoryType, type Reference } from '../api';
import type { Directory } from '../CapacityArea';
import { Outcome } from '../forms';
import { ServiceMappingSection, useServiceMapping } from './ServiceMapping';
import { ODS_CODE, TYPE_TEXT, addressOf, addressText, dosIdOf, referenceText } from './resources';

function EditLink({ r }: { r: DirectoryResource }) {
  return (
    <a href={`/capacity/directory/${r.resourceType}/${encodeURIComponent(r.id)}`} onClick={follow}>
      Edit
      <span className="nhsuk-u-visually-hidden">
        {' '}
        {TYPE_TEXT[r.resourceType as DirectoryType] ?? r.resourceType} {r.id}
      </span>
    </a>
  );
}

/** One type's table: a caption, its columns, a row per resource with its version and an edit link. */
function ResourceTable({
  type,
  resources,
  columns,
}: {
  type: DirectoryType;
  resources: DirectoryResource[];
  columns: [string, (r: DirectoryResource) => ReactNode][];
}) {
  const heading = `directory-${type}`;
  return (
    <section aria-labelledby={heading}>
      <h2 id={heading}>
        {
          {
            HealthcareService: 'Healthcare services',
            Location: 'Locations',
            Practitioner: 'Practitioners',
            PractitionerRole: 'Practitioner roles',
            Organization: 'Organisations',
            Schedule: 'Schedules',
          }[type]
        }
      </h2>
      {resources.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table className="nhsuk-table" id={`table-${type}`}>
          <caption className="nhsuk-table__caption nhsuk-u-visually-hidden">
            The tenant's {TYPE_TEXT[type].toLowerCase()} resources
          </caption>
          <thead className="nhsuk-table__head">
            <tr>
              <th scope="col">Id</th>
              {columns.map(([name]) => (
                <th scope="col" key={name}>
                  {name}
                </th>
              ))}
              <th scope="col">Version</th>
              <th scope="col">
                <span className="nhsuk-u-visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="nhsuk-table__body">
            {resources.map((r) => (
              <tr key={r.id} data-resource={`${type}/${r.id}`}>
                <td>{r.id}</td>
                {columns.map(([name, cell]) => (
                  <td key={name}>{cell(r)}</td>
                ))}
                <td>{r.meta?.versionId ?? ''}</td>
                <td>
                  <EditLink r={{ ...r, resourceType: type }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function DirectoryPage({ api, directory }: { api: CapacityApi; directory: Directory }) {
  const mapping = useServiceMapping(api, directory);
  const { problems, message } = mapping;
  const ref = (r: Reference | undefined) => referenceText(directory, r);
  return (
    <>
      <ErrorSummary errors={problems} />
      <h1>Directory</h1>
      <p>
        The tenant's own directory: the healthcare services consumers find (by their directory service ID), where they
        are, who works in them, and the schedules that hold their slots. Every reference a resource makes must already
        exist here, so add a location before the service at it, and a service before its schedule.
      </p>
      {message && <Outcome>{message}</Outcome>}
      <a className="nhsuk-button" href="/capacity/directory/new" onClick={follow} role="button" draggable={false}>
        Add a resource
      </a>
      <ResourceTable
        type="HealthcareService"
        resources={directory.services}
        columns={[
          ['Directory service ID', (r) => dosIdOf(r) || <span className="sb-muted">none</span>],
          ['Name', (r) => (typeof r.name === 'string' ? r.name : '')],
          ['Location', (r) => (r.location ?? []).map(ref).join(', ')],
          ['Provided by', (r) => ref(r.providedBy)],
        ]}
      />
      <ResourceTable
        type="Location"
        resources={directory.locations}
        columns={[
          ['Name', (r) => resourceName(r)],
          ['Address', (r) => addressText(addressOf(r))],
        ]}
      />
      <ResourceTable
        type="Practitioner"
        resources={directory.practitioners}
        columns={[
          ['Name', (r) => resourceName(r)],
          ['Gender', (r) => r.gender ?? ''],
        ]}
      />
      <ResourceTable
        type="PractitionerRole"
        resources={directory.roles}
        columns={[
          ['Practitioner', (r) => ref(r.practitioner)],
          ['Organisation', (r) => ref(r.organization)],
          [
            'Role',
            (r) =>
              (r.code ?? [])
                .map((c) => c.text ?? c.coding?.[0]?.display ?? c.coding?.[0]?.code)
                .filter(Boolean)
                .join(', '),
          ],
        ]}
      />
      <ResourceTable
        type="Organization"
        resources={directory.organizations}
        columns={[
          ['ODS code', (r) => r.identifier?.find((i) => i.system === ODS_CODE)?.value ?? ''],
          ['Name', (r) => resourceName(r)],
        ]}
      />
      <ResourceTable
        type="Schedule"
        resources={directory.schedules}
        columns={[
          [
            'Actors',
            (r) => (
              <ul className="nhsuk-list nhsuk-u-margin-bottom-0">
                {(r.actor ?? []).map((a, i) => (
                  <li key={i}>
                    {/^([A-Za-z]+)\//.exec(a.reference ?? '')?.[1] ?? 'Actor'}: {ref(a)}
                  </li>
                ))}
              </ul>
            ),
          ],
        ]}
      />

      <ServiceMappingSection directory={directory} mapping={mapping} />
    </>
  );
}
