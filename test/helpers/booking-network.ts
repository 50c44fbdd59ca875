/**
 * The network a booking-area browser test runs against: a spine (with the demo directory) on its own
 * store, the test provider's tenant enrolled with it (and, when asked, the other tenant as a
 * booking-only provider), and the web app with the test users on a consumer store. Real HTTP on
 * free ports; `close()` ends and removes it all.
 */
import type { FastifyInstance } from 'fastify';
import { WEB_DIST } from '../../src/cli/web.js';
import { registerProviderWith } from '../../src/cli/spine.js';
import { consumerIdentity } from '../../src/consumer/identity.js';
import { buildConsumerWeb } from '../../src/consumer/web.js';
import { buildSpine, type Spine } from '../../src/spine/app.js';
import { seedDemoSpine } from '../../src/spine/demo.js';
import { OTHER_TENANT, type TestProvider } from './provider.js';
import { OPERATOR_TOKEN, TEST_SPINE } from './spine.js';
import { testStore, type TestStore } from './store.js';
import { testAuth } from './web.js';

export interface BookingNetwork {
  spine: Spine;
  /** The spine's base URL. */
  base: string;
  spineStore: TestStore;
  consumerStore: TestStore;
  web: FastifyInstance;
  /** The web app's origin. */
  url: string;
  close(): Promise<void>;
}

export async function startBookingNetwork(
  provider: TestProvider,
  options: { bookingOnlyOtherTenant?: boolean } = {},
): Promise<BookingNetwork> {
  const spineStore = await testStore();
  const consumerStore = await testStore();
  const spine = await buildSpine({ ...TEST_SPINE, store: spineStore.store });
  const base = (await spine.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  await seedDemoSpine(spineStore.store.db);
  const dispositions = ['Dx05', 'Dx75'];
  await registerProviderWith(base, {
    operatorToken: OPERATOR_TOKEN,
    root: provider.root(),
    asid: '999000000001',
    ods: 'RT1',
    postcode: 'LS1 4AP',
    dispositions,
  });
  if (options.bookingOnlyOtherTenant)
    await registerProviderWith(base, {
      operatorToken: OPERATOR_TOKEN,
      root: provider.root(OTHER_TENANT),
      asid: '999000000002',
      ods: 'RT2',
      postcode: 'LS2 9NS',
      dispositions,
      requireBooking: true,
    });
  const web = await buildConsumerWeb({
    spine: base,
    identity: consumerIdentity({ user: 'web-handler' }),
    db: consumerStore.store.db,
    webDist: WEB_DIST,
    auth: testAuth(),
  });
  const url = (await web.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  return {
    spine,
    base,
    spineStore,
    consumerStore,
    web,
    url,
    close: async () => {
      await web.close();
      await spine.app.close();
      await spineStore.dispose();
      await consumerStore.dispose();
    },
  };
}
