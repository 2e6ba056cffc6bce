// SPEC 7 and 8, renderer side: the client over the bridge, and the tracker plugin on a real
// Snowplow tracker core (the browser end-to-end run is in renderer.tracker.test.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { buildSelfDescribingEvent, trackerCore } from '@snowplow/tracker-core';
import type { CorePlugin } from '@snowplow/tracker-core';

import { exposeClientSession } from '../src/preload/exposeClientSession';
import { clientSessionBrowserPlugin } from '../src/renderer/clientSessionBrowserPlugin';
import { getClientSession } from '../src/renderer/getClientSession';
import { CLIENT_SESSION_SCHEMA } from '../src/shared/entity';
import type { ClientSessionError } from '../src/shared/errors';
import { createConsoleLogger } from '../src/shared/logger';
import { APP_PAGE, preloadElectron, recordingLogger, startMain } from './support/fakeIpc';
import type { FakePage } from './support/fakeIpc';
import { eventId } from './support/ids';
import { assertValidClientSession } from './support/schemas';

/** The page's `window` after the preload ran for `page`. */
function pageWorld(page: FakePage): Record<string, unknown> {
  const { electron, mainWorld } = preloadElectron(page);
  exposeClientSession({ electron, contextIsolated: true, logger: createConsoleLogger('silent') });
  return mainWorld;
}

describe('getClientSession', () => {
  test('without the preload it throws NOT_INSTALLED saying what to call', () => {
    assert.throws(
      () => getClientSession({ target: {} }),
      (error: ClientSessionError) =>
        error.code === 'NOT_INSTALLED' &&
        error.message.startsWith('electron-client-session: window.electronClientSession') &&
        /exposeClientSession\(\)/.test(error.message) &&
        /registerClientSessionPreload/.test(error.message),
    );
  });

  test('a bridge under another name is found when given that name', () => {
    const target = {
      custom: pageWorld(startMain().app.openWindow(APP_PAGE)).electronClientSession,
    };
    assert.throws(() => getClientSession({ target }), { code: 'NOT_INSTALLED' });
    assert.equal(typeof getClientSession({ target, name: 'custom' }).stamp, 'function');
  });

  test('a bridge of another version is NOT_INSTALLED, naming the mismatch', () => {
    const target = { electronClientSession: { version: 2, stamp: () => null } };
    assert.throws(() => getClientSession({ target }), {
      code: 'NOT_INSTALLED',
      message: /bridge version 2, this code expects 1/,
    });
  });

  test('values come back as they are; failures are thrown with their code', async () => {
    const main = startMain({ allowNewSession: false });
    const session = getClientSession({ target: pageWorld(main.app.openWindow(APP_PAGE)) });
    const entity = session.stamp(eventId(), main.clock.time);
    assert.deepEqual(entity, main.session.getSnapshot().entity);
    assert.deepEqual(await session.getSnapshot(), main.session.getSnapshot());
    assert.throws(() => session.stamp('nope', main.clock.time), {
      name: 'ClientSessionError',
      code: 'INVALID_ARGUMENT',
      message: 'electron-client-session: eventId must be a UUID, got "nope"',
    });
    await assert.rejects(session.startNewSession(), { code: 'FORBIDDEN' });
  });

  test('onChange hears changes, and a refused page gets a coded error instead', async () => {
    const main = startMain();
    const window = main.app.openWindow(APP_PAGE);
    const allowed = getClientSession({ target: pageWorld(window) });
    const refused = getClientSession({
      target: pageWorld(main.app.openIframe(window, APP_PAGE)),
    });
    const heard: boolean[] = [];
    const errors: ClientSessionError[] = [];
    const stop = allowed.onChange((snapshot) => heard.push(snapshot.isBackground));
    refused.onChange(
      () => assert.fail('refused'),
      (error) => errors.push(error),
    );
    await new Promise((resolve) => setImmediate(resolve));
    main.session.setIsBackground(true);
    stop();
    main.session.setIsBackground(false);
    assert.deepEqual(heard, [false, true], 'the state when subscribed, then the change');
    assert.deepEqual(
      errors.map((error) => [error.name, error.code]),
      [['ClientSessionError', 'SENDER_REFUSED']],
    );
  });
});

describe('clientSessionBrowserPlugin on a real tracker core', () => {
  function trackWith(plugin: CorePlugin, count: number) {
    const payloads: Record<string, unknown>[] = [];
    const core = trackerCore({
      base64: false,
      corePlugins: [plugin],
      callback: (builder) => payloads.push(builder.build()),
    });
    for (let i = 0; i < count; i += 1) {
      core.track(
        buildSelfDescribingEvent({
          event: { schema: 'iglu:com.acme/click/jsonschema/1-0-0', data: { i } },
        }),
      );
    }
    return payloads.map((payload) => {
      const contexts = payload.co === undefined ? [] : JSON.parse(String(payload.co)).data;
      return {
        payload,
        sessions: (contexts as { schema: string; data: Record<string, unknown> }[]).filter(
          (entity) => entity.schema === CLIENT_SESSION_SCHEMA,
        ),
      };
    });
  }

  test('each event gets one client_session of the main session, stamped with its eid and dtm', () => {
    const main = startMain();
    const target = pageWorld(main.app.openWindow(APP_PAGE));
    const events = trackWith(
      clientSessionBrowserPlugin({ session: getClientSession({ target }) }),
      3,
    );
    assert.deepEqual(
      events.map((event) => event.sessions.length),
      [1, 1, 1],
    );
    const [first, , last] = events.map((event) => event.sessions[0]!.data);
    assertValidClientSession(first);
    assert.equal(first!.firstEventId, events[0]!.payload.eid);
    assert.equal(
      first!.firstEventTimestamp,
      new Date(Number(events[0]!.payload.dtm)).toISOString(),
    );
    assert.equal(last!.eventIndex, 3);
    assert.deepEqual(last, main.session.getSnapshot().entity);
  });

  test('without the preload, making the plugin throws NOT_INSTALLED at once', () => {
    const saved = (globalThis as Record<string, unknown>).electronClientSession;
    assert.equal(saved, undefined);
    assert.throws(() => clientSessionBrowserPlugin(), { code: 'NOT_INSTALLED' });
  });

  test('an event that cannot be stamped is still tracked, without the entity; logged once', () => {
    const main = startMain();
    const window = main.app.openWindow(APP_PAGE);
    const logger = recordingLogger();
    const session = getClientSession({ target: pageWorld(main.app.openIframe(window, APP_PAGE)) });
    const events = trackWith(clientSessionBrowserPlugin({ session, logger }), 3);
    assert.equal(events.length, 3);
    assert.deepEqual(
      events.map((event) => event.sessions.length),
      [0, 0, 0],
    );
    assert.equal(logger.lines.length, 1);
    assert.equal(main.session.getSnapshot().entity, null, 'nothing was stamped');
  });
});
