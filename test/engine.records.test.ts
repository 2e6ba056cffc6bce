// What the engine does with what a store gives back: records that cannot be used, and stores
// that fail. Records are checked as they are read, never trusted.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import Database from 'better-sqlite3';

import { ClientSession, MemorySessionStore, SqliteSessionStore } from '../src/main';
import type { ClientSessionEntity, SessionStore, StoredSession } from '../src/main';
import { openSqliteStore } from '../src/main/openSqliteStore';
import { FakeClock } from './support/clock';
import { eventId } from './support/ids';
import { recordingLogger } from './support/reliability';
import { assertValidClientSession } from './support/schemas';
import { tempDir } from './support/tmp';

const USER_ID = '7d0f3c55-3a8e-4d4b-9a4e-52b6a3c1f0aa';

function goodRecord(): StoredSession {
  return {
    version: 1,
    userId: USER_ID,
    sessionId: 'c3b5a7f2-1d4e-4f6a-8b9c-0d1e2f3a4b5c',
    previousSessionId: null,
    sessionIndex: 4,
    eventIndex: 9,
    firstEventId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
    firstEventTimestamp: '2026-01-31T09:00:00.000Z',
    lastActivity: Date.UTC(2026, 0, 31, 9, 15),
    isBackground: false,
    newSessionDue: false,
    anonymous: false,
  };
}

/** A memory store holding `record` as it is, as a custom store could return anything. */
function storeHolding(record: unknown): MemorySessionStore {
  const store = new MemorySessionStore();
  store.setSession(record as StoredSession);
  return store;
}

describe('a record that cannot be used is an unreadable session, not a crash', () => {
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['a userId that is not a UUID', { userId: 'Bob' }, false],
    ['an uppercase userId', { userId: USER_ID.toUpperCase() }, false],
    ['a sessionId that is not a UUID', { sessionId: 'x' }, true],
    ['a previousSessionId that is not a UUID', { previousSessionId: 'y' }, true],
    ['a firstEventId that is not a UUID', { firstEventId: 'first' }, true],
    ['a firstEventTimestamp that is no time', { firstEventTimestamp: 'yesterday' }, true],
    [
      'a firstEventTimestamp without milliseconds',
      { firstEventTimestamp: '2026-01-31T09:00Z' },
      true,
    ],
    ['a negative sessionIndex', { sessionIndex: -3 }, true],
    ['a sessionIndex in letters', { sessionIndex: 'a' }, true],
    ['an eventIndex beyond the schema', { eventIndex: 2 ** 31 }, true],
    ['a started session with no first event', { firstEventId: null }, true],
    ['a lastActivity that is no number', { lastActivity: 'noon' }, true],
  ];
  for (const [what, change, keepsUserId] of cases) {
    const kept = keepsUserId ? ', the user id kept' : '';
    test(`${what}: one warning, a new valid session${kept}`, () => {
      const clock = new FakeClock();
      const logger = recordingLogger();
      const store = storeHolding({ ...goodRecord(), ...change });
      const session = new ClientSession({ store, logger, clock: clock.now });
      const entity = session.stamp(eventId(), clock.time);
      assertValidClientSession(entity);
      assert.equal(logger.count('warn'), 1, JSON.stringify(logger.lines));
      assert.match(
        logger.lines[0]!.message,
        /session store returned a session that cannot be used/,
      );
      assert.equal(entity.eventIndex, 1);
      assert.notEqual(entity.sessionId, goodRecord().sessionId);
      if (keepsUserId) assert.equal(entity.userId, USER_ID);
      const countLost = 'sessionIndex' in change;
      assert.equal(entity.sessionIndex, countLost ? 1 : 5, 'a valid count of sessions goes on');
      session.close();

      // The record was replaced: the next start is silent and keeps the user id.
      const again = new ClientSession({ store, logger, clock: clock.now });
      assert.equal(again.stamp(eventId(), clock.time).userId, entity.userId);
      assert.equal(logger.count('warn'), 1);
    });
  }

  test('a record that is no session at all ({ foo: 1 }) gives a new user id and session', () => {
    const logger = recordingLogger();
    const session = new ClientSession({ store: storeHolding({ foo: 1 }), logger });
    const entity = session.stamp(eventId(), Date.now());
    assertValidClientSession(entity);
    assert.equal(entity.sessionIndex, 1);
    assert.equal(logger.count('warn'), 1);
  });

  test('a bad record another writer leaves while running is said once and never reported', () => {
    const clock = new FakeClock();
    const logger = recordingLogger();
    const store = new MemorySessionStore();
    const session = new ClientSession({ store, logger, clock: clock.now });
    const first = session.stamp(eventId(), clock.time);
    const entities: ClientSessionEntity[] = [first];
    for (let i = 0; i < 5; i++) {
      store.setSession({ ...goodRecord(), userId: 'Bob', sessionIndex: 'a' } as never);
      clock.advance(1500);
      entities.push(session.stamp(eventId(), clock.time));
    }
    for (const entity of entities) assertValidClientSession(entity);
    assert.ok(entities.every((e) => e.userId === first.userId));
    assert.equal(logger.count('warn'), 1);
    assert.equal(store.getSession()?.userId, first.userId, 'the bad record was written over');
  });

  for (const [what, change] of [
    ['a key missing', { anonymous: undefined }],
    ['a value of the wrong type', { isBackground: 'no' }],
  ] as const) {
    test(`openSqliteStore holding a record with ${what}: the file and its user id are kept`, () => {
      const dir = tempDir();
      const path = join(dir, 'client-session.sqlite');
      const logger = recordingLogger();
      const first = new ClientSession({ store: openSqliteStore({ path, logger }), logger });
      const { userId, sessionIndex } = first.stamp(eventId(), Date.now());
      first.close();
      const db = new Database(path);
      const row = db.prepare('SELECT data FROM sessions').pluck().get() as string;
      db.prepare('UPDATE sessions SET data = ?').run(
        JSON.stringify({ ...JSON.parse(row), ...change }),
      );
      db.close();

      const session = new ClientSession({ store: openSqliteStore({ path, logger }), logger });
      const entity = session.stamp(eventId(), Date.now());
      assertValidClientSession(entity);
      assert.equal(entity.userId, userId, 'the installation keeps its user id');
      assert.equal(entity.sessionIndex, sessionIndex + 1, 'the count of sessions goes on');
      assert.equal(entity.storageMechanism, 'SQLITE');
      assert.equal(logger.count('warn'), 1, JSON.stringify(logger.lines));
      assert.deepEqual(
        readdirSync(dir).filter((name) => !/^client-session\.sqlite(-wal|-shm)?$/.test(name)),
        [],
        'nothing was set aside',
      );
      session.close();
    });
  }

  test('a SQLite store holding a record with a bad user id', () => {
    const path = join(tempDir(), 'bob.sqlite');
    new SqliteSessionStore({ path, checkpointInWorker: false }).close();
    const db = new Database(path);
    db.prepare('INSERT INTO sessions (name, data) VALUES (?, ?)').run(
      'default',
      JSON.stringify({ ...goodRecord(), userId: 'Bob' }),
    );
    db.close();
    const logger = recordingLogger();
    const session = new ClientSession({ store: new SqliteSessionStore({ path }), logger });
    const entity = session.stamp(eventId(), Date.now());
    assertValidClientSession(entity);
    assert.equal(entity.sessionIndex, 5);
    assert.equal(logger.count('warn'), 1);
    session.close();
  });

  test('a store whose user id is not a UUID: one warning, a valid user id', () => {
    const logger = recordingLogger();
    const store = new MemorySessionStore();
    store.claimUserId = () => 'Bob';
    const entity = new ClientSession({ store, logger }).stamp(eventId(), Date.now());
    assertValidClientSession(entity);
    assert.equal(logger.count('warn'), 1);
    assert.match(logger.lines[0]!.message, /user id that is not a lowercase UUID \("Bob"\)/);
  });
});

describe('a store that fails', () => {
  test('at start: a prefixed STORE_FAILED error with the store error as its cause', () => {
    const fire = new Error('disk on fire');
    const store = new MemorySessionStore();
    store.getSession = () => {
      throw fire;
    };
    assert.throws(
      () => new ClientSession({ store }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'STORE_FAILED');
        assert.match(error.message, /^electron-client-session: the session store could not read/);
        assert.match(error.message, /disk on fire/);
        assert.equal(error.cause, fire);
        return true;
      },
    );
  });

  /** A store whose commit fails after its callback ran and rolls back, as SQLite on a full disk. */
  class FailingCommitStore extends MemorySessionStore implements SessionStore {
    failing = false;

    transaction<T>(fn: () => T): T {
      const before = this.getSession();
      const result = fn();
      if (!this.failing) return result;
      if (before === undefined) this.deleteSession();
      else this.setSession(before);
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    }
  }

  test('to commit: nothing moves, and no index is handed out that the store does not hold', () => {
    const clock = new FakeClock();
    const store = new FailingCommitStore();
    const session = new ClientSession({ store, clock: clock.now });
    const issued: ClientSessionEntity[] = [];
    // The first block of indexes, used up exactly.
    for (let i = 0; i < 128; i++) issued.push(session.stamp(eventId(), clock.time));
    store.failing = true;
    const before = session.getSnapshot();
    for (let i = 0; i < 300; i++) {
      clock.advance(10);
      assert.throws(() => issued.push(session.stamp(eventId(), clock.time)), {
        code: 'STORE_FAILED',
        message: /^electron-client-session: the session store could not commit .*disk is full/,
      });
    }
    assert.throws(() => session.setIsBackground(true), { code: 'STORE_FAILED' });
    assert.deepEqual(session.getSnapshot(), before, 'the session is as it was');
    const stored = store.getSession()?.eventIndex ?? 0;
    assert.ok(
      issued.every((e) => e.eventIndex <= stored),
      'every index issued is stored',
    );

    // Killed now; the disk has room again at the next start.
    store.failing = false;
    const next = new ClientSession({ store, clock: clock.now });
    for (let i = 0; i < 5; i++) issued.push(next.stamp(eventId(), clock.time));
    const pairs = new Set(issued.map((e) => `${e.sessionId}#${e.eventIndex}`));
    assert.equal(pairs.size, issued.length, 'no (sessionId, eventIndex) pair twice');
  });

  test('to commit, once: the next stamp writes again and goes on', () => {
    const clock = new FakeClock();
    const store = new FailingCommitStore();
    const session = new ClientSession({ store, clock: clock.now });
    const first = session.stamp(eventId(), clock.time);
    clock.advance(1500);
    store.failing = true;
    assert.throws(() => session.stamp(eventId(), clock.time), { code: 'STORE_FAILED' });
    store.failing = false;
    const next = session.stamp(eventId(), clock.time);
    assert.equal(next.sessionId, first.sessionId);
    assert.equal(next.eventIndex, 2);
    assert.equal(store.getSession()?.lastActivity, clock.time);
  });
});
