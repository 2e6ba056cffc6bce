import { existsSync, renameSync, statSync } from 'node:fs';

import { ClientSessionError } from '../shared/errors';
import { createConsoleLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';
import { describeStoreError } from './describeStoreError';
import { ResilientStore } from './ResilientStore';
import {
  SQLITE_SCHEMA_VERSION,
  SQLITE_STORE_OPTION_NAMES,
  SqliteSessionStore,
  loadBetterSqlite3,
} from './SqliteSessionStore';
import type { SqliteSessionStoreOptions } from './SqliteSessionStore';
import type { SqliteDatabase, SqliteDatabaseConstructor } from './SqliteDatabase';
import { assertSqliteStoreOptions } from './sqliteStoreOptions';
import { readStoreReadOnly } from './readStoreReadOnly';
import { parseStoredSession } from './storedSession';
import { warnUnknownOptions } from './warnUnknownOptions';

export interface OpenSqliteStoreOptions extends SqliteSessionStoreOptions {
  /** Where the one warning (or error) goes. @default a console logger at level `warn` */
  readonly logger?: Logger;
  /**
   * Milliseconds after a failure while running before the store is tried again (see
   * {@link ResilientStore}).
   * @default 30000
   */
  readonly retryAfterMs?: number;
  /** Longest wait between two tries, in milliseconds. @default 1800000 */
  readonly maxRetryAfterMs?: number;
  /** The time now, in epoch milliseconds; also names the files kept aside. @default Date.now */
  readonly clock?: () => number;
}

const KNOWN: Record<keyof OpenSqliteStoreOptions, true> = {
  ...SQLITE_STORE_OPTION_NAMES,
  retryAfterMs: true,
  maxRetryAfterMs: true,
  clock: true,
};

/** Why a file at the store's path cannot be used; `kind` names the copy kept aside. */
interface Unusable {
  readonly kind: 'corrupt' | 'newer';
  /** Completes "<path> …". */
  readonly detail: string;
}

/** The check waited `busyTimeoutMs` for a lock another process holds, in vain. */
interface Locked {
  readonly kind: 'locked';
  readonly error: unknown;
}

/**
 * Opens the SQLite session store for an app start, and never fails because of the store:
 * whatever is wrong, the result tracks at once, in memory if need be, after one message.
 *
 * - A damaged file (not a database, empty, truncated, filled by a stray `-wal` of another
 *   database, a folder in its place) or one written by a newer version is renamed with its `-wal`, `-shm`
 *   and `-journal` to `<path>.corrupt-<UTC time>` (or `.newer-…`), never deleted, and a fresh
 *   store is created: one warning. The next start finds a healthy store.
 * - A store that cannot be opened for another reason (read-only folder, full disk, a lock held
 *   past `busyTimeoutMs`) is left as it is; this run tracks in memory: one warning. What the file
 *   holds is read without writing (see {@link readStoreReadOnly}), so that the run keeps the
 *   user id and counts sessions on from the stored one.
 * - better-sqlite3 cannot be loaded (not installed, or built for another Node.js or Electron):
 *   one error saying what to run; this run tracks in memory and never tries again.
 *
 * The store returned is a {@link ResilientStore}, so failures while running are handled too.
 *
 * @remarks
 * Files are checked through a read-only connection before any write, because a read-write
 * connection that closes folds its `-wal` into the file: the evidence would be gone. The check
 * adds about 0.4 ms to a start (measured on a store of a few pages).
 */
export function openSqliteStore(options: OpenSqliteStoreOptions): ResilientStore {
  assertSqliteStoreOptions(options, 'openSqliteStore(options)');
  const { path, logger = createConsoleLogger(), clock = Date.now } = options;
  warnUnknownOptions(options, KNOWN, 'openSqliteStore()', logger);
  const inMemory = (error: unknown): ResilientStore => ResilientStore.inMemory(error, { logger });

  let Database: SqliteDatabaseConstructor;
  try {
    Database = options.Database ?? loadBetterSqlite3();
    // The native module loads with the first database: try it before touching the disk.
    new Database(':memory:').close();
  } catch (error) {
    logger.error(cannotLoad(error), error);
    return inMemory(error);
  }

  const name = options.name ?? 'default';
  let unusable: Unusable | undefined;
  try {
    const found = inspect(path, Database, name, options.busyTimeoutMs ?? 2000);
    // Opening for writing would wait as long again, on the app's main thread.
    if (found?.kind === 'locked') {
      return unwritable(path, Database, name, logger, found.error);
    }
    unusable = found;
  } catch (error) {
    logger.error(cannotLoad(error), error);
    return inMemory(error);
  }

  let keptAs: string | undefined;
  for (;;) {
    if (unusable !== undefined && keptAs === undefined) {
      try {
        keptAs = setAside(path, unusable.kind, clock());
      } catch (error) {
        logger.warn(
          `${path} ${unusable.detail}, and it could not be moved aside ` +
            `(${describeStoreError(error, path)}). Tracking goes on in memory for this run`,
          error,
        );
        return inMemory(error);
      }
    }

    try {
      const { name, busyTimeoutMs, checkpointInWorker } = options;
      const store = new SqliteSessionStore({
        path,
        name,
        busyTimeoutMs,
        Database,
        checkpointInWorker,
        logger,
      });
      if (unusable !== undefined) {
        logger.warn(
          `${path} ${unusable.detail}. Kept it as ${keptAs} and started a fresh store: a new ` +
            'user id, and sessions count from 1 again',
        );
      }
      const { retryAfterMs, maxRetryAfterMs } = options;
      return new ResilientStore({ store, logger, clock, retryAfterMs, maxRetryAfterMs });
    } catch (error) {
      // A mistake in the options is the app's to fix, not a store to work around.
      if (error instanceof ClientSessionError && error.code === 'INVALID_OPTION') throw error;
      if (isLoadFailure(error)) {
        logger.error(cannotLoad(error), error);
        return inMemory(error);
      }
      // The check passed but opening for writing found the file unusable: set it aside, once.
      const kind = unusableKind(error);
      if (kind !== undefined && unusable === undefined) {
        unusable = { kind, detail: `cannot be used (${describeStoreError(error)})` };
        continue;
      }
      if (keptAs !== undefined) {
        logger.warn(
          `${path} ${unusable?.detail}; it was kept as ${keptAs}, but a fresh store cannot ` +
            `be made: ${describeStoreError(error, path)}. Tracking goes on in memory for this ` +
            'run; the store is opened again at the next start',
          error,
        );
        return inMemory(error);
      }
      return unwritable(path, Database, name, logger, error);
    }
  }
}

/**
 * The file is healthy but cannot be written (a read-only folder, a full disk, a lock held past
 * the wait): this run tracks in memory, and what the file holds keeps it the same user's.
 */
function unwritable(
  path: string,
  Database: SqliteDatabaseConstructor,
  name: string,
  logger: Logger,
  error: unknown,
): ResilientStore {
  const seed = readStoreReadOnly(path, Database, name);
  const kept =
    seed?.session !== undefined
      ? ', with the same user id, and the first event starts the next session'
      : seed?.userId !== undefined
        ? ', with the same user id'
        : '';
  logger.warn(
    `the session store ${path} cannot be opened: ${describeStoreError(error, path)}. ` +
      `Tracking goes on in memory for this run${kept}; the store is opened again at the ` +
      'next start',
    error,
  );
  return ResilientStore.inMemory(error, { logger, seed });
}

/**
 * Looks at the file through a read-only connection. Returns why it cannot be used, that a lock
 * kept it from being read, or `undefined` when it can be used or is missing. Throws only when
 * better-sqlite3 itself cannot load.
 */
function inspect(
  path: string,
  Database: SqliteDatabaseConstructor,
  name: string,
  busyTimeoutMs: number,
): Unusable | Locked | undefined {
  const stat = statOrUndefined(path);
  if (stat === undefined) {
    return existsSync(`${path}-wal`)
      ? { kind: 'corrupt', detail: 'is missing but its -wal file is there' }
      : undefined;
  }
  if (stat.isDirectory()) return { kind: 'corrupt', detail: 'is a folder, not a database file' };
  if (!stat.isFile()) return { kind: 'corrupt', detail: 'is not a regular file' };
  // A new store appears at its path only once it is whole: an empty file is not one of ours.
  if (stat.size === 0) return { kind: 'corrupt', detail: 'is an empty file (0 bytes)' };

  let db: SqliteDatabase;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  } catch (error) {
    if (isLoadFailure(error)) throw error;
    return isLockError(error) ? { kind: 'locked', error } : unusableOf(error);
  }
  try {
    return checkContent(db, path, name);
  } catch (error) {
    return isLockError(error) ? { kind: 'locked', error } : unusableOf(error);
  } finally {
    db.close();
  }
}

/** SQLite's answer after waiting for a lock another connection holds. */
function isLockError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

function checkContent(db: SqliteDatabase, path: string, name: string): Unusable | undefined {
  const integrity = db.pragma('quick_check', { simple: true });
  if (integrity !== 'ok') return corrupt(`fails SQLite's quick_check (${String(integrity)})`);

  const layout = db.pragma('user_version', { simple: true }) as number;
  if (layout > SQLITE_SCHEMA_VERSION) return newer(`layout ${layout}`);

  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  const foreign = tables.filter((table) => table !== 'installation' && table !== 'sessions');
  if (foreign.length > 0) {
    return corrupt(
      `holds tables that are not a session store's (${foreign.slice(0, 3).join(', ')})`,
    );
  }
  // Layout 0: a store whose creation was cut short; opening it finishes the job.
  if (layout === 0) return undefined;
  if (tables.length < 2) return corrupt('lacks the tables of its layout');

  const userId: unknown = db
    .prepare("SELECT value FROM installation WHERE key = 'userId'")
    .pluck()
    .get();
  if (userId !== undefined && typeof userId !== 'string') return corrupt('holds a bad user id');

  const data: unknown = db.prepare('SELECT data FROM sessions WHERE name = ?').pluck().get(name);
  if (data === undefined) return undefined;
  let record: unknown;
  try {
    record = JSON.parse(String(data));
  } catch {
    return corrupt('holds a session that is not JSON');
  }
  const version = (record as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > 1) return newer(`session record version ${version}`);
  parseStoredSession(record, path);
  return undefined;
}

/**
 * Renames the file and its companions to `<path>.<kind>-<UTC time>[-n]`, keeping them a set that
 * SQLite can open together. Companions go first: a `-wal` left behind would be replayed into
 * the fresh store.
 */
function setAside(path: string, kind: Unusable['kind'], now: number): string {
  const time = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const companions = ['-wal', '-shm', '-journal'];
  let target = `${path}.${kind}-${time}`;
  for (let n = 2; ['', ...companions].some((s) => existsSync(target + s)); n++) {
    target = `${path}.${kind}-${time}-${n}`;
  }

  const moved: string[] = [];
  try {
    for (const suffix of companions) {
      if (!existsSync(path + suffix)) continue;
      renameSync(path + suffix, target + suffix);
      moved.push(suffix);
    }
    if (statOrUndefined(path) !== undefined) renameSync(path, target);
  } catch (error) {
    for (const suffix of moved) {
      try {
        renameSync(target + suffix, path + suffix);
      } catch {
        // Already failing: the warning names the original error.
      }
    }
    throw error;
  }
  return target;
}

function unusableOf(error: unknown): Unusable | undefined {
  const kind = unusableKind(error);
  return kind === undefined
    ? undefined
    : { kind, detail: `cannot be used (${describeStoreError(error)})` };
}

/** Errors that mean the file's content is unusable (not that the disk or a lock is in the way). */
function unusableKind(error: unknown): Unusable['kind'] | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)) return 'corrupt';
  if (error instanceof ClientSessionError && code === 'STORE_FAILED') {
    return /newer|layout version/.test(error.message) ? 'newer' : 'corrupt';
  }
  return undefined;
}

const LOAD_FAILURE =
  /NODE_MODULE_VERSION|did not self-register|Could not locate the bindings file|invalid ELF header|wrong ELF class|not a valid Win32 application|image not found|could not be loaded/;

/** Whether better-sqlite3 (its JavaScript or its native module) failed to load. */
function isLoadFailure(error: unknown): boolean {
  for (let e = error, depth = 0; e !== null && e !== undefined && depth < 5; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (code === 'ERR_DLOPEN_FAILED' || code === 'MODULE_NOT_FOUND') return true;
    if (typeof message === 'string' && LOAD_FAILURE.test(message)) return true;
    e = cause;
  }
  return false;
}

function cannotLoad(error: unknown): string {
  let root = error;
  while (root instanceof Error && root.cause !== undefined) root = root.cause;
  const reason = (root instanceof Error ? root.message : String(root)).split('\n')[0];
  return (
    `better-sqlite3 cannot be loaded (${reason}). Its native module must be built for the ` +
    'Node.js or Electron that runs it: in an Electron app run ' +
    '`npx @electron/rebuild -f -w better-sqlite3` (Electron Forge and electron-builder do it when ' +
    'packaging); under plain Node.js run `npm rebuild better-sqlite3`, or install it with ' +
    '`npm install better-sqlite3`. Tracking goes on in memory for this run: sessions are not kept'
  );
}

function corrupt(detail: string): Unusable {
  return { kind: 'corrupt', detail };
}

function newer(what: string): Unusable {
  return {
    kind: 'newer',
    detail:
      `was written by a newer version of electron-client-session (${what}; this version reads ` +
      `layout ${SQLITE_SCHEMA_VERSION})`,
  };
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
