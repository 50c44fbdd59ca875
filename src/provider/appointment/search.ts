/**
 * `GET [root]/Appointment?patient.identifier=system|value` — a patient's appointments (READ-2,
 * ABUS.20). The spellings `Appointment.participant.actor:Patient.identifier` (the standard's
 * example), `patient.identifier` and `identifier` all work (docs/decisions.md). Without a `date` window
 * only appointments that have not yet ended are returned; with one, any window, past included.
 * No paging (the standard forbids it).
 */
import type { FastifyInstance } from 'fastify';
import { searchset } from '../../fhir/bundle.js';
import { NHS_NUMBER_SYSTEM } from '../../fhir/nhs-number.js';
import { invalidParameter } from '../../fhir/outcome.js';
import { orList, parseDateCondition, parseToken, textBoundsOf, values } from '../../fhir/search.js';
import type { Store } from '../../store/store.js';
import { authorised } from '../http/context.js';
import { sendResource } from '../http/wire.js';
import { INTERACTIONS } from '../interactions.js';
import { localPatientSystem } from './book.js';
import { appointmentResource, searchAppointments } from '../../diary/appointments.js';

export const PATIENT_PARAMETERS = [
  'Appointment.participant.actor:Patient.identifier',
  'patient.identifier',
  'patient:Patient.identifier',
  'actor:Patient.identifier',
  'identifier',
];
const APPOINTMENT_STATUSES = [
  'proposed',
  'pending',
  'booked',
  'arrived',
  'fulfilled',
  'cancelled',
  'noshow',
  'entered-in-error',
];

export function registerSearch(app: FastifyInstance, store: Store) {
  app.get(
    '/STU3/1/:tenant/Appointment',
    { config: { interaction: INTERACTIONS.searchAppointments } },
    async (request, reply) => {
      const ctx = authorised(request.ctx);
      const query = request.query as Record<string, unknown>;
      const given = PATIENT_PARAMETERS.flatMap((name) => values(query, name).map((raw) => ({ name, raw })));
      if (given.length === 0) {
        throw invalidParameter(
          'Searching appointments needs the patient: patient.identifier=https://fhir.nhs.uk/Id/nhs-number|{NHS number}',
          ['patient.identifier'],
        );
      }
      const distinct = new Set(given.map((g) => g.raw));
      if (distinct.size > 1)
        throw invalidParameter(
          'Give one patient identifier per search',
          given.map((g) => g.name),
        );
      const token = parseToken(given[0].name, given[0].raw);
      const patientIdentifiers = token.system
        ? [`${token.system}|${token.code}`]
        : [`${NHS_NUMBER_SYSTEM}|${token.code}`, `${localPatientSystem(ctx.serviceRoot)}|${token.code}`];

      const dates = values(query, 'date').map((raw) => parseDateCondition('date', raw));
      const bounds = textBoundsOf(dates);
      let statuses: string[] | undefined;
      for (const raw of values(query, 'status')) {
        const list = orList(raw);
        const bad = list.find((s) => !APPOINTMENT_STATUSES.includes(s));
        if (bad || list.length === 0)
          throw invalidParameter(`status: "${bad ?? raw}" is not an appointment status`, ['status']);
        statuses = list;
      }

      const rows = await searchAppointments(store, ctx.tenant.id, {
        patientIdentifiers: bounds.empty ? [] : patientIdentifiers,
        from: bounds.from,
        to: bounds.to,
        excluded: bounds.excluded,
        endsAfter: dates.length ? undefined : new Date().toISOString(),
        statuses,
      });
      ctx.audit.resourceType = 'Appointment';
      const q = request.url.indexOf('?');
      const bundle = searchset({
        base: ctx.serviceRoot,
        selfUrl: `${ctx.serviceRoot}/Appointment${q >= 0 ? request.url.slice(q) : ''}`,
        matches: rows.map(appointmentResource),
        total: rows.length,
      });
      return sendResource(request, reply, bundle);
    },
  );
}
