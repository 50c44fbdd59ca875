/**
 * The proxy's own answers (docs/standard.md, "Proxy (SSP) errors"). Each names the check that failed in
 * `issue.details.coding` under a code system of its own, so a consumer can tell a proxy fault from
 * an OperationOutcome the provider sent through it.
 */
import { randomUUID } from 'node:crypto';
import type { OperationOutcome } from 'fhir/r3.js';
import { SPINE_OPERATION_OUTCOME_PROFILE, type IssueCode } from '../../fhir/outcome.js';

export const SSP_ERROR_SYSTEM = 'https://slotbridge.dev/CodeSystem/ssp-error';

export const SSP_CHECKS = {
  SSP_HEADER_MISSING: { status: 400, code: 'invalid', display: 'A required Ssp-* header is missing' },
  SSP_HEADER_INVALID: { status: 400, code: 'invalid', display: 'An Ssp-* header is malformed' },
  SSP_TARGET_INVALID: { status: 400, code: 'invalid', display: 'The target URL is not an absolute http(s) URL' },
  SSP_TARGET_MISMATCH: {
    status: 400,
    code: 'invalid',
    display: "The target URL is not the receiver's registered endpoint for the interaction",
  },
  SSP_SENDER_NOT_AUTHORISED: {
    status: 403,
    code: 'forbidden',
    display: 'The sender ASID is not authorised for the interaction',
  },
  SSP_RECEIVER_NOT_AUTHORISED: {
    status: 403,
    code: 'forbidden',
    display: 'The receiver ASID is not authorised for the interaction',
  },
  SSP_METHOD_NOT_ALLOWED: {
    status: 405,
    code: 'not-supported',
    display: 'The HTTP method is not allowed for the interaction',
  },
  SSP_UNSUPPORTED_MEDIA_TYPE: { status: 415, code: 'not-supported', display: 'Unsupported media type' },
  SSP_TARGET_UNREACHABLE: { status: 502, code: 'transient', display: 'Error communicating with the target URL' },
  SSP_TARGET_TIMEOUT: { status: 504, code: 'transient', display: 'The target did not answer in time' },
} as const satisfies Record<string, { status: number; code: IssueCode; display: string }>;

export type SspCheck = keyof typeof SSP_CHECKS;

export class ProxyRefusal extends Error {
  readonly status: number;
  constructor(
    readonly check: SspCheck,
    diagnostics: string,
  ) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // a refusal is an answer, not a fault of ours
    super(diagnostics);
    Error.stackTraceLimit = limit;
    this.status = SSP_CHECKS[check].status;
  }

  outcome(): OperationOutcome {
    const { code, display } = SSP_CHECKS[this.check];
    return {
      resourceType: 'OperationOutcome',
      id: randomUUID(),
      meta: { profile: [SPINE_OPERATION_OUTCOME_PROFILE] },
      issue: [
        {
          severity: 'error',
          code,
          details: { coding: [{ system: SSP_ERROR_SYSTEM, code: this.check, display }] },
          diagnostics: `Spine Secure Proxy: ${this.message}`,
        },
      ],
    };
  }
}
