// Ways a store file can be broken at start-up, made for real on disk, and the check every one
// of them must pass (SPEC 6). Used by `npm run reliability` with random variations.
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { ClientSession, SqliteSessionStore } from '../../src/main';
import { openSqliteStore } from '../../src/main/openSqliteStore';
import { eventId } from './ids';
import { recordingLogger } from './reliability';
import { validateClientSession } from './schemas';

/** Writes a healthy store with one session of a few events at `path`. */
export function writeHealthyStore(path: string, events = 5): void {
  const session = new ClientSession({ store: new SqliteSessionStore({ path }) });
  for (let i = 0; i < events; i++) session.stamp(eventId(), Date.now());
  session.close();
}

/** Each breaks the store at `path` in its own way; `random` picks sizes and cut points. */
export const BREAKAGES: Record<string, (path: string, random: () => number) => void> = {
  'random bytes': (path, random) => {
    writeFileSync(path, randomBytes(1 + Math.floor(random() * 64 * 1024)));
  },
  'zero length': (path) => {
    writeFileSync(path, '');
  },
  'truncated mid-page': (path, random) => {
    writeHealthyStore(path);
    const size = statSync(path).size;
    let cut = 1 + Math.floor(random() * (size - 1));
    if (cut % 4096 === 0) cut += 1 + Math.floor(random() * 4095);
    truncateSync(path, Math.min(cut, size - 1));
  },
  'stray -wal of another database': (path, random) => {
    writeHealthyStore(path);
    const other = `${path}.other`;
    const db = new Database(other);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    const rows = 1 + Math.floor(random() * 200);
    for (let i = 0; i < rows; i++) db.prepare('INSERT INTO notes (body) VALUES (?)').run('x');
    copyFileSync(`${other}-wal`, `${path}-wal`);
    db.close();
  },
  'a folder in its place': (path) => {
    mkdirSync(path);
    writeFileSync(join(path, 'note.txt'), 'not a database');
  },
  'newer layout': (path, random) => {
    writeHealthyStore(path);
    const db = new Database(path);
    if (random() < 0.5) {
      db.pragma(`user_version = ${2 + Math.floor(random() * 5)}`);
    } else {
      const data = JSON.parse(db.prepare('SELECT data FROM sessions').pluck().get() as string);
      db.prepare('UPDATE sessions SET data = ?').run(JSON.stringify({ ...data, version: 2 }));
    }
    db.close();
  },
};

/**
 * Starts twice on a broken store. The first start must track at once with a valid entity and
 * say so at most once (once exactly when it set files aside); the second must be silent, set
 * nothing aside, and keep the first start's user id. Returns what went wrong.
 */
export function startTwice(dir: string, breakage: keyof typeof BREAKAGES, random: () => number) {
  const problems: string[] = [];
  const path = join(dir, 'client-session.sqlite');
  BREAKAGES[breakage]?.(path, random);
  const names = () => readdirSync(dir).filter((name) => !name.endsWith('.other'));

  const start = () => {
    const logger = recordingLogger();
    const store = openSqliteStore({ path, logger });
    const session = new ClientSession({ store, logger });
    const entity = session.stamp(eventId(), Date.now());
    session.close();
    if (!validateClientSession(entity)) problems.push(`invalid entity ${JSON.stringify(entity)}`);
    return { entity, logger, durable: store.durable };
  };

  const first = start();
  const kept = names().filter((name) => /\.(corrupt|newer)-/.test(name));
  const warnings = first.logger.lines.length;
  if (warnings > 1) problems.push(`${warnings} messages: ${JSON.stringify(first.logger.lines)}`);
  if ((warnings === 1) !== kept.length > 0) {
    problems.push(`a warning without files set aside or the reverse: ${kept.join(', ')}`);
  }
  if (!first.durable) problems.push('the first start did not get a fresh store');

  const before = names().join(',');
  const second = start();
  if (second.logger.lines.length > 0) problems.push('the second start was not clean');
  if (names().join(',') !== before) problems.push('the second start set files aside again');
  if (second.entity.userId !== first.entity.userId) problems.push('the user id changed again');
  return { problems, setAside: kept.length > 0 };
}
