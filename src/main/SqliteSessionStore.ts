import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

import type BetterSqlite3 from 'better-sqlite3';

import type { StorageMechanism } from '../shared/entity';
import { ClientSessionError } from '../shared/errors';
import { createConsoleLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';
import { createStoreFile } from './createStoreFile';
import type { SessionStore, StoredSession } from './SessionStore';
import type {
  SqliteDatabase,
  SqliteDatabaseConstructor,
  SqliteStatement,
  SqliteTransaction,
} from './SqliteDatabase';
import { assertSqliteStoreOptions } from './sqliteStoreOptions';
import { retryWhileBusy } from './retryWhileBusy';
import { parseStoredSession } from './storedSession';
import { WalCheckpointer } from './WalCheckpointer';
import { warnUnknownOptions } from './warnUnknownOptions';

/** Layout of the database file; kept in `PRAGMA user_version`. */
export const SQLITE_SCHEMA_VERSION = 1;

export interface SqliteSessionStoreOptions {
  /**
   * Absolute path of the database file; its folder is created if missing. A relative path is
   * refused (`INVALID_OPTION`): it would depend on the working folder.
   */
  readonly path: string;
  /**
   * Name of the session in the file. Several independent sessions may share one file under
   * different names; they share the installation's user id.
   * @default 'default'
   */
  readonly name?: string;
  /**
   * Milliseconds to wait for another process holding the database lock before failing: a whole
   * number from 0 to 2147483647.
   * @default 2000
   */
  readonly busyTimeoutMs?: number;
  /**
   * The better-sqlite3 `Database` class. Loaded with `require('better-sqlite3')` when not
   * given; pass it when a bundler needs to see the import.
   */
  readonly Database?: SqliteDatabaseConstructor;
  /**
   * Run SQLite's WAL checkpoints in a worker thread, so that no commit of this thread copies the
   * WAL into the database (see {@link WalCheckpointer}). With `false`, SQLite runs them inside
   * the commit that fills the WAL to 1000 pages: a pause of several milliseconds about every
   * 1000 commits, and no extra thread (about 7 MiB less memory).
   * @default true
   */
  readonly checkpointInWorker?: boolean;
  /**
   * Where the warning about unknown options goes (the store logs nothing else: it throws).
   * @default a console logger at level `warn`
   */
  readonly logger?: Logger;
}

/** The options' names, for the warning about unknown ones; `openSqliteStore` takes them too. */
export const SQLITE_STORE_OPTION_NAMES: Record<keyof SqliteSessionStoreOptions, true> = {
  path: true,
  name: true,
  busyTimeoutMs: true,
  Database: true,
  checkpointInWorker: true,
  logger: true,
};

/** The WAL length at which the writing connection checkpoints by itself, in pages. */
const AUTOCHECKPOINT_PAGES = 1000;
/** Above 1000 pages of 4 KiB plus their frame headers: a WAL restart never has to cut the file. */
const JOURNAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;

type Statement = SqliteStatement;

/**
 * Keeps sessions in a SQLite file through better-sqlite3, in WAL mode with
 * `synchronous=NORMAL`: a committed write survives the process being killed.
 *
 * @remarks
 * The file is created readable and writable by the user only, and appears at its path only once
 * it is a whole store (see {@link createStoreFile}): an empty file there is refused as broken.
 * Writes of different processes
 * are serialised by {@link transaction} (an immediate transaction), waiting up to
 * `busyTimeoutMs` for the lock.
 *
 * Checkpoints, which copy the WAL into the database file and wait for the disk, are kept out of
 * this thread's commits: every 128 commits a {@link WalCheckpointer} worker thread, with a
 * connection of its own, copies the WAL and starts it over from its beginning, so that the
 * `-wal` file stays near 128 pages (0.5 MiB) and no commit here syncs anything. Without it,
 * SQLite checkpoints inside the commit that fills the WAL to 1000 pages (4 to 11 ms here) and
 * the next commit restarts the WAL (another 0.3 to 2 ms). This connection keeps that automatic
 * checkpoint as the bound for when the worker cannot keep up (hundreds of commits a second with
 * no pause) or cannot run, with a `journal_size_limit` above that size so that a restart never
 * has to cut the file in a commit. Durability is unchanged: a commit is durable once it is in the
 * WAL (it survives the process being killed); a checkpoint only moves it into the database file.
 * `close()` stops the worker and folds the WAL back. A worker was chosen over a checkpoint from a
 * timer on this thread, outside stamps (it still stops the thread 1.1 to 1.4 ms, at worst 9 ms,
 * every 128 commits), and over a larger `journal_size_limit` alone (the checkpoint stays in a
 * commit); BENCHMARKS.md has the figures.
 */
export class SqliteSessionStore implements SessionStore {
  readonly storageMechanism: StorageMechanism = 'SQLITE';
  readonly path: string;
  readonly name: string;

  private readonly db: SqliteDatabase;
  private readonly selectSession: Statement;
  private readonly upsertSession: Statement;
  private readonly removeSession: Statement;
  private readonly insertUserId: Statement;
  private readonly selectUserId: Statement;
  private readonly runInTransaction: SqliteTransaction<[fn: () => unknown], unknown>;
  private readonly checkpointer: WalCheckpointer | undefined;
  /** Transactions under way: their writes count as one commit, when they end. */
  private depth = 0;

  constructor(options: SqliteSessionStoreOptions) {
    assertSqliteStoreOptions(options, 'new SqliteSessionStore(options)');
    warnUnknownOptions(
      options,
      SQLITE_STORE_OPTION_NAMES,
      'new SqliteSessionStore()',
      options.logger ?? createConsoleLogger(),
    );
    const name = options.name ?? 'default';
    this.path = options.path;
    this.name = name;

    const Database = options.Database ?? loadBetterSqlite3();
    const busyTimeoutMs = options.busyTimeoutMs ?? 2000;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    if (!existingStoreFile(this.path)) {
      createStoreFile(this.path, Database, busyTimeoutMs, (db) => migrate(db, this.path));
    }

    // The file exists now: SQLite must never create one at the path (see createStoreFile).
    this.db = new Database(this.path, { timeout: busyTimeoutMs, fileMustExist: true });
    try {
      // A no-op on a file createStoreFile made. A file an older version left in rollback mode is
      // switched here, which SQLite refuses at once, not after a wait, while another does it too.
      retryWhileBusy(() => this.db.pragma('journal_mode = WAL'), busyTimeoutMs);
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      this.db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
      migrate(this.db, this.path);
      this.selectSession = this.db.prepare('SELECT data FROM sessions WHERE name = ?').pluck();
      this.upsertSession = this.db.prepare(
        'INSERT INTO sessions (name, data) VALUES (?, ?) ' +
          'ON CONFLICT (name) DO UPDATE SET data = excluded.data',
      );
      this.removeSession = this.db.prepare('DELETE FROM sessions WHERE name = ?');
      this.insertUserId = this.db.prepare(
        "INSERT OR IGNORE INTO installation (key, value) VALUES ('userId', ?)",
      );
      this.selectUserId = this.db
        .prepare("SELECT value FROM installation WHERE key = 'userId'")
        .pluck();
      this.runInTransaction = this.db.transaction((fn: () => unknown) => fn());
      this.checkpointer =
        options.checkpointInWorker === false
          ? undefined
          : new WalCheckpointer({
              path: this.path,
              Database,
              busyTimeoutMs: options.busyTimeoutMs,
            });
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  getSession(): StoredSession | undefined {
    this.assertOpen('getSession');
    const data = this.selectSession.get(this.name) as string | undefined;
    if (data === undefined) return undefined;
    return parseStoredSession(JSON.parse(data), this.path);
  }

  setSession(session: StoredSession): void {
    this.assertOpen('setSession');
    this.upsertSession.run(this.name, JSON.stringify(session));
    this.committed();
  }

  deleteSession(): void {
    this.assertOpen('deleteSession');
    this.removeSession.run(this.name);
    this.committed();
  }

  transaction<T>(fn: () => T): T {
    this.assertOpen('transaction');
    this.depth += 1;
    let result: T;
    try {
      result = this.runInTransaction.immediate(fn) as T;
    } finally {
      this.depth -= 1;
    }
    this.committed();
    return result;
  }

  claimUserId(candidate: string): string {
    this.assertOpen('claimUserId');
    this.insertUserId.run(candidate);
    this.committed();
    return this.selectUserId.get() as string;
  }

  close(): void {
    if (!this.db.open) return;
    try {
      // The worker first: a checkpoint of its own would make this one give up, and its open
      // connection would keep the -wal and -shm files from being removed at close.
      this.checkpointer?.close();
      // Fold the WAL back into the file so that a closed store is one file.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      // Even on a full disk, where the checkpoint fails: the connection must not leak.
      this.db.close();
    }
  }

  private assertOpen(method: string): void {
    if (this.db.open) return;
    throw new ClientSessionError(
      'CLOSED',
      `the SqliteSessionStore of ${this.path} is closed: ${method}() cannot be called ` +
        'after close()',
    );
  }

  /** A write ended, unless it is part of a transaction still under way. */
  private committed(): void {
    if (this.depth === 0) this.checkpointer?.wrote();
  }
}

/**
 * Whether `path` holds a file to open as the store (`false`: there is none yet). Throws a
 * `STORE_FAILED` error naming the path when what is there cannot be a store: a folder, something
 * other than a file, or an empty file (this package never leaves one, see createStoreFile).
 */
function existingStoreFile(path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return false;
  const problem = stat.isDirectory()
    ? 'is a folder, not a database file: options.path must name the file itself, for example ' +
      "join(folder, 'client-session.sqlite')"
    : !stat.isFile()
      ? 'is not a regular file'
      : stat.size === 0
        ? 'is an empty file (0 bytes), not a session store'
        : undefined;
  if (problem === undefined) return true;
  throw new ClientSessionError('STORE_FAILED', `the session store ${path} ${problem}`);
}

/** Lays out a new store, or finishes one whose creation an older version cut short. */
function migrate(db: SqliteDatabase, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SQLITE_SCHEMA_VERSION) {
    throw new ClientSessionError(
      'STORE_FAILED',
      `${path} was written by a newer version of electron-client-session ` +
        `(layout ${version}; this version reads ${SQLITE_SCHEMA_VERSION})`,
    );
  }
  if (version === SQLITE_SCHEMA_VERSION) return;
  const foreign = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all()
    .filter((table) => table !== 'installation' && table !== 'sessions');
  if (foreign.length > 0) {
    // Never write into another program's database (or one a stray -wal file replaced).
    throw new ClientSessionError(
      'STORE_FAILED',
      `${path} holds tables that are not a session store's (${foreign.join(', ')})`,
    );
  }
  db.exec(`
    BEGIN IMMEDIATE;
    CREATE TABLE IF NOT EXISTS installation (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS sessions (name TEXT PRIMARY KEY, data TEXT NOT NULL);
    PRAGMA user_version = ${SQLITE_SCHEMA_VERSION};
    COMMIT;
  `);
}

/** Loads better-sqlite3, or throws a `STORE_FAILED` error saying how to install it. */
export function loadBetterSqlite3(): SqliteDatabaseConstructor {
  try {
    // Typed as the real class, so that the compiler checks that it fits the declared types.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    return Database;
  } catch (error) {
    throw new ClientSessionError(
      'STORE_FAILED',
      'better-sqlite3 could not be loaded. Install it (npm install better-sqlite3) and, in an ' +
        'Electron app, rebuild it for Electron (electron-rebuild, or Electron Forge does it)',
      { cause: error },
    );
  }
}
