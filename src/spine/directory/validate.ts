/**
 * Checking a directory service that comes from outside (the admin API, provider registration, the
 * demo data): every field's type and form, with a 400 naming the first field at fault. What passes
 * is rebuilt from known fields only, so nothing unexpected reaches the store or the wire.
 */
import { badRequest } from '../../fhir/outcome.js';
import {
  DAYS,
  isBookingEndpoint,
  type DirectoryAttribute,
  type DirectoryEndpoint,
  type DirectoryService,
  type OpeningTime,
} from './model.js';
import { isDispositionCode } from './dispositions.js';
import { normalisePostcode, positionOf } from './postcodes.js';

/** A directory service ID: what DoS uses (digits) and readable local IDs, safe in a URL path. */
export const DIRECTORY_ID = /^[A-Za-z0-9-]{1,32}$/;
export const isDirectoryId = (id: unknown): id is string => typeof id === 'string' && DIRECTORY_ID.test(id);

const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;
/** dos_endpoints_booking: the booking endpoint's address points at SDS, as "ASID:xxxx" or "ODS:xxxx". */
const BOOKING_ADDRESS = /^(?:ASID:\d{1,20}|ODS:[A-Za-z0-9]{1,12})$/;
const ODS_CODE = /^[A-Za-z0-9]{1,12}$/;
// Control characters and lone surrogates: PostgreSQL refuses NUL in text, and neither belongs in a
// name or an address a call handler reads out.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function fail(field: string, message: string): never {
  throw badRequest(`${field} ${message}`, 'INVALID_REQUEST_MESSAGE', [field]);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') fail(field, 'must be a non-empty string');
  if (value.length > max) fail(field, `must be at most ${max} characters`);
  if (UNPRINTABLE.test(value)) fail(field, 'must not contain control characters or broken Unicode');
  return value;
}

const optionalText = (value: unknown, field: string, max: number): string | undefined =>
  value === undefined ? undefined : text(value, field, max);

function whole(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    fail(field, `must be a whole number from ${min} to ${max}`);
  return value;
}

function list(value: unknown, field: string, max: number): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(field, 'must be a list');
  if (value.length > max) fail(field, `may hold at most ${max} entries`);
  return value;
}

function checkLocation(value: unknown): DirectoryService['location'] {
  if (!isObject(value)) fail('location', 'must be an object with a latitude and a longitude');
  const { latitude, longitude } = value;
  if (typeof latitude !== 'number' || !Number.isFinite(latitude) || Math.abs(latitude) > 90)
    fail('location.latitude', 'must be a number from -90 to 90');
  if (typeof longitude !== 'number' || !Number.isFinite(longitude) || Math.abs(longitude) > 180)
    fail('location.longitude', 'must be a number from -180 to 180');
  return { latitude, longitude };
}

function checkOpeningTime(value: unknown, i: number): OpeningTime {
  const field = `openingTimes[${i}]`;
  if (!isObject(value)) fail(field, 'must be an object {day, open, close}');
  if (!(DAYS as readonly unknown[]).includes(value.day)) fail(`${field}.day`, `must be one of ${DAYS.join(', ')}`);
  for (const part of ['open', 'close'] as const) {
    if (typeof value[part] !== 'string' || !HHMM.test(value[part]))
      fail(`${field}.${part}`, 'must be a UK local time HH:MM (close may be 24:00)');
  }
  const { open, close } = value as { open: string; close: string };
  // Fixed-width HH:MM compares as text. A session past midnight is two sessions (…–24:00, 00:00–…).
  if (open >= close)
    fail(field, `must close after it opens (${open}–${close}); split a session past midnight at 24:00`);
  return { day: value.day as OpeningTime['day'], open, close };
}

function checkAttribute(value: unknown, i: number): DirectoryAttribute {
  const field = `attributes[${i}]`;
  if (!isObject(value)) fail(field, 'must be an object {name, dataType, value}');
  const name = text(value.name, `${field}.name`, 100);
  const dataType = text(value.dataType, `${field}.dataType`, 40);
  if (typeof value.value !== 'string' || value.value.length > 500 || UNPRINTABLE.test(value.value))
    fail(`${field}.value`, 'must be a string (DoS sends every value as text, e.g. "true")');
  const description = optionalText(value.description, `${field}.description`, 500);
  return { name, dataType, ...(description !== undefined ? { description } : {}), value: value.value };
}

function checkEndpoint(value: unknown, i: number): DirectoryEndpoint {
  const field = `endpoints[${i}]`;
  if (!isObject(value)) fail(field, 'must be an object {order, transport, format, interaction, address}');
  const endpoint: DirectoryEndpoint = {
    order: whole(value.order, `${field}.order`, 0, 1000),
    transport: text(value.transport, `${field}.transport`, 40),
    format: text(value.format, `${field}.format`, 40),
    interaction: text(value.interaction, `${field}.interaction`, 300),
    address: text(value.address, `${field}.address`, 500),
  };
  const businessScenario = optionalText(value.businessScenario, `${field}.businessScenario`, 40);
  const compression = optionalText(value.compression, `${field}.compression`, 40);
  const comment = optionalText(value.comment, `${field}.comment`, 500);
  if (isBookingEndpoint(endpoint) && !BOOKING_ADDRESS.test(endpoint.address)) {
    fail(
      `${field}.address`,
      `of a booking endpoint must be "ASID:" and digits or "ODS:" and a code, not ${JSON.stringify(endpoint.address.slice(0, 60))}`,
    );
  }
  return {
    order: endpoint.order,
    transport: endpoint.transport,
    format: endpoint.format,
    interaction: endpoint.interaction,
    ...(businessScenario !== undefined ? { businessScenario } : {}),
    address: endpoint.address,
    ...(compression !== undefined ? { compression } : {}),
    ...(comment !== undefined ? { comment } : {}),
  };
}

/**
 * A checked copy of a service: the postcode in its written form, the ODS code upper case, the
 * position filled from the postcode's district when none is given, endpoints in `order`.
 * `openingTimes`, `dispositions`, `attributes` and `endpoints` default to empty, `ageRange` to 0–130.
 */
export function checkService(input: unknown): DirectoryService {
  if (!isObject(input)) fail('service', 'must be a JSON object');
  const s = input;
  if (!isDirectoryId(s.id)) fail('id', 'must be 1–32 letters, digits or "-"');
  const name = text(s.name, 'name', 200);
  const type = text(s.type, 'type', 60);
  let odsCode: string | undefined;
  if (s.odsCode !== undefined) {
    if (typeof s.odsCode !== 'string' || !ODS_CODE.test(s.odsCode))
      fail('odsCode', 'must be an ODS code (letters and digits)');
    odsCode = s.odsCode.toUpperCase();
  }
  const address = list(s.address, 'address', 10).map((line, i) => text(line, `address[${i}]`, 200));

  let postcode: string | undefined;
  if (s.postcode !== undefined) {
    if (typeof s.postcode !== 'string' || !(postcode = normalisePostcode(s.postcode)))
      fail('postcode', `${JSON.stringify(String(s.postcode).slice(0, 20))} is not a UK postcode or postcode district`);
  }
  let location = s.location === undefined ? undefined : checkLocation(s.location);
  if (!location && postcode) {
    location = positionOf(postcode);
    // Without a position the service could never be ranked by distance: refuse rather than guess.
    if (!location) fail('postcode', `${postcode} is not a known UK postcode district; give a location instead`);
  }

  const openingTimes = list(s.openingTimes, 'openingTimes', 50).map(checkOpeningTime);
  if (s.openAllHours !== undefined && typeof s.openAllHours !== 'boolean')
    fail('openAllHours', 'must be true or false');
  const dispositions = list(s.dispositions, 'dispositions', 200).map((d, i) => {
    if (!isDispositionCode(d))
      fail(
        `dispositions[${i}]`,
        `must be a disposition code such as Dx05, not ${JSON.stringify(String(d).slice(0, 20))}`,
      );
    return d;
  });
  let ageRange = { min: 0, max: 130 };
  if (s.ageRange !== undefined) {
    if (!isObject(s.ageRange)) fail('ageRange', 'must be an object {min, max}');
    ageRange = {
      min: whole(s.ageRange.min, 'ageRange.min', 0, 130),
      max: whole(s.ageRange.max, 'ageRange.max', 0, 130),
    };
    if (ageRange.min > ageRange.max) fail('ageRange', `min (${ageRange.min}) must not be above max (${ageRange.max})`);
  }
  const attributes = list(s.attributes, 'attributes', 50).map(checkAttribute);
  const endpoints = list(s.endpoints, 'endpoints', 20).map(checkEndpoint);

  return {
    id: s.id,
    name,
    type,
    ...(odsCode ? { odsCode } : {}),
    address,
    ...(postcode ? { postcode } : {}),
    ...(location ? { location } : {}),
    openingTimes,
    ...(s.openAllHours !== undefined ? { openAllHours: s.openAllHours } : {}),
    dispositions: [...new Set(dispositions)],
    ageRange,
    attributes,
    // A stable sort: endpoints with the same order keep the order they were given in.
    endpoints: endpoints.sort((a, b) => a.order - b.order),
  };
}
