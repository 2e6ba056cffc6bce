// SPEC 4 optional lifecycle events and SPEC 8: the plugin createClientSession hands out, on a
// real @snowplow/node-tracker sending to a real collector on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { buildSelfDescribingEvent, buildStructEvent, newTracker } from '@snowplow/node-tracker';
import type { CorePlugin } from '@snowplow/tracker-core';

import {
  APPLICATION_BACKGROUND_SCHEMA,
  APPLICATION_FOREGROUND_SCHEMA,
  CLIENT_SESSION_SCHEMA,
  createClientSession,
  MemorySessionStore,
} from '../src/main';
import type { ClientSessionEntity } from '../src/main';
import { startCollector } from './support/collector';
import type { ReceivedEvent } from './support/collector';
import { recordingLogger, startApp } from './support/electronHarness';
import type { Harness } from './support/electronHarness';
import { FakeElectron } from './support/fakeElectron';
import { assertValidClientSession } from './support/schemas';

const GRACE = 500;

async function withTracker(harness: Harness) {
  const collector = await startCollector();
  after(() => collector.close());
  const tracker = newTracker(
    { namespace: 'main', appId: 'lifecycle-test' },
    { endpoint: collector.endpoint, bufferSize: 1 },
  );
  const plugin: CorePlugin = harness.client.plugin;
  tracker.addPlugin({ plugin });
  return { collector, tracker };
}

function sessionOf(event: ReceivedEvent): ClientSessionEntity {
  const found = event.entities.filter((e) => e.schema === CLIENT_SESSION_SCHEMA);
  assert.equal(found.length, 1, `one client_session on ${event.payload.e}`);
  assertValidClientSession(found[0]!.data);
  return found[0]!.data as unknown as ClientSessionEntity;
}

function selfDescribing(event: ReceivedEvent): { schema: string; data: Record<string, unknown> } {
  const json = Buffer.from(event.payload.ue_px!, 'base64url').toString('utf8');
  return (JSON.parse(json) as { data: { schema: string; data: Record<string, unknown> } }).data;
}

describe('lifecycle events (SPEC 4)', () => {
  test('application_background and _foreground, with their indexes, stamped before each transition', async () => {
    const harness = await startApp({ main: { focused: true } }, { lifecycleEvents: true });
    const { collector, tracker } = await withTracker(harness);
    const { windows, timers } = harness;
    // What the session's state was when each event was stamped.
    const stampedInBackground: boolean[] = [];
    tracker.addPlugin({
      plugin: { beforeTrack: () => stampedInBackground.push(harness.session.getIsBackground()) },
    });

    tracker.track(buildStructEvent({ category: 'ui', action: 'open' }));
    for (let round = 0; round < 2; round++) {
      windows.main!.fire('blur', { focused: false });
      timers.advance(GRACE);
      timers.advance(10_000);
      windows.main!.fire('focus', { focused: true });
    }
    await tracker.flush();
    const events = await collector.waitFor(5);

    const lifecycle = events.slice(1).map(selfDescribing);
    assert.deepEqual(lifecycle, [
      { schema: APPLICATION_BACKGROUND_SCHEMA, data: { backgroundIndex: 1 } },
      { schema: APPLICATION_FOREGROUND_SCHEMA, data: { foregroundIndex: 1 } },
      { schema: APPLICATION_BACKGROUND_SCHEMA, data: { backgroundIndex: 2 } },
      { schema: APPLICATION_FOREGROUND_SCHEMA, data: { foregroundIndex: 2 } },
    ]);
    const entities = events.map(sessionOf);
    assert.equal(new Set(entities.map((e) => e.sessionId)).size, 1);
    assert.deepEqual(
      entities.map((e) => e.eventIndex),
      [1, 2, 3, 4, 5],
    );
    // Stamped before the state flips: the background event while still in the foreground.
    assert.deepEqual(stampedInBackground, [false, false, true, false, true]);
    harness.client.dispose();
  });

  test('the background event is judged by the foreground timeout', async () => {
    const harness = await startApp(
      { main: { focused: true } },
      { lifecycleEvents: true, foregroundTimeout: 60, backgroundTimeout: 3600 },
    );
    const { collector, tracker } = await withTracker(harness);
    const { windows, timers } = harness;

    tracker.track(buildStructEvent({ category: 'ui', action: 'open' }));
    // Idle in the foreground past its timeout, then the app loses focus.
    timers.advance(120_000);
    windows.main!.fire('blur', { focused: false });
    timers.advance(GRACE);
    await tracker.flush();
    const [open, background] = await collector.waitFor(2);

    const before = sessionOf(open!);
    const at = sessionOf(background!);
    assert.equal(selfDescribing(background!).schema, APPLICATION_BACKGROUND_SCHEMA);
    assert.equal(at.sessionIndex, before.sessionIndex + 1);
    assert.equal(at.firstEventId, background!.payload.eid);
    harness.client.dispose();
  });

  test('the foreground event is judged by the background timeout', async () => {
    const harness = await startApp(
      { main: { focused: true } },
      { lifecycleEvents: true, foregroundTimeout: 3600, backgroundTimeout: 60 },
    );
    const { collector, tracker } = await withTracker(harness);
    const { windows, timers } = harness;

    windows.main!.fire('blur', { focused: false });
    timers.advance(GRACE);
    timers.advance(120_000);
    windows.main!.fire('focus', { focused: true });
    await tracker.flush();
    const [background, foreground] = await collector.waitFor(2);
    assert.equal(selfDescribing(foreground!).schema, APPLICATION_FOREGROUND_SCHEMA);
    assert.equal(sessionOf(foreground!).previousSessionId, sessionOf(background!).sessionId);
    harness.client.dispose();
  });

  test('a bundled app passes the event builder instead of having it required', async () => {
    const built: string[] = [];
    const harness = await startApp(
      { main: { focused: true } },
      {
        lifecycleEvents: {
          buildSelfDescribingEvent: (event) => {
            built.push(event.event.schema);
            return buildSelfDescribingEvent(event);
          },
        },
      },
    );
    const { collector, tracker } = await withTracker(harness);
    harness.windows.main!.fire('blur', { focused: false });
    harness.timers.advance(GRACE);
    await tracker.flush();
    const [event] = await collector.waitFor(1);
    assert.deepEqual(built, [APPLICATION_BACKGROUND_SCHEMA]);
    assert.deepEqual(selfDescribing(event!).data, { backgroundIndex: 1 });
    assert.throws(
      () =>
        createClientSession({
          electron: new FakeElectron(),
          lifecycleEvents: { build: true } as never,
        }),
      { code: 'INVALID_OPTION' },
    );
    harness.client.dispose();
  });

  test('transitions before any tracker has the plugin are not counted in the indexes', async () => {
    const harness = await startApp({ main: { focused: true } }, { lifecycleEvents: true });
    const { windows, timers } = harness;
    // Two round trips before the app added the plugin to a tracker: nothing can be tracked.
    for (let round = 0; round < 2; round++) {
      windows.main!.fire('blur', { focused: false });
      timers.advance(GRACE);
      windows.main!.fire('focus', { focused: true });
    }
    const { collector, tracker } = await withTracker(harness);

    windows.main!.fire('blur', { focused: false });
    timers.advance(GRACE);
    windows.main!.fire('focus', { focused: true });
    await tracker.flush();
    const events = await collector.waitFor(2);
    assert.deepEqual(events.map(selfDescribing), [
      { schema: APPLICATION_BACKGROUND_SCHEMA, data: { backgroundIndex: 1 } },
      { schema: APPLICATION_FOREGROUND_SCHEMA, data: { foregroundIndex: 1 } },
    ]);
    harness.client.dispose();
  });

  test('off by default: transitions track nothing', async () => {
    const harness = await startApp({ main: { focused: true } });
    const { collector, tracker } = await withTracker(harness);
    harness.windows.main!.fire('blur', { focused: false });
    harness.timers.advance(GRACE);
    harness.windows.main!.fire('focus', { focused: true });
    tracker.track(buildStructEvent({ category: 'ui', action: 'only' }));
    await tracker.flush();
    const events = await collector.waitFor(1);
    assert.deepEqual(
      events.map((e) => e.payload.e),
      ['se'],
    );
    assert.deepEqual(harness.transitions, ['background', 'foreground']);
    harness.client.dispose();
  });
});

describe('the plugin before the app is ready (SPEC 8)', () => {
  test('an event tracked before ready goes out without client_session, with one warning', async () => {
    const electron = new FakeElectron();
    const logger = recordingLogger();
    const client = createClientSession({ electron, logger, store: new MemorySessionStore() });
    const collector = await startCollector();
    after(() => collector.close());
    const tracker = newTracker(
      { namespace: 'early', appId: 'lifecycle-test' },
      { endpoint: collector.endpoint, bufferSize: 1 },
    );
    tracker.addPlugin({ plugin: client.plugin });

    tracker.track(buildStructEvent({ category: 'ui', action: 'too-early' }));
    tracker.track(buildStructEvent({ category: 'ui', action: 'too-early' }));
    await electron.app.becomeReady();
    tracker.track(buildStructEvent({ category: 'ui', action: 'ready' }));
    await tracker.flush();
    const events = await collector.waitFor(3);

    assert.deepEqual(
      events.map((e) => e.entities.some((x) => x.schema === CLIENT_SESSION_SCHEMA)),
      [false, false, true],
    );
    assert.equal(logger.lines.warn.length, 1);
    assert.match(logger.lines.warn[0]!, /before the client session was ready/);
    client.dispose();
  });

  test('an event tracked after set-up failed: the warning says so, not "not ready yet"', async () => {
    const taken = new FakeElectron();
    await taken.app.becomeReady();
    const first = createClientSession({ electron: taken, store: new MemorySessionStore() });
    // Set-up fails at ready: another app object already holds the IPC handlers.
    const electron = new FakeElectron();
    const sharing = { ...electron, app: electron.app, ipcMain: taken.ipcMain };
    const logger = recordingLogger();
    const client = createClientSession({ electron: sharing, logger });
    await electron.app.becomeReady();
    await assert.rejects(client.whenReady(), { code: 'ALREADY_CREATED' });

    const collector = await startCollector();
    after(() => collector.close());
    const tracker = newTracker(
      { namespace: 'failed', appId: 'lifecycle-test' },
      { endpoint: collector.endpoint, bufferSize: 1 },
    );
    tracker.addPlugin({ plugin: client.plugin });
    tracker.track(buildStructEvent({ category: 'ui', action: 'after-failure' }));
    tracker.track(buildStructEvent({ category: 'ui', action: 'after-failure' }));
    await tracker.flush();
    const events = await collector.waitFor(2);

    assert.equal(events.filter((e) => e.entities.length > 0).length, 0);
    assert.equal(logger.lines.warn.length, 1);
    assert.match(logger.lines.warn[0]!, /after setting up the client session failed/);
    assert.doesNotMatch(logger.lines.warn[0]!, /not ready yet/);
    first.dispose();
  });
});
