import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import Database from 'better-sqlite3';

import { ClientSession, SqliteSessionStore } from '../src/main';
import type { ClientSessionEntity } from '../src/main';
import { openSqliteStore } from '../src/main/openSqliteStore';
import type { ResilientStore } from '../src/main/ResilientStore';
import { FakeClock } from './support/clock';
import { eventId } from './support/ids';
import {
  LockHolder,
  NOBODY,
  Tmpfs,
  canMount,
  cannotRunAsNobody,
  recordingLogger,
} from './support/reliability';
import type { RecordingLogger } from './support/reliability';
import type { StamperConfig } from './support/stamperProtocol';
import {
  betterSqlite3Everywhere,
  problemsWithoutBetterSqlite3,
  runStamper,
  runWithoutBetterSqlite3,
} from './support/stampers';
import type { ChildRun } from './support/stampers';
import { assertValidClientSession } from './support/schemas';
import { tempDir } from './support/tmp';

// Skips are given to each test, not to its suite, so that node's summary counts them as skipped.
const NEEDS_MOUNT = !canMount() && 'needs mount (root)';
const AS_NOBODY = cannotRunAsNobody();

const root = tempDir('ecs-startup-');
let folders = 0;
const folder = (): string => {
  const dir = join(root, `case${folders++}`);
  mkdirSync(dir);
  return dir;
};

/** 2026-12-03 19:01:02 UTC, so kept files are named `….corrupt-20261203T190102Z`. */
const clock = () => new FakeClock(Date.UTC(2026, 11, 3, 19, 1, 2));

/** A healthy store holding one session with a few events; returns its path and entity. */
function writeHealthyStore(path: string) {
  const session = new ClientSession({ store: new SqliteSessionStore({ path }) });
  let entity = session.stamp(eventId(), Date.now());
  for (let i = 0; i < 4; i++) entity = session.stamp(eventId(), Date.now());
  session.close();
  return entity;
}

/** Opens the store as an app start would, stamps at once, and closes. */
function start(path: string, logger: RecordingLogger, time = clock(), busyTimeoutMs?: number) {
  const store = openSqliteStore({ path, logger, clock: time.now, busyTimeoutMs });
  const session = new ClientSession({ store, clock: time.now, logger });
  const entity = session.stamp(eventId(), time.time);
  const durable = store.durable;
  session.close();
  return { entity, durable, store };
}

/** Files in `dir` other than the live store's. */
function keptFiles(dir: string, base: string): string[] {
  const live = new Set([base, `${base}-wal`, `${base}-shm`]);
  return readdirSync(dir)
    .filter((name) => !live.has(name))
    .sort();
}

/**
 * The expectations every broken file shares: tracking works at once, one warning, the broken
 * files kept aside under a timestamped name, a fresh store, and a clean next start.
 */
function assertSetAsideAndFresh(
  dir: string,
  kind: 'corrupt' | 'newer',
  expectKept: (kept: string) => void,
): void {
  const path = join(dir, 'client-session.sqlite');
  const logger = recordingLogger();
  const first = start(path, logger);

  assertValidClientSession(first.entity);
  assert.equal(first.entity.storageMechanism, 'SQLITE');
  assert.equal(first.entity.sessionIndex, 1);
  assert.equal(logger.count('warn'), 1, JSON.stringify(logger.lines));
  assert.equal(logger.count('error'), 0);
  const kept = join(dir, `client-session.sqlite.${kind}-20261203T190102Z`);
  assert.match(logger.lines[0]?.message ?? '', new RegExp(`Kept it as ${kept}`));
  expectKept(kept);

  const again = recordingLogger();
  const before = keptFiles(dir, 'client-session.sqlite');
  const second = start(path, again, new FakeClock(Date.UTC(2026, 11, 3, 19, 5, 0)));
  assert.deepEqual(again.lines, []);
  assert.deepEqual(keptFiles(dir, 'client-session.sqlite'), before);
  assert.equal(second.entity.userId, first.entity.userId);
  assert.equal(second.entity.sessionId, first.entity.sessionId);
  assert.ok(second.durable);
}

describe('a broken store at start-up (SPEC 6)', () => {
  test('random bytes: kept aside byte for byte, a fresh store tracks at once', () => {
    const dir = folder();
    const bytes = randomBytes(20_000);
    writeFileSync(join(dir, 'client-session.sqlite'), bytes);
    assertSetAsideAndFresh(dir, 'corrupt', (kept) => {
      assert.deepEqual(readFileSync(kept), bytes);
    });
  });

  test('a file truncated in the middle of a page is kept aside', () => {
    const dir = folder();
    const path = join(dir, 'client-session.sqlite');
    writeHealthyStore(path);
    const size = statSync(path).size;
    assert.ok(size >= 4 * 4096, `a store of several pages (${size} bytes)`);
    truncateSync(path, 2 * 4096 + 1000);
    const truncated = readFileSync(path);
    assertSetAsideAndFresh(dir, 'corrupt', (kept) => {
      assert.deepEqual(readFileSync(kept), truncated);
    });
  });

  test('a stray -wal from another database: both kept, the real file untouched', () => {
    const dir = folder();
    const path = join(dir, 'client-session.sqlite');
    const ours = writeHealthyStore(path);
    const original = readFileSync(path);

    const otherPath = join(dir, 'other.db');
    const other = new Database(otherPath);
    other.pragma('journal_mode = WAL');
    other.pragma('wal_autocheckpoint = 0');
    other.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    for (let i = 0; i < 20; i++) other.prepare('INSERT INTO notes (body) VALUES (?)').run('x');
    copyFileSync(`${otherPath}-wal`, `${path}-wal`);
    const strayWal = readFileSync(`${path}-wal`);
    other.close();

    assertSetAsideAndFresh(dir, 'corrupt', (kept) => {
      assert.deepEqual(readFileSync(`${kept}-wal`), strayWal);
      // The store's own file was not rewritten from the stray WAL: the session is still in it.
      assert.deepEqual(readFileSync(kept), original);
      const alone = join(dir, 'kept-without-wal.sqlite');
      copyFileSync(kept, alone);
      const db = new Database(alone, { readonly: true });
      const data = db.prepare('SELECT data FROM sessions').pluck().get() as string;
      db.close();
      assert.equal(JSON.parse(data).sessionId, ours.sessionId);
    });
  });

  test('a folder where the file should be is moved aside with its content', () => {
    const dir = folder();
    mkdirSync(join(dir, 'client-session.sqlite'));
    writeFileSync(join(dir, 'client-session.sqlite', 'note.txt'), 'mine');
    assertSetAsideAndFresh(dir, 'corrupt', (kept) => {
      assert.equal(readFileSync(join(kept, 'note.txt'), 'utf8'), 'mine');
    });
  });

  test('a store written by a newer layout (user_version) is kept aside as newer', () => {
    const dir = folder();
    const path = join(dir, 'client-session.sqlite');
    writeHealthyStore(path);
    const db = new Database(path);
    db.pragma('user_version = 2');
    db.close();
    assertSetAsideAndFresh(dir, 'newer', (kept) => {
      const check = new Database(kept, { readonly: true });
      assert.equal(check.pragma('user_version', { simple: true }), 2);
      check.close();
    });
  });

  test('a session record of a newer version is kept aside as newer', () => {
    const dir = folder();
    const path = join(dir, 'client-session.sqlite');
    writeHealthyStore(path);
    const db = new Database(path);
    const data = JSON.parse(db.prepare('SELECT data FROM sessions').pluck().get() as string);
    db.prepare('UPDATE sessions SET data = ?').run(JSON.stringify({ ...data, version: 2 }));
    db.close();
    assertSetAsideAndFresh(dir, 'newer', (kept) => assert.ok(existsSync(kept)));
  });

  test('a zero-length file is kept aside, and a fresh store tracks at once', () => {
    const dir = folder();
    writeFileSync(join(dir, 'client-session.sqlite'), '');
    assertSetAsideAndFresh(dir, 'corrupt', (kept) => assert.equal(statSync(kept).size, 0));
  });

  test('a healthy store is neither warned about nor moved', () => {
    const dir = folder();
    const path = join(dir, 'client-session.sqlite');
    const before = writeHealthyStore(path);
    const logger = recordingLogger();
    const { entity } = start(path, logger, new FakeClock(Date.now() + 1000));
    assert.deepEqual(logger.lines, []);
    assert.equal(entity.sessionId, before.sessionId);
    assert.equal(entity.eventIndex, before.eventIndex + 1);
    assert.deepEqual(keptFiles(dir, 'client-session.sqlite'), []);
  });
});

describe('a new store appears at its path only once it is whole', () => {
  test('a creation cut short at any step leaves nothing, or a whole store, at the path', () => {
    for (let step = 1; ; step++) {
      const dir = folder();
      const path = join(dir, 'client-session.sqlite');
      // Every call into SQLite may be the last one before the process dies.
      let calls = 0;
      const cut = (): void => {
        if (++calls === step) throw new Error(`cut short at step ${step}`);
      };
      class CutShort extends Database {
        constructor(file?: string | Buffer, options?: Database.Options) {
          cut();
          super(file, options);
        }
        override pragma(source: string, options?: Database.PragmaOptions): unknown {
          cut();
          return super.pragma(source, options);
        }
        override exec(source: string): this {
          cut();
          return super.exec(source);
        }
      }
      let whole = false;
      try {
        new SqliteSessionStore({ path, Database: CutShort, checkpointInWorker: false }).close();
        whole = true;
      } catch (error) {
        assert.match(String(error), /cut short at step/);
      }

      const logger = recordingLogger();
      const next = start(path, logger);
      assert.deepEqual(logger.lines, [], `cut at step ${step}`);
      assert.ok(next.durable, `cut at step ${step}`);
      assert.equal(next.entity.storageMechanism, 'SQLITE');
      assert.deepEqual(keptFiles(dir, 'client-session.sqlite'), [], `cut at step ${step}`);
      if (whole) {
        assert.ok(step > 5, `only ${step - 1} steps`);
        break;
      }
    }
  });

  test('a build left by a process killed while creating the store is removed once stale', () => {
    const dir = folder();
    const path = join(dir, 'client-session.sqlite');
    const stale = `${path}.new-4242-0badf00d`;
    const recent = `${path}.new-4343-cafebabe`;
    const anHourAgo = new Date(Date.now() - 3600_000);
    for (const file of [stale, `${stale}-wal`]) {
      writeFileSync(file, 'left by a killed process');
      utimesSync(file, anHourAgo, anHourAgo);
    }
    // Maybe another process building the store at this very moment: left alone.
    writeFileSync(recent, 'being built');

    new SqliteSessionStore({ path }).close();
    assert.deepEqual(readdirSync(dir).sort(), [
      'client-session.sqlite',
      recent.slice(dir.length + 1),
    ]);
  });
});

describe('options of openSqliteStore', () => {
  test('a mistake in them throws a prefixed error instead of falling back to memory', () => {
    const dir = folder();
    const path = join(dir, 'client-session.sqlite');
    const logger = recordingLogger();
    assert.throws(() => openSqliteStore({ path: '', logger }), { code: 'INVALID_OPTION' });
    assert.throws(() => openSqliteStore({ path, logger, busyTimeoutMs: -1 }), {
      code: 'INVALID_OPTION',
      message: /^electron-client-session: options.busyTimeoutMs/,
    });
    assert.throws(() => openSqliteStore({ path, logger, name: '' }), { code: 'INVALID_OPTION' });
    assert.deepEqual(logger.lines, []);
  });
});

describe('better-sqlite3 cannot load', () => {
  test('a native module built for another ABI: one error saying what to run, no retry', () => {
    const dir = folder();
    // A real dlopen failure: better-sqlite3 loads its native module only when a database opens.
    const bogus = join(dir, 'better_sqlite3.node');
    writeFileSync(bogus, randomBytes(4096));
    let attempts = 0;
    class WrongAbi extends Database {
      constructor(file?: string, options?: Database.Options) {
        attempts++;
        super(file, { ...options, nativeBinding: bogus });
      }
    }
    const logger = recordingLogger();
    const time = clock();
    const store = openSqliteStore({
      path: join(dir, 'client-session.sqlite'),
      Database: WrongAbi as unknown as typeof Database,
      logger,
      clock: time.now,
      retryAfterMs: 0,
    });
    const session = new ClientSession({ store, clock: time.now, logger });
    for (let i = 0; i < 50; i++) {
      time.advanceSeconds(60);
      const entity = session.stamp(eventId(), time.time);
      assertValidClientSession(entity);
      assert.equal(entity.storageMechanism, 'LOCAL_STORAGE');
    }
    session.close();

    assert.equal(attempts, 1);
    assert.equal(logger.count('error'), 1);
    assert.equal(logger.count('warn'), 0);
    const message = logger.lines[0]?.message ?? '';
    assert.match(message, /npx @electron\/rebuild -f -w better-sqlite3/);
    assert.match(message, /npm rebuild better-sqlite3/);
    assert.equal((store as ResilientStore).durable, false);
    // Nothing was written: the native module is tried before the disk is touched.
    assert.deepEqual(readdirSync(dir), ['better_sqlite3.node']);
  });

  test(
    'not installed (MODULE_NOT_FOUND): one error saying what to install, tracking in memory',
    { skip: betterSqlite3Everywhere() },
    async () => {
      const dir = folder();
      const run = await runWithoutBetterSqlite3(dir);
      assert.deepEqual(problemsWithoutBetterSqlite3(dir, run), []);
    },
  );
});

describe('file permissions', () => {
  test('the store, its -wal and -shm are readable and writable by the user only', () => {
    const previous = process.umask(0);
    try {
      const dir = join(folder(), 'new-folder');
      const path = join(dir, 'client-session.sqlite');
      const store = openSqliteStore({ path });
      const session = new ClientSession({ store });
      session.stamp(eventId(), Date.now());
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        assert.equal(statSync(file).mode & 0o777, 0o600, file);
      }
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      session.close();
    } finally {
      process.umask(previous);
    }
  });
});

/**
 * SPEC 2 and 6 for a store that cannot be opened but can be read: the run in memory keeps the
 * stored userId and starts the session after the stored one (never continuing the stored session,
 * whose later indexes a start from the file would hand out again).
 */
function assertContinuesInMemory(entity: ClientSessionEntity, stored: ClientSessionEntity): void {
  assertValidClientSession(entity);
  assert.equal(entity.storageMechanism, 'LOCAL_STORAGE');
  assert.equal(entity.userId, stored.userId);
  assert.equal(entity.sessionIndex, stored.sessionIndex + 1);
  assert.equal(entity.previousSessionId, stored.sessionId);
  assert.notEqual(entity.sessionId, stored.sessionId);
  assert.equal(entity.eventIndex, 1);
}

describe('a store locked past the wait at start-up (SPEC 6)', () => {
  test('the run in memory keeps the userId and counts sessions on; the next start is clean', async () => {
    const dir = folder();
    const path = join(dir, 'client-session.sqlite');
    const stored = writeHealthyStore(path);
    // Exclusive locking mode: no other connection may even read the file while it is held.
    const holder = await LockHolder.hold(path, true);
    const logger = recordingLogger();
    let locked: ReturnType<typeof start>;
    try {
      locked = start(path, logger, new FakeClock(Date.now() + 1000), 50);
    } finally {
      await holder.release();
    }
    assertContinuesInMemory(locked.entity, stored);
    assert.equal(locked.durable, false);
    assert.equal(logger.count('warn'), 1, JSON.stringify(logger.lines));
    const warning = logger.lines[0]?.message ?? '';
    assert.match(warning, /another process held the database lock past the wait/);
    assert.match(warning, /with the same user id, and the first event starts the next session/);

    const next = start(path, recordingLogger(), new FakeClock(Date.now() + 2000));
    assert.equal(next.entity.storageMechanism, 'SQLITE');
    assert.equal(next.entity.userId, stored.userId);
    const pairs = [stored, locked.entity, next.entity].map((e) => `${e.sessionId}#${e.eventIndex}`);
    assert.equal(new Set(pairs).size, 3);
  });
});

describe('a store locked at start-up waits for the lock once', () => {
  test('the check at open waits busyTimeoutMs; no second connection waits again', async () => {
    const dir = folder();
    const path = join(dir, 'client-session.sqlite');
    writeHealthyStore(path);
    const busyTimeoutMs = 150;
    const waits: string[] = [];
    // Every connection that may wait the full busyTimeoutMs for the lock.
    class CountingDatabase extends Database {
      constructor(file: string | Buffer, options?: Database.Options) {
        super(file, options);
        if (options?.timeout === busyTimeoutMs) waits.push(options.readonly ? 'read' : 'write');
      }
    }
    const holder = await LockHolder.hold(path, true);
    try {
      const store = openSqliteStore({
        path,
        logger: recordingLogger(),
        busyTimeoutMs,
        Database: CountingDatabase,
      });
      assert.equal(store.durable, false);
      store.close();
    } finally {
      await holder.release();
    }
    assert.deepEqual(waits, ['read']);
  });
});

describe('a read-only folder at start-up', () => {
  test(
    'tracks in memory after one warning, moves nothing, and says so again next start',
    { skip: NEEDS_MOUNT },
    () => {
      const fs = new Tmpfs(join(folder(), 'ro'), 1024);
      after(() => fs.unmount());
      const path = join(fs.dir, 'client-session.sqlite');
      const stored = writeHealthyStore(path);
      const files = readdirSync(fs.dir);
      fs.readOnly();

      for (let run = 0; run < 2; run++) {
        const logger = recordingLogger();
        const { entity, durable } = start(path, logger);
        assertContinuesInMemory(entity, stored);
        assert.equal(durable, false);
        assert.equal(logger.count('warn'), 1);
        assert.match(logger.lines[0]?.message ?? '', /the file system holding .* is read-only/);
        assert.deepEqual(readdirSync(fs.dir), files);
      }
    },
  );
});

describe('a full disk at start-up', () => {
  test(
    'tracks in memory with the same userId after one warning that says the disk is full',
    { skip: NEEDS_MOUNT },
    () => {
      const fs = new Tmpfs(join(folder(), 'full'), 256);
      after(() => fs.unmount());
      const path = join(fs.dir, 'client-session.sqlite');
      const stored = writeHealthyStore(path);
      assert.throws(() => writeFileSync(join(fs.dir, 'filler'), Buffer.alloc(1024 * 1024)), {
        code: 'ENOSPC',
      });

      const logger = recordingLogger();
      const { entity, durable } = start(path, logger);
      assertContinuesInMemory(entity, stored);
      assert.equal(durable, false);
      assert.equal(logger.count('warn'), 1);
      assert.match(logger.lines[0]?.message ?? '', /cannot be opened: the disk is full/);
    },
  );
});

/** Runs a stamper as `nobody` on `path` until it has stamped for a moment; returns its run. */
async function stampAsNobody(path: string, out: string): Promise<ChildRun> {
  writeFileSync(out, '');
  chownSync(out, NOBODY, NOBODY);
  const config: StamperConfig = {
    path,
    out,
    seed: 1,
    mix: 'stamps',
    maxPauseMs: 2,
    durationMs: 150,
    uid: NOBODY,
    continueSessionOnRestart: true,
    isBackground: false,
    foregroundTimeout: 1800,
    backgroundTimeout: 1800,
  };
  const run = await runStamper(config);
  assert.equal(run.code, 0, run.stderr);
  return run;
}

const entitiesOf = (run: ChildRun): ClientSessionEntity[] =>
  run.lines.flatMap((line) => (line.k === 'e' ? [line.e] : []));

describe('an app running as a user who may not write the store (SPEC 2, 6)', () => {
  // Root ignores permissions: the stamper runs as `nobody`, in a folder it owns.
  const ownFolder = (): string => {
    chmodSync(root, 0o755);
    const dir = folder();
    chownSync(dir, NOBODY, NOBODY);
    return dir;
  };

  test(
    'its folder turned read-only between two starts: same userId, the next session',
    { skip: AS_NOBODY },
    async () => {
      const dir = ownFolder();
      const path = join(dir, 'client-session.sqlite');
      const first = entitiesOf(await stampAsNobody(path, join(root, 'nobody-folder-1.jsonl')));
      // Closed cleanly: no -wal or -shm left, and the folder no longer lets SQLite create them.
      chmodSync(dir, 0o555);
      const second = await stampAsNobody(path, join(root, 'nobody-folder-2.jsonl'));

      const last = first.at(-1) as ClientSessionEntity;
      const during = entitiesOf(second);
      assert.ok(during.length > 0);
      assertContinuesInMemory(during[0] as ClientSessionEntity, last);
      assert.ok(
        during.every((e) => e.userId === last.userId && e.sessionIndex === last.sessionIndex + 1),
      );
      const warnings = second.stderr.trim().split('\n');
      assert.equal(warnings.length, 1, second.stderr);
      assert.match(
        warnings[0] ?? '',
        new RegExp(`its folder ${dir} is not writable for this user`),
      );
      assert.doesNotMatch(warnings[0] ?? '', /the file .* is read-only/);
    },
  );

  test(
    'the store file made read-only (0400) in a writable folder: the warning names the file',
    { skip: AS_NOBODY },
    async () => {
      const dir = ownFolder();
      const path = join(dir, 'client-session.sqlite');
      const first = entitiesOf(await stampAsNobody(path, join(root, 'nobody-file-1.jsonl')));
      chmodSync(path, 0o400);
      const second = await stampAsNobody(path, join(root, 'nobody-file-2.jsonl'));

      const last = first.at(-1) as ClientSessionEntity;
      const during = entitiesOf(second);
      assert.ok(during.length > 0);
      assertContinuesInMemory(during[0] as ClientSessionEntity, last);
      const warnings = second.stderr.trim().split('\n');
      assert.equal(warnings.length, 1, second.stderr);
      assert.match(warnings[0] ?? '', new RegExp(`the file ${path} is read-only for this user`));
      assert.doesNotMatch(warnings[0] ?? '', /folder/);
    },
  );
});
