/** `slotbridge token`: an unsecured Booking Standard JWT, for curl and for suppliers testing by hand. */
import { SCOPES, consumerToken } from '../fhir/token.js';
import { UsageError, parse, print, requireString } from './io.js';

export const TOKEN_USAGE =
  'slotbridge token --aud SERVICE_ROOT [--scope slot|read|write|SCOPE] [--ods CODE] [--org NAME] [--user ID] [--json]';

const SHORT: Record<string, string> = {
  slot: SCOPES.slotRead,
  read: SCOPES.appointmentRead,
  write: SCOPES.appointmentWrite,
};

export async function tokenCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    aud: { type: 'string' },
    scope: { type: 'string' },
    ods: { type: 'string' },
    org: { type: 'string' },
    user: { type: 'string' },
  });
  const audience = requireString(values, 'aud');
  const scopeOption = (values.scope as string | undefined) ?? 'slot';
  const scope = SHORT[scopeOption] ?? scopeOption;
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
}
