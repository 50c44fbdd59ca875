/**
 * DoS's SOAP API (PathWayService 1.5) over the directory, mounted by the spine at
 * `{spine}/app/api/webservices` (DOS_PATH; docs/directory.md, "The DoS SOAP interface"):
 *   POST   CheckCapacitySummary, ServiceDetailsById (and GetHospitalScores, always empty here), as
 *          SOAP 1.2 (`application/soap+xml`, action parameter) or 1.1 (`text/xml`, SOAPAction header);
 *   GET    ?wsdl   the WSDL (wsdl.ts).
 * Every request carries `userInfo` (checked with isDosUser); an optional `serviceVersion` header
 * (namespaced or bare) must be 1.5. Failures are SOAP faults with DoS's numbers and texts
 * (soap_api_errors_v1_5), and never a 500 for a client's mistake. The search is rankDirectory's.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { OperationOutcomeError } from '../../fhir/outcome.js';
import {
  SoapReadError,
  child,
  childText,
  children,
  readEnvelope,
  soapContentType,
  writeEnvelope,
  writeFault,
  type SoapVersion,
  type XmlContent,
  type XmlElement,
} from '../../fhir/soap.js';
import { LOCAL_TIME_ZONE, parseInstant, wallClockToUtc } from '../../fhir/time.js';
import { storeFault } from '../../store/faults.js';
import type { Store } from '../../store/store.js';
import { isDosUser, type NationalCredentials } from '../national-credentials.js';
import type { DirectoryService, OpeningTime } from './model.js';
import { minutesOf } from './opening.js';
import { normalisePostcode, positionOf } from './postcodes.js';
import { getDirectoryService } from './repository.js';
import { DEFAULT_MAX, rankDirectory, type RankedService } from './search.js';
import { isDirectoryId } from './validate.js';
import { DOS_NS, DOS_OPERATIONS, dosAction, dosWsdl, type DosOperation } from './wsdl.js';

/** A DoS fault: its number (or a SOAP code for faults DoS's table does not list), its text, our HTTP status. */
export class DosFault extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
    readonly status: number,
  ) {
    super(reason);
    this.name = 'DosFault';
  }
}

const fault = (code: number, reason: string, status = 400) => new DosFault(String(code), reason, status);

/** DoS's faults (soap_api_errors_v1_5 and soap_auth_1_5), with the HTTP status the stand-in answers them with. */
export const FAULTS = {
  postcode: () => fault(101, 'Postcode Validation: Postcode not found'),
  noServices: () => fault(102, 'Service Search: No services found', 404),
  serviceNotFound: () => fault(103, 'Request Response: Service not found', 404),
  discriminators: () => fault(104, 'Parameter Validation: No valid discriminators passed/SGSD combo not valid'),
  searchDistance: () =>
    fault(105, 'Parameter Validation: Search distance must be greater than 0km and less than maximum system distance.'),
  gender: () => fault(106, 'Parameter Validation: Invalid gender supplied - supported values: M, F, I'),
  version: () => fault(107, 'WSDL Validation: Unsupported Webservice version'),
  notXml: (status = 400) => fault(108, 'Malformed XML: The soap message is not valid xml.', status),
  notSoap: () => fault(108, 'Malformed XML: Unable to identify the SOAP version'),
  searchDateTime: () => fault(108, 'Parameter Validation: Search date and time is invalid'),
  future: (value: string) =>
    fault(109, `Parameter Validation: searchDateTime (${value}) more than 12 months in future`),
  past: (value: string) => fault(110, `Parameter Validation: searchDateTime (${value}) more than 1 minute in the past`),
  forceDistance: () =>
    fault(113, 'Parameter Validation: where the distance override value is true, a distance value must be provided'),
  age: () => fault(114, 'Parameter Validation: Invalid age supplied - mandatory field, only whole numbers allowed'),
  ageDays: () =>
    fault(
      115,
      'Parameter Validation: Invalid age value supplied. Supported values where Days format is used are numbers between 0-31',
    ),
  ageMonths: () =>
    fault(
      116,
      'Parameter Validation: Invalid age value supplied. Supported values where Months format is used are whole numbers between 1-23',
    ),
  ageYears: () =>
    fault(
      117,
      'Parameter Validation: Invalid age value supplied. Supported values where Years format is used are whole numbers between 2-129',
    ),
  ageGroup: () =>
    fault(
      118,
      'Parameter Validation: Invalid age value supplied. Supported values where AgeGroup is used are: 1, 2, 3, 4',
    ),
  ageFormat: () =>
    fault(119, 'Parameter Validation: Invalid age format supplied - supported values Years, Months, Days, AgeGroup'),
  symptomGroup: () => fault(120, 'Parameter Validation: Symptom Group could not be found'),
  disposition: () => fault(121, 'Parameter Validation: Disposition not found'),
  authentication: () =>
    fault(
      302,
      'Authentication Failed: Please check user credentials (username/password) or check whether the user account is locked ' +
        '(use password reset to unlock)',
      403,
    ),
  noCredentials: () => fault(1001, 'Request Validation: Unable to locate username and password in the request'),
  internal: (status = 500) => fault(500, 'Internal Server Error', status),
} as const;

/** Not in DoS's table: the body names no operation of this service (the standard SOAP sender fault). */
const senderFault = (version: SoapVersion, reason: string, status = 400) =>
  new DosFault(version === '1.2' ? 'env:Sender' : 'env:Client', reason, status);

/** DoS's national default search distance, in kilometres (ccs_search_logic_v1_5). */
export const NATIONAL_SEARCH_KM = 60;
const DAYS_PER_MONTH = 30.4375;
const DAYS_PER_YEAR = 365.25;
/** An age group's youngest age in years (the directory's age ranges are whole years). */
const AGE_GROUP_YEARS: Record<number, number> = { 4: 0, 3: 1, 2: 5, 1: 16 };

/** The DoS service type nearest to each of the directory's types (reference/service_types); the name sent is ours. */
const SERVICE_TYPE_IDS: Record<string, number> = {
  ED: 105,
  'Emergency Department': 105,
  UTC: 135,
  'Urgent Treatment Centre': 135,
  'GP Out of Hours': 25,
  Pharmacy: 13,
  Dental: 47,
  'Community Nursing': 38,
  'GP Practice': 100,
};

const DAY_NAMES: Record<OpeningTime['day'], string> = {
  Mon: 'Monday',
  Tue: 'Tuesday',
  Wed: 'Wednesday',
  Thu: 'Thursday',
  Fri: 'Friday',
  Sat: 'Saturday',
  Sun: 'Sunday',
  BankHoliday: 'Bankholiday',
};

const WHOLE = /^[+-]?\d{1,9}$/;
const whole = (text: string | undefined): number | undefined =>
  text !== undefined && WHOLE.test(text) ? Number(text) : undefined;

// =============================================================================================
// CheckCapacitySummary

interface Case {
  postcode: string;
  ageInYears: number;
  ageInDays?: number;
  disposition: string;
  radiusKm: number;
  distanceSource: 'Override' | 'National';
  at: number;
}

function readAge(c: XmlElement): { years: number; days?: number } {
  const age = whole(childText(c, 'age'));
  if (age === undefined || age < 0) throw FAULTS.age();
  const format = childText(c, 'ageFormat');
  switch (format) {
    case 'Days':
      if (age > 31) throw FAULTS.ageDays();
      return { years: Math.floor(age / DAYS_PER_YEAR), days: age };
    case 'Months': {
      if (age < 1 || age > 23) throw FAULTS.ageMonths();
      const days = Math.floor(age * DAYS_PER_MONTH);
      return { years: Math.floor(days / DAYS_PER_YEAR), days };
    }
    case 'Years':
      if (age < 2 || age > 129) throw FAULTS.ageYears();
      return { years: age, days: Math.floor(age * DAYS_PER_YEAR) };
    case 'AgeGroup':
      if (!(age in AGE_GROUP_YEARS)) throw FAULTS.ageGroup();
      return { years: AGE_GROUP_YEARS[age]! };
    default:
      throw FAULTS.ageFormat();
  }
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;

/** `searchDateTime`: an ISO date-time, with an offset or in UK local time; at most 1 minute past, 12 months ahead. */
function readSearchDateTime(text: string | undefined, now: number): number {
  if (text === undefined || text === '') return now;
  const m = DATE_TIME.exec(text);
  if (!m) throw FAULTS.searchDateTime();
  const [, y, mo, d, h, mi, s = '00', frac = '', zone] = m;
  let at: number | undefined;
  if (zone) at = parseInstant(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac}${zone}`);
  else {
    const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    const back = new Date(wall);
    const valid = back.getUTCMonth() === Number(mo) - 1 && back.getUTCDate() === Number(d) && Number(h) < 24;
    at = valid && Number(mi) < 60 && Number(s) < 60 ? wallClockToUtc(wall, LOCAL_TIME_ZONE) : undefined;
  }
  if (at === undefined) throw FAULTS.searchDateTime();
  const shown = text.slice(0, 40);
  if (at < now - 60_000) throw FAULTS.past(shown);
  const yearAhead = new Date(now);
  yearAhead.setUTCFullYear(yearAhead.getUTCFullYear() + 1);
  if (at > yearAhead.getTime()) throw FAULTS.future(shown);
  return at;
}

/** The case's fields, checked in DoS's order (distance, postcode, age, gender, symptoms, disposition, time). */
function readCase(c: XmlElement | undefined, now: number): Case {
  if (!c) throw FAULTS.postcode();
  const distanceText = childText(c, 'searchDistance');
  const force = ['true', '1'].includes(childText(c, 'forceSearchDistance') ?? '');
  let searchDistance: number | undefined;
  if (distanceText !== undefined && distanceText !== '') {
    searchDistance = whole(distanceText);
    if (searchDistance === undefined || searchDistance < 1 || searchDistance > 99) throw FAULTS.searchDistance();
  } else if (force) throw FAULTS.forceDistance();

  const postcode = normalisePostcode(childText(c, 'postcode') ?? '');
  // ZZ99 pseudo-postcodes (no fixed abode, address not known) have no location: not found, as in DoS.
  if (!postcode || postcode.startsWith('ZZ99') || !positionOf(postcode)) throw FAULTS.postcode();

  const age = readAge(c);

  const gender = childText(c, 'gender');
  if (gender !== undefined && gender !== '' && !['M', 'F', 'I'].includes(gender)) throw FAULTS.gender();

  const symptomGroup = whole(childText(c, 'symptomGroup'));
  if (symptomGroup === undefined || symptomGroup < 1) throw FAULTS.symptomGroup();
  const discriminators = children(child(c, 'symptomDiscriminatorList'), 'int').map((e) => whole(e.text));
  if (discriminators.length === 0 || discriminators.some((d) => d === undefined || d < 1))
    throw FAULTS.discriminators();

  // Pathways dispositions go to DoS as integers: Dx05 is 1005, Dx333 is 10333.
  const disposition = /^10(\d{1,4})$/.exec(childText(c, 'disposition') ?? '');
  if (!disposition) throw FAULTS.disposition();

  return {
    postcode,
    ageInYears: age.years,
    ...(age.days !== undefined ? { ageInDays: age.days } : {}),
    disposition: `Dx${disposition[1]}`,
    radiusKm: searchDistance ?? NATIONAL_SEARCH_KM,
    distanceSource: searchDistance !== undefined ? 'Override' : 'National',
    at: readSearchDateTime(childText(c, 'searchDateTime'), now),
  };
}

/** rankDirectory, with its refusals as DoS faults. */
async function rank(store: Store, q: Parameters<typeof rankDirectory>[1]): Promise<RankedService[]> {
  try {
    return await rankDirectory(store.db, q);
  } catch (err) {
    if (!(err instanceof OperationOutcomeError) || err.status >= 500) throw err;
    const field = err.issues.flatMap((i) => i.expression ?? [])[0];
    if (field === 'postcode') throw FAULTS.postcode();
    if (field === 'at') throw FAULTS.searchDateTime();
    throw FAULTS.disposition();
  }
}

const hhmm = (text: string) => ({ hours: Math.floor(minutesOf(text) / 60), minutes: minutesOf(text) % 60 });

/** Weekly sessions as DoS's rota sessions; a session to midnight ends at 23:59, as DoS's never cross midnight. */
function rotaSessions(s: DirectoryService): XmlContent[] {
  if (s.openAllHours) return [];
  return s.openingTimes.map((t) => ({
    startDayOfWeek: DAY_NAMES[t.day],
    startTime: hhmm(t.open),
    endDayOfWeek: DAY_NAMES[t.day],
    endTime: t.close === '24:00' ? { hours: 23, minutes: 59 } : hhmm(t.close),
    status: 'Open',
  }));
}

function endpoints(s: DirectoryService): XmlContent {
  return {
    endpoint: [...s.endpoints]
      .sort((a, b) => a.order - b.order)
      .map((e) => ({
        endpointOrder: e.order,
        transport: e.transport,
        format: e.format,
        interaction: e.interaction,
        businessScenario: e.businessScenario ?? '',
        address: e.address,
        compression: e.compression ?? '',
        comment: e.comment ?? '',
      })),
  };
}

function destination({ service: s, summary }: RankedService, nameSuffix = ''): XmlContent {
  return {
    id: s.id,
    capacity: 'High',
    name: `${s.name}${nameSuffix}`,
    address: s.address.join(', '),
    ...(s.postcode ? { postcode: s.postcode } : {}),
    serviceType: { id: SERVICE_TYPE_IDS[s.type] ?? 0, name: s.type },
    ...(s.odsCode ? { odsCode: s.odsCode } : {}),
    ...(summary.distanceMiles !== null ? { distance: summary.distanceMiles.toFixed(1) } : {}),
    openAllHours: Boolean(s.openAllHours),
    serviceEndpoints: endpoints(s),
    rotaSessions: { serviceCareItemRotaSession: rotaSessions(s) },
    attributes: {
      attribute: s.attributes.map((a) => ({
        dataType: a.dataType,
        name: a.name,
        description: a.description ?? '',
        value: a.value,
      })),
    },
    serviceAgeRange: {
      ageRange: {
        daysFrom: Math.floor(s.ageRange.min * DAYS_PER_YEAR),
        daysTo: Math.floor((s.ageRange.max + 1) * DAYS_PER_YEAR) - 1,
      },
    },
  };
}

async function checkCapacitySummary(store: Store, operation: XmlElement): Promise<XmlContent> {
  const now = Date.now();
  const c = readCase(child(operation, 'c'), now);
  // At most 20 services, as the JSON search gives: DoS bounds its answer too (the top two of each service type,
  // ccs_order_returns_v1_5), and a call handler reads the top of the list. The demo's edge cases, several of
  // one type near Leeds, stay in it, which a cut by type would hide.
  const query = { postcode: c.postcode, age: c.ageInYears, at: new Date(c.at), max: DEFAULT_MAX };
  let results = (await rank(store, { ...query, disposition: c.disposition, radiusKm: c.radiusKm })).map((r) =>
    destination(r),
  );
  // DoS's catch-all (ccs_catch-all_v1_5): nothing matched, so the nearest two emergency departments
  // within the national distance, whatever distance was asked for.
  if (results.length === 0) {
    const emergency = await rank(store, { ...query, disposition: 'Dx02', radiusKm: NATIONAL_SEARCH_KM, max: 2 });
    results = emergency.map((r) => destination(r, ' (Catch-all)'));
  }
  if (results.length === 0) throw FAULTS.noServices();
  return {
    CheckCapacitySummaryResponse: {
      TransactionId: randomUUID(),
      RequestedAtDateTime: new Date(now).toISOString(),
      SearchDateTime: new Date(c.at).toISOString(),
      ...(c.ageInDays !== undefined ? { CalculatedAgeInDays: c.ageInDays } : {}),
      SearchDistance: c.radiusKm,
      SearchDistanceUsedSource: c.distanceSource,
      CheckCapacitySummaryResult: { serviceCareSummaryDestination: results },
    },
  };
}

// =============================================================================================
// ServiceDetailsById

async function serviceDetailsById(store: Store, operation: XmlElement): Promise<XmlContent> {
  const key = childText(operation, 'serviceId') ?? '';
  // A DoS service ID or, failing that, an ODS code (soap_api_sdbid_v1_5).
  let service = isDirectoryId(key) ? await getDirectoryService(store.db, key) : undefined;
  if (!service && /^[A-Za-z0-9]{3,12}$/.test(key)) {
    const row = await store.db
      .selectFrom('directory_service')
      .select('id')
      .where('ods_code', '=', key.toUpperCase())
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (row) service = await getDirectoryService(store.db, row.id);
  }
  if (!service) throw FAULTS.serviceNotFound();
  return {
    ServiceDetailsByIdResponse: {
      services: { service: { id: service.id, odsCode: service.odsCode ?? '', serviceEndpoints: endpoints(service) } },
    },
  };
}

// =============================================================================================
// The route

const SOAP_MEDIA_TYPES = new Set(['application/soap+xml', 'text/xml', 'application/xml']);

/** The action a request names: SOAP 1.2's `action` content-type parameter, or 1.1's SOAPAction header. */
function actionOf(request: FastifyRequest): string | undefined {
  const type = String(request.headers['content-type'] ?? '');
  const param = /;\s*action\s*=\s*"?([^";]*)"?/i.exec(type)?.[1];
  const header = request.headers['soapaction'];
  const action = param ?? (typeof header === 'string' ? header.replace(/^"|"$/g, '') : undefined);
  return action ? action.trim() : undefined;
}

function send(reply: FastifyReply, version: SoapVersion, status: number, xml: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type(soapContentType(version)).send(xml);
}

const sendFault = (reply: FastifyReply, version: SoapVersion, f: DosFault) =>
  send(reply, version, f.status, writeFault(version, { code: f.code, reason: f.reason }));

async function answer(
  request: FastifyRequest,
  opts: DosSoapOptions,
): Promise<{ version: SoapVersion; body: XmlContent }> {
  const mediaType = String(request.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  // Until the envelope is read, its content type is the best guess at the SOAP version to answer in.
  const hint: SoapVersion = mediaType === 'text/xml' ? '1.1' : '1.2';
  if (!SOAP_MEDIA_TYPES.has(mediaType)) throw Object.assign(FAULTS.notXml(415), { version: '1.2' });
  let message;
  try {
    message = readEnvelope(typeof request.body === 'string' ? request.body : '');
  } catch (err) {
    if (err instanceof SoapReadError)
      throw Object.assign(err.kind === 'not-xml' ? FAULTS.notXml() : FAULTS.notSoap(), { version: hint });
    throw err;
  }
  const { version } = message;
  try {
    const operation = message.body[0];
    const name = operation?.name as DosOperation | undefined;
    if (!operation || !name || !DOS_OPERATIONS.includes(name))
      throw senderFault(
        version,
        `Unknown operation ${JSON.stringify(operation?.name ?? '')}: this service offers ${DOS_OPERATIONS.join(', ')}`,
      );
    const action = actionOf(request);
    if (action && action !== dosAction(name) && action !== name)
      throw senderFault(
        version,
        `The SOAP action ${JSON.stringify(action.slice(0, 120))} does not match the body's ${name}`,
      );

    // DoS's order: the XML, then the user, then the version, then the request's fields.
    const user = child(operation, 'userInfo');
    const username = childText(user, 'username');
    const password = childText(user, 'password');
    if (!username || password === undefined) throw FAULTS.noCredentials();
    if (!isDosUser(opts.national, username, password)) throw FAULTS.authentication();
    const serviceVersion = message.header.find((e) => e.name === 'serviceVersion')?.text ?? '';
    if (serviceVersion !== '' && serviceVersion !== '1.5') throw FAULTS.version();

    if (name === 'CheckCapacitySummary') return { version, body: await checkCapacitySummary(opts.store, operation) };
    if (name === 'ServiceDetailsById') return { version, body: await serviceDetailsById(opts.store, operation) };
    return { version, body: { GetHospitalScoresResponse: { GetHospitalScoresResult: '' } } };
  } catch (err) {
    // The error handler answers in the request's SOAP version.
    if (err && typeof err === 'object') Object.assign(err, { version });
    throw err;
  }
}

export interface DosSoapOptions {
  store: Store;
  national: NationalCredentials;
}

export async function dosSoapRoutes(app: FastifyInstance, opts: DosSoapOptions): Promise<void> {
  // Any body arrives as text: SOAP's media types are read here, anything else is answered with a fault.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  const versionOf = (err: unknown): SoapVersion =>
    (err as { version?: SoapVersion }).version === '1.1' ? '1.1' : '1.2';
  app.setErrorHandler((err, request, reply) => {
    const version = versionOf(err);
    if (err instanceof DosFault) return sendFault(reply, version, err);
    const status = (err as { statusCode?: number }).statusCode;
    // Fastify's own refusals (a body over the limit, a broken length): the message could not be read.
    if (status && status >= 400 && status < 500) return sendFault(reply, version, FAULTS.notXml(status));
    if (storeFault(err)) {
      request.log.warn(err);
      return sendFault(reply, version, FAULTS.internal(503));
    }
    request.log.error(err);
    return sendFault(reply, version, FAULTS.internal());
  });

  app.get('/', async (request, reply) => {
    if (!Object.hasOwn((request.query ?? {}) as object, 'wsdl')) {
      reply.header('allow', 'GET, POST');
      return sendFault(reply, '1.2', senderFault('1.2', 'Send SOAP requests by POST; the WSDL is at ?wsdl', 405));
    }
    const encrypted = 'encrypted' in request.raw.socket && request.raw.socket.encrypted;
    const location = `${encrypted ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}${request.url.split('?')[0]}`;
    return reply.header('cache-control', 'no-store').type('text/xml; charset=utf-8').send(dosWsdl(location));
  });

  app.post('/', async (request, reply) => {
    const { version, body } = await answer(request, opts);
    return send(reply, version, 200, writeEnvelope(version, body, { namespaces: { ns1: DOS_NS }, qualify: 'ns1' }));
  });
}
