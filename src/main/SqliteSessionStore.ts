import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

import type BetterSqlite3 from 'better-sqlite3';

import type { StorageMechanism } from '../shared/entity';
import { ClientSessionError } from '../shared/errors';
import type { SessionStore, StoredSession } from './SessionStore';
import { parseStoredSession } from './storedSession';

/** Layout of the database file; kept in `PRAGMA user_version`. */
export const SQLITE_SCHEMA_VERSION = 1;

export interface SqliteSessionStoreOptions {
  /** Path of the database file. Its folder is created if missing. */
  readonly path: string;
  /**
   * Name of the session in the file. Several independent sessions may share one file under
   * different names; they share the installation's user id.
   * @default 'default'
   */
  readonly name?: string;
  /**
   * Milliseconds to wait for another process holding the database lock before failing.
   * @default 2000
   */
  readonly busyTimeoutMs?: number;
  /**
   * The better-sqlite3 `Database` class. Loaded with `require('better-sqlite3')` when not
   * given; pass it when a bundler needs to see the import.
   */
  readonly Database?: typeof BetterSqlite3;
}

type Statement = BetterSqlite3.Statement;

/**
 * Keeps sessions in a SQLite file through better-sqlite3, in WAL mode with
 * `synchronous=NORMAL`: a committed write survives the process being killed.
 *
 * @remarks
 * The file is created readable and writable by the user only. Writes of different processes
 * are serialised by {@link transaction} (an immediate transaction), waiting up to
 * `busyTimeoutMs` for the lock.
 */
export class SqliteSessionStore implements SessionStore {
  readonly storageMechanism: StorageMechanism = 'SQLITE';
  readonly path: string;
  readonly name: string;

  private readonly db: BetterSqlite3.Database;
  private readonly selectSession: Statement;
  private readonly upsertSession: Statement;
  private readonly removeSession: Statement;
  private readonly insertUserId: Statement;
  private readonly selectUserId: Statement;
  private readonly runInTransaction: BetterSqlite3.Transaction<(fn: () => unknown) => unknown>;

  constructor(options: SqliteSessionStoreOptions) {
    if (options === null || typeof options !== 'object' || typeof options.path !== 'string') {
      throw new ClientSessionError(
        'INVALID_OPTION',
        'new SqliteSessionStore(options) needs options.path, the database file',
      );
    }
    const name = options.name ?? 'default';
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
      throw new ClientSessionError('INVALID_OPTION', 'options.name must be a non-empty string');
    }
    this.path = options.path;
    this.name = name;

    const Database = options.Database ?? loadBetterSqlite3();
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    // Create the file ourselves so that it is private to the user; SQLite gives the -wal and
    // -shm files the same mode.
    closeSync(openSync(this.path, 'a', 0o600));

    this.db = new Database(this.path, { timeout: options.busyTimeoutMs ?? 2000 });
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('journal_size_limit = 1048576');
      this.migrate();
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
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  getSession(): StoredSession | undefined {
    const data = this.selectSession.get(this.name) as string | undefined;
    if (data === undefined) return undefined;
    return parseStoredSession(JSON.parse(data), this.path);
  }

  setSession(session: StoredSession): void {
    this.upsertSession.run(this.name, JSON.stringify(session));
  }

  deleteSession(): void {
    this.removeSession.run(this.name);
  }

  transaction<T>(fn: () => T): T {
    return this.runInTransaction.immediate(fn) as T;
  }

  claimUserId(candidate: string): string {
    this.insertUserId.run(candidate);
    return this.selectUserId.get() as string;
  }

  close(): void {
    if (!this.db.open) return;
    try {
      // Fold the WAL back into the file so that a closed store is one file.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      // Even on a full disk, where the checkpoint fails: the connection must not leak.
      this.db.close();
    }
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SQLITE_SCHEMA_VERSION) {
      throw new ClientSessionError(
        'STORE_FAILED',
        `${this.path} was written by a newer version of electron-client-session ` +
          `(layout ${version}; this version reads ${SQLITE_SCHEMA_VERSION})`,
      );
    }
    if (version === SQLITE_SCHEMA_VERSION) return;
    const foreign = this.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all()
      .filter((table) => table !== 'installation' && table !== 'sessions');
    if (foreign.length > 0) {
      // Never write into another program's database (or one a stray -wal file replaced).
      throw new ClientSessionError(
        'STORE_FAILED',
        `${this.path} holds tables that are not a session store's (${foreign.join(', ')})`,
      );
    }
    this.db.exec(`
      BEGIN IMMEDIATE;
      CREATE TABLE IF NOT EXISTS installation (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS sessions (name TEXT PRIMARY KEY, data TEXT NOT NULL);
      PRAGMA user_version = ${SQLITE_SCHEMA_VERSION};
      COMMIT;
    `);
  }
}

/** Loads better-sqlite3, or throws a `STORE_FAILED` error saying how to install it. */
export function loadBetterSqlite3(): typeof BetterSqlite3 {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('better-sqlite3') as typeof BetterSqlite3;
  } catch (error) {
    throw new ClientSessionError(
      'STORE_FAILED',
      'better-sqlite3 could not be loaded. Install it (npm install better-sqlite3) and, in an ' +
        'Electron app, rebuild it for Electron (electron-rebuild, or Electron Forge does it)',
      { cause: error },
    );
  }
}
