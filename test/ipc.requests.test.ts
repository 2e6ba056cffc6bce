// SPEC 7, main side: what each channel does for an allowed page, how every argument is checked,
// which errors come back (as data, with stable codes), and the push of changes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ClientSession, ClientSessionError, MemorySessionStore } from '../src/main';
import { registerClientSessionIpc } from '../src/main/ipc/registerClientSessionIpc';
import type { ClientSessionEntity, SessionSnapshot } from '../src/shared/entity';
import { CHANNELS, MAX_EVENT_TIMESTAMP_MS, MIN_EVENT_TIMESTAMP_MS } from '../src/shared/ipc';
import type { IpcResult } from '../src/shared/ipc';
import { APP_PAGE, FakeApp, recordingLogger, startMain } from './support/fakeIpc';
import type { FakePage, MainSide } from './support/fakeIpc';
import { eventId } from './support/ids';
import { assertValidClientSession } from './support/schemas';

function value<T>(result: IpcResult<T>): T {
  if (!result.ok)
    assert.fail(`expected a value, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function errorOf(result: IpcResult<unknown>) {
  if (result.ok) return assert.fail('expected an error, got a value');
  return result.error;
}

/** Every object in `value`, at any depth, is a plain object or an array: nothing else. */
function assertPlainData(data: unknown): void {
  assert.deepEqual(structuredClone(data), data);
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const proto = Object.getPrototypeOf(node);
    assert.ok(proto === Object.prototype || proto === Array.prototype, 'only plain objects');
    Object.values(node).forEach(visit);
  };
  visit(data);
}

function stamp(page: FakePage, request: unknown): IpcResult<ClientSessionEntity> {
  return page.ipcRenderer.sendSync(CHANNELS.stamp, request);
}

/** A subscription id, as a bridge draws one. */
const BRIDGE_ID = 'bridge0000000001';

/** Everything main pushes to `page` from now on. */
function listen(page: FakePage): SessionSnapshot[] {
  const received: SessionSnapshot[] = [];
  page.ipcRenderer.on(CHANNELS.changed, (_event, snapshot: SessionSnapshot) => {
    received.push(snapshot);
  });
  return received;
}

function state(main: MainSide) {
  return { stored: main.store.getSession(), snapshot: main.session.getSnapshot() };
}

describe('the channels, for an allowed page', () => {
  test('snapshot answers the main session’s snapshot as plain data and never rotates', async () => {
    const main = startMain();
    main.session.stamp(eventId(), main.clock.time);
    const page = main.app.openWindow(APP_PAGE);
    main.clock.advanceSeconds(3600);

    const snapshot = value<SessionSnapshot>(await page.ipcRenderer.invoke(CHANNELS.snapshot));
    assert.deepEqual(snapshot, main.session.getSnapshot());
    assertPlainData(snapshot);
    assert.equal(main.session.getSnapshot().entity?.sessionIndex, 1);
  });

  test('stamp shares one session and one event order with the main process', () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const first = value(stamp(page, { eventId: eventId(), timestamp: main.clock.time }));
    const inMain = main.session.stamp(eventId(), main.clock.time);
    const third = value(stamp(page, { eventId: eventId(), timestamp: main.clock.time }));

    assertValidClientSession(first);
    assertPlainData(first);
    assert.deepEqual([first.eventIndex, inMain.eventIndex, third.eventIndex], [1, 2, 3]);
    assert.equal(new Set([first.sessionId, inMain.sessionId, third.sessionId]).size, 1);
  });

  test('the renderer’s timestamp becomes firstEventTimestamp of a session it starts', () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const id = eventId();
    const entity = value(stamp(page, { eventId: id, timestamp: main.clock.time - 250 }));
    assert.equal(entity.firstEventId, id);
    assert.equal(entity.firstEventTimestamp, new Date(main.clock.time - 250).toISOString());
  });

  test('extend is a keep-alive: it moves the expiry forward without an event', async () => {
    const main = startMain();
    main.session.stamp(eventId(), main.clock.time);
    const page = main.app.openWindow(APP_PAGE);
    main.clock.advanceSeconds(1000);
    const after = value<SessionSnapshot>(await page.ipcRenderer.invoke(CHANNELS.extend));
    assert.equal(after.lastActivity, main.clock.time);
    assert.equal(after.expiresAt, main.clock.time + 1800 * 1000);
    assert.equal(after.entity?.eventIndex, 1);
  });

  test('new-session makes the next event start a new session', async () => {
    const main = startMain();
    main.session.stamp(eventId(), main.clock.time);
    const page = main.app.openWindow(APP_PAGE);
    const after = value<SessionSnapshot>(await page.ipcRenderer.invoke(CHANNELS.newSession));
    assert.equal(after.newSessionDue, true);
    const next = value(stamp(page, { eventId: eventId(), timestamp: main.clock.time }));
    assert.equal(next.sessionIndex, 2);
  });

  test('new-session is FORBIDDEN when the main process says so, and nothing changes', async () => {
    const main = startMain({ allowNewSession: false });
    main.session.stamp(eventId(), main.clock.time);
    const before = state(main);
    const page = main.app.openWindow(APP_PAGE);
    const error = errorOf(await page.ipcRenderer.invoke(CHANNELS.newSession));
    assert.equal(error.code, 'FORBIDDEN');
    assert.match(error.message, /allowNewSession/);
    assert.deepEqual(state(main), before);
  });

  test('calls after session.close() answer CLOSED instead of throwing in main', () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    main.session.close();
    const error = errorOf(stamp(page, { eventId: eventId(), timestamp: main.clock.time }));
    assert.equal(error.code, 'CLOSED');
    assert.doesNotMatch(error.message, /^electron-client-session:/);
  });

  test('an unexpected failure in main answers INTERNAL, is logged, and does not throw', async () => {
    const app = new FakeApp();
    const logger = recordingLogger();
    const broken = new ClientSession({ store: new MemorySessionStore() });
    broken.getSnapshot = () => {
      throw new TypeError('disk on fire');
    };
    registerClientSessionIpc(
      { ipcMain: app.ipcMain, session: broken, BrowserWindow: app.BrowserWindow },
      { logger },
    );
    const error = errorOf(await app.openWindow(APP_PAGE).ipcRenderer.invoke(CHANNELS.snapshot));
    assert.equal(error.code, 'INTERNAL');
    assert.doesNotMatch(error.message, /disk on fire/, 'internals stay in the main process');
    assert.ok(logger.lines.some((line) => line.includes(CHANNELS.snapshot)));
  });
});

describe('arguments are checked before anything moves', () => {
  const TS = Date.UTC(2026, 0, 31, 9, 15, 2, 123);
  const ID = '8f14e45f-ceea-467f-a0e6-6f1b9a3c1e2d';
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;

  const cases: [string, unknown[], RegExp][] = [
    ['no argument', [], /takes one argument/],
    ['two arguments', [{ eventId: ID, timestamp: TS }, 1], /takes one argument/],
    ['null', [null], /takes an object.*got null/],
    ['a string', ['hello'], /takes an object.*got "hello"/],
    ['an array', [[ID, TS]], /got an array/],
    ['a Date', [new Date(TS)], /plain object/],
    ['a Map', [new Map([['eventId', ID]])], /plain object/],
    ['an extra key', [{ eventId: ID, timestamp: TS, userId: ID }], /unknown key.*"userId"/],
    ['no eventId', [{ timestamp: TS }], /missing eventId/],
    ['no timestamp', [{ eventId: ID }], /missing timestamp/],
    ['eventId a number', [{ eventId: 7, timestamp: TS }], /eventId must be a string.*got 7/],
    ['eventId a BigInt', [{ eventId: 7n, timestamp: TS }], /eventId.*a BigInt/],
    ['eventId a cycle', [{ eventId: cyclic, timestamp: TS }], /eventId.*an object/],
    ['eventId not a UUID', [{ eventId: 'not-a-uuid', timestamp: TS }], /eventId must be a UUID/],
    ['eventId too long', [{ eventId: ID + 'x'.repeat(5000), timestamp: TS }], /5036 characters/],
    ['timestamp a string', [{ eventId: ID, timestamp: String(TS) }], /timestamp must be.*finite/],
    ['timestamp NaN', [{ eventId: ID, timestamp: Number.NaN }], /timestamp.*got NaN/],
    ['timestamp Infinity', [{ eventId: ID, timestamp: Infinity }], /got Infinity/],
    ['timestamp a BigInt', [{ eventId: ID, timestamp: BigInt(TS) }], /timestamp.*a BigInt/],
    ['timestamp in 1999', [{ eventId: ID, timestamp: MIN_EVENT_TIMESTAMP_MS - 1 }], /year 2000/],
    ['timestamp after 2100', [{ eventId: ID, timestamp: MAX_EVENT_TIMESTAMP_MS + 1 }], /2100/],
    ['timestamp in seconds', [{ eventId: ID, timestamp: TS / 1000 }], /epoch ms between/],
  ];

  for (const [what, args, message] of cases) {
    test(`stamp with ${what}: INVALID_ARGUMENT naming the problem, nothing changes`, () => {
      const main = startMain();
      main.session.stamp(eventId(), main.clock.time);
      const before = state(main);
      const page = main.app.openWindow(APP_PAGE);
      const error = errorOf(page.ipcRenderer.sendSync(CHANNELS.stamp, ...args));
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.match(error.message, message);
      assert.deepEqual(state(main), before);
    });
  }

  test('values that cannot be cloned are refused when handed to the handler directly', () => {
    const main = startMain();
    main.session.stamp(eventId(), main.clock.time);
    const before = state(main);
    const page = main.app.openWindow(APP_PAGE);
    const from = { webContents: page.webContents, frame: page.frame };
    const getter = Object.defineProperty({ timestamp: TS }, 'eventId', {
      enumerable: true,
      get: () => assert.fail('a getter must not be run'),
    });
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const raw: [unknown, RegExp][] = [
      [new Proxy({ eventId: ID, timestamp: TS }, {}), /Proxy/],
      [revoked, /Proxy/],
      [{ eventId: ID, timestamp: revoked }, /timestamp.*got a Proxy/],
      [getter, /eventId must be a plain value, not a getter/],
      [{ eventId: ID, timestamp: TS, [Symbol('x')]: 1 }, /unknown key.*a symbol/],
      [{ eventId: () => ID, timestamp: TS }, /eventId.*a function/],
      [Object.assign(Object.create(null), { eventId: ID, timestamp: () => TS }), /a function/],
    ];
    for (const [request, message] of raw) {
      const result = main.app.ipcMain.sendSyncRaw(from, CHANNELS.stamp, [request]);
      const error = errorOf(result as IpcResult<unknown>);
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.match(error.message, message);
    }
    assert.deepEqual(state(main), before);
  });

  test('a null-prototype object is a plain object and is accepted', () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const request = Object.assign(Object.create(null), { eventId: ID, timestamp: TS });
    const result = main.app.ipcMain.sendSyncRaw(
      { webContents: page.webContents, frame: page.frame },
      CHANNELS.stamp,
      [request],
    );
    assert.equal((result as IpcResult<unknown>).ok, true);
  });

  test('the channels that take no argument refuse one', async () => {
    const main = startMain();
    main.session.stamp(eventId(), main.clock.time);
    main.clock.advanceSeconds(10);
    const before = state(main);
    const page = main.app.openWindow(APP_PAGE);
    for (const channel of [CHANNELS.snapshot, CHANNELS.extend, CHANNELS.newSession]) {
      const error = errorOf(await page.ipcRenderer.invoke(channel, { please: true }));
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.match(error.message, new RegExp(`${channel} takes no argument, got 1`));
    }
    assert.deepEqual(state(main), before);
  });

  test('subscribe and unsubscribe take exactly the bridge’s subscription id', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const pushed = listen(page);
    for (const channel of [CHANNELS.subscribe, CHANNELS.unsubscribe]) {
      for (const args of [[], [BRIDGE_ID, BRIDGE_ID], ['short'], ['UPPERCASE1'], [42], [{}]]) {
        const error = errorOf(await page.ipcRenderer.invoke(channel, ...args));
        assert.equal(error.code, 'INVALID_ARGUMENT', `${channel} ${JSON.stringify(args)}`);
        assert.match(error.message, /subscription id/);
      }
    }
    main.session.setIsBackground(true);
    assert.deepEqual(pushed, [], 'no refused subscribe took effect');
  });
});

describe('pushes to subscribed pages', () => {
  test('a session start and foreground/background changes are pushed; plain events are not', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const received = listen(page);
    value(await page.ipcRenderer.invoke(CHANNELS.subscribe, BRIDGE_ID));

    main.session.stamp(eventId(), main.clock.time);
    for (let i = 0; i < 5; i += 1) main.session.stamp(eventId(), main.clock.time);
    main.session.setIsBackground(true);
    main.session.setIsBackground(false);

    assert.deepEqual(
      received.map((snapshot) => [snapshot.entity?.eventIndex, snapshot.isBackground]),
      [
        [1, false],
        [6, true],
        [6, false],
      ],
    );
    received.forEach(assertPlainData);
  });

  test('unsubscribe stops the pushes to that page only', async () => {
    const main = startMain();
    const one = main.app.openWindow(APP_PAGE);
    const two = main.app.openWindow(APP_PAGE);
    const toOne = listen(one);
    const toTwo = listen(two);
    value(await one.ipcRenderer.invoke(CHANNELS.subscribe, BRIDGE_ID));
    value(await two.ipcRenderer.invoke(CHANNELS.subscribe, BRIDGE_ID));
    main.session.setIsBackground(true);
    value(await one.ipcRenderer.invoke(CHANNELS.unsubscribe, BRIDGE_ID));
    main.session.setIsBackground(false);
    assert.equal(toOne.length, 1);
    assert.equal(toTwo.length, 2);
  });

  test('two bridges of one page: one push per change, until the last of them unsubscribes', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const received = listen(page);
    const other = 'bridge0000000002';
    value(await page.ipcRenderer.invoke(CHANNELS.subscribe, BRIDGE_ID));
    value(await page.ipcRenderer.invoke(CHANNELS.subscribe, other));
    main.session.setIsBackground(true);
    assert.equal(received.length, 1);

    value(await page.ipcRenderer.invoke(CHANNELS.unsubscribe, BRIDGE_ID));
    main.session.setIsBackground(false);
    assert.equal(received.length, 2, 'the other bridge still holds the subscription');
    value(await page.ipcRenderer.invoke(CHANNELS.unsubscribe, other));
    main.session.setIsBackground(true);
    assert.equal(received.length, 2);
  });

  test('a page holds at most 16 subscription ids; one more is refused and changes nothing', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const received = listen(page);
    const ids = Array.from({ length: 16 }, (_, i) => `bridge${String(i).padStart(10, '0')}`);
    for (const id of ids) value(await page.ipcRenderer.invoke(CHANNELS.subscribe, id));
    value(await page.ipcRenderer.invoke(CHANNELS.subscribe, ids[0]));

    const error = errorOf(await page.ipcRenderer.invoke(CHANNELS.subscribe, 'bridge9999999999'));
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.match(error.message, /16 subscription ids/);

    for (const id of ids) value(await page.ipcRenderer.invoke(CHANNELS.unsubscribe, id));
    main.session.setIsBackground(true);
    assert.deepEqual(received, [], 'the refused id holds no subscription');
  });

  test('a page that navigated keeps none of the old document’s subscriptions', async () => {
    const main = startMain();
    const before = main.app.openWindow(APP_PAGE);
    value(await before.ipcRenderer.invoke(CHANNELS.subscribe, BRIDGE_ID));
    const after = main.app.navigate(before, APP_PAGE);
    const received = listen(after);
    value(await after.ipcRenderer.invoke(CHANNELS.subscribe, 'bridge0000000002'));
    value(await after.ipcRenderer.invoke(CHANNELS.unsubscribe, 'bridge0000000002'));
    main.session.setIsBackground(true);
    assert.deepEqual(received, []);
  });

  test('a subscribed page that closed or navigated away is dropped without an error in main', async () => {
    const main = startMain();
    const closing = main.app.openWindow(APP_PAGE);
    const leaving = main.app.openWindow(APP_PAGE);
    const staying = main.app.openWindow(APP_PAGE);
    const toStaying = listen(staying);
    const toLeaving = listen(leaving);
    for (const page of [closing, leaving, staying]) {
      value(await page.ipcRenderer.invoke(CHANNELS.subscribe, BRIDGE_ID));
    }
    main.app.close(closing);
    leaving.frame.url = 'https://evil.example/';

    assert.doesNotThrow(() => main.session.setIsBackground(true));
    assert.equal(toStaying.length, 1);
    assert.equal(toLeaving.length, 0, 'a foreign page gets no session data');
  });
});

describe('registration', () => {
  test('the disposer removes every handler and stops the pushes; it can run twice', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    value(await page.ipcRenderer.invoke(CHANNELS.subscribe, BRIDGE_ID));
    assert.equal(main.app.ipcMain.registrations(), 6);
    main.dispose();
    main.dispose();
    assert.equal(main.app.ipcMain.registrations(), 0);
    let pushed = 0;
    page.ipcRenderer.on(CHANNELS.changed, () => (pushed += 1));
    main.session.setIsBackground(true);
    assert.equal(pushed, 0);
    await assert.rejects(page.ipcRenderer.invoke(CHANNELS.snapshot), /No handler registered/);
  });

  test('registering twice throws ALREADY_CREATED and leaves the first registration working', async () => {
    const main = startMain();
    assert.throws(
      () =>
        registerClientSessionIpc({
          ipcMain: main.app.ipcMain,
          session: main.session,
          BrowserWindow: main.app.BrowserWindow,
        }),
      (error: ClientSessionError) =>
        error.code === 'ALREADY_CREATED' && /registerClientSessionIpc\(\)/.test(error.message),
    );
    assert.equal(main.app.ipcMain.registrations(), 6);
    const page = main.app.openWindow(APP_PAGE);
    assert.equal((await page.ipcRenderer.invoke(CHANNELS.snapshot)).ok, true);
  });

  test('after the disposer ran, the handlers can be registered again', () => {
    const main = startMain();
    main.dispose();
    const again = registerClientSessionIpc({
      ipcMain: main.app.ipcMain,
      session: main.session,
      BrowserWindow: main.app.BrowserWindow,
    });
    assert.equal(main.app.ipcMain.registrations(), 6);
    again();
  });

  test('missing Electron objects are named in an INVALID_OPTION error', () => {
    assert.throws(
      () => registerClientSessionIpc({} as never),
      (error: ClientSessionError) =>
        error.code === 'INVALID_OPTION' &&
        /deps\.ipcMain, deps\.session, deps\.BrowserWindow/.test(error.message),
    );
  });
});
