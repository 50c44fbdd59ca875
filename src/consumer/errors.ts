/**
 * Everything that can stop a consumer step, as one error type with a message a call handler can act
 * on, the code a program can branch on, and where the fault lies (the directory, the endpoint
 * directory, the proxy, the provider, the network, or the consumer's own input).
 */
import type { OperationOutcome } from 'fhir/r3.js';

/** The proxy's own code system for its refusals (the spine's wire contract, docs/spine.md). */
export const SSP_ERROR_SYSTEM = 'https://slotbridge.dev/CodeSystem/ssp-error';

export type FaultSource = 'directory' | 'endpoint-directory' | 'proxy' | 'provider' | 'network' | 'consumer';

export class ConsumerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly source: FaultSource,
    readonly details: { status?: number; outcome?: OperationOutcome; requestId?: string; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'ConsumerError';
  }
}

/** The first issue's diagnostics (or details text) of an OperationOutcome. */
export function outcomeText(outcome: unknown): string | undefined {
  const issues = (outcome as OperationOutcome | undefined)?.issue;
  if (!Array.isArray(issues) || issues.length === 0) return undefined;
  return issues
    .map((i) => i.diagnostics ?? i.details?.text ?? i.details?.coding?.[0]?.display ?? i.code)
    .filter(Boolean)
    .join('; ');
}

/** The SSP check a proxy refusal names, or undefined when the OperationOutcome is the provider's. */
export function proxyCheck(outcome: unknown): string | undefined {
  const issues = (outcome as OperationOutcome | undefined)?.issue;
  return issues?.flatMap((i) => i.details?.coding ?? []).find((c) => c.system === SSP_ERROR_SYSTEM)?.code;
}

const PROVIDER_MEANING: Record<number, string> = {
  400: 'the provider could not read the request',
  401: 'the provider did not accept our credentials',
  403: 'the provider refuses requests from our organisation',
  404: 'the provider does not know it',
  409: 'it was changed by someone else meanwhile',
  412: 'the provider needs the version we are changing',
  415: 'the provider does not take this format',
  422: 'the provider refused it',
  500: 'the provider had an internal error',
  503: 'the provider is unavailable',
};

/** A ConsumerError for an HTTP answer that was not a success. */
export function failureOf(what: string, status: number, outcome: unknown, requestId?: string): ConsumerError {
  const check = proxyCheck(outcome);
  const detail = outcomeText(outcome);
  if (check) {
    const reason =
      status === 504
        ? 'the provider did not answer in time'
        : status === 502
          ? 'the provider could not be reached'
          : 'the secure proxy refused the call';
    return new ConsumerError(
      `proxy-${check.toLowerCase()}`,
      `${what} failed: ${reason} (${detail ?? check}).`,
      'proxy',
      { status, outcome: outcome as OperationOutcome, requestId },
    );
  }
  const meaning = PROVIDER_MEANING[status] ?? `the provider answered ${status}`;
  return new ConsumerError(
    `provider-${status}`,
    `${what} failed: ${meaning}${detail ? ` (${detail})` : ''}.`,
    'provider',
    { status, outcome: outcome as OperationOutcome, requestId },
  );
}
