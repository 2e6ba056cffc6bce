import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { ClientSession, SqliteSessionStore } from '../src/main';
import type { ClientSessionEntity } from '../src/main';
import { FakeClock } from './support/clock';
import { eventId } from './support/ids';
import { assertValidClientSession } from './support/schemas';
import { tempDir } from './support/tmp';

const dir = tempDir('ecs-concurrency-');
let files = 0;
const newPath = (): string => join(dir, `s${files++}.sqlite`);

function assertOneSessionNoRepeats(entities: readonly ClientSessionEntity[]): void {
  for (const entity of entities) assertValidClientSession(entity);
  assert.equal(new Set(entities.map((e) => e.sessionId)).size, 1, 'one session');
  assert.equal(entities[0]?.sessionIndex, 1);
  const pairs = new Set(entities.map((e) => `${e.sessionId}#${e.eventIndex}`));
  assert.equal(pairs.size, entities.length, 'no (sessionId, eventIndex) pair twice');
}

describe('many windows stamping their first event at the same moment', () => {
  test('through the one main-process session: one session, indexes 1 to n', async () => {
    const session = new ClientSession({ store: new SqliteSessionStore({ path: newPath() }) });
    let go!: () => void;
    const start = new Promise<void>((resolve) => (go = resolve));
    // Each window's IPC request arrives in the same turn of the event loop.
    const windows = Array.from({ length: 50 }, async () => {
      await start;
      return session.stamp(eventId(), Date.now());
    });
    go();
    const entities = await Promise.all(windows);
    session.close();
    assertOneSessionNoRepeats(entities);
    assert.deepEqual(
      entities.map((e) => e.eventIndex).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  test('through several sessions on one SQLite file: still one session', () => {
    const path = newPath();
    const clock = new FakeClock();
    const sessions = Array.from(
      { length: 5 },
      () => new ClientSession({ store: new SqliteSessionStore({ path }), clock: clock.now }),
    );
    const entities: ClientSessionEntity[] = [];
    for (let round = 0; round < 3; round++) {
      for (const session of sessions) entities.push(session.stamp(eventId(), clock.time));
      clock.advance(5);
    }
    for (const session of sessions) session.close();
    assertOneSessionNoRepeats(entities);
  });
});

describe('a session another writer of the store started (SPEC 6, two processes)', () => {
  test('is joined when it is live, instead of starting a second one right after it', () => {
    const path = newPath();
    const clock = new FakeClock();
    const make = () =>
      new ClientSession({ store: new SqliteSessionStore({ path }), clock: clock.now });
    const a = make();
    const b = make();
    const starts: string[] = [];
    const changes: string[] = [];
    b.onSessionStart((entity) => starts.push(entity.sessionId));
    b.onChange((snapshot) => changes.push(snapshot.entity?.sessionId ?? 'none'));

    const first = a.stamp(eventId(), clock.time);
    assert.equal(b.stamp(eventId(), clock.time).sessionId, first.sessionId);
    clock.advanceSeconds(31 * 60);
    const rotated = a.stamp(eventId(), clock.time);
    assert.equal(rotated.sessionIndex, 2);

    // b last saw session 1, idle for 31 minutes: expired for b, but a just started session 2.
    const joined = b.stamp(eventId(), clock.time);
    assert.equal(joined.sessionId, rotated.sessionId);
    assert.equal(joined.sessionIndex, 2);
    assert.ok(joined.eventIndex > rotated.eventIndex);
    assert.deepEqual(starts, [], 'b started no session of its own: it joined both');
    assert.deepEqual(changes.at(-1), rotated.sessionId);
    a.close();
    b.close();
  });

  test('is not joined when it has expired too', () => {
    const path = newPath();
    const clock = new FakeClock();
    const make = () =>
      new ClientSession({ store: new SqliteSessionStore({ path }), clock: clock.now });
    const a = make();
    const b = make();
    a.stamp(eventId(), clock.time);
    clock.advanceSeconds(31 * 60);
    const second = a.stamp(eventId(), clock.time);
    clock.advanceSeconds(31 * 60);
    const third = b.stamp(eventId(), clock.time);
    assert.equal(third.sessionIndex, 3);
    assert.equal(third.previousSessionId, second.sessionId);
    a.close();
    b.close();
  });
});
