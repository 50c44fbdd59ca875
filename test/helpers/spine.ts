/**
 * What tests need to run a spine: its operator token (the operator's API needs it), the headers that
 * carry it, and the proxy allowance for providers that listen on this machine's loopback.
 */
import type { TargetAddressOptions } from '../../src/spine/proxy/address-policy.js';

/** A strong operator token (src/spine/operator.ts refuses weak ones), the same in every test. */
export const OPERATOR_TOKEN = 'sbop_test-operator-token-0123456789abcdefghijklmnop';

/** The operator's Authorization header, with a JSON content type when `json`. */
export function operatorHeaders(json = true): Record<string, string> {
  return {
    authorization: `Bearer ${OPERATOR_TOKEN}`,
    ...(json ? { 'content-type': 'application/json' } : {}),
  };
}

/** Test providers listen on 127.0.0.1: a test spine's proxy may reach loopback, and nothing else internal. */
export const LOOPBACK_TARGETS: TargetAddressOptions = { allow: ['127.0.0.0/8', '::1/128'] };

/** The options every test spine takes: the operator token and the loopback allowance. */
export const TEST_SPINE = { operatorToken: OPERATOR_TOKEN, proxyTargets: LOOPBACK_TARGETS };
