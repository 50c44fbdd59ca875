/**
 * The consumer's client for NHS Directory of Services' SOAP API, PathWayService 1.5 (SOAP 1.2,
 * document/literal): CheckCapacitySummary for a ranked search, ServiceDetailsById for one service's
 * endpoints. It speaks to the real DoS and to the spine's stand-in alike (docs/directory.md, "The DoS
 * SOAP interface"). Envelopes are built with XMLBuilder and read with fast-xml-parser (src/fhir/soap.ts);
 * answers are read by local name, ignoring case, so the spellings seen in published examples
 * (`serviceEndPoints`/`EndPoint`, `isCompressionEnabled`) read as the WSDL's. Every DoS fault becomes a
 * ConsumerError with a code per fault, except "no services found" (102), which is an empty list.
 */
import { isOpen, nextOpening, type DatedSession, type SessionDay } from '../fhir/opening-hours.js';
import {
  SoapReadError,
  child,
  childText,
  children,
  faultOf,
  readEnvelope,
  soapContentType,
  writeEnvelope,
  type SoapMessage,
  type XmlContent,
  type XmlElement,
} from '../fhir/soap.js';
import { ConsumerError } from './errors.js';
import type {
  DirectoryAttribute,
  DirectoryEndpoint,
  RotaSession,
  ServiceDetails,
  ServiceDirectory,
  ServiceSearch,
  ServiceSummary,
} from './national.js';

/** DoS's target namespace; the SOAP actions are `{DOS_NAMESPACE}/{operation}`. */
export const DOS_NAMESPACE = 'https://nww.pathwaysdos.nhs.uk/app/api/webservices';
export const DOS_SERVICE_VERSION = '1.5';
/**
 * Sent when the caller gives no symptom group or discriminator (DoS requires both): a symptom group
 * and discriminator pair seen in published DoS clients' test searches. The spine's stand-in checks
 * only their form; against the real DoS pass the ones the patient's triage produced.
 */
export const DEFAULT_SYMPTOM_GROUP = 1011;
export const DEFAULT_SYMPTOM_DISCRIMINATOR = 4003;
export const DEFAULT_TIMEOUT_MS = 20_000;

const KM_PER_MILE = 1.609344;
const round1 = (n: number) => Math.round(n * 10) / 10;

export interface DosClientOptions {
  /** The SOAP endpoint, e.g. https://…/app/api/webservices or `{spine}/app/api/webservices`. */
  url: string;
  username: string;
  password: string;
  fetchImpl?: typeof fetch;
  /** Time allowed for each call (default 20 s). */
  timeoutMs?: number;
  /** An undici Dispatcher (e.g. an Agent with a client certificate), passed to fetch as is. */
  dispatcher?: unknown;
  /** Further RequestInit for every call (headers are merged under the SOAP ones). */
  init?: RequestInit;
}

/** What the call handler is told for each DoS fault (soap_api_errors_v1_5), by fault number. */
function faultError(what: string, code: string, reason: string, status: number): ConsumerError {
  const details = { status, faultCode: code, faultReason: reason };
  const err = (c: string, message: string) =>
    new ConsumerError(c, `${what} failed: ${message} (DoS ${code}: ${reason})`, 'directory', details);
  const n = Number(code);
  if (n === 101)
    return err(
      'directory-postcode-not-found',
      'the directory does not know this postcode; check it, or use where the patient is now.',
    );
  if (n === 103) return err('no-such-service', 'the directory has no such service.');
  if (n === 104)
    return err('directory-symptom-discriminator', 'the directory did not accept the symptom discriminator.');
  if (n === 105 || n === 113) return err('directory-search-distance', 'the search distance must be 1 to 99 km.');
  if (n === 106) return err('directory-gender', 'the gender must be M, F or I.');
  if ((n === 108 || n === 109) && /date/i.test(reason))
    return err('directory-search-time', 'the directory refused the search time.');
  if (n === 110) return err('directory-search-time', 'the search time may not be in the past.');
  if (n === 107 || n === 109)
    return err('directory-version', `the directory does not offer version ${DOS_SERVICE_VERSION} of its API.`);
  if (n === 108) return err('directory-rejected-request', 'the directory could not read our request.');
  if (n >= 114 && n <= 119) return err('directory-age', 'the directory did not accept the patient’s age.');
  if (n === 120) return err('directory-symptom-group', 'the directory does not know the symptom group.');
  if (n === 121) return err('directory-unknown-disposition', 'the directory does not know this disposition.');
  // 302 is also given for a missing permission (soap_api_errors_v1_5), which soap_auth_1_5 numbers 303.
  if (n === 303 || (n === 302 && /privilege/i.test(reason)))
    return err('directory-permission', 'our DoS account lacks the permission to use the web service.');
  if (n === 302 || n === 1001)
    return err(
      'directory-authentication',
      'the directory refused our DoS credentials; check the DoS username and password.',
    );
  if (n === 504) return err('directory-timeout', 'the directory timed out.');
  if (n === 100 || n === 300 || n === 500)
    return err('directory-unavailable', 'the directory had an internal error; try again shortly.');
  return err('directory-fault', 'the directory refused the request.');
}

const DAY_OF: Record<string, SessionDay> = {
  sunday: 'Sun',
  monday: 'Mon',
  tuesday: 'Tue',
  wednesday: 'Wed',
  thursday: 'Thu',
  friday: 'Fri',
  saturday: 'Sat',
  bankholiday: 'BankHoliday',
};

const text = (e: XmlElement | undefined, name: string): string | undefined => {
  const t = childText(e, name, true);
  return t === undefined || t === '' ? undefined : t;
};
const timeOf = (e: XmlElement | undefined): string | undefined => {
  const h = Number(text(e, 'hours'));
  const m = Number(text(e, 'minutes') ?? 0);
  if (!e || !Number.isInteger(h) || !Number.isInteger(m) || h < 0 || h > 24 || m < 0 || m > 59) return undefined;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
};

/**
 * DoS rota sessions as weekly sessions. DoS sessions never cross midnight, so one open to the end of
 * the day ends at 23:59: read as 24:00. One that names a later end day is split at midnight.
 */
function readRota(list: XmlElement | undefined): RotaSession[] {
  const sessions: RotaSession[] = [];
  for (const s of children(list, 'serviceCareItemRotaSession', true)) {
    if ((text(s, 'status') ?? 'Open').toLowerCase() === 'closed') continue;
    const day = DAY_OF[(text(s, 'startDayOfWeek') ?? '').toLowerCase()];
    const endDay = DAY_OF[(text(s, 'endDayOfWeek') ?? '').toLowerCase()] ?? day;
    const start = timeOf(child(s, 'startTime', true));
    let end = timeOf(child(s, 'endTime', true));
    if (!day || !start || !end) continue;
    if (end === '23:59') end = '24:00';
    if (endDay !== day && day !== 'BankHoliday' && endDay !== 'BankHoliday') {
      sessions.push({ day, start, end: '24:00' });
      if (end !== '00:00') sessions.push({ day: endDay, start: '00:00', end });
    } else sessions.push({ day, start, end: end <= start ? '24:00' : end });
  }
  return sessions;
}

/** `openTimeSpecified` entries, DD-MM-YYYY-hh:mm-hh:mm (ccs_field_def_v1_5); 00:00-00:00 is closed that day. */
function readSpecified(list: XmlElement | undefined): DatedSession[] {
  const sessions: DatedSession[] = [];
  for (const e of children(list, 'openTimeSpecified', true)) {
    const m = /^(\d{2})-(\d{2})-(\d{4})-(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(e.text);
    if (!m) continue;
    const [, dd, mm, yyyy, open, close] = m as unknown as [string, string, string, string, string, string];
    const closed = open === '00:00' && close === '00:00';
    sessions.push({
      date: `${yyyy}-${mm}-${dd}`,
      open,
      close: !closed && (close === '23:59' || close <= open) ? '24:00' : close,
    });
  }
  return sessions;
}

function readEndpoints(list: XmlElement | undefined): DirectoryEndpoint[] {
  const items = list?.children.filter((c) => c.name.toLowerCase() === 'endpoint') ?? [];
  return items
    .map((e): DirectoryEndpoint => {
      const asid = text(e, 'asid');
      const optional = {
        businessScenario: text(e, 'businessScenario'),
        compression: text(e, 'compression') ?? text(e, 'isCompressionEnabled'),
        comment: text(e, 'comment'),
      };
      return {
        order: Number(text(e, 'endpointOrder') ?? text(e, 'order') ?? 0),
        transport: text(e, 'transport') ?? '',
        format: text(e, 'format') ?? '',
        interaction: text(e, 'interaction') ?? '',
        address: text(e, 'address') ?? (asid ? `ASID:${asid}` : ''),
        ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
      };
    })
    .sort((a, b) => a.order - b.order);
}

function readAttributes(list: XmlElement | undefined): DirectoryAttribute[] {
  return children(list, 'attribute', true)
    .map((a) => ({
      name: text(a, 'name') ?? '',
      value: childText(a, 'value', true) ?? '',
      ...(text(a, 'dataType') ? { dataType: text(a, 'dataType') } : {}),
      ...(text(a, 'description') ? { description: text(a, 'description') } : {}),
    }))
    .filter((a) => a.name !== '');
}

/** DoS addresses are one string; lines are split on DoS's `$` separator, or else on commas. */
const addressLines = (address: string | undefined): string[] =>
  (address ?? '')
    .split(address?.includes('$') ? '$' : ',')
    .map((l) => l.trim())
    .filter(Boolean);

function readDestination(d: XmlElement, rank: number, at: number): ServiceSummary {
  const miles = Number(text(d, 'distance'));
  const distanceMiles = text(d, 'distance') !== undefined && Number.isFinite(miles) ? round1(miles) : null;
  const openAllHours = (text(d, 'openAllHours') ?? '').toLowerCase() === 'true';
  const rotaSessions = readRota(child(d, 'rotaSessions', true));
  const hours = {
    openAllHours,
    openingTimes: rotaSessions.map((s) => ({ day: s.day as SessionDay, open: s.start, close: s.end })),
    dated: readSpecified(child(d, 'openTimeSpecifiedSessions', true)),
  };
  const openNow = isOpen(hours, at);
  const next = openNow ? undefined : nextOpening(hours, at);
  const odsCode = text(d, 'odsCode');
  const postcode = text(d, 'postcode');
  return {
    rank,
    id: text(d, 'id') ?? '',
    name: text(d, 'name') ?? text(d, 'publicName') ?? '',
    type: text(child(d, 'serviceType', true), 'name') ?? '',
    ...(odsCode ? { odsCode } : {}),
    address: addressLines(text(d, 'address')),
    ...(postcode ? { postcode } : {}),
    distanceKm: distanceMiles === null ? null : round1(miles * KM_PER_MILE),
    distanceMiles,
    openNow,
    ...(next !== undefined ? { nextOpen: new Date(next).toISOString() } : {}),
    attributes: readAttributes(child(d, 'attributes', true)),
    endpoints: readEndpoints(child(d, 'serviceEndpoints', true)),
    openAllHours,
    rotaSessions,
  };
}

/** `2026-06-10T12:00:00+00:00`, the form DoS's own example and NHS 111 online send. */
const dosDateTime = (at: Date) => `${at.toISOString().slice(0, 19)}+00:00`;

export class DosClient implements ServiceDirectory {
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  /**
   * ServiceDetailsById answers only a service's ID, ODS code and endpoints (the WSDL's ServiceDetail):
   * the name, type, address and attributes come from the latest search that listed the service.
   */
  private readonly seen = new Map<string, ServiceSummary>();

  constructor(private readonly options: DosClientOptions) {
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private async call(operation: string, body: XmlContent, what: string): Promise<SoapMessage | undefined> {
    const envelope = writeEnvelope(
      '1.2',
      { [`web:${operation}`]: body },
      { header: { 'web:serviceVersion': DOS_SERVICE_VERSION }, namespaces: { web: DOS_NAMESPACE } },
    );
    const { init = {}, dispatcher } = this.options;
    const headers = new Headers(init.headers);
    headers.set('content-type', soapContentType('1.2', `${DOS_NAMESPACE}/${operation}`));
    headers.set('accept', 'application/soap+xml, text/xml');
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    let answer: string;
    try {
      response = await this.fetchImpl(this.options.url, {
        ...init,
        method: 'POST',
        headers,
        body: envelope,
        signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
        ...(dispatcher ? { dispatcher } : {}),
      } as RequestInit);
      answer = await response.text();
    } catch (err) {
      const e = err as Error & { cause?: Error };
      const timedOut = timeout.aborted;
      throw new ConsumerError(
        timedOut ? 'directory-timeout' : 'network',
        timedOut
          ? `${what} failed: the directory did not answer within ${Math.round(this.timeoutMs / 100) / 10} s.`
          : `${what} failed: cannot reach the directory at ${new URL(this.options.url).origin} (${e.cause?.message ?? e.message}).`,
        timedOut ? 'directory' : 'network',
      );
    }
    let message: SoapMessage;
    try {
      message = readEnvelope(answer);
    } catch (err) {
      if (!(err instanceof SoapReadError)) throw err;
      throw new ConsumerError(
        'directory-bad-answer',
        `${what} failed: the directory's answer (HTTP ${response.status}) was not a SOAP message (${err.message}).`,
        'directory',
        { status: response.status },
      );
    }
    const fault = faultOf(message);
    if (fault) {
      if (Number(fault.code) === 102) return undefined;
      throw faultError(what, fault.code.replace(/^.*:/, ''), fault.reason, response.status);
    }
    if (!response.ok)
      throw new ConsumerError(
        `directory-${response.status}`,
        `${what} failed: the directory answered ${response.status}.`,
        'directory',
        {
          status: response.status,
        },
      );
    return message;
  }

  private userInfo(): XmlContent {
    return { 'web:username': this.options.username, 'web:password': this.options.password };
  }

  /** Ranked services (CheckCapacitySummary); DoS's "no services found" (102) is an empty list. */
  async searchServices(q: ServiceSearch): Promise<ServiceSummary[]> {
    const what = 'The directory search';
    const dx = /^Dx(\d{1,4})$/.exec(q.disposition);
    if (!dx)
      throw new ConsumerError(
        'directory-bad-disposition',
        `${what} failed: ${JSON.stringify(q.disposition)} is not a disposition code such as Dx05.`,
        'consumer',
      );
    // DoS requires an age: in Years only from 2, so younger children go as an age group (4 infant,
    // 3 toddler); with no age at all, as an adult (age group 1), DoS's advice for an estimated age.
    let age = q.age ?? 1;
    let ageFormat = q.age === undefined ? 'AgeGroup' : (q.ageFormat ?? 'Years');
    if (ageFormat === 'Years' && age < 2) [age, ageFormat] = [age < 1 ? 4 : 3, 'AgeGroup'];
    const at = q.at ?? new Date();
    // DoS refuses a search time more than a minute past; an earlier `at` is judged here only (open now).
    const sendTime = q.at !== undefined && q.at.getTime() >= Date.now() - 30_000;
    const c: XmlContent = {
      ...(q.caseRef ? { 'web:caseRef': q.caseRef } : {}),
      'web:postcode': q.postcode,
      'web:age': age,
      'web:ageFormat': ageFormat,
      'web:disposition': Number(`10${dx[1]}`),
      'web:symptomGroup': q.symptomGroup ?? DEFAULT_SYMPTOM_GROUP,
      'web:symptomDiscriminatorList': {
        'web:int': q.symptomDiscriminators?.length ? q.symptomDiscriminators : [DEFAULT_SYMPTOM_DISCRIMINATOR],
      },
      ...(q.searchDistance !== undefined ? { 'web:searchDistance': q.searchDistance } : {}),
      'web:forceSearchDistance': q.searchDistance !== undefined,
      'web:gender': q.gender ?? 'I',
      ...(sendTime ? { 'web:searchDateTime': dosDateTime(at) } : {}),
    };
    const message = await this.call('CheckCapacitySummary', { 'web:userInfo': this.userInfo(), 'web:c': c }, what);
    if (!message) return [];
    const response = message.body.find((e) => e.name.toLowerCase() === 'checkcapacitysummaryresponse');
    if (!response)
      throw new ConsumerError(
        'directory-bad-answer',
        `${what} failed: the directory's answer holds no CheckCapacitySummaryResponse.`,
        'directory',
      );
    const list = children(child(response, 'CheckCapacitySummaryResult', true), 'serviceCareSummaryDestination', true);
    const limit = q.max ?? list.length;
    const services = list.slice(0, limit).map((d, i) => readDestination(d, i + 1, at.getTime()));
    for (const s of services) {
      this.seen.delete(s.id);
      this.seen.set(s.id, s);
    }
    while (this.seen.size > 1000) this.seen.delete(this.seen.keys().next().value!);
    return services;
  }

  /** One service's endpoints (ServiceDetailsById), by DoS service ID or ODS code; 'no-such-service' when unknown. */
  async serviceDetails(id: string): Promise<ServiceDetails> {
    const what = `Reading service ${id} from the directory`;
    const message = await this.call(
      'ServiceDetailsById',
      { 'web:userInfo': this.userInfo(), 'web:serviceId': id },
      what,
    );
    const response = message?.body.find((e) => e.name.toLowerCase() === 'servicedetailsbyidresponse');
    const service = children(child(response, 'services', true), 'service', true)[0];
    if (!service) throw new ConsumerError('no-such-service', `The directory has no service ${id}.`, 'directory');
    const serviceId = text(service, 'id') ?? id;
    const known = this.seen.get(serviceId);
    const odsCode = text(service, 'odsCode') ?? known?.odsCode;
    // ServiceDetailsById carries no name, type, address or attributes (the WSDL's answer is the ID, the ODS
    // code and the endpoints): they come from the last search that listed the service, when there was one.
    // Without one the name is empty (the consumer names the service from the provider's own HealthcareService
    // when it shows its slots) and the attributes are left out, not empty, so that nobody reads "no
    // requirebooking" into them.
    return {
      id: serviceId,
      name: known?.name ?? '',
      type: known?.type ?? '',
      ...(odsCode ? { odsCode } : {}),
      address: known?.address ?? [],
      ...(known?.postcode ? { postcode: known.postcode } : {}),
      ...(known ? { attributes: known.attributes } : {}),
      endpoints: readEndpoints(child(service, 'serviceEndpoints', true)),
    };
  }
}
