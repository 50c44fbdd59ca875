/**
 * `GET [root]/metadata` — a CapabilityStatement that says exactly what this server does (P8).
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r3.js';
import type { FastifyInstance } from 'fastify';
import { MIME } from '../fhir/format.js';
import { authorised } from './http/context.js';
import { sendResource } from './http/wire.js';
import { INTERACTIONS } from './interactions.js';
import { PATIENT_PARAMETERS } from './appointment/search.js';
import { REFERENCE_TYPES, profileOf } from '../diary/representation.js';
import { SEARCH_INCLUDES } from './slot/params.js';

export const SOFTWARE = { name: 'Slotbridge', version: '0.1.0' };
const PROFILED = [
  'Slot',
  'HealthcareService',
  'Schedule',
  'Appointment',
  'Patient',
  'DocumentReference',
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'Location',
];

function readable(type: string): CapabilityStatementRestResource {
  return {
    type,
    profile: { reference: profileOf(type) },
    interaction: [{ code: 'read' }, { code: 'search-type' }],
    versioning: 'versioned',
    readHistory: false,
    updateCreate: false,
    searchParam: [{ name: '_id', type: 'token', documentation: 'Logical id of the resource' }],
  };
}

export function capabilityStatement(serviceRoot: string, tenantName: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    version: SOFTWARE.version,
    name: 'Slotbridge Booking Standard provider',
    status: 'active',
    date: '2026-11-25',
    publisher: 'Slotbridge',
    description: `NHS Booking Standard (Care Connect UEC Appointment API) provider for ${tenantName}`,
    kind: 'instance',
    software: { name: SOFTWARE.name, version: SOFTWARE.version },
    implementation: { description: tenantName, url: serviceRoot },
    fhirVersion: '3.0.1',
    acceptUnknown: 'both',
    format: [MIME.json, MIME.xml],
    profile: PROFILED.map((t) => ({ reference: profileOf(t) })),
    rest: [
      {
        mode: 'server',
        documentation:
          'Every request needs an unsecured JWT (alg none) as a Bearer token: ' +
          'aud must be this service root and requested_scope must match the interaction.',
        security: {
          description: 'Unsecured JWT per the Booking Standard; requests arrive through the Spine Secure Proxy.',
        },
        resource: [
          {
            type: 'Appointment',
            profile: { reference: profileOf('Appointment') },
            interaction: [
              { code: 'read' },
              { code: 'vread' },
              { code: 'create' },
              { code: 'update' },
              { code: 'search-type' },
            ],
            versioning: 'versioned-update',
            readHistory: false,
            updateCreate: false,
            conditionalCreate: false,
            conditionalUpdate: false,
            conditionalDelete: 'not-supported',
            searchParam: [
              ...PATIENT_PARAMETERS.map((name) => ({
                name,
                type: 'token',
                documentation:
                  'The patient: https://fhir.nhs.uk/Id/nhs-number|{NHS number}, or the local identifier this server gave a patient without one',
              })),
              {
                name: 'date',
                type: 'date',
                documentation:
                  'Appointment start (prefixes ge, gt, le, lt, eq, ne); without it only appointments not yet ended are returned',
              },
              { name: 'status', type: 'token', documentation: 'Appointment status, comma separated' },
            ],
          },
          {
            type: 'Slot',
            profile: { reference: profileOf('Slot') },
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchInclude: SEARCH_INCLUDES,
            searchParam: [
              {
                name: 'service',
                type: 'token',
                documentation:
                  'The directory (DoS) service id of the HealthcareService; also accepted as schedule.actor:healthcareservice',
              },
              { name: 'schedule.actor:healthcareservice', type: 'token', documentation: 'Same as service' },
              {
                name: 'status',
                type: 'token',
                documentation: 'busy | free | busy-unavailable | busy-tentative | entered-in-error, comma separated',
              },
              {
                name: 'start',
                type: 'date',
                documentation: 'Slot start with prefixes ge, gt, le, lt, eq, ne, sa, eb, ap; any UTC offset',
              },
              {
                name: '_count',
                type: 'number',
                documentation: 'At most this many slots (the server also applies its own upper limit)',
              },
            ],
          },
          ...REFERENCE_TYPES.map(readable),
        ],
        interaction: [],
      },
    ],
  };
}

export function registerMetadata(app: FastifyInstance) {
  // The service root itself answers as its /metadata does (with the JWT, the CapabilityStatement;
  // without, the 401 saying what is missing): the address a provider prints never answers 404.
  for (const url of ['/STU3/1/:tenant/metadata', '/STU3/1/:tenant']) {
    app.get(url, { config: { interaction: INTERACTIONS.metadata } }, async (request, reply) => {
      const ctx = authorised(request.ctx);
      ctx.audit.resourceType = 'CapabilityStatement';
      return sendResource(request, reply, capabilityStatement(ctx.serviceRoot, ctx.tenant.name));
    });
  }
}
