/**
 * Who the consumer is on every call: its system's ASID (Ssp-From), the logged-in user, their
 * organisation and the device (C18: never a fixed "system" user).
 */
import type { Requester } from '../fhir/token.js';

export interface ConsumerIdentity {
  /** The consumer system's ASID, sent as Ssp-From. */
  asid: string;
  requester: Requester;
}

export interface IdentityOptions {
  asid?: string;
  odsCode?: string;
  organisationName?: string;
  /** The call handler's user ID (their local login). */
  user?: string;
  userName?: { given: string; family: string; prefix?: string };
  sdsUserId?: string;
  sdsRoleProfileId?: string;
}

/** The demo network's 111 service (src/spine/demo.ts enrols it), as a call handler. */
export const DEMO_CONSUMER = {
  asid: '200000000111',
  odsCode: 'A1001',
  organisationName: 'NHS 111 North East (demo consumer)',
  user: 'call-handler-1',
} as const;

export function consumerIdentity(o: IdentityOptions = {}): ConsumerIdentity {
  const user = o.user ?? DEMO_CONSUMER.user;
  const name = o.userName ?? { given: 'Sam', family: user.replace(/[^A-Za-z]/g, '') || 'Handler', prefix: undefined };
  return {
    asid: o.asid ?? DEMO_CONSUMER.asid,
    requester: {
      issuer: 'https://slotbridge.dev/consumer',
      organisation: {
        odsCode: o.odsCode ?? DEMO_CONSUMER.odsCode,
        name: o.organisationName ?? (o.odsCode ? `Organisation ${o.odsCode}` : DEMO_CONSUMER.organisationName),
      },
      device: {
        system: 'https://slotbridge.dev/Id/device',
        value: `slotbridge-consumer-${o.asid ?? DEMO_CONSUMER.asid}`,
        model: 'Slotbridge consumer',
        version: '0.1.0',
      },
      user: {
        id: user,
        given: name.given,
        family: name.family,
        prefix: name.prefix,
        sdsUserId: o.sdsUserId ?? 'UNK',
        sdsRoleProfileId: o.sdsRoleProfileId ?? 'UNK',
        localSystem: 'https://slotbridge.dev/Id/user',
      },
    },
  };
}
