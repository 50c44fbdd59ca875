/** The ordered list of migrations; each runs the same on SQLite and PostgreSQL. */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import * as initial from './001-initial.js';
import * as spine from './002-spine.js';
import * as consumer from './003-consumer.js';
import * as capacity from './004-capacity.js';
import * as release from './005-release.js';
import * as adminTokens from './006-admin-tokens.js';
import * as peerAudit from './007-peer-audit.js';
import * as spineSecurity from './008-spine-security.js';
import * as directoryIndex from './009-directory-index.js';
import * as consumerServiceName from './010-consumer-service-name.js';

export interface SlotbridgeMigration {
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

export const migrations: Record<string, SlotbridgeMigration> = {
  '001-initial': initial,
  '002-spine': spine,
  '003-consumer': consumer,
  '004-capacity': capacity,
  '005-release': release,
  '006-admin-tokens': adminTokens,
  '007-peer-audit': peerAudit,
  '008-spine-security': spineSecurity,
  '009-directory-index': directoryIndex,
  '010-consumer-service-name': consumerServiceName,
};
