/**
 * The endpoint directory (a stand-in for Spine Directory Services): accredited systems (nhsAS, by
 * ASID, with their party key and the interactions they may send or receive) and message-handling
 * endpoints (nhsMHS, by party key and interaction, with the service root URL). fs_sds.md describes
 * the two-step look-up this serves: ASID → nhsMHSPartyKey → nhsMHSEndPoint.
 */
import type { Kysely } from 'kysely';
import { badRequest } from '../../fhir/outcome.js';
import type { Database } from '../../store/schema.js';
import { normaliseCertificateBinding } from '../certificate.js';

/** nhsAS, with LDAP's attribute names so a reader of fs_sds.md recognises them. */
export interface AccreditedSystem {
  uniqueIdentifier: string;
  nhsMHSPartyKey: string;
  nhsIDCode: string;
  name: string;
  nhsAsSvcIA: string[];
  /**
   * The client certificate the system presents under mutual TLS (`CN=…` or a SHA-256 fingerprint;
   * src/spine/certificate.ts). Not part of SDS's nhsAS: kept by the spine, never in a public answer.
   * On a write, undefined keeps the binding the system had.
   */
  clientCertificate?: string;
}

/** nhsMHS: one endpoint of a party key for one interaction. */
export interface MessageHandlingService {
  uniqueIdentifier: string;
  nhsMHSPartyKey: string;
  nhsMhsSvcIA: string;
  nhsMHSEndPoint: string;
}

const ASID = /^\d{1,20}$/;
const PARTY_KEY = /^[A-Za-z0-9]{1,12}-\d{1,10}$/;
const INTERACTION = /^urn:[A-Za-z0-9:._-]{1,200}$/;

function check(ok: boolean, message: string): void {
  if (!ok) throw badRequest(message, 'INVALID_PARAMETER');
}

export function checkAsid(asid: unknown, what = 'ASID'): asserts asid is string {
  check(
    typeof asid === 'string' && ASID.test(asid),
    `${what} must be a number of up to 20 digits, not ${JSON.stringify(asid)}`,
  );
}

export async function putAccreditedSystem(db: Kysely<Database>, as: AccreditedSystem): Promise<void> {
  checkAsid(as.uniqueIdentifier, 'uniqueIdentifier (ASID)');
  check(
    typeof as.nhsMHSPartyKey === 'string' && PARTY_KEY.test(as.nhsMHSPartyKey),
    `nhsMHSPartyKey must look like A12345-1234567, not ${JSON.stringify(as.nhsMHSPartyKey)}`,
  );
  check(typeof as.nhsIDCode === 'string' && /^[A-Za-z0-9]{1,12}$/.test(as.nhsIDCode), 'nhsIDCode must be an ODS code');
  check(
    typeof as.name === 'string' && as.name.length > 0 && as.name.length <= 200,
    'name is required (at most 200 characters)',
  );
  check(
    Array.isArray(as.nhsAsSvcIA) && as.nhsAsSvcIA.every((i) => typeof i === 'string' && INTERACTION.test(i)),
    'nhsAsSvcIA must be a list of interaction IDs (urn:…)',
  );
  let certificate: string | undefined;
  if (as.clientCertificate !== undefined) {
    certificate =
      typeof as.clientCertificate === 'string' ? normaliseCertificateBinding(as.clientCertificate) : undefined;
    check(
      certificate !== undefined,
      'clientCertificate must be CN=<common name> or the SHA-256 fingerprint of the certificate (64 hex digits)',
    );
  }
  const row = {
    asid: as.uniqueIdentifier,
    party_key: as.nhsMHSPartyKey,
    ods_code: as.nhsIDCode.toUpperCase(),
    name: as.name,
    interactions: JSON.stringify([...new Set(as.nhsAsSvcIA)]),
    updated_at: new Date().toISOString(),
    ...(certificate ? { client_certificate: certificate } : {}),
  };
  await db
    .insertInto('sds_as')
    .values(row)
    .onConflict((oc) =>
      oc.column('asid').doUpdateSet({
        party_key: row.party_key,
        ods_code: row.ods_code,
        name: row.name,
        interactions: row.interactions,
        updated_at: row.updated_at,
        ...(certificate ? { client_certificate: certificate } : {}),
      }),
    )
    .execute();
}

export async function putMessageHandlingService(db: Kysely<Database>, mhs: MessageHandlingService): Promise<void> {
  check(
    typeof mhs.uniqueIdentifier === 'string' && /^[A-Za-z0-9:._-]{1,120}$/.test(mhs.uniqueIdentifier),
    'uniqueIdentifier must be 1–120 letters, digits or :._-',
  );
  check(
    typeof mhs.nhsMHSPartyKey === 'string' && PARTY_KEY.test(mhs.nhsMHSPartyKey),
    `nhsMHSPartyKey must look like A12345-1234567, not ${JSON.stringify(mhs.nhsMHSPartyKey)}`,
  );
  check(
    typeof mhs.nhsMhsSvcIA === 'string' && INTERACTION.test(mhs.nhsMhsSvcIA),
    'nhsMhsSvcIA must be an interaction ID (urn:…)',
  );
  // Stored as given, even when it is not a usable URL: a consumer must cope with a bad entry (C17).
  check(
    typeof mhs.nhsMHSEndPoint === 'string' && mhs.nhsMHSEndPoint.length > 0 && mhs.nhsMHSEndPoint.length <= 2000,
    'nhsMHSEndPoint is required',
  );
  const row = {
    id: mhs.uniqueIdentifier,
    party_key: mhs.nhsMHSPartyKey,
    interaction: mhs.nhsMhsSvcIA,
    endpoint: mhs.nhsMHSEndPoint,
    updated_at: new Date().toISOString(),
  };
  await db
    .insertInto('sds_mhs')
    .values(row)
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        party_key: row.party_key,
        interaction: row.interaction,
        endpoint: row.endpoint,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

export async function getAccreditedSystem(db: Kysely<Database>, asid: string): Promise<AccreditedSystem | undefined> {
  const row = await db.selectFrom('sds_as').selectAll().where('asid', '=', asid).executeTakeFirst();
  return (
    row && {
      uniqueIdentifier: row.asid,
      nhsMHSPartyKey: row.party_key,
      nhsIDCode: row.ods_code,
      name: row.name,
      nhsAsSvcIA: JSON.parse(row.interactions),
      ...(row.client_certificate ? { clientCertificate: row.client_certificate } : {}),
    }
  );
}

/** The endpoints of a party key, for one interaction or all of them. */
export async function findMessageHandlingServices(
  db: Kysely<Database>,
  partyKey: string,
  interaction?: string,
): Promise<MessageHandlingService[]> {
  let query = db.selectFrom('sds_mhs').selectAll().where('party_key', '=', partyKey);
  if (interaction) query = query.where('interaction', '=', interaction);
  const rows = await query.orderBy('id').execute();
  return rows.map((r) => ({
    uniqueIdentifier: r.id,
    nhsMHSPartyKey: r.party_key,
    nhsMhsSvcIA: r.interaction,
    nhsMHSEndPoint: r.endpoint,
  }));
}

export async function deleteAccreditedSystem(db: Kysely<Database>, asid: string): Promise<boolean> {
  const result = await db.deleteFrom('sds_as').where('asid', '=', asid).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function deleteMessageHandlingService(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('sds_mhs').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
