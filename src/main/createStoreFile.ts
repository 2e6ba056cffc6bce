import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  copyFileSync,
  linkSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

import type { SqliteDatabase, SqliteDatabaseConstructor } from './SqliteDatabase';

/** A file being built is named `<path>.new-<pid>-<random>` until it is published. */
const BUILDING = '.new-';
/** A build older than this was left by a process killed while building: a build takes ms. */
const STALE_AFTER_MS = 60_000;
const COMPANIONS = ['', '-wal', '-shm', '-journal'];

/**
 * Creates the database file at `path`, which does not exist yet, so that no process ever finds
 * at `path` a file that is not a whole store: an empty or half-made file there is never this
 * package's own, and can be treated as broken.
 *
 * @remarks
 * The file is built under a name of its own beside `path`, created readable and writable by the
 * user only (SQLite gives its `-wal` and `-shm` files the same mode), laid out by `initialise`
 * in rollback-journal mode so that everything is in the file itself, switched to WAL mode (kept
 * in its header) and closed. Then it is published with a hard link, which fails if `path` exists:
 * when several processes create the store at the same moment, one link wins, and the others
 * open the winner's file and drop their own. On a file system without hard links (FAT, some
 * network shares) the file is copied into place instead, also only if `path` does not exist; a
 * process killed during that copy can leave a damaged file, which the next start sets aside.
 * Builds left by a process killed while building are removed once they are a minute old.
 */
export function createStoreFile(
  path: string,
  Database: SqliteDatabaseConstructor,
  busyTimeoutMs: number,
  initialise: (db: SqliteDatabase) => void,
): void {
  removeStaleBuilds(path);
  const building = `${path}${BUILDING}${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    closeSync(openSync(building, 'wx', 0o600));
    const db = new Database(building, { fileMustExist: true, timeout: busyTimeoutMs });
    try {
      initialise(db);
      db.pragma('journal_mode = WAL');
    } finally {
      db.close();
    }
    publish(building, path);
  } finally {
    removeBuild(building);
  }
}

/** Gives `building` the name `path` unless `path` exists (another process was first). */
function publish(building: string, path: string): void {
  try {
    linkSync(building, path);
    return;
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return;
  }
  try {
    copyFileSync(building, path, constants.COPYFILE_EXCL);
  } catch (error) {
    if (codeOf(error) !== 'EEXIST') throw error;
  }
}

function removeBuild(building: string): void {
  for (const suffix of COMPANIONS) {
    try {
      rmSync(building + suffix, { force: true });
    } catch {
      // What is left is removed by a later creation, once stale.
    }
  }
}

function removeStaleBuilds(path: string): void {
  const folder = dirname(path);
  const prefix = basename(path) + BUILDING;
  let names: string[];
  try {
    names = readdirSync(folder).filter((name) => name.startsWith(prefix));
  } catch {
    return;
  }
  const staleBefore = Date.now() - STALE_AFTER_MS;
  for (const name of names) {
    const file = join(folder, name);
    try {
      if (statSync(file).mtimeMs < staleBefore) rmSync(file, { force: true });
    } catch {
      // Removed meanwhile by another process, or not ours to remove.
    }
  }
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}
