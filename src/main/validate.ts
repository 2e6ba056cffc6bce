import { validate as isUuid } from 'uuid';

import { ClientSessionError } from '../shared/errors';

/**
 * The last millisecond of year 9999, in epoch milliseconds: later times print as six-digit
 * years (`+275760-09-13T…`), which are not the schema's `date-time`. A timestamp beyond it is
 * a unit mistake (microseconds or nanoseconds for milliseconds), not a date.
 */
const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Longest timeout accepted: a year, in seconds. Longer is almost surely a unit mistake. */
const MAX_TIMEOUT_SECONDS = 365 * 24 * 3600;

/** A value as a message shows it: strings quoted, so that `"1"` is not mistaken for 1. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : `"${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return typeof value;
}

export function assertEventId(value: unknown, where: string): asserts value is string {
  if (typeof value !== 'string' || !isUuid(value)) {
    throw new ClientSessionError(
      'INVALID_ARGUMENT',
      `${where} must be the event's UUID (its eid), got ${describeValue(value)}`,
    );
  }
}

export function assertTimestamp(value: unknown, where: string): asserts value is number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    value > MAX_TIMESTAMP_MS
  ) {
    throw new ClientSessionError(
      'INVALID_ARGUMENT',
      `${where} must be epoch milliseconds, a finite number from 0 (1970) to ` +
        `${MAX_TIMESTAMP_MS} (the end of year 9999), got ${describeValue(value)}`,
    );
  }
}

export function assertTimeoutSeconds(value: unknown, where: string): asserts value is number {
  assertSeconds(value, where, false);
}

/** A tolerance may be 0: then any step back of the clock ends the session. */
export function assertToleranceSeconds(value: unknown, where: string): asserts value is number {
  assertSeconds(value, where, true);
}

function assertSeconds(value: unknown, where: string, zeroAllowed: boolean): void {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (value === 0 && !zeroAllowed) ||
    value > MAX_TIMEOUT_SECONDS
  ) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      `${where} is in seconds and must be a number ${zeroAllowed ? 'from 0' : 'above 0'} and at ` +
        `most ${MAX_TIMEOUT_SECONDS}, got ${describeValue(value)}`,
    );
  }
}
