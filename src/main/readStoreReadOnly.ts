import { readFileSync, statSync } from 'node:fs';

import type { StoredSession } from './SessionStore';
import type { SqliteDatabase, SqliteDatabaseConstructor } from './SqliteDatabase';
import { parseStoredSession } from './storedSession';

/** What a store file holds for a start that cannot open it for writing. */
export interface StoredState {
  /** The installation's user id. */
  readonly userId: string | undefined;
  /** The named session, when it could be read whole. */
  readonly session: StoredSession | undefined;
}

/** Milliseconds the read-only connection waits for a lock: the open already waited its own. */
const READ_WAIT_MS = 100;
/** A store holds a few pages; a larger file is not read into memory. */
const MAX_COPY_BYTES = 16 * 1024 * 1024;

/**
 * Reads the installation's user id and the named session from a store file without writing
 * anything, for a start that cannot open the file for writing (a read-only folder or file, a full
 * disk, a lock held past the wait). Returns `undefined` when nothing could be read.
 *
 * @remarks
 * A read-only connection first. SQLite cannot open a file in WAL mode read-only when its `-wal`
 * and `-shm` files are missing and cannot be created (a read-only folder after a clean close),
 * nor while another connection holds the file in exclusive locking mode; better-sqlite3 is built
 * without URI file names, so `?immutable=1` is out of reach. Then the file's bytes are read and
 * opened as an in-memory database, marked as not in WAL mode. That copy lacks what a non-empty
 * `-wal` file still holds: the session is then left out, and only the user id is kept (it is
 * written once, when the store is created, and never changed).
 */
export function readStoreReadOnly(
  path: string,
  Database: SqliteDatabaseConstructor,
  name: string,
): StoredState | undefined {
  const read = (open: () => SqliteDatabase): StoredState | undefined => {
    let db: SqliteDatabase;
    try {
      db = open();
    } catch {
      return undefined;
    }
    try {
      return readState(db, path, name);
    } catch {
      return undefined;
    } finally {
      db.close();
    }
  };

  const direct = read(
    () => new Database(path, { readonly: true, fileMustExist: true, timeout: READ_WAIT_MS }),
  );
  if (direct !== undefined) return direct;

  const bytes = copyOf(path);
  if (bytes === undefined) return undefined;
  const copied = read(() => new Database(bytes, { readonly: true }));
  if (copied === undefined || (sizeOf(`${path}-wal`) ?? 0) === 0) return copied;
  return { userId: copied.userId, session: undefined };
}

function readState(db: SqliteDatabase, path: string, name: string): StoredState {
  // Throws when the file cannot be read at all; a missing table only means nothing was stored.
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
    .pluck()
    .all() as string[];
  const userId = tables.includes('installation')
    ? db.prepare("SELECT value FROM installation WHERE key = 'userId'").pluck().get()
    : undefined;
  const data = tables.includes('sessions')
    ? db.prepare('SELECT data FROM sessions WHERE name = ?').pluck().get(name)
    : undefined;
  let session: StoredSession | undefined;
  try {
    session = typeof data === 'string' ? parseStoredSession(JSON.parse(data), path) : undefined;
  } catch {
    session = undefined;
  }
  return { userId: typeof userId === 'string' ? userId : session?.userId, session };
}

/** The file's bytes as a database SQLite can open in memory, or `undefined`. */
function copyOf(path: string): Buffer | undefined {
  const size = sizeOf(path);
  if (size === undefined || size < 100 || size > MAX_COPY_BYTES) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  if (bytes.toString('latin1', 0, 16) !== 'SQLite format 3\0') return undefined;
  // Bytes 18 and 19 say "WAL mode"; an in-memory database has no WAL and refuses to open then.
  if (bytes[18] === 2) bytes[18] = 1;
  if (bytes[19] === 2) bytes[19] = 1;
  return bytes;
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}
