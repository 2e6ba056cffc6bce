import { ClientSessionError } from '../shared/errors';
import type { StoredSession } from './SessionStore';

const NULLABLE_STRINGS = [
  'sessionId',
  'previousSessionId',
  'firstEventId',
  'firstEventTimestamp',
] as const;

/**
 * Checks that data read back from a store is a session record this version understands, and
 * returns it typed. Throws a `STORE_FAILED` error naming the first problem otherwise.
 */
export function parseStoredSession(value: unknown, source: string): StoredSession {
  const fail = (problem: string): never => {
    throw new ClientSessionError('STORE_FAILED', `the session stored in ${source} ${problem}`);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail('is not an object');
  }
  const record = value as Record<string, unknown>;
  if (record.version !== 1) {
    return fail(`has layout version ${String(record.version)}; this version reads only 1`);
  }
  if (typeof record.userId !== 'string') fail('has no userId');
  for (const key of NULLABLE_STRINGS) {
    if (record[key] !== null && typeof record[key] !== 'string') fail(`has a bad ${key}`);
  }
  for (const key of ['sessionIndex', 'eventIndex'] as const) {
    const n = record[key];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(`has a bad ${key}`);
  }
  const last = record.lastActivity;
  if (last !== null && (typeof last !== 'number' || !Number.isFinite(last))) {
    fail('has a bad lastActivity');
  }
  for (const key of ['isBackground', 'newSessionDue', 'anonymous'] as const) {
    if (typeof record[key] !== 'boolean') fail(`has a bad ${key}`);
  }
  return record as unknown as StoredSession;
}
