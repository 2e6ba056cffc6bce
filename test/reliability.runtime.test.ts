import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import Database from 'better-sqlite3';

import { ClientSession, MemorySessionStore, SqliteSessionStore } from '../src/main';
import type { ClientSessionEntity, SessionStore, StoredSession } from '../src/main';
import { ResilientStore } from '../src/main/ResilientStore';
import { openSqliteStore } from '../src/main/openSqliteStore';
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
import type { StamperConfig } from './support/stamperProtocol';
import { runLinedUp } from './support/stampers';
import { assertValidClientSession } from './support/schemas';
import { tempDir } from './support/tmp';

// Skips are given to each test, not to its suite, so that node's summary counts them as skipped.
const NEEDS_MOUNT = !canMount() && 'needs mount (root)';
const AS_NOBODY = cannotRunAsNobody();

const root = tempDir('ecs-runtime-');

/** Every (sessionId, eventIndex) pair once: throws naming the first repeat. */
function assertNoRepeatedPair(entities: readonly ClientSessionEntity[]): void {
  const seen = new Set<string>();
  for (const entity of entities) {
    const key = `${entity.sessionId}#${entity.eventIndex}`;
    assert.ok(!seen.has(key), `issued twice: ${key}`);
    seen.add(key);
  }
}

/** Fills the file system holding `dir` until a write fails with ENOSPC. */
function fillDisk(dir: string): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  return filler;
}

function storedSession(path: string): StoredSession {
  const db = new Database(path, { readonly: true });
  try {
    return JSON.parse(db.prepare('SELECT data FROM sessions').pluck().get() as string);
  } finally {
    db.close();
  }
}

describe('the disk fills up while running (SPEC 6)', () => {
  test(
    'one warning, tracking in memory, no index issued twice across restarts, recovery',
    { skip: NEEDS_MOUNT },
    () => {
      const fs = new Tmpfs(join(root, 'full'), 8192);
      after(() => fs.unmount());
      const path = join(fs.dir, 'client-session.sqlite');
      const clock = new FakeClock(Date.now());
      const logger = recordingLogger();
      const entities: ClientSessionEntity[] = [];
      const run = (session: ClientSession, events: number) => {
        for (let i = 0; i < events; i++) {
          clock.advanceSeconds(1);
          const entity = session.stamp(eventId(), clock.time);
          assertValidClientSession(entity);
          entities.push(entity);
        }
      };
      const open = () => {
        const store = openSqliteStore({ path, logger, clock: clock.now });
        return { store, session: new ClientSession({ store, clock: clock.now, logger }) };
      };

      const first = open();
      run(first.session, 5);
      const filler = fillDisk(fs.dir);
      run(first.session, 300);
      assert.equal(first.store.durable, false);
      assert.equal(logger.count('warn'), 1);
      assert.match(logger.lines[0]?.message ?? '', /the disk is full/);
      const beforeFull = entities[4] as ClientSessionEntity;
      const inMemory = entities.at(-1) as ClientSessionEntity;
      assert.equal(inMemory.storageMechanism, 'LOCAL_STORAGE');
      // The session the disk knows is left behind: its indexes beyond the reservation on disk
      // would come again after a restart.
      assert.equal(inMemory.previousSessionId, beforeFull.sessionId);
      first.session.close();

      // Restarted with the disk still full: reads the old state, cannot write, moves on again.
      const second = open();
      run(second.session, 300);
      assert.equal(second.store.durable, false);
      assertNoRepeatedPair(entities);

      // Space comes back: the first write after the retry wait (doubled at each failed try, at
      // most 30 minutes) puts the session back on disk.
      rmSync(filler);
      clock.advanceSeconds(1800);
      run(second.session, 1);
      assert.equal(second.store.durable, true);
      assert.match(logger.lines.at(-1)?.message ?? '', /works again/);
      const live = entities.at(-1) as ClientSessionEntity;
      assert.equal(live.storageMechanism, 'SQLITE');
      assert.equal(storedSession(path).sessionId, live.sessionId);
      second.session.close();

      const third = open();
      run(third.session, 3);
      third.session.close();
      assert.equal((entities.at(-1) as ClientSessionEntity).sessionId, live.sessionId);
      assertNoRepeatedPair(entities);
      assert.equal(logger.count('warn'), 2, 'one per start that found the disk full');
    },
  );
});

describe('another process holds the database lock past the wait (SPEC 6)', () => {
  test('one warning, tracking in memory, recovery once the lock is released', async () => {
    const path = join(root, 'locked.sqlite');
    const clock = new FakeClock(Date.now());
    const logger = recordingLogger();
    const store = openSqliteStore({ path, logger, clock: clock.now, busyTimeoutMs: 50 });
    const session = new ClientSession({ store, clock: clock.now, logger });
    const entities = [session.stamp(eventId(), clock.time)];

    const holder = await LockHolder.hold(path);
    for (let i = 0; i < 200; i++) {
      clock.advanceSeconds(1);
      entities.push(session.stamp(eventId(), clock.time));
    }
    assert.equal(store.durable, false);
    assert.equal(logger.count('warn'), 1);
    assert.match(logger.lines[0]?.message ?? '', /another process held the database lock/);

    await holder.release();
    clock.advanceSeconds(3600);
    session.extend();
    entities.push(session.stamp(eventId(), clock.time));
    assert.equal(store.durable, true);
    assert.equal(storedSession(path).sessionId, entities.at(-1)?.sessionId);
    session.close();
    assertNoRepeatedPair(entities);
    assert.equal(logger.count('warn'), 1);
  });
});

describe('closing once the lock is gone', () => {
  test('close() writes the session kept in memory to the file, so the next start goes on from it', async () => {
    const path = join(root, 'released.sqlite');
    const clock = new FakeClock(Date.now());
    const logger = recordingLogger();
    const open = () => {
      const store = openSqliteStore({ path, logger, clock: clock.now, busyTimeoutMs: 50 });
      return new ClientSession({ store, clock: clock.now, logger });
    };
    const first = open();
    const entities = [first.stamp(eventId(), clock.time)];
    const holder = await LockHolder.hold(path);
    for (let i = 0; i < 3; i++) {
      clock.advanceSeconds(1);
      entities.push(first.stamp(eventId(), clock.time));
    }
    await holder.release();
    // Well inside the retry wait: only close() tries the file again.
    clock.advanceSeconds(1);
    first.close();
    const inMemory = entities.at(-1) as ClientSessionEntity;
    assert.equal(inMemory.storageMechanism, 'LOCAL_STORAGE');
    assert.equal(storedSession(path).sessionId, inMemory.sessionId);

    const second = open();
    clock.advanceSeconds(1);
    const next = second.stamp(eventId(), clock.time);
    second.close();
    assert.equal(next.sessionId, inMemory.sessionId);
    assert.ok(next.sessionIndex >= inMemory.sessionIndex);
    assertNoRepeatedPair([...entities, next]);
  });
});

describe('a store used again after close()', () => {
  test('refuses with CLOSED instead of going on in memory and issuing pairs again', () => {
    const path = join(root, 'reused.sqlite');
    const logger = recordingLogger();
    const store = openSqliteStore({ path, logger });
    const first = new ClientSession({ store, logger });
    first.stamp(eventId(), Date.now());
    first.close();

    assert.throws(() => new ClientSession({ store, logger }), {
      code: 'CLOSED',
      message:
        /^electron-client-session: getSession\(\) was called on a session store after close\(\)/,
    });
    for (const call of [
      () => store.getSession(),
      () => store.setSession(storedSession(path)),
      () => store.transaction(() => 1),
    ]) {
      assert.throws(call, { code: 'CLOSED' });
    }
    assert.equal(logger.count('warn'), 0, 'not mistaken for a store failure');
    store.close();
  });

  test('a store that fails to close while in use is reported once, and the close goes on', () => {
    const logger = recordingLogger();
    const inner: SessionStore = Object.assign(new MemorySessionStore(), {
      close(): void {
        throw new Error('the disk went away');
      },
    });
    const store = new ResilientStore({ store: inner, logger });
    const session = new ClientSession({ store, logger });
    session.stamp(eventId(), Date.now());
    session.close();
    assert.equal(logger.count('warn'), 1);
    const warning = logger.lines.find((line) => line.level === 'warn')?.message ?? '';
    assert.match(warning, /failed to close.*the disk went away/);
    assert.throws(() => store.getSession(), { code: 'CLOSED' });
  });

  test('a SqliteSessionStore closed under a ResilientStore is not ridden out in memory', () => {
    const path = join(root, 'closed-inside.sqlite');
    const logger = recordingLogger();
    const inner = new SqliteSessionStore({ path });
    const store = new ResilientStore({ store: inner, logger });
    const session = new ClientSession({ store, logger });
    session.stamp(eventId(), Date.now());
    inner.close();
    assert.throws(() => session.flush(), { code: 'CLOSED' });
    assert.equal(store.durable, true);
    assert.equal(logger.count('warn'), 0);
  });
});

describe('a folder made read-only while running', () => {
  test(
    'changes nothing while the store is open, nor at the next start',
    { skip: AS_NOBODY },
    async () => {
      // Root ignores permissions: the process runs as `nobody`, in a folder it owns.
      const nobody = NOBODY;
      chmodSync(root, 0o755);
      const dir = join(root, 'read-only-while-running');
      mkdirSync(dir);
      chownSync(dir, nobody, nobody);
      const config = (run: number): StamperConfig => ({
        path: join(dir, 'client-session.sqlite'),
        out: join(root, `ro-${run}.jsonl`),
        seed: run,
        mix: 'all',
        maxPauseMs: 2,
        durationMs: 500,
        goFile: join(root, `ro-go-${run}`),
        uid: nobody,
        continueSessionOnRestart: true,
        isBackground: false,
        foregroundTimeout: 1800,
        backgroundTimeout: 1800,
      });
      for (const run of [0, 1]) writeFileSync(config(run).out, '');
      for (const run of [0, 1]) chownSync(config(run).out, nobody, nobody);

      // The store opens, then its folder turns read-only, then the calls begin.
      const [during] = await runLinedUp([config(0)], config(0).goFile as string, () =>
        chmodSync(dir, 0o555),
      );
      // Proof the folder was read-only for it: the closing process could not remove its -wal.
      assert.ok(existsSync(`${config(0).path}-wal`));
      const [next] = await runLinedUp([config(1)], config(1).goFile as string);

      const entities: ClientSessionEntity[] = [];
      for (const run of [during, next]) {
        assert.equal(run?.code, 0, run?.stderr);
        assert.equal(run?.stderr, '', 'no warning');
        for (const line of run?.lines ?? []) if (line.k === 'e') entities.push(line.e);
      }
      assert.ok(entities.length > 10);
      assert.ok(entities.every((e) => e.storageMechanism === 'SQLITE'));
      assertNoRepeatedPair(entities);
      assert.equal(storedSession(config(1).path).sessionId, entities.at(-1)?.sessionId);
    },
  );
});

/** A store whose every call throws `error` once `broken` is set, like a failing custom store. */
class BreakableStore implements SessionStore {
  readonly storageMechanism = 'SQLITE' as const;
  broken = false;
  calls = 0;
  private readonly memory = new MemorySessionStore();

  constructor(private readonly error: Error) {}

  private check(): void {
    this.calls++;
    if (this.broken) throw this.error;
  }

  getSession() {
    this.check();
    return this.memory.getSession();
  }
  setSession(session: StoredSession) {
    this.check();
    this.memory.setSession(session);
  }
  deleteSession() {
    this.check();
    this.memory.deleteSession();
  }
  transaction<T>(fn: () => T): T {
    this.check();
    return fn();
  }
}

describe('ResilientStore around any store', () => {
  test('warns once for a thousand failing writes and keeps the session going', () => {
    const inner = new BreakableStore(
      Object.assign(new Error('EACCES: denied'), { code: 'EACCES' }),
    );
    const clock = new FakeClock();
    const logger = recordingLogger();
    const store = new ResilientStore({ store: inner, logger, clock: clock.now });
    const session = new ClientSession({ store, clock: clock.now, logger });
    const first = session.stamp(eventId(), clock.time);
    inner.broken = true;

    let last = first;
    for (let i = 0; i < 1000; i++) {
      clock.advance(1500);
      last = session.stamp(eventId(), clock.time);
    }
    assert.equal(logger.count('warn'), 1);
    assert.match(logger.lines[0]?.message ?? '', /check that its file and its folder are writable/);
    assert.equal(last.userId, first.userId);
    assert.equal(last.sessionIndex, first.sessionIndex + 1);
    assert.equal(last.eventIndex, 1000);
    // Tried again after 30 s, 60 s, 120 s … up to every 30 min: a few dozen tries in 25 min.
    assert.ok(inner.calls < 100, `${inner.calls} calls to the broken store`);
  });

  test('a failure raised by the package itself is told once, without a second prefix or code', () => {
    const path = join(root, 'newer-record.sqlite');
    const logger = recordingLogger();
    const store = new ResilientStore({ store: new SqliteSessionStore({ path }), logger });
    const session = new ClientSession({ store, logger });
    session.stamp(eventId(), Date.now());
    // Another process, of a newer version, rewrites the record meanwhile.
    const db = new Database(path);
    const data = JSON.parse(db.prepare('SELECT data FROM sessions').pluck().get() as string);
    db.prepare('UPDATE sessions SET data = ?').run(JSON.stringify({ ...data, version: 2 }));
    db.close();

    session.startNewSession();
    session.close();
    assert.equal(logger.count('warn'), 1, JSON.stringify(logger.lines));
    assert.equal(
      logger.lines[0]?.message,
      `the session store failed: the session stored in ${path} has layout version 2; this ` +
        'version reads only 1. Tracking goes on in memory; sessions are not kept across a ' +
        'restart until the store works again. It is tried again in 30 s, then less often',
    );
  });

  test('an error of the engine inside a transaction is not mistaken for a store failure', () => {
    const logger = recordingLogger();
    const store = new ResilientStore({ store: new BreakableStore(new Error('unused')), logger });
    assert.throws(
      () =>
        store.transaction(() => {
          throw new TypeError('a bug');
        }),
      TypeError,
    );
    assert.equal(store.durable, true);
    assert.deepEqual(logger.lines, []);
  });

  test('bad options are refused with a prefixed error', () => {
    assert.throws(() => new ResilientStore({} as never), /^.*electron-client-session: .*store/);
    assert.throws(() => new ResilientStore({ store: new MemorySessionStore(), retryAfterMs: -1 }), {
      code: 'INVALID_OPTION',
    });
  });
});

/** Whether every folder from the root down to `path` lets other users through. */
