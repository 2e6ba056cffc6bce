import { validate as isUuid } from 'uuid';

import { ClientSessionError } from '../shared/errors';
import type { StoredSession } from './SessionStore';

/**
 * The session record as the engine writes it: {@link StoredSession} plus what only the engine
 * reads. Stores keep it as they were given it (plain JSON), extra keys included.
 */
export interface EngineRecord extends StoredSession {
  /**
   * Whether the session before this one was anonymous. Its id stays in `previousSessionId` (the
   * store keeps the real ids), but the entity reports `null` for it, so that the first session
   * after anonymous mode does not tie the anonymous session to the real user. Missing in
   * records written before it existed: `false`.
   */
  readonly previousAnonymous?: boolean;
}

/** A lowercase UUID, as the `client_session` schema wants `userId` and `sessionId`. */
const LOWERCASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The largest index the schema allows (a signed 32-bit integer). */
const MAX_INDEX = 2_147_483_647;

const NULLABLE_STRINGS = [
  'sessionId',
  'previousSessionId',
  'firstEventId',
  'firstEventTimestamp',
] as const;

/** Whether `value` is a timestamp as the entity carries it: ISO 8601 UTC with milliseconds. */
function isEntityTimestamp(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value)) return false;
  const time = Date.parse(value);
  return Number.isFinite(time) && new Date(time).toISOString() === value;
}

/** The first reason why `record` is not of the layout this version reads, or `undefined`. */
function layoutProblem(record: Record<string, unknown>): string | undefined {
  if (record.version !== 1) {
    return `has layout version ${String(record.version)}; this version reads only 1`;
  }
  if (typeof record.userId !== 'string') return 'has no userId';
  for (const key of NULLABLE_STRINGS) {
    if (record[key] !== null && typeof record[key] !== 'string') return `has a bad ${key}`;
  }
  for (const key of ['sessionIndex', 'eventIndex'] as const) {
    const n = record[key];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return `has a bad ${key}`;
  }
  const last = record.lastActivity;
  if (last !== null && (typeof last !== 'number' || !Number.isFinite(last))) {
    return 'has a bad lastActivity';
  }
  for (const key of ['isBackground', 'newSessionDue', 'anonymous'] as const) {
    if (typeof record[key] !== 'boolean') return `has a bad ${key}`;
  }
  if (record.previousAnonymous !== undefined && typeof record.previousAnonymous !== 'boolean') {
    return 'has a bad previousAnonymous';
  }
  return undefined;
}

/** The first value of a record of the right layout that no valid entity could carry. */
function formatProblem(record: StoredSession): string | undefined {
  if (!LOWERCASE_UUID.test(record.userId)) return 'has a userId that is not a lowercase UUID';
  for (const key of ['sessionId', 'previousSessionId'] as const) {
    const id = record[key];
    if (id !== null && !LOWERCASE_UUID.test(id)) return `has a ${key} that is not a lowercase UUID`;
  }
  if (record.firstEventId !== null && !isUuid(record.firstEventId)) {
    return 'has a firstEventId that is not a UUID';
  }
  if (record.firstEventTimestamp !== null && !isEntityTimestamp(record.firstEventTimestamp)) {
    return 'has a firstEventTimestamp that is not an ISO 8601 UTC time with milliseconds';
  }
  if (record.sessionIndex > MAX_INDEX || record.eventIndex > MAX_INDEX) {
    return `has an index above ${MAX_INDEX}`;
  }
  if (
    record.sessionId !== null &&
    (record.sessionIndex < 1 || record.firstEventId === null || record.firstEventTimestamp === null)
  ) {
    return 'has a session without its index, first event id or first event time';
  }
  return undefined;
}

/**
 * Checks that data read back from a store is a session record of a layout this version reads,
 * and returns it. Throws a `STORE_FAILED` error when it is not a record at all or of another
 * layout version (a newer version of the package wrote it: the store is not this version's to
 * use). Stores use it on what they read from their files.
 *
 * @remarks
 * A record of this layout with a bad value in it is returned as it is: the engine checks every
 * record it reads with {@link storedSessionProblem} and replaces one it cannot use, keeping
 * what is still valid of it (the user id, the count of sessions). Refused here, it would make
 * the whole store unusable, and `openSqliteStore` would set the file aside with the
 * installation's user id in it.
 */
export function parseStoredSession(value: unknown, source: string): StoredSession {
  let problem: string | undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problem = 'is not an object';
  } else if ((value as { version?: unknown }).version !== 1) {
    problem = layoutProblem(value as Record<string, unknown>);
  }
  if (problem !== undefined) {
    throw new ClientSessionError('STORE_FAILED', `the session stored in ${source} ${problem}`);
  }
  return value as StoredSession;
}

/**
 * Why a record a store returned cannot be used, or `undefined` when it can: its layout, and
 * every value the entity takes from it (lowercase UUIDs, indexes in range, the first event's
 * time as the entity writes it, a started session complete). A store of any kind (a custom
 * one, or one another program wrote into) can return anything.
 */
export function storedSessionProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return 'is not an object';
  }
  return layoutProblem(value as Record<string, unknown>) ?? formatProblem(value as StoredSession);
}

/** What can still be used of a record that cannot be used whole. */
export interface SalvagedSession {
  /** The installation's user id, when the record holds a valid one. */
  readonly userId: string | undefined;
  /** The index of the last session, when valid, so that the next one counts on from it. */
  readonly sessionIndex: number;
}

/** Takes what is valid from a record {@link storedSessionProblem} refused. */
export function salvageStoredSession(value: unknown): SalvagedSession {
  const record =
    value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const { userId, sessionIndex } = record;
  return {
    userId: isValidUserId(userId) ? userId : undefined,
    sessionIndex:
      typeof sessionIndex === 'number' &&
      Number.isSafeInteger(sessionIndex) &&
      sessionIndex >= 0 &&
      sessionIndex < MAX_INDEX
        ? sessionIndex
        : 0,
  };
}

/** Whether `value` is a user id the entity can carry. */
export function isValidUserId(value: unknown): value is string {
  return typeof value === 'string' && LOWERCASE_UUID.test(value);
}
