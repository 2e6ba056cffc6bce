import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { ClientSession, MemorySessionStore, SqliteSessionStore } from '../src/main';
import type { SessionStore } from '../src/main';
import { FakeClock } from './support/clock';
import { eventId } from './support/ids';
import { assertValidClientSession } from './support/schemas';
import { tempDir } from './support/tmp';

const dir = tempDir();
let files = 0;
const stores: Record<string, () => SessionStore> = {
  memory: () => new MemorySessionStore(),
  sqlite: () => new SqliteSessionStore({ path: join(dir, `s${files++}.sqlite`) }),
};

for (const [kind, makeStore] of Object.entries(stores)) {
  describe(`stamping (SPEC 3) with the ${kind} store`, () => {
    const make = (clock: FakeClock, extra = {}) =>
      new ClientSession({ store: makeStore(), clock: clock.now, ...extra });

    test('the first event starts session 1 with event 1 and a null previousSessionId', () => {
      const clock = new FakeClock();
      const session = make(clock);
      const eid = eventId();
      const entity = session.stamp(eid, clock.time - 5);
      assertValidClientSession(entity);
      assert.equal(entity.sessionIndex, 1);
      assert.equal(entity.eventIndex, 1);
      assert.equal(entity.previousSessionId, null);
      assert.ok(Object.hasOwn(entity, 'previousSessionId'));
      assert.equal(entity.firstEventId, eid);
      assert.equal(entity.firstEventTimestamp, new Date(clock.time - 5).toISOString());
      assert.equal(entity.storageMechanism, kind === 'sqlite' ? 'SQLITE' : 'LOCAL_STORAGE');
    });

    test('eventIndex counts up by one within a session', () => {
      const clock = new FakeClock();
      const session = make(clock);
      const indexes = Array.from({ length: 300 }, () => {
        clock.advance(10);
        return session.stamp(eventId(), clock.time).eventIndex;
      });
      assert.deepEqual(
        indexes,
        Array.from({ length: 300 }, (_, i) => i + 1),
      );
    });

    test('exactly at the timeout the session continues; one millisecond later it rotates', () => {
      const clock = new FakeClock();
      const session = make(clock, { foregroundTimeout: 60 });
      const first = session.stamp(eventId(), clock.time);
      clock.advanceSeconds(60);
      const same = session.stamp(eventId(), clock.time);
      assert.equal(same.sessionId, first.sessionId);
      clock.advance(60_001);
      const next = session.stamp(eventId(), clock.time);
      assert.notEqual(next.sessionId, first.sessionId);
      assert.equal(next.sessionIndex, 2);
      assert.equal(next.eventIndex, 1);
      assert.equal(next.previousSessionId, first.sessionId);
    });

    test('the timeout is chosen by the state before the event', () => {
      const clock = new FakeClock();
      const session = make(clock, { foregroundTimeout: 100, backgroundTimeout: 10 });
      const first = session.stamp(eventId(), clock.time);
      session.setIsBackground(true);
      clock.advanceSeconds(50);
      // 50 s in the background is over the 10 s background timeout.
      const second = session.stamp(eventId(), clock.time);
      assert.notEqual(second.sessionId, first.sessionId);
    });

    test('a clock step back within the tolerance keeps the session', () => {
      const clock = new FakeClock();
      const session = make(clock);
      const first = session.stamp(eventId(), clock.time);
      clock.advanceSeconds(-59);
      assert.equal(session.stamp(eventId(), clock.time).sessionId, first.sessionId);
      // lastActivity did not move back.
      assert.equal(session.getSnapshot().lastActivity, clock.time + 59_000);
    });

    test('a clock step back beyond the tolerance starts a new session', () => {
      const clock = new FakeClock();
      const session = make(clock);
      const first = session.stamp(eventId(), clock.time);
      clock.advanceSeconds(-61);
      assert.notEqual(session.stamp(eventId(), clock.time).sessionId, first.sessionId);
    });

    test('hours idle with no events create no session', () => {
      const clock = new FakeClock();
      const session = make(clock, { foregroundTimeout: 1 });
      session.stamp(eventId(), clock.time);
      for (let i = 0; i < 10; i++) {
        clock.advanceSeconds(3600);
        session.extend();
      }
      assert.equal(session.stamp(eventId(), clock.time).sessionIndex, 2);
    });

    test('bad input throws a prefixed error and changes nothing', () => {
      const clock = new FakeClock();
      const session = make(clock);
      const before = session.stamp(eventId(), clock.time);
      assert.throws(() => session.stamp('not-a-uuid', clock.time), /^.*electron-client-session: /);
      assert.throws(() => session.stamp(eventId(), Number.NaN), { name: 'ClientSessionError' });
      assert.equal(session.stamp(eventId(), clock.time).eventIndex, before.eventIndex + 1);
    });

    test('a timestamp past year 9999 (a unit mistake) is refused; the last millisecond is not', () => {
      const clock = new FakeClock();
      const session = make(clock);
      // Microseconds for milliseconds, and the largest Date: six-digit years are no date-time.
      for (const timestamp of [clock.time * 1000, 8.64e15]) {
        assert.throws(() => session.stamp(eventId(), timestamp), {
          code: 'INVALID_ARGUMENT',
          message: /^electron-client-session: stamp\(timestamp\) .*end of year 9999/,
        });
      }
      assert.equal(session.getSnapshot().entity, null, 'no session was started');
      const last = session.stamp(eventId(), Date.UTC(9999, 11, 31, 23, 59, 59, 999));
      assertValidClientSession(last);
      assert.equal(last.firstEventTimestamp, '9999-12-31T23:59:59.999Z');
    });
  });
}
