import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { ClientSession, MemorySessionStore, SqliteSessionStore } from '../src/main';
import type { ClientSessionOptions } from '../src/main';
import { FakeClock } from './support/clock';
import { eventId } from './support/ids';
import { assertValidClientSession } from './support/schemas';
import { tempDir } from './support/tmp';

const dir = tempDir();
let files = 0;
const freshPath = () => join(dir, `life${files++}.sqlite`);

describe('transitions count as activity (SPEC 4)', () => {
  const options = { foregroundTimeout: 100, backgroundTimeout: 10 };

  test('background time is judged by the background timeout even with no events there', () => {
    const clock = new FakeClock();
    const session = new ClientSession({
      store: new MemorySessionStore(),
      clock: clock.now,
      ...options,
    });
    const first = session.stamp(eventId(), clock.time);
    session.setIsBackground(true);
    clock.advanceSeconds(11);
    session.setIsBackground(false);
    // 11 s in the background expired the session, though the foreground timeout is 100 s.
    assert.equal(session.getSnapshot().newSessionDue, true);
    clock.advanceSeconds(1);
    assert.equal(session.stamp(eventId(), clock.time).sessionIndex, first.sessionIndex + 1);
  });

  test('a short trip to the background keeps the session and restarts the clock', () => {
    const clock = new FakeClock();
    const session = new ClientSession({
      store: new MemorySessionStore(),
      clock: clock.now,
      ...options,
    });
    const first = session.stamp(eventId(), clock.time);
    clock.advanceSeconds(90);
    session.setIsBackground(true);
    clock.advanceSeconds(9);
    session.setIsBackground(false);
    clock.advanceSeconds(90);
    // 189 s after the first event, but never more than a timeout without activity.
    const next = session.stamp(eventId(), clock.time);
    assert.equal(next.sessionId, first.sessionId);
    assert.equal(next.eventIndex, 2);
  });

  test('repeating the current state is no transition', () => {
    const clock = new FakeClock();
    const session = new ClientSession({
      store: new MemorySessionStore(),
      clock: clock.now,
      ...options,
    });
    session.stamp(eventId(), clock.time);
    const seen: boolean[] = [];
    session.onChange((snapshot) => seen.push(snapshot.isBackground));
    session.setIsBackground(false);
    session.setIsBackground(true);
    session.setIsBackground(true);
    assert.deepEqual(seen, [true]);
  });

  test('a transition into a session that had already expired makes the next event start one', () => {
    const clock = new FakeClock();
    const session = new ClientSession({
      store: new MemorySessionStore(),
      clock: clock.now,
      ...options,
    });
    const first = session.stamp(eventId(), clock.time);
    clock.advanceSeconds(101);
    session.setIsBackground(true);
    clock.advanceSeconds(1);
    const next = session.stamp(eventId(), clock.time);
    assert.equal(next.previousSessionId, first.sessionId);
  });
});

describe('restart (SPEC 6)', () => {
  const reopen = (path: string, clock: FakeClock, extra: Partial<ClientSessionOptions> = {}) =>
    new ClientSession({
      store: new SqliteSessionStore({ path }),
      clock: clock.now,
      backgroundTimeout: 60,
      ...extra,
    });

  test('continues the session within the background timeout, eventIndex going on', () => {
    const path = freshPath();
    const clock = new FakeClock();
    const a = reopen(path, clock);
    a.stamp(eventId(), clock.time);
    const last = a.stamp(eventId(), clock.time);
    a.close();
    clock.advanceSeconds(60);
    const b = reopen(path, clock);
    const next = b.stamp(eventId(), clock.time);
    assert.equal(next.sessionId, last.sessionId);
    assert.equal(next.eventIndex, last.eventIndex + 1);
    assert.equal(next.userId, last.userId);
    b.close();
  });

  test('rotates when the app was closed for longer than the background timeout', () => {
    const path = freshPath();
    const clock = new FakeClock();
    const a = reopen(path, clock);
    const last = a.stamp(eventId(), clock.time);
    a.close();
    clock.advanceSeconds(61);
    const b = reopen(path, clock);
    const next = b.stamp(eventId(), clock.time);
    assert.equal(next.sessionIndex, last.sessionIndex + 1);
    assert.equal(next.previousSessionId, last.sessionId);
    assert.equal(next.userId, last.userId);
    b.close();
  });

  test('with continueSessionOnRestart off, every start opens a new session', () => {
    const path = freshPath();
    const clock = new FakeClock();
    const a = reopen(path, clock, { continueSessionOnRestart: false });
    const last = a.stamp(eventId(), clock.time);
    a.close();
    clock.advanceSeconds(1);
    const b = reopen(path, clock, { continueSessionOnRestart: false });
    const next = b.stamp(eventId(), clock.time);
    assert.equal(next.sessionIndex, last.sessionIndex + 1);
    assert.equal(next.previousSessionId, last.sessionId);
    assert.equal(next.eventIndex, 1);
    b.close();
  });

  describe('close() is the quit: a transition, and the time closed counts from it', () => {
    const open = (path: string, clock: FakeClock, fg: number, bg: number) =>
      reopen(path, clock, { foregroundTimeout: fg, backgroundTimeout: bg });

    test('a session expired in the foreground before the quit rotates at the next start', () => {
      const path = freshPath();
      const clock = new FakeClock();
      const a = open(path, clock, 60, 1800);
      const first = a.stamp(eventId(), clock.time);
      clock.advanceSeconds(600);
      a.close();
      // 60 s closed is well within the background timeout, but the session was over already.
      clock.advanceSeconds(60);
      const b = open(path, clock, 60, 1800);
      const next = b.stamp(eventId(), clock.time);
      assert.equal(next.previousSessionId, first.sessionId);
      b.close();
    });

    test('idle time in the foreground before the quit is not counted as time closed', () => {
      const path = freshPath();
      const clock = new FakeClock();
      const a = open(path, clock, 1800, 300);
      const first = a.stamp(eventId(), clock.time);
      clock.advanceSeconds(240);
      a.close();
      clock.advanceSeconds(120);
      const b = open(path, clock, 1800, 300);
      assert.equal(b.stamp(eventId(), clock.time).sessionId, first.sessionId);
      b.close();
    });

    test('after a crash the time closed counts from the last activity', () => {
      const path = freshPath();
      const clock = new FakeClock();
      const a = open(path, clock, 1800, 300);
      const first = a.stamp(eventId(), clock.time);
      clock.advanceSeconds(240);
      a.flush();
      // Killed after will-quit's flush: 240 s + 120 s is over the 300 s background timeout.
      clock.advanceSeconds(120);
      const b = open(path, clock, 1800, 300);
      assert.equal(b.stamp(eventId(), clock.time).previousSessionId, first.sessionId);
      b.close();
    });

    test('flush() is no activity: the session still expires from the last event', () => {
      const clock = new FakeClock();
      const session = new ClientSession({
        store: new MemorySessionStore(),
        clock: clock.now,
        foregroundTimeout: 60,
      });
      const first = session.stamp(eventId(), clock.time);
      clock.advanceSeconds(50);
      session.flush();
      clock.advanceSeconds(11);
      assert.equal(session.stamp(eventId(), clock.time).previousSessionId, first.sessionId);
    });
  });

  test('a restart without close() (a crash) never repeats an eventIndex', () => {
    const path = freshPath();
    const clock = new FakeClock();
    const a = reopen(path, clock);
    let last = a.stamp(eventId(), clock.time);
    for (let i = 0; i < 10; i++) last = a.stamp(eventId(), clock.time);
    // No close(): the process "dies" here with its store still open.
    const b = reopen(path, clock);
    const next = b.stamp(eventId(), clock.time);
    assert.equal(next.sessionId, last.sessionId);
    assert.ok(next.eventIndex > last.eventIndex);
    b.close();
  });

  test('getSnapshot() after a restart shows no entity until the first stamp', () => {
    const path = freshPath();
    const clock = new FakeClock();
    const a = reopen(path, clock);
    let last = a.stamp(eventId(), clock.time);
    for (let i = 0; i < 4; i++) last = a.stamp(eventId(), clock.time);
    // Crash: the store holds the reservation (128), not the last index handed out (5).
    const b = reopen(path, clock);
    assert.equal(b.getSnapshot().entity, null, 'no index that was never handed out');
    assert.equal(b.getSnapshot().newSessionDue, false, 'the session goes on');
    const next = b.stamp(eventId(), clock.time);
    assert.equal(next.sessionId, last.sessionId);
    assert.deepEqual(b.getSnapshot().entity, next);
    b.close();
  });

  test('startNewSession() survives a restart, and calling it twice rotates once', () => {
    const path = freshPath();
    const clock = new FakeClock();
    const a = reopen(path, clock);
    const first = a.stamp(eventId(), clock.time);
    a.startNewSession();
    a.startNewSession();
    // Crash: nothing flushed on the way out.
    const b = reopen(path, clock);
    const second = b.stamp(eventId(), clock.time);
    const third = b.stamp(eventId(), clock.time);
    assert.equal(second.sessionIndex, first.sessionIndex + 1);
    assert.equal(second.previousSessionId, first.sessionId);
    assert.equal(third.sessionId, second.sessionId);
    b.close();
  });

  test('the user id is kept per installation and shared by named sessions', () => {
    const path = freshPath();
    const clock = new FakeClock();
    const one = new ClientSession({
      store: new SqliteSessionStore({ path, name: 'app' }),
      clock: clock.now,
    });
    const two = new ClientSession({
      store: new SqliteSessionStore({ path, name: 'helper' }),
      clock: clock.now,
    });
    const a = one.stamp(eventId(), clock.time);
    const b = two.stamp(eventId(), clock.time);
    assert.equal(a.userId, b.userId);
    assert.notEqual(a.sessionId, b.sessionId);
    assert.equal(b.sessionIndex, 1);
    one.close();
    two.close();
  });
});

describe('anonymous mode (SPEC 2)', () => {
  test('reports the zero user id and a null previousSessionId, keeping the real ones', () => {
    const clock = new FakeClock();
    const store = new MemorySessionStore();
    const session = new ClientSession({ store, clock: clock.now, foregroundTimeout: 1 });
    const identified = session.stamp(eventId(), clock.time);
    session.setAnonymous(true);
    const anonymous = session.stamp(eventId(), clock.time);
    assertValidClientSession(anonymous);
    assert.equal(anonymous.userId, '00000000-0000-0000-0000-000000000000');
    assert.equal(anonymous.previousSessionId, null);
    assert.equal(anonymous.sessionIndex, identified.sessionIndex + 1);
    assert.equal(store.getSession()?.userId, identified.userId);
    assert.equal(store.getSession()?.previousSessionId, identified.sessionId);
  });

  test('toggling starts a new session at the next event, both ways', () => {
    const clock = new FakeClock();
    const session = new ClientSession({ store: new MemorySessionStore(), clock: clock.now });
    const a = session.stamp(eventId(), clock.time);
    session.setAnonymous(true);
    session.setAnonymous(true);
    const b = session.stamp(eventId(), clock.time);
    session.setAnonymous(false);
    const c = session.stamp(eventId(), clock.time);
    assert.deepEqual([a.sessionIndex, b.sessionIndex, c.sessionIndex], [1, 2, 3]);
    assert.equal(c.userId, a.userId);
    // Leaving anonymous mode does not link the anonymous session to the real user.
    assert.equal(c.previousSessionId, null);
    session.startNewSession();
    assert.equal(session.stamp(eventId(), clock.time).previousSessionId, c.sessionId);
  });

  test('leaving it, the store keeps the real previous id; the entity names none, also after a restart', () => {
    const path = freshPath();
    const clock = new FakeClock();
    const open = () =>
      new ClientSession({ store: new SqliteSessionStore({ path }), clock: clock.now });
    const a = open();
    a.setAnonymous(true);
    const anonymous = a.stamp(eventId(), clock.time);
    a.setAnonymous(false);
    const identified = a.stamp(eventId(), clock.time);
    assert.equal(identified.previousSessionId, null);
    const reader = new SqliteSessionStore({ path, checkpointInWorker: false });
    assert.equal(reader.getSession()?.previousSessionId, anonymous.sessionId);
    reader.close();

    // Killed, and started again: the same session, still not tied to the anonymous one.
    const b = open();
    const resumed = b.stamp(eventId(), clock.time);
    assert.equal(resumed.sessionId, identified.sessionId);
    assert.equal(resumed.previousSessionId, null);
    b.startNewSession();
    assert.equal(b.stamp(eventId(), clock.time).previousSessionId, identified.sessionId);
    b.close();
  });

  test('starting with the option changed from the stored session starts a new session', () => {
    const path = freshPath();
    const clock = new FakeClock();
    const a = new ClientSession({ store: new SqliteSessionStore({ path }), clock: clock.now });
    const first = a.stamp(eventId(), clock.time);
    a.close();
    const b = new ClientSession({
      store: new SqliteSessionStore({ path }),
      clock: clock.now,
      anonymous: true,
    });
    const next = b.stamp(eventId(), clock.time);
    assert.equal(next.sessionIndex, first.sessionIndex + 1);
    assert.equal(next.userId, '00000000-0000-0000-0000-000000000000');
    b.close();
  });
});

describe('controls and callbacks (SPEC 5)', () => {
  test('extend() keeps a session alive past its timeout', () => {
    const clock = new FakeClock();
    const session = new ClientSession({
      store: new MemorySessionStore(),
      clock: clock.now,
      foregroundTimeout: 10,
    });
    const first = session.stamp(eventId(), clock.time);
    for (let i = 0; i < 5; i++) {
      clock.advanceSeconds(9);
      session.extend();
    }
    clock.advanceSeconds(9);
    assert.equal(session.stamp(eventId(), clock.time).sessionId, first.sessionId);
  });

  test('onSessionStart sees each new session once; a throwing listener breaks nothing', () => {
    const clock = new FakeClock();
    const quiet = { error() {}, warn() {}, info() {}, debug() {} };
    const session = new ClientSession({
      store: new MemorySessionStore(),
      clock: clock.now,
      logger: quiet,
    });
    const started: number[] = [];
    session.onSessionStart(() => {
      throw new Error('listener bug');
    });
    const off = session.onSessionStart((entity) => started.push(entity.sessionIndex));
    session.stamp(eventId(), clock.time);
    session.stamp(eventId(), clock.time);
    session.startNewSession();
    session.stamp(eventId(), clock.time);
    off();
    session.startNewSession();
    session.stamp(eventId(), clock.time);
    assert.deepEqual(started, [1, 2]);
  });

  test('timeouts change at run time', () => {
    const clock = new FakeClock();
    const session = new ClientSession({ store: new MemorySessionStore(), clock: clock.now });
    const first = session.stamp(eventId(), clock.time);
    session.setForegroundTimeout(5);
    clock.advanceSeconds(6);
    assert.notEqual(session.stamp(eventId(), clock.time).sessionId, first.sessionId);
    assert.throws(() => session.setForegroundTimeout(0), /electron-client-session: .*seconds/);
    assert.throws(() => session.setBackgroundTimeout(Number.POSITIVE_INFINITY), {
      name: 'ClientSessionError',
    });
  });

  test('getSnapshot() reports expiry and never rotates', () => {
    const clock = new FakeClock();
    const session = new ClientSession({
      store: new MemorySessionStore(),
      clock: clock.now,
      foregroundTimeout: 30,
    });
    assert.equal(session.getSnapshot().entity, null);
    const first = session.stamp(eventId(), clock.time);
    const snapshot = session.getSnapshot();
    assert.deepEqual(snapshot.entity, first);
    assert.equal(snapshot.expiresAt, clock.time + 30_000);
    assert.equal(snapshot.isBackground, false);
    clock.advanceSeconds(3600);
    assert.deepEqual(session.getSnapshot().entity, first);
    assert.equal(structuredClone(snapshot).expiresAt, snapshot.expiresAt);
  });

  test('calls after close() throw a CLOSED error', () => {
    const session = new ClientSession({ store: new MemorySessionStore() });
    session.close();
    session.close();
    assert.throws(() => session.stamp(eventId(), Date.now()), { code: 'CLOSED' });
  });
});
