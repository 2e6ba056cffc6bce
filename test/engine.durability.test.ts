import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { ClientSession, MemorySessionStore, SqliteSessionStore } from '../src/main';
import type { StoredSession } from '../src/main';
import { FakeClock } from './support/clock';
import { eventId } from './support/ids';
import { tempDir } from './support/tmp';

/** A memory store that counts writes, and can be reopened as if after a crash. */
class CountingStore extends MemorySessionStore {
  writes = 0;

  override setSession(session: StoredSession): void {
    this.writes += 1;
    super.setSession(session);
  }
}

test('a busy session writes its store once per block of events, not per event', () => {
  const clock = new FakeClock();
  const store = new CountingStore();
  const session = new ClientSession({ store, clock: clock.now });
  for (let i = 0; i < 50_000; i++) session.stamp(eventId(), clock.time);
  // Blocks double from 128 up to 8192 while they last under a second.
  assert.ok(store.writes < 15, `${store.writes} writes for 50000 events`);
  assert.ok((store.getSession()?.eventIndex ?? 0) >= 50_000, 'every issued index is reserved');
});

test('a quiet session keeps small reservations, so a crash leaves a small gap', () => {
  const clock = new FakeClock();
  const store = new CountingStore();
  const first = new ClientSession({ store, clock: clock.now });
  let last = first.stamp(eventId(), clock.time);
  for (let i = 0; i < 300; i++) {
    clock.advanceSeconds(2);
    last = first.stamp(eventId(), clock.time);
  }
  // Crash: no close(). The next instance continues above every index handed out.
  const second = new ClientSession({ store, clock: clock.now });
  const next = second.stamp(eventId(), clock.time);
  assert.equal(next.sessionId, last.sessionId);
  assert.ok(next.eventIndex > last.eventIndex);
  assert.ok(next.eventIndex - last.eventIndex <= 128, `gap ${next.eventIndex - last.eventIndex}`);
});

test('lastActivity reaches the store at least once a second while events flow', () => {
  const clock = new FakeClock();
  const store = new CountingStore();
  const session = new ClientSession({ store, clock: clock.now });
  for (let i = 0; i < 100; i++) {
    session.stamp(eventId(), clock.time);
    clock.advance(100);
    const stored = store.getSession()?.lastActivity ?? 0;
    assert.ok(clock.time - stored <= 1100, `store ${clock.time - stored} ms behind`);
  }
});

test('two writers of one store number their events in stamp order once they see each other', () => {
  const clock = new FakeClock();
  const path = join(tempDir(), 'shared.sqlite');
  const open = () =>
    new ClientSession({ store: new SqliteSessionStore({ path }), clock: clock.now });
  const a = open();
  a.stamp(eventId(), clock.time);
  const b = open();
  const indexes: number[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    clock.advance(150);
    const entity = (i % 2 === 0 ? a : b).stamp(eventId(), clock.time);
    const key = `${entity.sessionId}/${entity.eventIndex}`;
    assert.ok(!seen.has(key), `${key} issued twice`);
    seen.add(key);
    indexes.push(entity.eventIndex);
  }
  // Each writer notices the other at its next write, within a second (the lastActivity flush);
  // from then on, one index after the other, whoever stamps.
  const tail = indexes.slice(16);
  assert.deepEqual(
    tail,
    tail.map((_, i) => tail[0]! + i),
    `indexes in stamp order: ${indexes.join(' ')}`,
  );
  a.close();
  b.close();
});
