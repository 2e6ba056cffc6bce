import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';

import { ClientSessionError, PREFIX } from '../shared/errors';

/** Codes (SQLite's and the file system's) meaning a file or folder of the store refused a write. */
const CANNOT_WRITE = /^(SQLITE_READONLY|SQLITE_CANTOPEN|SQLITE_PERM|EROFS|EACCES|EPERM)/;

const DISK_FULL = 'the disk is full; free some space';

/** Error codes and what they mean for the user. */
const HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(SQLITE_FULL|ENOSPC|EDQUOT)/, DISK_FULL],
  [/^(SQLITE_BUSY|SQLITE_LOCKED)/, 'another process held the database lock past the wait'],
  [/^(SQLITE_CORRUPT|SQLITE_NOTADB)/, 'the database file is damaged'],
  [/^SQLITE_IOERR/, 'the disk reported an I/O error'],
];

/**
 * What went wrong and what to do about it, in a few words, from a store's error. Given the
 * store's file, a refused write names what refused it (the file, its `-wal` or `-shm`, or its
 * folder), and an I/O error on a full disk (SQLite reports growing the `-shm` file on a full disk
 * as `SQLITE_IOERR_SHMSIZE`) says so, as checked at the time of the call.
 */
export function describeStoreError(error: unknown, path?: string): string {
  // The package's own errors are told by their text: the message this goes into is prefixed
  // already (by the logger), and a code such as STORE_FAILED says nothing more.
  if (error instanceof ClientSessionError) return withoutPrefix(error.message);
  const code = errorCode(error);
  const hint = CANNOT_WRITE.test(code)
    ? cannotWrite(path)
    : code.startsWith('SQLITE_IOERR') && path !== undefined && diskFull(path)
      ? DISK_FULL
      : HINTS.find(([pattern]) => pattern.test(code))?.[1];
  const message = error instanceof Error ? error.message : String(error);
  const detail = code === '' || message.startsWith(code) ? message : `${code}: ${message}`;
  return hint === undefined ? detail : `${hint} (${detail})`;
}

function withoutPrefix(message: string): string {
  return message.startsWith(`${PREFIX}: `) ? message.slice(PREFIX.length + 2) : message;
}

function cannotWrite(path: string | undefined): string {
  const fallback = 'the store cannot be written; check that its file and its folder are writable';
  if (path === undefined) return fallback;

  const problems: string[] = [];
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (!existsSync(file)) continue;
    const refusal = refusalOf(file);
    if (refusal === 'EROFS') {
      return `the file system holding ${path} is read-only; the store needs it writable`;
    }
    if (refusal !== undefined) problems.push(`the file ${file} is read-only for this user`);
  }
  const folder = dirname(path);
  const refusal = refusalOf(folder);
  if (refusal === 'EROFS') {
    return `the file system holding ${path} is read-only; the store needs it writable`;
  }
  if (refusal !== undefined) problems.push(`its folder ${folder} is not writable for this user`);
  if (problems.length === 0) return fallback;
  return `${problems.join(', and ')}; make ${problems.length > 1 ? 'them' : 'it'} writable`;
}

/** Whether the file system holding `path` has no block left for this user. */
function diskFull(path: string): boolean {
  try {
    return statfsSync(dirname(path)).bavail === 0;
  } catch {
    return false;
  }
}

/** The code of the error refusing this process write access to `path`, if any. */
function refusalOf(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = errorCode(error);
    return code === 'ENOENT' ? undefined : code || 'EACCES';
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}
