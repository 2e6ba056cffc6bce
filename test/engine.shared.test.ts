// Two instances of the engine on one store and name, as two processes of one app (SPEC 6): each
// must respect what the other wrote.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { ClientSession, SqliteSessionStore } from '../src/main';
import type { ClientSessionOptions } from '../src/main';
import { FakeClock } from './support/clock';
import { eventId } from './support/ids';
import { assertValidClientSession } from './support/schemas';
import { tempDir } from './support/tmp';

const ZERO = '00000000-0000-0000-0000-000000000000';
const dir = tempDir();
let files = 0;

/** Opens instances on one fresh SQLite file, each with its own connection, on one clock. */
function sharedStore(clock: FakeClock) {
  const path = join(dir, `shared${files++}.sqlite`);
  const open = (extra: Partial<ClientSessionOptions> = {}) =>
    new ClientSession({ store: new SqliteSessionStore({ path }), clock: clock.now, ...extra });
  const peek = () => new SqliteSessionStore({ path, checkpointInWorker: false });
  return { open, peek };
}

describe('an instance that finds a session of the other anonymous mode in the store', () => {
  test('an anonymous one starts its own session and never reports the real user id', () => {
    const clock = new FakeClock();
    const { open } = sharedStore(clock);
    const app = open();
    const helper = open({ anonymous: true });
    helper.stamp(eventId(), clock.time);
    clock.advance(100);
    app.startNewSession();
    const identified = app.stamp(eventId(), clock.time);
    assert.notEqual(identified.userId, ZERO);

    // The helper's next write (the lastActivity flush) reads the app's session.
    clock.advance(1500);
    const entity = helper.stamp(eventId(), clock.time);
    assertValidClientSession(entity);
    assert.equal(entity.userId, ZERO);
    assert.equal(entity.previousSessionId, null);
    assert.notEqual(entity.sessionId, identified.sessionId, 'no anonymous event in it');
    assert.equal(entity.sessionIndex, identified.sessionIndex + 1, 'its indexes are skipped');
    app.close();
    helper.close();
  });

  test('an identified one starts its own session and reports the real user id', () => {
    const clock = new FakeClock();
    const { open } = sharedStore(clock);
    const app = open();
    const realUserId = app.stamp(eventId(), clock.time).userId;
    const helper = open({ anonymous: true });
    clock.advance(100);
    helper.startNewSession();
    const anonymous = helper.stamp(eventId(), clock.time);
    assert.equal(anonymous.userId, ZERO);

    clock.advance(1500);
    const entity = app.stamp(eventId(), clock.time);
    assertValidClientSession(entity);
    assert.equal(entity.userId, realUserId);
    assert.notEqual(entity.sessionId, anonymous.sessionId);
    assert.equal(entity.sessionIndex, anonymous.sessionIndex + 1);
    app.close();
    helper.close();
  });
});

describe('an instance that stamps rarely', () => {
  const timeouts = { foregroundTimeout: 1800, backgroundTimeout: 1800 };

  test('continues the session another process kept alive past its own timeout', () => {
    const clock = new FakeClock();
    const { open } = sharedStore(clock);
    const main = open(timeouts);
    const helper = open(timeouts);
    const first = main.stamp(eventId(), clock.time);
    const entities = [first, helper.stamp(eventId(), clock.time)];
    assert.equal(entities[1]?.sessionId, first.sessionId);
    // 40 minutes of events in the main process, one every 10 s; none in the helper.
    for (let i = 0; i < 240; i++) {
      clock.advanceSeconds(10);
      entities.push(main.stamp(eventId(), clock.time));
    }
    const fromHelper = helper.stamp(eventId(), clock.time);
    assert.equal(fromHelper.sessionId, first.sessionId);
    clock.advance(1);
    const fromMain = main.stamp(eventId(), clock.time);
    assert.equal(fromMain.sessionId, first.sessionId);
    entities.push(fromHelper, fromMain);
    const pairs = new Set(entities.map((e) => `${e.sessionId}#${e.eventIndex}`));
    assert.equal(pairs.size, entities.length, 'no (sessionId, eventIndex) pair twice');
    main.close();
    helper.close();
  });

  test('a transition there does not end the session the other process keeps alive', () => {
    const clock = new FakeClock();
    const { open } = sharedStore(clock);
    const main = open(timeouts);
    const helper = open(timeouts);
    const first = main.stamp(eventId(), clock.time);
    for (let i = 0; i < 240; i++) {
      clock.advanceSeconds(10);
      main.stamp(eventId(), clock.time);
    }
    helper.setIsBackground(true);
    helper.extend();
    assert.equal(helper.getSnapshot().newSessionDue, false);
    clock.advance(1);
    assert.equal(main.stamp(eventId(), clock.time).sessionId, first.sessionId);
    main.close();
    helper.close();
  });

  test('still starts a new session when nobody kept the session alive', () => {
    const clock = new FakeClock();
    const { open } = sharedStore(clock);
    const main = open(timeouts);
    const helper = open(timeouts);
    const first = main.stamp(eventId(), clock.time);
    helper.stamp(eventId(), clock.time);
    clock.advanceSeconds(1801);
    const next = helper.stamp(eventId(), clock.time);
    assert.equal(next.previousSessionId, first.sessionId);
    main.close();
    helper.close();
  });
});

describe('an idle instance writing the store', () => {
  const timeouts = { foregroundTimeout: 60, backgroundTimeout: 60 };

  for (const [name, call] of [
    ['close()', (s: ClientSession) => s.close()],
    ['flush()', (s: ClientSession) => s.flush()],
    ['startNewSession()', (s: ClientSession) => s.startNewSession()],
    ['setAnonymous()', (s: ClientSession) => s.setAnonymous(true)],
  ] as const) {
    test(`never moves the stored lastActivity back, by ${name}`, () => {
      const clock = new FakeClock();
      const { open, peek } = sharedStore(clock);
      const idle = open(timeouts);
      idle.stamp(eventId(), clock.time);
      const busy = open(timeouts);
      for (let i = 0; i < 50; i++) {
        clock.advanceSeconds(1);
        busy.stamp(eventId(), clock.time);
      }
      const reader = peek();
      const before = reader.getSession()?.lastActivity;
      assert.equal(before, clock.time);
      call(idle);
      assert.equal(reader.getSession()?.lastActivity, before);
      reader.close();
    });
  }

  test('so that a restart after the busy one was killed continues its session', () => {
    const clock = new FakeClock();
    const { open } = sharedStore(clock);
    const idle = open(timeouts);
    idle.stamp(eventId(), clock.time);
    const busy = open(timeouts);
    let last = busy.stamp(eventId(), clock.time);
    for (let i = 0; i < 50; i++) {
      clock.advanceSeconds(1);
      last = busy.stamp(eventId(), clock.time);
    }
    idle.close();
    // busy is killed here; the app starts again 20 s later, within the 60 s timeout.
    clock.advanceSeconds(20);
    const restarted = open(timeouts);
    assert.equal(restarted.stamp(eventId(), clock.time).sessionId, last.sessionId);
    restarted.close();
  });
});

describe('a new-session request on a shared store', () => {
  test('made again after another process answered the first one, is still honoured', () => {
    const clock = new FakeClock();
    const { open } = sharedStore(clock);
    const a = open();
    const b = open();
    const first = a.stamp(eventId(), clock.time);
    a.startNewSession();
    clock.advance(100);
    const started = b.stamp(eventId(), clock.time);
    assert.equal(started.sessionIndex, first.sessionIndex + 1, 'b answered the first request');

    clock.advance(100);
    a.startNewSession();
    clock.advance(100);
    const next = a.stamp(eventId(), clock.time);
    assert.notEqual(next.sessionId, started.sessionId, 'the second request was not lost');
    assert.equal(next.sessionIndex, started.sessionIndex + 1);
    assert.equal(next.previousSessionId, started.sessionId);
    a.close();
    b.close();
  });
});
