/**
 * `slotbridge provider resource|map|extra-slot|admin-audit`: the provider's directory, its
 * service-to-schedule mapping, one-off extra slots and the admin audit trail, on the store directly
 * (the same operations and checks as the admin API, audited with actor `cli:{user}`).
 */
import { readFileSync } from 'node:fs';
import type { Store } from '../store/store.js';
import type { Command } from './command.js';
import { UsageError, print, requireString, storeOptions, type Options } from './io.js';
import { auditChange, cliActor, rethrowOutcome, withStore } from './with-store.js';

async function announce(store: Store, tenant: string): Promise<void> {
  await store.transaction((trx) => store.announceSlotChange(trx, tenant));
  store.slotChanges.bump(tenant);
}

async function resourceType(type: string) {
  const { referenceType } = await import('../capacity/directory.js');
  try {
    return referenceType(type);
  } catch (err) {
    return rethrowOutcome(err);
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--file ${file}: ${(err as Error).message}`);
  }
}

const resourceOptions = { ...storeOptions, tenant: { type: 'string' }, type: { type: 'string' } } as const;

async function putResourceCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const type = requireString(values, 'type');
  const id = requireString(values, 'id');
  const body = readJson(requireString(values, 'file'));
  const { putResource } = await import('../capacity/directory.js');
  const result = await withStore(values, async (store) => {
    const { version, before } = await putResource(store.db, tenant, await resourceType(type), id, body).catch(
      rethrowOutcome,
    );
    await auditChange(store, {
      tenantId: tenant,
      actor: cliActor(),
      action: `${type}.put`,
      target: `${type}/${id}`,
      before,
      after: body,
    });
    await announce(store, tenant);
    return { version, created: !before };
  });
  print(values, { resourceType: type, id, versionId: String(result.version), created: result.created }, [
    `${type}/${id} ${result.created ? 'created' : 'updated'} in ${tenant} (version ${result.version})`,
  ]);
  return 0;
}

async function listResourcesCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const type = requireString(values, 'type');
  const { REFERENCE_TABLES } = await import('../diary/representation.js');
  const resources = await withStore(values, async (store) => {
    const table = REFERENCE_TABLES[await resourceType(type)] as 'location';
    const rows = await store.db
      .selectFrom(table)
      .select(['id', 'version_id', 'content'])
      .where('tenant_id', '=', tenant)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      resourceType: type,
      id: r.id,
      meta: { versionId: String(r.version_id) },
      ...JSON.parse(r.content),
    }));
  });
  print(
    values,
    { resources },
    resources.length
      ? resources.map(
          (r) =>
            `${type}/${r.id}  version ${r.meta.versionId}` +
            (r.name ? `  ${typeof r.name === 'string' ? r.name : JSON.stringify(r.name)}` : ''),
        )
      : [`${tenant} has no ${type}`],
  );
  return 0;
}

async function mapCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const service = requireString(values, 'service');
  const schedule = requireString(values, 'schedule');
  const mapped = !values.remove;
  const { mapService } = await import('../capacity/directory.js');
  await withStore(values, async (store) => {
    await mapService(store.db, tenant, service, schedule, mapped).catch(rethrowOutcome);
    await auditChange(store, {
      tenantId: tenant,
      actor: cliActor(),
      action: mapped ? 'mapping.add' : 'mapping.remove',
      target: `HealthcareService/${service} Schedule/${schedule}`,
    });
    await announce(store, tenant);
  });
  print(values, { service, schedule, mapped }, [
    mapped
      ? `service ${service} is served by schedule ${schedule}`
      : `service ${service} is no longer served by schedule ${schedule}`,
  ]);
  return 0;
}

async function extraSlotCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const body = {
    scheduleId: requireString(values, 'schedule'),
    start: requireString(values, 'start'),
    end: requireString(values, 'end'),
    deliveryChannel: values.channel,
    release: values.release === true,
  };
  const { addExtraSlot } = await import('../capacity/day.js');
  const slot = await withStore(values, async (store) => {
    const s = await addExtraSlot(store, tenant, body).catch(rethrowOutcome);
    await auditChange(store, {
      tenantId: tenant,
      actor: cliActor(),
      action: 'slot.extra',
      target: `slot/${s.id}`,
      after: s,
    });
    return s;
  });
  print(values, slot, [
    `extra slot ${slot.id} on ${slot.scheduleId}, ${slot.start} to ${slot.end}: ` +
      (slot.status === 'free' ? 'released to consumers' : 'blocked until released ("provider slots release --slot …")'),
  ]);
  return 0;
}

async function adminAuditCommand(values: Options): Promise<number> {
  const tenant = requireString(values, 'tenant');
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit <= 0)
    throw new UsageError(`--limit ${String(values.limit)} is not a positive whole number`);
  const entries = await withStore(values, (store) =>
    store.db
      .selectFrom('admin_audit')
      .selectAll()
      .where('tenant_id', '=', tenant)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute(),
  );
  print(
    values,
    {
      entries: entries.map((e) => ({
        ...e,
        before: e.before && JSON.parse(e.before),
        after: e.after && JSON.parse(e.after),
      })),
    },
    entries.length
      ? entries.map((e) => `${e.at}  ${e.actor}  ${e.action}  ${e.target}`)
      : [`no admin changes recorded for ${tenant}`],
  );
  return 0;
}

export const providerDirectoryCommands: Command[] = [
  {
    name: 'provider resource put',
    usage: '--tenant ID --type TYPE --id ID --file RESOURCE.json',
    summary: 'a HealthcareService, Location, Practitioner, PractitionerRole, Organization or Schedule',
    options: { ...resourceOptions, id: { type: 'string' }, file: { type: 'string' } },
    run: putResourceCommand,
  },
  {
    name: 'provider resource list',
    usage: '--tenant ID --type TYPE',
    summary: "the tenant's resources of that type",
    options: resourceOptions,
    run: listResourcesCommand,
  },
  {
    name: 'provider map',
    usage: '--tenant ID --service ID --schedule ID [--remove]',
    summary: 'a service served by a schedule (many-to-many)',
    options: {
      ...storeOptions,
      tenant: { type: 'string' },
      service: { type: 'string' },
      schedule: { type: 'string' },
      remove: { type: 'boolean' },
    },
    run: mapCommand,
  },
  {
    name: 'provider extra-slot',
    usage: '--tenant ID --schedule ID --start ISO --end ISO [--channel In-person|Telephone|Video] [--release]',
    summary: 'a one-off slot, blocked until released (or at once with --release)',
    options: {
      ...storeOptions,
      tenant: { type: 'string' },
      schedule: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      channel: { type: 'string' },
      release: { type: 'boolean' },
    },
    run: extraSlotCommand,
  },
  {
    name: 'provider admin-audit',
    usage: '--tenant ID [--limit N]',
    summary: 'who changed what, when, before and after',
    options: { ...storeOptions, tenant: { type: 'string' }, limit: { type: 'string' } },
    run: adminAuditCommand,
  },
];
