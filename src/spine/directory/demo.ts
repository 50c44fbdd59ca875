/**
 * The directory's demo services around Leeds and Wakefield: one for each case a consumer must handle
 * (C2–C4 `requirebooking` true/false/absent, C7 two booking endpoints, C8 none, C11–C17 through the
 * endpoint directory's test records), a pharmacy, a dental service, two 24/7 services, one open
 * weekdays 09:00–17:00 and one for children (0–15). The demo provider's own services
 * (2000011001…, 2000022001…) are listed by registration, not here.
 *
 * Booking endpoint ASIDs and the endpoint-directory (SDS) case each exercises; the SDS records are
 * built with exactly these ASIDs in src/spine/demo.ts:
 *   200000000901  no nhsAS in SDS (unknown ASID)               C11   2000099004 (requirebooking true)
 *   200000000902  nhsAS with no booking interactions           C12   2000099005 (requirebooking false)
 *   200000000903  both Care Connect and GP Connect interactions C14  2000099006 (requirebooking absent)
 *   200000000904  several nhsMHS endpoints                     C15   2000099007 (24/7)
 *   200000000905  an invalid endpoint URL                      C17   2000099008 (children 0–15)
 *   200000000906, 200000000907  the two booking endpoints of 2000099003 (C7): a consumer must stop
 *                 before asking SDS, so these two have no SDS records on purpose.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { DirectoryAttribute, DirectoryEndpoint, DirectoryService, OpeningTime } from './model.js';
import { putDirectoryService } from './repository.js';

const booking = (asid: string, order = 2): DirectoryEndpoint => ({
  order,
  transport: 'http',
  format: 'FHIR',
  interaction: 'Scheduling',
  address: `ASID:${asid}`,
});
// The referral (ITK) endpoint every non-pharmacy service has: the CDA document goes here, booked or not.
const itk = (odsCode: string): DirectoryEndpoint => ({
  order: 1,
  transport: 'itk',
  format: 'CDA',
  interaction: 'urn:nhs-itk:interaction:primaryOutofHourRecipientNHS111CDADocument-v2-0',
  businessScenario: 'Primary',
  address: `urn:nhs-uk:addressing:ods:${odsCode}`,
  compression: 'uncompressed',
});
const email = (address: string): DirectoryEndpoint => ({
  order: 1,
  transport: 'email',
  format: 'HTML',
  interaction: 'urn:nhs-itk:interaction:copyRecipientNHS111CDADocument-v2-0',
  businessScenario: 'Copy',
  address,
  compression: 'uncompressed',
});
const requireBooking = (value: boolean): DirectoryAttribute => ({
  name: 'requirebooking',
  dataType: 'boolean',
  description: 'The service only accepts referrals with an accompanying booked appointment.',
  value: String(value),
});
const week = (
  open: string,
  close: string,
  days: OpeningTime['day'][] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
): OpeningTime[] => days.map((day) => ({ day, open, close }));
const PRIMARY_CARE = ['Dx05', 'Dx06', 'Dx07', 'Dx08', 'Dx11', 'Dx12', 'Dx13', 'Dx14', 'Dx15'];
const ADULTS_AND_CHILDREN = { min: 0, max: 130 };

export const DEMO_DIRECTORY: DirectoryService[] = [
  {
    id: '2000099001',
    name: 'Kirkgate Pharmacy (urgent repeat medicines)',
    type: 'Pharmacy',
    odsCode: 'FX123',
    address: ['12 Kirkgate', 'Leeds'],
    postcode: 'LS1 6BY',
    openingTimes: week('08:00', '20:00', ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']),
    dispositions: ['Dx06', 'Dx08', 'Dx81'],
    ageRange: ADULTS_AND_CHILDREN,
    attributes: [],
    endpoints: [email('kirkgate.pharmacy@nhs.example')],
  },
  {
    id: '2000099002',
    name: 'Headingley Urgent Dental Care',
    type: 'Dental',
    odsCode: 'V12345',
    address: ['40 Otley Road', 'Headingley', 'Leeds'],
    postcode: 'LS6 2AL',
    openingTimes: week('09:00', '17:00'),
    dispositions: ['Dx06', 'Dx08'],
    ageRange: ADULTS_AND_CHILDREN,
    attributes: [],
    endpoints: [email('urgent.dental@nhs.example')],
  },
  {
    id: '2000099003',
    name: 'Leeds City GP Hub (two booking endpoints: consumers must stop, C7)',
    type: 'GP Out of Hours',
    odsCode: 'X9A06',
    address: ['Leeds City Medical Practice', '2 Park Square', 'Leeds'],
    postcode: 'LS1 2NE',
    openingTimes: week('08:00', '20:00', ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']),
    dispositions: PRIMARY_CARE,
    ageRange: ADULTS_AND_CHILDREN,
    attributes: [],
    endpoints: [itk('X9A06'), booking('200000000906'), booking('200000000907', 3)],
  },
  {
    id: '2000099004',
    name: 'Seacroft Extended Access (booking only)',
    type: 'GP Out of Hours',
    odsCode: 'X9A01',
    address: ['Seacroft Health Centre', 'Seacroft Crescent', 'Leeds'],
    postcode: 'LS14 6NX',
    openingTimes: week('18:30', '22:00'),
    dispositions: PRIMARY_CARE,
    ageRange: ADULTS_AND_CHILDREN,
    attributes: [requireBooking(true)],
    endpoints: [itk('X9A01'), booking('200000000901')],
  },
  {
    id: '2000099005',
    name: 'Armley Same Day Access (referral without booking allowed)',
    type: 'GP Out of Hours',
    odsCode: 'X9A02',
    address: ['Armley Moor Health Centre', '95 Town Street', 'Leeds'],
    postcode: 'LS12 3HD',
    openingTimes: week('08:00', '18:30'),
    dispositions: PRIMARY_CARE,
    ageRange: ADULTS_AND_CHILDREN,
    attributes: [requireBooking(false)],
    endpoints: [itk('X9A02'), booking('200000000902')],
  },
  {
    id: '2000099006',
    name: 'Chapel Allerton GP Practice (GP Connect and Care Connect)',
    type: 'GP Practice',
    odsCode: 'X9A03',
    address: ['Chapel Allerton Medical Centre', 'Harrogate Road', 'Leeds'],
    postcode: 'LS7 4NY',
    openingTimes: week('08:00', '18:30'),
    dispositions: ['Dx05', 'Dx06', 'Dx10', 'Dx75', 'Dx115'],
    ageRange: ADULTS_AND_CHILDREN,
    attributes: [],
    endpoints: [itk('X9A03'), booking('200000000903')],
  },
  {
    id: '2000099007',
    name: 'Leeds Clinical Assessment Hub (24/7)',
    type: 'GP Out of Hours',
    odsCode: 'X9A04',
    address: ['St James’s Hospital', 'Beckett Street', 'Leeds'],
    postcode: 'LS9 7TF',
    openingTimes: [],
    openAllHours: true,
    dispositions: PRIMARY_CARE,
    ageRange: ADULTS_AND_CHILDREN,
    attributes: [requireBooking(false)],
    endpoints: [itk('X9A04'), booking('200000000904')],
  },
  {
    id: '2000099008',
    name: 'Wakefield Children’s Urgent Care (0–15)',
    type: 'UTC',
    odsCode: 'X9A05',
    address: ['Pinderfields Hospital', 'Aberford Road', 'Wakefield'],
    postcode: 'WF1 4DG',
    openingTimes: week('09:00', '21:00', ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']),
    dispositions: PRIMARY_CARE,
    ageRange: { min: 0, max: 15 },
    attributes: [],
    endpoints: [itk('X9A05'), booking('200000000905')],
  },
  {
    id: '2000099009',
    name: 'Wakefield Walk-in Centre (no booking endpoint, C8)',
    type: 'UTC',
    odsCode: 'X9A09',
    address: ['King Street Health Centre', 'King Street', 'Wakefield'],
    postcode: 'WF1 2SN',
    openingTimes: [],
    openAllHours: true,
    dispositions: PRIMARY_CARE,
    ageRange: ADULTS_AND_CHILDREN,
    attributes: [],
    endpoints: [itk('X9A09')],
  },
];

/** Adds or refreshes the demo services; running it twice changes nothing. Returns how many there are. */
export async function seedDemoDirectory(db: Kysely<Database>): Promise<number> {
  for (const service of DEMO_DIRECTORY) await putDirectoryService(db, service);
  return DEMO_DIRECTORY.length;
}
