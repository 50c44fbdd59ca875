/**
 * The demo network's national data: the consumer systems allowed to book (a 111 service and a
 * clinical assessment service), the directory's edge-case services (src/spine/directory/demo.ts),
 * and the endpoint-directory records behind those services' ASIDs, one per failure a consumer must
 * handle (consumer requirements C9–C17).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { seedDemoDirectory } from './directory/demo.js';
import {
  deleteMessageHandlingService,
  findMessageHandlingServices,
  putAccreditedSystem,
  putMessageHandlingService,
} from './endpoints/repository.js';
import { BOOKING_INTERACTIONS, GP_CONNECT_SLOT_SEARCH, INTERACTIONS } from './interactions.js';
import { registerConsumer, type ConsumerRegistration } from './registration.js';

export const DEMO_CONSUMERS: ConsumerRegistration[] = [
  { asid: '200000000111', odsCode: 'A1001', name: 'NHS 111 North East (demo consumer)' },
  { asid: '200000000112', odsCode: 'A1002', name: 'Clinical Assessment Service Yorkshire (demo consumer)' },
];

/** The ASIDs of the directory's edge-case booking endpoints and the SDS case each exercises. */
export const SDS_CASES = {
  unknownAsid: '200000000901', // no nhsAS at all (C11)
  noBookingInteractions: '200000000902', // an nhsAS without Care Connect interactions (C12)
  careConnectAndGpConnect: '200000000903', // both kinds of interaction (C14)
  severalEndpoints: '200000000904', // several nhsMHS entries for one interaction (C15)
  invalidEndpoint: '200000000905', // an nhsMHS whose endpoint is not a URL (C17)
} as const;

async function replaceEndpoints(
  db: Kysely<Database>,
  partyKey: string,
  entries: { interaction: string; endpoint: string }[],
) {
  for (const old of await findMessageHandlingServices(db, partyKey))
    await deleteMessageHandlingService(db, old.uniqueIdentifier);
  let n = 0;
  for (const e of entries) {
    n += 1;
    await putMessageHandlingService(db, {
      uniqueIdentifier: `${partyKey}:${n}`,
      nhsMHSPartyKey: partyKey,
      nhsMhsSvcIA: e.interaction,
      nhsMHSEndPoint: e.endpoint,
    });
  }
}

/**
 * Seeds the demo's national data; running it twice changes nothing. `clientCertificate` binds the
 * demo consumers to a client certificate (under mutual TLS an ASID sends only with its own).
 */
export async function seedDemoSpine(
  db: Kysely<Database>,
  options: { clientCertificate?: string } = {},
): Promise<{ consumers: number; directoryServices: number; sdsCases: number }> {
  for (const consumer of DEMO_CONSUMERS)
    await registerConsumer(db, {
      ...consumer,
      ...(options.clientCertificate ? { clientCertificate: options.clientCertificate } : {}),
    });
  const directoryServices = await seedDemoDirectory(db);

  await putAccreditedSystem(db, {
    uniqueIdentifier: SDS_CASES.noBookingInteractions,
    nhsMHSPartyKey: 'X9A02-0000902',
    nhsIDCode: 'X9A02',
    name: 'Practice system with messaging only',
    nhsAsSvcIA: ['urn:nhs:names:services:itk:COPC_IN000001GB01'],
  });
  await replaceEndpoints(db, 'X9A02-0000902', [
    {
      interaction: 'urn:nhs:names:services:itk:COPC_IN000001GB01',
      endpoint: 'https://itk.x9a02.example.nhs.uk/reliablemessaging',
    },
  ]);

  await putAccreditedSystem(db, {
    uniqueIdentifier: SDS_CASES.careConnectAndGpConnect,
    nhsMHSPartyKey: 'X9A03-0000903',
    nhsIDCode: 'X9A03',
    name: 'GP system with Care Connect and GP Connect',
    nhsAsSvcIA: [...BOOKING_INTERACTIONS, GP_CONNECT_SLOT_SEARCH],
  });
  await replaceEndpoints(db, 'X9A03-0000903', [
    ...BOOKING_INTERACTIONS.map((interaction) => ({ interaction, endpoint: 'http://x9a03.invalid/STU3/1/gp' })),
    { interaction: GP_CONNECT_SLOT_SEARCH, endpoint: 'http://x9a03.invalid/gpconnect/fhir' },
  ]);

  await putAccreditedSystem(db, {
    uniqueIdentifier: SDS_CASES.severalEndpoints,
    nhsMHSPartyKey: 'X9A04-0000904',
    nhsIDCode: 'X9A04',
    name: 'Hub with two registered endpoints',
    nhsAsSvcIA: BOOKING_INTERACTIONS,
  });
  await replaceEndpoints(db, 'X9A04-0000904', [
    ...BOOKING_INTERACTIONS.map((interaction) => ({ interaction, endpoint: 'http://hub-a.x9a04.invalid/STU3/1/hub' })),
    ...[INTERACTIONS.slotSearch, INTERACTIONS.book].map((interaction) => ({
      interaction,
      endpoint: 'http://hub-b.x9a04.invalid/STU3/1/hub',
    })),
  ]);

  await putAccreditedSystem(db, {
    uniqueIdentifier: SDS_CASES.invalidEndpoint,
    nhsMHSPartyKey: 'X9A05-0000905',
    nhsIDCode: 'X9A05',
    name: 'System with a mistyped endpoint',
    nhsAsSvcIA: BOOKING_INTERACTIONS,
  });
  await replaceEndpoints(
    db,
    'X9A05-0000905',
    BOOKING_INTERACTIONS.map((interaction) => ({ interaction, endpoint: 'htps//x9a05 booking endpoint' })),
  );

  return { consumers: DEMO_CONSUMERS.length, directoryServices, sdsCases: Object.keys(SDS_CASES).length };
}
