/** `slotbridge token`: an unsecured Booking Standard JWT, for curl and for suppliers testing by hand. */
import type { Command } from './command.js';
import { UsageError, print, requireString } from './io.js';

export const tokenCommands: Command[] = [
  {
    name: 'token',
    usage: '--aud SERVICE_ROOT [--scope slot|read|write|SCOPE] [--ods CODE] [--org NAME] [--user ID]',
    summary: 'an unsecured Booking Standard JWT for calling a provider by hand (docs/provider.md)',
    options: {
      aud: { type: 'string' },
      scope: { type: 'string' },
      ods: { type: 'string' },
      org: { type: 'string' },
      user: { type: 'string' },
    },
    async run(values) {
      const { SCOPES, consumerToken } = await import('../fhir/token.js');
      const short: Record<string, string> = {
        slot: SCOPES.slotRead,
        read: SCOPES.appointmentRead,
        write: SCOPES.appointmentWrite,
      };
      const audience = requireString(values, 'aud');
      const scopeOption = (values.scope as string | undefined) ?? 'slot';
      const scope = short[scopeOption] ?? scopeOption;
      if (!Object.values(SCOPES).includes(scope as never))
        throw new UsageError(`--scope ${scopeOption}: use slot, read or write`);
      const user = (values.user as string | undefined) ?? process.env.SLOTBRIDGE_USER ?? 'demo-user';
      const jwt = consumerToken({
        audience,
        scope,
        requester: {
          issuer: 'https://slotbridge.example/consumer',
          organisation: {
            odsCode: (values.ods as string | undefined) ?? process.env.SLOTBRIDGE_ODS ?? 'DEMO111',
            name: (values.org as string | undefined) ?? 'Slotbridge demo 111 service',
          },
          device: {
            system: 'https://slotbridge.example/Id/device',
            value: 'slotbridge-cli',
            model: 'Slotbridge CLI',
            version: '0.1.0',
          },
          user: { id: user, family: 'User', given: 'Demo', localSystem: 'https://slotbridge.example/Id/user' },
        },
      });
      print(values, { token: jwt, audience, scope, expiresInSeconds: 300 }, [jwt]);
      return 0;
    },
  },
];
