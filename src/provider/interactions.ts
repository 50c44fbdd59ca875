/**
 * The interactions a provider serves, with the Ssp-InteractionID and JWT `requested_scope` each one
 * needs (docs/standard.md, Interactions table; fs_authentication).
 */

export const SCOPES = {
  slotRead: 'organization/slot.read',
  appointmentRead: 'patient/appointment.read',
  appointmentWrite: 'patient/appointment.write',
} as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

export interface Interaction {
  /** Short name used in the audit trail and reports. */
  name: string;
  /** The Ssp-InteractionID a consumer sends for it. */
  id: string;
  scope: Scope;
}

const urn = (verb: string, type: string) => `urn:nhs:names:services:careconnect:fhir:rest:${verb}:${type}`;

export const INTERACTIONS = {
  metadata: { name: 'metadata', id: urn('read', 'metadata'), scope: SCOPES.slotRead },
  searchSlots: { name: 'search-slots', id: urn('read', 'slot'), scope: SCOPES.slotRead },
  book: { name: 'book', id: urn('create', 'appointment'), scope: SCOPES.appointmentWrite },
  readAppointment: { name: 'read-appointment', id: urn('read', 'appointment'), scope: SCOPES.appointmentRead },
  searchAppointments: { name: 'search-appointments', id: urn('search', 'appointment'), scope: SCOPES.appointmentRead },
  cancel: { name: 'cancel', id: urn('update', 'appointment'), scope: SCOPES.appointmentWrite },
} satisfies Record<string, Interaction>;

/** Reads and plain searches of the resources slot searches refer to (so every reference resolves). */
export function readInteraction(resourceType: string): Interaction {
  return { name: `read-${resourceType}`, id: urn('read', resourceType.toLowerCase()), scope: SCOPES.slotRead };
}

/** `…:search:slot` and `…:read:slot` name the same interaction (docs/decisions.md). */
export function sameInteraction(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/:rest:search:slot$/, ':rest:read:slot');
  return norm(a) === norm(b);
}
