// SPEC 7, preload side: the bridge exposed with contextBridge, driven from the page's world
// through stand-ins that copy and clone as Electron does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { registerClientSessionIpc } from '../src/main/ipc/registerClientSessionIpc';
import { createClientSession, MemorySessionStore } from '../src/main';
import { createClientSessionBridge } from '../src/preload/createClientSessionBridge';
import { exposeClientSession } from '../src/preload/exposeClientSession';
import type { PreloadElectron } from '../src/preload/exposeClientSession';
import { getClientSession } from '../src/renderer/getClientSession';
import { createConsoleLogger } from '../src/shared/logger';
import type { SessionSnapshot } from '../src/shared/entity';
import { CHANNELS, DEFAULT_BRIDGE_NAME } from '../src/shared/ipc';
import type { ClientSessionBridge, IpcError, IpcResult } from '../src/shared/ipc';
import {
  APP_PAGE,
  FakeApp,
  FakeContextBridge,
  preloadElectron,
  recordingLogger,
  startMain,
} from './support/fakeIpc';
import type { FakePage, MainSide } from './support/fakeIpc';
import { recordingLogger as levelledLogger } from './support/electronHarness';
import { FakeElectron } from './support/fakeElectron';
import { eventId } from './support/ids';

const quiet = createConsoleLogger('silent');

/** Runs the preload for `page` and returns what the page's world sees. */
function preload(page: FakePage, name?: string) {
  const { electron, mainWorld } = preloadElectron(page);
  const exposed = exposeClientSession({
    electron,
    logger: quiet,
    contextIsolated: true,
    ...(name === undefined ? {} : { name }),
  });
  const bridge = mainWorld[name ?? DEFAULT_BRIDGE_NAME] as ClientSessionBridge;
  return { exposed, bridge, mainWorld, electron };
}

describe('exposeClientSession', () => {
  test('puts the bridge on window under electronClientSession by default', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const { exposed, bridge, mainWorld } = preload(page);
    assert.equal(exposed, true);
    assert.deepEqual(Object.keys(mainWorld), ['electronClientSession']);
    assert.equal(bridge.version, 1);
    const result = await bridge.getSnapshot();
    assert.deepEqual(result, { ok: true, value: main.session.getSnapshot() });
  });

  test('a configured name is used instead', async () => {
    const main = startMain();
    const { bridge, mainWorld } = preload(main.app.openWindow(APP_PAGE), 'sessionBridge');
    assert.deepEqual(Object.keys(mainWorld), ['sessionBridge']);
    assert.equal((await bridge.getSnapshot()).ok, true);
  });

  test('a name that is not an identifier is an INVALID_OPTION error', () => {
    const page = startMain().app.openWindow(APP_PAGE);
    for (const name of ['', 'has space', '1st', 'a.b']) {
      assert.throws(
        () => exposeClientSession({ name, electron: preloadElectron(page).electron }),
        (error: { code?: string }) => error.code === 'INVALID_OPTION',
        name,
      );
    }
  });

  test("the app's preload after the package's, same name: the first kept, said at info only", () => {
    for (const contextIsolated of [true, false]) {
      const main = startMain();
      const page = main.app.openWindow(APP_PAGE);
      const { electron, mainWorld } = preloadElectron(page);
      const name = `bridgeTwice${contextIsolated}${Date.now()}`;
      const logger = levelledLogger();
      try {
        assert.equal(exposeClientSession({ electron, logger, contextIsolated, name }), true);
        const world = contextIsolated ? mainWorld : (globalThis as Record<string, unknown>);
        const first = world[name];
        assert.equal(exposeClientSession({ electron, logger, contextIsolated, name }), false);
        assert.equal(world[name], first);
        assert.deepEqual([logger.lines.warn, logger.lines.error], [[], []]);
        assert.match(logger.lines.info[0] ?? '', /is already the session bridge/);
      } finally {
        delete (globalThis as Record<string, unknown>)[name];
      }
    }
  });

  test('a name something else already holds on window is kept, with a warning', () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const { electron, mainWorld } = preloadElectron(page);
    mainWorld[DEFAULT_BRIDGE_NAME] = { theAppsOwn: true };
    const logger = levelledLogger();
    assert.equal(exposeClientSession({ electron, logger, contextIsolated: true }), false);
    assert.deepEqual(mainWorld[DEFAULT_BRIDGE_NAME], { theAppsOwn: true });
    assert.match(logger.lines.warn[0] ?? '', /window\.electronClientSession is taken/);
  });

  test('an electron option without contextBridge and ipcRenderer is an INVALID_OPTION error', () => {
    assert.throws(
      () => exposeClientSession({ electron: {} as unknown as PreloadElectron }),
      (error: { code?: string; message?: string }) =>
        error.code === 'INVALID_OPTION' && /contextBridge, ipcRenderer/.test(error.message ?? ''),
    );
  });

  test('contextBridge failing for another reason is reported as that, not as a taken name', () => {
    const page = startMain().app.openWindow(APP_PAGE);
    const logger = recordingLogger();
    const contextBridge = {
      exposeInMainWorld() {
        throw new Error('An object could not be cloned.');
      },
    };
    const electron = { contextBridge, ipcRenderer: page.ipcRenderer };
    assert.equal(exposeClientSession({ electron, logger, contextIsolated: true }), false);
    assert.equal(logger.lines.length, 1);
    assert.match(logger.lines[0]!, /could not be exposed with contextBridge/);
    assert.doesNotMatch(logger.lines[0]!, /taken|twice/);
  });

  test('contextBridge refusing because isolation is off: the bridge goes on window', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const name = `isolationUnknown${Date.now()}`;
    const logger = recordingLogger();
    const { electron, mainWorld } = preloadElectron(page, new FakeContextBridge(false));
    try {
      // Not told: Node's own process has no contextIsolated.
      assert.equal(exposeClientSession({ electron, logger, name }), true);
      const bridge = (globalThis as Record<string, unknown>)[name] as ClientSessionBridge;
      assert.equal((await bridge.getSnapshot()).ok, true);
      assert.deepEqual(Object.keys(mainWorld), []);
      assert.deepEqual(logger.lines, []);
    } finally {
      delete (globalThis as Record<string, unknown>)[name];
    }
  });

  test('without context isolation the bridge is set on window directly', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const name = `isolationOff${Date.now()}`;
    const exposed = exposeClientSession({
      electron: preloadElectron(page).electron,
      contextIsolated: false,
      name,
    });
    try {
      assert.equal(exposed, true);
      const bridge = (globalThis as Record<string, unknown>)[name] as ClientSessionBridge;
      assert.equal((await bridge.getSnapshot()).ok, true);
    } finally {
      delete (globalThis as Record<string, unknown>)[name];
    }
  });
});

describe('the bridge, as the page calls it', () => {
  test('stamp answers the entity synchronously, in one order with the main process', () => {
    const main = startMain();
    const { bridge } = preload(main.app.openWindow(APP_PAGE));
    const first = bridge.stamp(eventId(), main.clock.time);
    main.session.stamp(eventId(), main.clock.time);
    const third = bridge.stamp(eventId(), main.clock.time);
    assert.ok(first.ok && third.ok);
    assert.deepEqual([first.value.eventIndex, third.value.eventIndex], [1, 3]);
  });

  test('extend and startNewSession answer the snapshot after them', async () => {
    const main = startMain();
    main.session.stamp(eventId(), main.clock.time);
    const { bridge } = preload(main.app.openWindow(APP_PAGE));
    main.clock.advanceSeconds(100);
    const extended = await bridge.extend();
    assert.ok(extended.ok);
    assert.equal(extended.value.lastActivity, main.clock.time);
    const renewed = await bridge.startNewSession();
    assert.ok(renewed.ok);
    assert.equal(renewed.value.newSessionDue, true);
  });

  test('errors arrive as data with their code, which a thrown error would lose crossing worlds', async () => {
    const main = startMain({ allowNewSession: false });
    const { bridge } = preload(main.app.openWindow(APP_PAGE));
    assert.deepEqual(await bridge.startNewSession(), {
      ok: false,
      error: {
        code: 'FORBIDDEN',
        message:
          'the main process does not let renderers start a new session (allowNewSession: false)',
      },
    });
  });

  test('what the page passes that cannot be sent is refused in the preload: nothing is sent', () => {
    const main = startMain();
    main.session.stamp(eventId(), main.clock.time);
    const before = main.session.getSnapshot();
    const page = main.app.openWindow(APP_PAGE);
    const { bridge } = preload(page);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad: [unknown, unknown][] = [
      [() => eventId(), main.clock.time],
      [new Proxy({}, {}), main.clock.time],
      [cyclic, main.clock.time],
      [10n, main.clock.time],
      [Symbol('id'), main.clock.time],
      ['x'.repeat(10_000), main.clock.time],
      [eventId(), BigInt(main.clock.time)],
      [eventId(), { valueOf: () => main.clock.time }],
      [eventId(), undefined],
    ];
    for (const [id, timestamp] of bad) {
      const result = bridge.stamp(id as string, timestamp as number);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.error.code, 'INVALID_ARGUMENT');
      assert.match(!result.ok ? result.error.message : '', /stamp\(eventId, timestamp\)/);
    }
    assert.deepEqual(page.ipcRenderer.sent, []);
    assert.deepEqual(main.session.getSnapshot(), before);
  });

  test('what passes the preload but not main gets main’s error, still as data', () => {
    const main = startMain();
    const { bridge } = preload(main.app.openWindow(APP_PAGE));
    const result = bridge.stamp('not-a-uuid', main.clock.time);
    assert.deepEqual(result, {
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'eventId must be a UUID, got "not-a-uuid"' },
    });
  });

  test('with no handlers in main, every call answers NOT_INSTALLED naming what to call', async () => {
    const app = new FakeApp();
    const { bridge } = preload(app.openWindow(APP_PAGE));
    const results = [
      await bridge.getSnapshot(),
      await bridge.extend(),
      await bridge.startNewSession(),
      bridge.stamp(eventId(), Date.now()),
    ];
    for (const result of results) {
      assert.equal(!result.ok && result.error.code, 'NOT_INSTALLED');
      assert.match(!result.ok ? result.error.message : '', /registerClientSessionIpc\(\)/);
    }
  });
});

describe('stamping with nothing in main to answer', () => {
  /** A window of an app with createClientSession, and the bridge its preload exposed. */
  function appWindow(electron: FakeElectron) {
    const page = electron.ipc.openWindow(APP_PAGE);
    return { page, bridge: preload(page).bridge };
  }

  function assertNotInstalled(result: IpcResult<unknown>): void {
    assert.equal(!result.ok && result.error.code, 'NOT_INSTALLED');
    assert.match(
      !result.ok ? result.error.message : '',
      /nothing in the main process answered .*reply was never sent.*createClientSession\(\)/,
    );
  }

  test('before createClientSession() registered the handlers (the app not ready yet)', async () => {
    const electron = new FakeElectron();
    const client = createClientSession({
      electron,
      logger: quiet,
      store: new MemorySessionStore(),
    });
    const { bridge } = appWindow(electron);
    assertNotInstalled(bridge.stamp(eventId(), Date.now()));
    // What a page can ask first instead, without blocking:
    const snapshot = await bridge.getSnapshot();
    assert.equal(!snapshot.ok && snapshot.error.code, 'NOT_INSTALLED');
    assert.equal(electron.ipcMain.unansweredSyncCalls, 1);

    await electron.app.becomeReady();
    assert.equal((await bridge.getSnapshot()).ok, true);
    assert.equal(bridge.stamp(eventId(), Date.now()).ok, true);
    client.dispose();
  });

  test('after dispose()', async () => {
    const electron = new FakeElectron();
    await electron.app.becomeReady();
    const client = createClientSession({
      electron,
      logger: quiet,
      store: new MemorySessionStore(),
    });
    const { bridge } = appWindow(electron);
    assert.equal(bridge.stamp(eventId(), Date.now()).ok, true);
    client.dispose();
    assertNotInstalled(bridge.stamp(eventId(), Date.now()));
    assert.equal(electron.ipcMain.unansweredSyncCalls, 1);
  });

  test("after a window's session-end (Windows shutdown or log-off)", async () => {
    const electron = new FakeElectron();
    await electron.app.becomeReady();
    const window = electron.app.createWindow('main', { focused: true });
    createClientSession({ electron, logger: quiet, store: new MemorySessionStore() });
    const { bridge } = appWindow(electron);
    window.fireSessionEnd(['logoff']);
    assertNotInstalled(bridge.stamp(eventId(), Date.now()));
  });

  test('any reply that is not a well-formed answer is NOT_INSTALLED, never taken for one', () => {
    for (const reply of [
      undefined,
      null,
      'pong',
      { ok: true },
      { ok: true, value: 'not an entity' },
      { ok: false, error: { code: 'BOGUS', message: 'made up' } },
      { ok: false, error: 'no code' },
    ]) {
      const ipcRenderer = {
        invoke: async () => null,
        sendSync: () => reply,
        on: () => undefined,
        removeListener: () => undefined,
      };
      const bridge = createClientSessionBridge(ipcRenderer, quiet);
      const result = bridge.stamp(eventId(), Date.now());
      assert.equal(!result.ok && result.error.code, 'NOT_INSTALLED', JSON.stringify(reply));
      assert.match(!result.ok ? result.error.message : '', /no valid answer/);
    }
  });
});

describe('subscribe', () => {
  test('listeners hear the state at once, then session starts and background changes', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const { bridge } = preload(page);
    const heard: SessionSnapshot[] = [];
    const unsubscribe = bridge.subscribe((snapshot) => heard.push(snapshot));
    await settle();
    assert.deepEqual(heard, [main.session.getSnapshot()], 'the snapshot main answered with');

    main.session.stamp(eventId(), main.clock.time);
    main.session.stamp(eventId(), main.clock.time);
    main.session.setIsBackground(true);
    unsubscribe();
    await settle();
    main.session.setIsBackground(false);

    assert.deepEqual(
      heard.map((snapshot) => [snapshot.entity?.eventIndex ?? null, snapshot.isBackground]),
      [
        [null, false],
        [1, false],
        [2, true],
      ],
    );
    assert.equal(page.ipcRenderer.listenerCount(CHANNELS.changed), 0);
    assert.deepEqual(page.ipcRenderer.sent, [CHANNELS.subscribe, CHANNELS.unsubscribe]);
  });

  test('a push that overtakes the answer to subscribe wins over the older snapshot', async () => {
    const main = startMain();
    const { bridge } = preload(main.app.openWindow(APP_PAGE));
    const heard: boolean[] = [];
    bridge.subscribe((snapshot) => heard.push(snapshot.isBackground));
    // Main took the subscription and pushes before its answer reaches the page.
    main.session.setIsBackground(true);
    await settle();
    assert.deepEqual(heard, [true]);
  });

  test('every subscribe asks main, which holds the bridge once; the last unsubscribe ends it', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const { bridge } = preload(page);
    let heard = 0;
    const stopA = bridge.subscribe(() => (heard += 1));
    const stopB = bridge.subscribe(() => (heard += 1));
    await settle();
    assert.equal(heard, 2, 'each listener hears the state once');
    main.session.setIsBackground(true);
    assert.equal(heard, 4);

    stopA();
    stopA();
    assert.deepEqual(page.ipcRenderer.sent, [CHANNELS.subscribe, CHANNELS.subscribe]);
    stopB();
    assert.deepEqual(page.ipcRenderer.sent, [
      CHANNELS.subscribe,
      CHANNELS.subscribe,
      CHANNELS.unsubscribe,
    ]);
    await settle();
    main.session.setIsBackground(false);
    assert.equal(heard, 4);
  });

  test('two bridges in one page keep their own subscriptions, each hearing every change once', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const { electron, mainWorld } = preloadElectron(page);
    // The package's preload, then the app's own under another name, in the same page.
    exposeClientSession({ electron, logger: quiet, contextIsolated: true });
    exposeClientSession({ electron, logger: quiet, contextIsolated: true, name: 'appBridge' });
    const packageBridge = mainWorld[DEFAULT_BRIDGE_NAME] as ClientSessionBridge;
    const appBridge = mainWorld.appBridge as ClientSessionBridge;
    const toPackage: boolean[] = [];
    const toApp: boolean[] = [];
    const stopPackage = packageBridge.subscribe((s) => toPackage.push(s.isBackground));
    appBridge.subscribe((s) => toApp.push(s.isBackground));
    await settle();

    main.session.setIsBackground(true);
    stopPackage();
    await settle();
    main.session.setIsBackground(false);

    assert.deepEqual(toPackage, [false, true]);
    assert.deepEqual(toApp, [false, true, false], "the other bridge's unsubscribe left it alone");
  });

  test('a subscribe made before main registered its handlers is asked again by the next one', async () => {
    const main = startMain();
    main.dispose();
    const page = main.app.openWindow(APP_PAGE);
    const { bridge } = preload(page);
    const errors: IpcError[] = [];
    const early: SessionSnapshot[] = [];
    bridge.subscribe(
      (snapshot) => early.push(snapshot),
      (error) => errors.push(error),
    );
    await settle();
    assert.deepEqual(
      errors.map((error) => error.code),
      ['NOT_INSTALLED'],
    );
    assert.equal(page.ipcRenderer.listenerCount(CHANNELS.changed), 0);

    registerAgain(main);
    const late: SessionSnapshot[] = [];
    bridge.subscribe((snapshot) => late.push(snapshot));
    await settle();
    main.session.setIsBackground(true);
    assert.deepEqual(
      late.map((snapshot) => snapshot.isBackground),
      [false, true],
    );
    assert.deepEqual(early, [], 'the refused listener was dropped, not revived');
  });

  test('after main is disposed and registered again, the next subscribe reaches the new one', async () => {
    const main = startMain();
    const { bridge } = preload(main.app.openWindow(APP_PAGE));
    const heard: string[] = [];
    bridge.subscribe((s) => heard.push(`before ${s.isBackground}`));
    await settle();

    main.dispose();
    registerAgain(main);
    bridge.subscribe((s) => heard.push(`after ${s.isBackground}`));
    await settle();
    main.session.setIsBackground(true);
    assert.deepEqual(heard, ['before false', 'after false', 'before true', 'after true']);
  });

  test('a throwing listener does not keep the others from hearing', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const { electron, mainWorld } = preloadElectron(page);
    const logger = recordingLogger();
    exposeClientSession({ electron, logger, contextIsolated: true });
    const bridge = mainWorld[DEFAULT_BRIDGE_NAME] as ClientSessionBridge;
    let heard = 0;
    bridge.subscribe(() => {
      throw new Error('listener bug');
    });
    bridge.subscribe(() => (heard += 1));
    await settle();
    main.session.setIsBackground(true);
    assert.equal(heard, 2);
    assert.match(logger.lines.join('\n'), /listener threw/);
  });

  test('a refused page hears about it through onError', async () => {
    const main = startMain();
    const window = main.app.openWindow(APP_PAGE);
    const { bridge } = preload(main.app.openIframe(window, APP_PAGE));
    const errors: IpcError[] = [];
    bridge.subscribe(
      () => assert.fail('a refused page must hear nothing'),
      (error) => errors.push(error),
    );
    await settle();
    main.session.setIsBackground(true);
    assert.deepEqual(
      errors.map((error) => error.code),
      ['SENDER_REFUSED'],
    );
  });

  test('a refused subscription without onError is logged, once', async () => {
    const main = startMain();
    const window = main.app.openWindow(APP_PAGE);
    const { electron, mainWorld } = preloadElectron(main.app.openIframe(window, APP_PAGE));
    const logger = recordingLogger();
    exposeClientSession({ electron, logger, contextIsolated: true });
    const bridge = mainWorld[DEFAULT_BRIDGE_NAME] as ClientSessionBridge;
    bridge.subscribe(() => assert.fail('a refused page must hear nothing'));
    bridge.subscribe(() => assert.fail('a refused page must hear nothing'));
    await settle();
    assert.equal(logger.lines.length, 1);
    assert.match(logger.lines[0]!, /subscription was refused .*SENDER_REFUSED.*onError/);
  });

  test('the renderer client keeps the code on errors it throws', async () => {
    const main = startMain({ allowNewSession: false });
    const page = main.app.openWindow(APP_PAGE);
    const { mainWorld } = preload(page);
    const session = getClientSession({ target: mainWorld });
    await assert.rejects(session.startNewSession(), {
      name: 'ClientSessionError',
      code: 'FORBIDDEN',
    });
  });
});

/** Registers main's handlers again on the same app and session, as after a dispose. */
function registerAgain(main: MainSide): void {
  const { app, session, logger } = main;
  registerClientSessionIpc(
    { ipcMain: app.ipcMain, session, BrowserWindow: app.BrowserWindow },
    { logger },
  );
}

/** Lets pending promise callbacks (the subscribe round trip) run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
