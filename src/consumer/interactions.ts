/** The Spine interaction IDs a consumer sends (docs/standard.md, Interactions table; C26); scopes are in token.ts. */
const CC = 'urn:nhs:names:services:careconnect:fhir:rest';

export const INTERACTION = {
  slotSearch: `${CC}:read:slot`,
  book: `${CC}:create:appointment`,
  read: `${CC}:read:appointment`,
  search: `${CC}:search:appointment`,
  cancel: `${CC}:update:appointment`,
} as const;

export const isCareConnect = (interaction: string) => interaction.includes(':careconnect:');
export const isGpConnect = (interaction: string) => interaction.includes(':gpconnect:');

/** The slot search's other name (docs/decisions.md): some systems register it so in the endpoint directory. */
export const SLOT_SEARCH_ALIAS = `${CC}:search:slot`;
