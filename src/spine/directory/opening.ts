/**
 * Whether a directory service is open at an instant, and when it next opens: the logic is shared with
 * the consumer's DoS client and lives in src/fhir/opening-hours.ts (UK wall-clock sessions).
 */
import { isOpen as openAt, minutesOf, nextOpening as nextAt } from '../../fhir/opening-hours.js';
import type { DirectoryService } from './model.js';

type Hours = Pick<DirectoryService, 'openingTimes' | 'openAllHours'>;

export { minutesOf };

/** True when `at` (UTC ms) falls in one of the service's sessions (open ≤ now < close). */
export const isOpen = (service: Hours, at: number): boolean => openAt(service, at);

/** The next opening after `at` within a week (UTC ms), or undefined when it has no weekly session. */
export const nextOpening = (service: Hours, at: number): number | undefined => nextAt(service, at);
