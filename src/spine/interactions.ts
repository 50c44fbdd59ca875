/**
 * The Spine interaction IDs of the Booking Standard (docs/standard.md, "Interactions"), with what each
 * may do over HTTP. `…:search:slot` is the same interaction as `…:read:slot` (docs/decisions.md).
 */
const CC = 'urn:nhs:names:services:careconnect:fhir:rest';

export const INTERACTIONS = {
  metadata: `${CC}:read:metadata`,
  slotSearch: `${CC}:read:slot`,
  book: `${CC}:create:appointment`,
  readAppointment: `${CC}:read:appointment`,
  searchAppointments: `${CC}:search:appointment`,
  cancel: `${CC}:update:appointment`,
} as const;

export const SLOT_SEARCH_ALIAS = `${CC}:search:slot`;

/** Every Care Connect booking interaction a provider receives and a consumer sends. */
export const BOOKING_INTERACTIONS: string[] = Object.values(INTERACTIONS);

/** A GP Connect interaction, for directory entries that carry both kinds (consumer test C14). */
export const GP_CONNECT_SLOT_SEARCH = 'urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1';

/** The interaction's canonical ID (aliases folded), or undefined when it is not a booking interaction. */
export function canonicalInteraction(id: string): string | undefined {
  if (id === SLOT_SEARCH_ALIAS) return INTERACTIONS.slotSearch;
  return BOOKING_INTERACTIONS.includes(id) ? id : undefined;
}

export interface InteractionRule {
  method: 'GET' | 'POST' | 'PUT';
  /** The FHIR request (path after the service root, without query) this interaction may carry. */
  path: RegExp;
}

export const INTERACTION_RULES: Record<string, InteractionRule> = {
  [INTERACTIONS.metadata]: { method: 'GET', path: /^\/metadata$/ },
  [INTERACTIONS.slotSearch]: { method: 'GET', path: /^\/Slot$/ },
  [INTERACTIONS.book]: { method: 'POST', path: /^\/Appointment$/ },
  [INTERACTIONS.readAppointment]: { method: 'GET', path: /^\/Appointment\/[^/]+(\/_history\/[^/]+)?$/ },
  [INTERACTIONS.searchAppointments]: { method: 'GET', path: /^\/Appointment$/ },
  [INTERACTIONS.cancel]: { method: 'PUT', path: /^\/Appointment\/[^/]+$/ },
};
