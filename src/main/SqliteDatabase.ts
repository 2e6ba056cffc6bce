// The part of better-sqlite3 this package uses, declared here so that the package's typings
// need nothing from better-sqlite3, which ships no typings of its own: an app compiled with
// `skipLibCheck: false` needs no `@types/better-sqlite3`. better-sqlite3's `Database` class fits
// these types; a type test holds them to it.

/** Options of a connection, as better-sqlite3 takes them. */
export interface SqliteOpenOptions {
  /** Open read-only. @default false */
  readonly readonly?: boolean;
  /** Fail rather than create a missing file. @default false */
  readonly fileMustExist?: boolean;
  /** Milliseconds to wait for another connection's lock. */
  readonly timeout?: number;
}

/** A prepared SQL statement. */
export interface SqliteStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Makes `get` and `all` return the first column's value rather than a row object. */
  pluck(toggleState?: boolean): this;
}

/** A function wrapped in a transaction; `immediate` takes the write lock at its start. */
export interface SqliteTransaction<A extends unknown[], R> {
  (...args: A): R;
  immediate(...args: A): R;
}

/** An open connection. */
export interface SqliteDatabase {
  readonly open: boolean;
  prepare(source: string): SqliteStatement;
  exec(source: string): unknown;
  pragma(source: string, options?: { readonly simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransaction<A, R>;
  close(): unknown;
}

/**
 * better-sqlite3's `Database` class, or one derived from it (`import Database from
 * 'better-sqlite3'`). A `Buffer` holding a database file opens an in-memory copy of it.
 */
export interface SqliteDatabaseConstructor {
  new (filename: string | Buffer, options?: SqliteOpenOptions): SqliteDatabase;
}
