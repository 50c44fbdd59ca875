/**
 * The referral document that goes with a booking (fs_xfercare): its UUID is made first and put in the
 * booking's DocumentReference; once the provider answers, the document is completed with the
 * appointment's fully qualified URL **without** `/_history/…`, in the encounter entry's id extension
 * and a section's `linkHtml href`, as the standard's 111 CDA example shows. A document linked to a
 * booking is never replaced.
 */
import type { Kysely } from 'kysely';
import type { Patient } from 'fhir/r3.js';
import type { Database } from '../store/schema.js';
import { ConsumerError } from './errors.js';
import { nhsNumberOf, patientName } from './patient.js';

export const CDA_CONTENT_TYPE = 'application/hl7-v3+xml';

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `https://host/…/Appointment/ID` from a Location header, without `/_history/…`. */
export function appointmentUrlOf(location: string): string {
  const url = location.replace(/\/_history\/[^/]+\/?$/, '').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+\/.+\/Appointment\/[^/]+$/.test(url)) {
    throw new ConsumerError(
      'bad-location',
      `The provider's Location header (${location}) is not a fully qualified Appointment URL.`,
      'provider',
    );
  }
  return url;
}

/** CDA time: YYYYMMDDHHMM+00 in UTC. */
function cdaTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}+00`;
}

export interface ReferralInput {
  documentId: string;
  appointmentUrl: string;
  serviceName: string;
  slotStart: string;
  patient: Patient;
  reason: string;
  disposition?: string;
  author: { organisation: string; user: string };
}

/** A minimal Integrated Urgent Care Report (111 CDA) carrying the appointment reference. */
export function referralDocument(r: ReferralInput): string {
  const when = new Date(r.slotStart);
  const date = when.toLocaleDateString('en-GB', {
    timeZone: 'Europe/London',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
  const time = when.toLocaleTimeString('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit' });
  const nhs = nhsNumberOf(r.patient);
  const assignedAuthor =
    `<assignedPerson><name>${xml(r.author.user)}</name></assignedPerson>` +
    `<representedOrganization><name>${xml(r.author.organisation)}</name></representedOrganization>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:npfitlc="NPFIT:HL7:Localisation" classCode="DOCCLIN" moodCode="EVN">
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <npfitlc:messageType root="2.16.840.1.113883.2.1.3.2.4.18.17" extension="POCD_MT200001GB02"/>
  <id root="${xml(r.documentId.toUpperCase())}"/>
  <code code="819591000000102" codeSystem="2.16.840.1.113883.2.1.3.2.4.15" displayName="Integrated Urgent Care Report"/>
  <title>Integrated Urgent Care Report</title>
  <effectiveTime value="${cdaTime(new Date().toISOString())}"/>
  <recordTarget>
    <patientRole>
      ${nhs ? `<id root="2.16.840.1.113883.2.1.4.1" extension="${xml(nhs)}"/>` : ''}
      <patient><name>${xml(patientName(r.patient))}</name></patient>
    </patientRole>
  </recordTarget>
  <author><assignedAuthor>${assignedAuthor}</assignedAuthor></author>
  <component>
    <structuredBody>
      <component typeCode="COMP" contextConductionInd="true">
        <section classCode="DOCSECT" moodCode="EVN">
          <title>Reason for referral${r.disposition ? ` (${xml(r.disposition)})` : ''}</title>
          <text>${xml(r.reason)}</text>
          <entry typeCode="COMP" contextConductionInd="true">
            <npfitlc:contentId root="2.16.840.1.113883.2.1.3.2.4.18.16" extension="COCD_TP146093GB01#AppointmentReference"/>
            <encounter classCode="ENC" moodCode="APT">
              <templateId root="2.16.840.1.113883.2.1.3.2.4.18.2" extension="COCD_TP146093GB01#AppointmentReference"/>
              <id root="2.16.840.1.113883.2.1.3.2.4.17.541" extension="${xml(r.appointmentUrl)}"/>
              <code code="01" codeSystem="2.16.840.1.113883.2.1.3.2.4.17.542" displayName="Patient convenience appointment"/>
              <effectiveTime value="${cdaTime(r.slotStart)}"/>
            </encounter>
          </entry>
        </section>
      </component>
      <component typeCode="COMP" contextConductionInd="true">
        <npfitlc:contentId extension="COCD_TP146246GB01#Section1" root="2.16.840.1.113883.2.1.3.2.4.18.16"/>
        <section classCode="DOCSECT" moodCode="EVN">
          <templateId extension="COCD_TP146246GB01#Section1" root="2.16.840.1.113883.2.1.3.2.4.18.2"/>
          <title>Booked appointment with ${xml(r.serviceName)} on ${xml(date)} at ${xml(time)}</title>
          <text><linkHtml href="${xml(r.appointmentUrl)}">${xml(r.appointmentUrl)}</linkHtml></text>
        </section>
      </component>
    </structuredBody>
  </component>
</ClinicalDocument>
`;
}

/** Stores a referral document; a document already linked to a booking is never replaced. */
export async function storeReferral(
  db: Kysely<Database>,
  doc: { documentId: string; appointmentUrl: string | null; serviceId: string; content: string },
): Promise<void> {
  const existing = await db
    .selectFrom('consumer_referral')
    .select(['appointment_url'])
    .where('document_id', '=', doc.documentId)
    .executeTakeFirst();
  if (existing?.appointment_url) {
    throw new ConsumerError(
      'referral-linked',
      `Referral document ${doc.documentId} is linked to the booking ${existing.appointment_url} and must not be replaced.`,
      'consumer',
    );
  }
  if (existing) await db.deleteFrom('consumer_referral').where('document_id', '=', doc.documentId).execute();
  await db
    .insertInto('consumer_referral')
    .values({
      document_id: doc.documentId,
      appointment_url: doc.appointmentUrl,
      service_id: doc.serviceId,
      content_type: CDA_CONTENT_TYPE,
      content: doc.content,
      created_at: new Date().toISOString(),
    })
    .execute();
}
