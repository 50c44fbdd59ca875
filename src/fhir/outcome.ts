/**
 * OperationOutcome construction and the typed error every handler throws (API-7, P36).
 *
 * Handlers never build error responses themselves: they throw an OperationOutcomeError and the
 * provider's error handler turns it into the HTTP status plus an OperationOutcome in the negotiated
 * format. That way no 4xx/5xx can leave without an OperationOutcome.
 */
import { randomUUID } from 'node:crypto';
import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r3.js';

/** Issue codes of http://hl7.org/fhir/STU3/valueset-issue-type.html that we use. */
export type IssueCode =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'invariant'
  | 'too-long'
  | 'security'
  | 'login'
  | 'expired'
  | 'forbidden'
  | 'throttled'
  | 'processing'
  | 'not-supported'
  | 'duplicate'
  | 'not-found'
  | 'conflict'
  | 'business-rule'
  | 'exception'
  | 'transient'
  | 'timeout'
  | 'informational';

export type Severity = 'fatal' | 'error' | 'warning' | 'information';

/** Codes of https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1 that we send in issue.details. */
export const SPINE_CODES = {
  BAD_REQUEST: 'Bad request',
  INVALID_PARAMETER: 'Invalid parameter',
  INVALID_REQUEST_MESSAGE: 'Invalid request message',
  INVALID_RESOURCE: 'Invalid resource',
  INVALID_NHS_NUMBER: 'Invalid NHS number',
  INVALID_IDENTIFIER_SYSTEM: 'Invalid identifier system',
  FHIR_CONSTRAINT_VIOLATION: 'FHIR constraint violated',
  REFERENCE_NOT_FOUND: 'Reference not found',
  NO_RECORD_FOUND: 'No record found',
  ACCESS_DENIED: 'Access denied',
  NOT_AUTHORISED: 'Not authorised',
  DUPLICATE_REJECTED: 'Create would lead to creation of a duplicate resource',
  PRECONDITION_FAILED: 'Precondition failed',
  VERSION_CONFLICT: 'Version conflict',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  NOT_IMPLEMENTED: 'Not implemented',
  SLOT_NOT_AVAILABLE: 'Slot no longer available',
  INTERNAL_SERVER_ERROR: 'Internal server error',
} as const;
export type SpineCode = keyof typeof SPINE_CODES;

export const SPINE_ERROR_SYSTEM = 'https://fhir.nhs.uk/STU3/ValueSet/Spine-ErrorOrWarningCode-1';
export const SPINE_OPERATION_OUTCOME_PROFILE = 'https://fhir.nhs.uk/STU3/StructureDefinition/Spine-OperationOutcome-1';

export interface Issue {
  severity: Severity;
  code: IssueCode;
  diagnostics: string;
  spineCode?: SpineCode;
  /** FHIRPath-style locations of the problem, e.g. `Appointment.contained[1].birthDate`. */
  expression?: string[];
}

export function outcomeIssue(issue: Issue): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = { severity: issue.severity, code: issue.code };
  if (issue.spineCode) {
    out.details = {
      coding: [{ system: SPINE_ERROR_SYSTEM, code: issue.spineCode, display: SPINE_CODES[issue.spineCode] }],
    };
  }
  out.diagnostics = issue.diagnostics;
  if (issue.expression?.length) out.expression = issue.expression;
  return out;
}

export function operationOutcome(issues: Issue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id: randomUUID(),
    meta: { profile: [SPINE_OPERATION_OUTCOME_PROFILE] },
    issue: issues.map(outcomeIssue),
  };
}

/** A failure that becomes an HTTP status and an OperationOutcome. */
export class OperationOutcomeError extends Error {
  readonly status: number;
  readonly issues: Issue[];
  readonly headers: Record<string, string>;
  /** True when the request itself was at fault (P35: logged as a consumer system issue). */
  readonly consumerFault: boolean;

  constructor(status: number, issues: Issue[], headers: Record<string, string> = {}) {
    // A client's mistake needs no stack trace, and capturing one is a large part of a 4xx's cost.
    const limit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(issues.map((i) => i.diagnostics).join('; '));
    Error.stackTraceLimit = limit;
    this.name = 'OperationOutcomeError';
    this.status = status;
    this.issues = issues;
    this.headers = headers;
    this.consumerFault = status >= 400 && status < 500;
  }
}

function fail(status: number, code: IssueCode, spineCode: SpineCode, diagnostics: string, expression?: string[]) {
  return new OperationOutcomeError(status, [{ severity: 'error', code, spineCode, diagnostics, expression }]);
}

export const badRequest = (diagnostics: string, spineCode: SpineCode = 'BAD_REQUEST', expression?: string[]) =>
  fail(400, 'invalid', spineCode, diagnostics, expression);
export const invalidParameter = (diagnostics: string, expression?: string[]) =>
  fail(400, 'invalid', 'INVALID_PARAMETER', diagnostics, expression);
export const unauthorized = (diagnostics: string) => {
  const err = fail(401, 'security', 'NOT_AUTHORISED', diagnostics);
  err.headers['WWW-Authenticate'] = 'Bearer error="invalid_token"';
  return err;
};
export const forbidden = (diagnostics: string) => fail(403, 'forbidden', 'ACCESS_DENIED', diagnostics);
export const notFound = (diagnostics: string) => fail(404, 'not-found', 'NO_RECORD_FOUND', diagnostics);
export const methodNotAllowed = (diagnostics: string) => fail(405, 'not-supported', 'METHOD_NOT_ALLOWED', diagnostics);
export const versionConflict = (diagnostics: string) => fail(409, 'conflict', 'VERSION_CONFLICT', diagnostics);
export const preconditionFailed = (diagnostics: string) => fail(412, 'processing', 'PRECONDITION_FAILED', diagnostics);
export const unsupportedMediaType = (diagnostics: string) =>
  fail(415, 'not-supported', 'UNSUPPORTED_MEDIA_TYPE', diagnostics);
export const unprocessable = (diagnostics: string, spineCode: SpineCode = 'INVALID_RESOURCE', expression?: string[]) =>
  fail(422, 'invalid', spineCode, diagnostics, expression);
export const internalError = (diagnostics: string) => {
  const err = fail(500, 'exception', 'INTERNAL_SERVER_ERROR', diagnostics);
  return err;
};

/** 422 carrying several validation issues at once, so a consumer can fix them all in one go. */
export function unprocessableIssues(issues: { diagnostics: string; expression?: string[]; code?: IssueCode }[]) {
  return new OperationOutcomeError(
    422,
    issues.map((i) => ({
      severity: 'error' as const,
      code: i.code ?? 'invalid',
      spineCode: 'INVALID_RESOURCE' as const,
      diagnostics: i.diagnostics,
      expression: i.expression,
    })),
  );
}

/** The exact outcome P29 names for a slot that is not free. */
export function slotNoLongerAvailable(): OperationOutcomeError {
  return new OperationOutcomeError(422, [
    { severity: 'error', code: 'processing', spineCode: 'SLOT_NOT_AVAILABLE', diagnostics: 'Slot no longer available' },
  ]);
}

/**
 * 503 for a fault the client can wait out (the database away or unable to write): `transient`, so a
 * consumer knows to retry, after the Retry-After seconds.
 */
export function serviceUnavailable(diagnostics: string, retryAfterSeconds: number): OperationOutcomeError {
  return new OperationOutcomeError(503, [{ severity: 'error', code: 'transient', diagnostics }], {
    'Retry-After': String(retryAfterSeconds),
  });
}
