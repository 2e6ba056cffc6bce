import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';

import {
  buildPageView,
  buildScreenView,
  buildSelfDescribingEvent,
  buildStructEvent,
  newTracker,
} from '@snowplow/node-tracker';
import { payloadBuilder } from '@snowplow/tracker-core';
import type { CorePlugin } from '@snowplow/tracker-core';

import {
  CLIENT_SESSION_SCHEMA,
  ClientSession,
  MemorySessionStore,
  SqliteSessionStore,
  clientSessionPlugin,
} from '../src/main';
import { startCollector } from './support/collector';
import { eventId } from './support/ids';
import { assertValidClientSession } from './support/schemas';
import { tempDir } from './support/tmp';

test('events of several kinds reach a real collector with one valid client_session each', async () => {
  const collector = await startCollector();
  after(() => collector.close());
  const session = new ClientSession({
    store: new SqliteSessionStore({ path: join(tempDir(), 'tracker.sqlite') }),
  });
  after(() => session.close());

  const tracker = newTracker(
    { namespace: 'test', appId: 'electron-client-session' },
    { endpoint: collector.endpoint, bufferSize: 1 },
  );
  const plugin: CorePlugin = clientSessionPlugin(session);
  tracker.addPlugin({ plugin });

  tracker.track(buildPageView({ pageUrl: 'app://index.html' }));
  tracker.track(buildStructEvent({ category: 'ui', action: 'click' }));
  tracker.track(buildScreenView({ name: 'settings', id: crypto.randomUUID() }));
  tracker.track(
    buildSelfDescribingEvent({
      event: { schema: 'iglu:com.acme/thing/jsonschema/1-0-0', data: { n: 1 } },
    }),
  );
  const trueTimestamp = Date.UTC(2026, 0, 1, 12, 0, 0, 7);
  tracker.track(buildStructEvent({ category: 'ui', action: 'late' }), [], {
    type: 'ttm',
    value: trueTimestamp,
  });
  await tracker.flush();
  const events = await collector.waitFor(5);

  const entities = events.map((event) => {
    const found = event.entities.filter((e) => e.schema === CLIENT_SESSION_SCHEMA);
    assert.equal(found.length, 1, `one client_session on ${event.payload.e}`);
    assertValidClientSession(found[0]!.data);
    return found[0]!.data;
  });
  assert.deepEqual(
    events.map((e) => e.payload.e),
    ['pv', 'se', 'ue', 'ue', 'se'],
  );
  assert.deepEqual(
    entities.map((e) => e.eventIndex),
    [1, 2, 3, 4, 5],
  );
  assert.equal(new Set(entities.map((e) => e.sessionId)).size, 1);
  assert.equal(entities[0]!.firstEventId, events[0]!.payload.eid);
  assert.equal(
    entities[0]!.firstEventTimestamp,
    new Date(Number(events[0]!.payload.dtm)).toISOString(),
  );
  assert.deepEqual(session.getSnapshot().entity, entities[4]);

  // A session whose first event carried a true timestamp reports that one.
  session.startNewSession();
  tracker.track(buildStructEvent({ category: 'ui', action: 'late' }), [], {
    type: 'ttm',
    value: trueTimestamp,
  });
  await tracker.flush();
  const [rotated] = (await collector.waitFor(6)).slice(5);
  const entity = rotated!.entities.find((e) => e.schema === CLIENT_SESSION_SCHEMA)!.data;
  assert.equal(entity.firstEventTimestamp, new Date(trueTimestamp).toISOString());
  assert.equal(entity.sessionIndex, 2);
  assert.deepEqual(session.getSnapshot().entity, entity);
});

test('an event that cannot be stamped goes out without the entity; each kind of failure is logged once', async () => {
  const collector = await startCollector();
  after(() => collector.close());
  const session = new ClientSession({ store: new MemorySessionStore() });
  const errors: string[] = [];
  const ignore = (): void => undefined;
  const logger = {
    error: (message: string, error?: unknown) => {
      errors.push(`${message}: ${(error as { code?: string } | undefined)?.code}`);
    },
    warn: ignore,
    info: ignore,
    debug: ignore,
  };
  const tracker = newTracker(
    { namespace: 'test', appId: 'electron-client-session' },
    { endpoint: collector.endpoint, bufferSize: 1 },
  );
  tracker.addPlugin({ plugin: clientSessionPlugin(session, { logger }) });

  // A true timestamp in microseconds by mistake, twice, then events after close().
  const micros = { type: 'ttm' as const, value: Date.now() * 1000 };
  tracker.track(buildStructEvent({ category: 'ui', action: 'micros' }), [], micros);
  tracker.track(buildStructEvent({ category: 'ui', action: 'micros' }), [], micros);
  tracker.track(buildStructEvent({ category: 'ui', action: 'fine' }));
  session.close();
  tracker.track(buildStructEvent({ category: 'ui', action: 'closed' }));
  tracker.track(buildStructEvent({ category: 'ui', action: 'closed' }));
  await tracker.flush();
  const events = await collector.waitFor(5);

  const attached = events.map(
    (event) => event.entities.filter((e) => e.schema === CLIENT_SESSION_SCHEMA).length,
  );
  assert.deepEqual(attached, [0, 0, 1, 0, 0]);
  assert.deepEqual(errors, [
    'an event could not be stamped and was sent without client_session: INVALID_ARGUMENT',
    'an event could not be stamped and was sent without client_session: CLOSED',
  ]);
});

test('a payload without a usable eid or timestamp is reported with the value it held', () => {
  const session = new ClientSession({ store: new MemorySessionStore() });
  const messages: string[] = [];
  const ignore = (): void => undefined;
  const logger = {
    error: (_message: string, error?: unknown) => messages.push((error as Error).message),
    warn: ignore,
    info: ignore,
    debug: ignore,
  };
  const cases: [Record<string, unknown>, string][] = [
    [{ dtm: String(Date.now()) }, 'its eid), got undefined'],
    [{ eid: 42, dtm: String(Date.now()) }, 'its eid), got 42'],
    [{ eid: 'undefined', dtm: String(Date.now()) }, 'its eid), got "undefined"'],
    [{ eid: eventId(), dtm: 'soon' }, 'end of year 9999), got "soon"'],
  ];
  for (const [fields, expected] of cases) {
    // A new plugin each time: each reports its first failure of a kind only.
    const plugin = clientSessionPlugin(session, { logger });
    const builder = payloadBuilder();
    builder.addDict(fields);
    plugin.beforeTrack(builder);
    assert.ok(messages.at(-1)?.endsWith(expected), `${messages.at(-1)} ends with ${expected}`);
  }
  assert.equal(messages.length, cases.length);
  assert.equal(session.getSnapshot().entity, null);
  session.close();
});
