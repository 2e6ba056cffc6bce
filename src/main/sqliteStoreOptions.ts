import { isAbsolute } from 'node:path';

import { ClientSessionError } from '../shared/errors';
import type { SqliteSessionStoreOptions } from './SqliteSessionStore';

/** better-sqlite3 takes the lock wait as a 32-bit integer of milliseconds. */
const MAX_BUSY_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Throws an `INVALID_OPTION` error naming the first option of a SQLite store that cannot be
 * used, before anything touches the disk. `caller` names the call, as in
 * `new SqliteSessionStore(options)`.
 *
 * @remarks
 * The path must be absolute, as `createClientSession` requires: a relative one would be resolved
 * against the working folder, which a packaged app does not choose (often `/` when started from
 * the desktop), so the store would move between runs or land where it cannot be written.
 */
export function assertSqliteStoreOptions(options: SqliteSessionStoreOptions, caller: string): void {
  if (options === null || typeof options !== 'object') {
    fail(`${caller} takes an object with path, the database file`);
  }
  const { path, name, busyTimeoutMs, Database, checkpointInWorker, logger } = options;
  if (typeof path !== 'string' || path === '' || path.includes('\0')) {
    fail(
      `${caller} needs options.path, the absolute path of the database file, got ${shown(path)}`,
    );
  }
  if (!isAbsolute(path)) {
    fail(
      `options.path must be an absolute file path, for example ` +
        `join(app.getPath('userData'), 'client-session.sqlite'), got ${shown(path)}: a relative ` +
        'path depends on the working folder, which differs between starts of an app',
    );
  }
  if (name !== undefined && (typeof name !== 'string' || name.length === 0 || name.length > 200)) {
    fail(`options.name must be a string of 1 to 200 characters, got ${shown(name)}`);
  }
  if (
    busyTimeoutMs !== undefined &&
    !(
      Number.isSafeInteger(busyTimeoutMs) &&
      busyTimeoutMs >= 0 &&
      busyTimeoutMs <= MAX_BUSY_TIMEOUT_MS
    )
  ) {
    fail(
      `options.busyTimeoutMs must be a whole number of milliseconds from 0 to ` +
        `${MAX_BUSY_TIMEOUT_MS}, got ${shown(busyTimeoutMs)}`,
    );
  }
  const prototype = (Database as { prototype?: { prepare?: unknown } } | undefined)?.prototype;
  if (
    Database !== undefined &&
    (typeof Database !== 'function' || typeof prototype?.prepare !== 'function')
  ) {
    fail(
      `options.Database must be better-sqlite3's Database class (import Database from ` +
        `'better-sqlite3'), got ${shown(Database)}`,
    );
  }
  if (checkpointInWorker !== undefined && typeof checkpointInWorker !== 'boolean') {
    fail(`options.checkpointInWorker must be true or false, got ${shown(checkpointInWorker)}`);
  }
  const methods = ['error', 'warn', 'info', 'debug'] as const;
  if (
    logger !== undefined &&
    (logger === null ||
      typeof logger !== 'object' ||
      methods.some((method) => typeof logger[method] !== 'function'))
  ) {
    fail('options.logger must have error, warn, info and debug methods (console fits)');
  }
}

function fail(message: string): never {
  throw new ClientSessionError('INVALID_OPTION', message);
}

function shown(value: unknown): string {
  if (typeof value === 'string') return value.length > 80 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'another function';
  return value === null ? 'null' : typeof value;
}
