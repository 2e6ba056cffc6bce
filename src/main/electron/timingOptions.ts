import { ClientSessionError } from '../../shared/errors';
import type { SeamTimers } from './ElectronSeam';
import { describeValue } from './describeValue';

/** Longest delay accepted, an hour: longer is almost surely seconds or microseconds by mistake. */
const MAX_DELAY_MS = 3_600_000;

/** Throws `INVALID_OPTION` unless `value` is a delay in milliseconds from 0 to an hour. */
export function assertMilliseconds(value: unknown, where: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DELAY_MS) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      `${where} is in milliseconds and must be a number from 0 to ${MAX_DELAY_MS}, got ` +
        describeValue(value),
    );
  }
}

/**
 * Throws `INVALID_OPTION` unless `value` has both timer functions. Checked up front: the first
 * use is in a window's `blur` handler, where a throw is an uncaught exception in the main process.
 */
export function assertTimers(value: unknown, where: string): asserts value is SeamTimers {
  const timers = value as Partial<SeamTimers> | null;
  if (
    typeof timers !== 'object' ||
    timers === null ||
    typeof timers.setTimeout !== 'function' ||
    typeof timers.clearTimeout !== 'function'
  ) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      `${where} must have setTimeout(callback, ms) and clearTimeout(handle) functions, as ` +
        `Node's timers do, got ${describeValue(value)}`,
    );
  }
}
