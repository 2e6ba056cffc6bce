// createClientSession: one call, before or after the app is ready; the store in userData; one
// set of listeners, all removed on teardown; the store closed on will-quit and session-end.
import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import Database from 'better-sqlite3';

import { openClientSession } from '../src/main/electron/openClientSession';
import { CHANNELS, clientSessionPreloadPath } from '../src/main/ipc';
import type { IpcResult } from '../src/main/ipc';
import {
  DEFAULT_STORE_FILE_NAME,
  ElectronStoreSessionStore,
  MemorySessionStore,
  SqliteSessionStore,
  createClientSession,
} from '../src/main';
import type { SessionSnapshot } from '../src/main';
import { FakeClock } from './support/clock';
import { recordingLogger, startApp } from './support/electronHarness';
import { FakeElectron } from './support/fakeElectron';
import { FakeTimers } from './support/fakeTimers';
import { eventId } from './support/ids';
import { assertValidClientSession } from './support/schemas';
import { tempDir } from './support/tmp';

const dir = tempDir();
let apps = 0;

/** A fresh stand-in Electron whose appData is a real temporary folder. */
function freshElectron(): FakeElectron {
  return new FakeElectron(join(dir, `appData${apps++}`));
}

function storedEventIndex(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    const data = db.prepare('SELECT data FROM sessions').pluck().get() as string;
    return (JSON.parse(data) as { eventIndex: number }).eventIndex;
  } finally {
    db.close();
  }
}

describe('createClientSession: the store', () => {
  test('called before ready, it opens the store under the final app name once ready', async () => {
    const electron = freshElectron();
    const client = createClientSession({ electron, logger: recordingLogger() });
    assert.equal(client.session, null);
    electron.app.setName('Final Name');
    await electron.app.becomeReady();

    const session = await client.whenReady();
    assert.equal(client.session, session);
    const expected = join(electron.app.appData, 'Final Name', DEFAULT_STORE_FILE_NAME);
    assert.equal(client.storePath, expected);
    assert.deepEqual(electron.app.userDataReads, ['Final Name']);
    const entity = session.stamp(eventId(), Date.now());
    assertValidClientSession(entity);
    assert.equal(entity.storageMechanism, 'SQLITE');
    client.dispose();
    assert.ok(statSync(expected).isFile());
  });

  test('called after ready, the session is there at once', async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    const client = createClientSession({ electron, logger: recordingLogger() });
    assert.notEqual(client.session, null);
    assert.equal(await client.whenReady(), client.session);
    client.dispose();
  });

  test('the path can be chosen; its folder is created', async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    const path = join(dir, 'chosen', 'deeper', 'sessions.db');
    const client = createClientSession({ electron, path, logger: recordingLogger() });
    assert.equal(client.storePath, path);
    assert.deepEqual(electron.app.userDataReads, []);
    client.dispose();
    assert.ok(statSync(path).isFile());
  });

  test('a store that cannot be opened: tracking goes on in memory, said once', async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    const notAFolder = join(dir, 'a-file');
    writeFileSync(notAFolder, 'not a folder');
    const logger = recordingLogger();
    const client = createClientSession({ electron, path: join(notAFolder, 's.sqlite'), logger });
    const entity = client.session!.stamp(eventId(), Date.now());
    assert.equal(entity.storageMechanism, 'LOCAL_STORAGE');
    assert.equal(client.storePath, null);
    assert.equal(logger.lines.warn.length + logger.lines.error.length, 1);
    assert.match([...logger.lines.warn, ...logger.lines.error][0]!, /in memory/);
    client.dispose();
  });

  test("the app's own store holding a record it cannot read: tracking goes on in memory, said once", async () => {
    const electron = freshElectron();
    const record = new Map<string, unknown>([
      ['electronClientSession', { sessions: { default: { sessionId: 'from a newer app' } } }],
    ]);
    const store = new ElectronStoreSessionStore({
      store: {
        get: (key) => record.get(key),
        set: (key, value) => void record.set(key, value),
        delete: (key) => void record.delete(key),
      },
    });
    const logger = recordingLogger();
    const client = createClientSession({ electron, store, logger });
    await electron.app.becomeReady();

    const session = await client.whenReady();
    const entity = session.stamp(eventId(), Date.now());
    assertValidClientSession(entity);
    assert.equal(entity.storageMechanism, 'LOCAL_STORAGE');
    assert.deepEqual(logger.lines.error, []);
    assert.equal(logger.lines.warn.length, 1);
    assert.match(logger.lines.warn[0]!, /the session store failed: .*in memory/);
    client.dispose();
  });

  test("the app's own store throwing on every call: the session works on in memory", async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    const broken = () => {
      throw new Error('EACCES: permission denied');
    };
    const store = {
      storageMechanism: 'SQLITE' as const,
      getSession: broken,
      setSession: broken,
      deleteSession: broken,
    };
    const logger = recordingLogger();
    const client = createClientSession({ electron, store, logger });
    const first = client.session!.stamp(eventId(), Date.now());
    const next = client.session!.stamp(eventId(), Date.now());
    assert.equal(next.sessionId, first.sessionId);
    assert.equal(next.eventIndex, 2);
    assert.equal(logger.lines.warn.length, 1);
    assert.match(logger.lines.warn[0]!, /EACCES/);
    client.dispose();
  });

  test('a damaged store is kept aside and a fresh one used, said once', async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    const path = join(dir, 'damaged.sqlite');
    writeFileSync(path, 'these bytes are not a database, whatever the name says');
    const logger = recordingLogger();
    const client = createClientSession({ electron, path, logger });
    assert.equal(client.session!.stamp(eventId(), Date.now()).storageMechanism, 'SQLITE');
    assert.equal(client.storePath, path);
    assert.equal(logger.lines.warn.length, 1);
    assert.match(logger.lines.warn[0]!, /Kept it as/);
    client.dispose();
  });

  test('will-quit writes the exact state, the app may still stamp there, quit closes', async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    const client = createClientSession({ electron, logger: recordingLogger() });
    const session = client.session!;
    for (let i = 0; i < 3; i++) session.stamp(eventId(), Date.now());
    // The app's own will-quit handler, registered after the package's, tracks one last event.
    let last: number | undefined;
    electron.app.on('will-quit', () => {
      assert.equal(storedEventIndex(client.storePath!), 3);
      last = session.stamp(eventId(), Date.now()).eventIndex;
    });
    electron.app.quit();
    assert.equal(last, 4);
    assert.equal(storedEventIndex(client.storePath!), 4);
    assert.throws(() => session.stamp(eventId(), Date.now()), { code: 'CLOSED' });
    assert.equal(electron.listenerTotal(), 1, "only the app's own will-quit listener is left");
  });

  test('disposed in a will-quit listener of the app registered earlier: nothing fails', async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    let client: ReturnType<typeof createClientSession> | undefined;
    // Node's EventEmitter still calls, in this emit, the listeners dispose() removes.
    electron.app.on('will-quit', () => client?.dispose());
    const logger = recordingLogger();
    client = createClientSession({ electron, logger });
    client.session!.stamp(eventId(), Date.now());
    electron.app.quit();
    assert.deepEqual(logger.lines.error, []);
    assert.equal(storedEventIndex(client.storePath!), 1);
    assert.equal(electron.listenerTotal(), 1, "only the app's own will-quit listener is left");
  });

  test('a cancelled quit leaves the session working', async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    const client = createClientSession({ electron, logger: recordingLogger() });
    const first = client.session!.stamp(eventId(), Date.now());
    electron.app.on('will-quit', (event) => event.preventDefault());
    electron.app.quit();
    const next = client.session!.stamp(eventId(), Date.now());
    assert.equal(next.sessionId, first.sessionId);
    assert.equal(next.eventIndex, 2);
    client.dispose();
  });

  test("the store is closed on a window's session-end (Windows shutdown sends no quit)", async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    const window = electron.app.createWindow('main', { focused: true });
    const baseline = electron.listenerTotal();
    const client = createClientSession({ electron, logger: recordingLogger() });
    client.session!.stamp(eventId(), Date.now());
    window.fireSessionEnd(['shutdown']);
    assert.equal(storedEventIndex(client.storePath!), 1);
    assert.equal(electron.listenerTotal(), baseline);
  });

  test('state is committed at each change, without any quit event', async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    const window = electron.app.createWindow('main', { focused: true });
    const clock = new FakeClock();
    const timers = new FakeTimers(clock);
    const options = { electron, timers, clock: clock.now, logger: recordingLogger() };
    const client = createClientSession(options);
    const path = client.storePath!;
    const first = client.session!.stamp(eventId(), clock.time);
    window.fire('blur', { focused: false });
    timers.advance(500);

    // Read by another connection while this one is still open, as after a crash.
    const stored = new SqliteSessionStore({ path, name: 'default' });
    try {
      const record = stored.getSession()!;
      assert.equal(record.sessionId, first.sessionId);
      assert.equal(record.isBackground, true);
      assert.ok(record.eventIndex >= 1);
    } finally {
      stored.close();
      client.dispose();
    }
  });
});

describe('createClientSession: one set of listeners', () => {
  test('a second call throws ALREADY_CREATED and attaches nothing', async () => {
    const { electron, client } = await startApp({ main: { focused: true } });
    const attached = electron.listenerTotal();
    assert.throws(() => createClientSession({ electron, store: new MemorySessionStore() }), {
      name: 'ClientSessionError',
      code: 'ALREADY_CREATED',
      message: /^electron-client-session: createClientSession\(\) was already called/,
    });
    assert.equal(electron.listenerTotal(), attached);
    client.dispose();
  });

  test('dispose() removes every listener it added, on the app, powerMonitor and windows', async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    const a = electron.app.createWindow('a', { focused: true });
    electron.app.createWindow('b');
    const baseline = electron.listenerTotal();
    const client = createClientSession({ electron, store: new MemorySessionStore() });
    electron.app.createWindow('created later');
    const added = electron.listenerTotal();
    assert.ok(added > baseline + 20, `listeners were added (${baseline} -> ${added})`);

    client.dispose();
    const withoutLate = electron.listenerTotal() - electron.app.windows[2]!.listenerTotal();
    assert.equal(withoutLate, baseline);
    assert.equal(electron.app.windows[2]!.listenerCount('focus'), 0);
    assert.equal(electron.powerMonitor.listenerTotal(), 0);
    assert.throws(() => client.session!.stamp(eventId(), Date.now()), { code: 'CLOSED' });

    // Nothing is listening any more: events change nothing and throw nothing.
    a.fire('blur', { focused: false });
    electron.powerMonitor.fire('suspend');
  });

  test('after dispose() a new session can be created', async () => {
    const { electron, client } = await startApp({ main: { focused: true } });
    client.dispose();
    const again = createClientSession({ electron, store: new MemorySessionStore() });
    assert.notEqual(again.session, null);
    again.dispose();
    assert.equal(electron.listenerTotal(), electron.app.windows[0]!.listenerTotal());
  });

  test('dispose() before ready: nothing is ever attached, whenReady() rejects', async () => {
    const electron = freshElectron();
    const client = createClientSession({ electron, store: new MemorySessionStore() });
    client.dispose();
    await electron.app.becomeReady();
    await assert.rejects(client.whenReady(), { code: 'CLOSED' });
    assert.equal(electron.listenerTotal(), 0);
    assert.equal(client.session, null);
  });
});

describe('createClientSession: bad options', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['a relative path', { path: 'sessions.sqlite' }],
    ['a negative grace period', { backgroundGraceMs: -1 }],
    ['a timeout in milliseconds by mistake', { foregroundTimeout: 1800 * 1000 * 1000 }],
    ['a store that is not one', { store: { get: () => null } }],
    ['lifecycleEvents as a string', { lifecycleEvents: 'yes' }],
    ['an electron without powerMonitor', { electron: { app: {}, BrowserWindow: {} } }],
  ];
  for (const [what, bad] of cases) {
    test(`${what}: INVALID_OPTION, prefixed, nothing attached`, async () => {
      const electron = freshElectron();
      await electron.app.becomeReady();
      assert.throws(() => createClientSession({ electron, ...bad } as never), {
        name: 'ClientSessionError',
        code: 'INVALID_OPTION',
        message: /^electron-client-session: /,
      });
      assert.equal(electron.listenerTotal(), 0);
      // And the app can still set up a session properly.
      createClientSession({ electron, store: new MemorySessionStore() }).dispose();
    });
  }
});

describe('createClientSession: every option is checked at the call, even before ready', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['anonymous as a number', { anonymous: 1 }, /options\.anonymous must be a boolean/],
    ['a negative timeout', { foregroundTimeout: -1 }, /options\.foregroundTimeout is in seconds/],
    ['a clock that is not a function', { clock: 5 }, /options\.clock must be a function/],
    ['a logger without methods', { logger: {} }, /options\.logger must have error, warn/],
    [
      'a store without deleteSession or storageMechanism',
      { store: { getSession: () => undefined, setSession: () => undefined } },
      /options\.store must be a SessionStore/,
    ],
    [
      'allowedOrigins as one string',
      { ipc: { allowedOrigins: 'file://' } },
      /options\.ipc\.allowedOrigins must be an array of origins/,
    ],
    [
      'an allowed origin with a path',
      { ipc: { allowedOrigins: ['http://localhost:5173/app'] } },
      /options\.ipc\.allowedOrigins takes origins without a path/,
    ],
    [
      'allowNewSession as text',
      { ipc: { allowNewSession: 'no' } },
      /options\.ipc\.allowNewSession must be a boolean, got "no"/,
    ],
    ['ipc as true', { ipc: true }, /options\.ipc must be false or an object/],
    ['timers without functions', { timers: {} }, /options\.timers must have setTimeout/],
    ['preload as a string', { preload: 'x' }, /options\.preload must be true, false or/],
    [
      'a relative preload file',
      { preload: { filePath: 'standalone.js' } },
      /options\.preload\.filePath must be the absolute path/,
    ],
    ['an empty preload id', { preload: { id: '' } }, /options\.preload\.id must be a non-empty/],
    ['the grace period as text', { backgroundGraceMs: '500' }, /got "500"$/],
    ['isBackground, which the windows decide', { isBackground: true }, /options\.isBackground/],
  ];
  for (const [what, bad, message] of cases) {
    test(`${what}: INVALID_OPTION naming it, thrown at the call`, async () => {
      const electron = freshElectron();
      const logger = recordingLogger();
      assert.throws(() => createClientSession({ electron, logger, ...bad } as never), {
        name: 'ClientSessionError',
        code: 'INVALID_OPTION',
        message,
      });

      await electron.app.becomeReady();
      assert.equal(electron.listenerTotal(), 0);
      assert.deepEqual(logger.lines.error, []);
      createClientSession({ electron, store: new MemorySessionStore() }).dispose();
    });
  }

  test('unknown options, nested ones too, are ignored with one warning', async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    const logger = recordingLogger();
    const client = createClientSession({
      electron,
      logger,
      store: new MemorySessionStore(),
      bogus: 1,
      ipc: { allowedOrigin: ['app://bundle'] },
    } as never);
    assert.deepEqual(logger.lines.warn, [
      'createClientSession() ignores unknown options: bogus, ipc.allowedOrigin',
    ]);
    assert.notEqual(client.session, null);
    client.dispose();
  });

  test('a wrong engine option is never blamed on the store', () => {
    const logger = recordingLogger();
    const options = {
      store: new MemorySessionStore(),
      fallBackToMemory: true,
      anonymous: 1 as unknown as boolean,
      logger,
    };
    assert.throws(() => openClientSession(options), { code: 'INVALID_OPTION' });
    assert.deepEqual(logger.lines.error, []);
  });
});

describe('createClientSession: IPC and preload (SPEC 7)', () => {
  test('once ready, a page of an app window reaches the session; dispose() removes the handlers', async () => {
    const { electron, client, windows } = await startApp({ main: { focused: true } });
    const page = electron.ipc.openWindow('file:///app/index.html');
    const answer = (await page.ipcRenderer.invoke(CHANNELS.snapshot)) as IpcResult<SessionSnapshot>;
    assert.ok(answer.ok);
    assert.equal(answer.value.isBackground, false);
    assert.ok(electron.ipcMain.registrations() > 0);

    client.dispose();
    assert.equal(electron.ipcMain.registrations(), 0);
    assert.equal(electron.listenerTotal(), windows.main!.listenerTotal());
    await assert.rejects(page.ipcRenderer.invoke(CHANNELS.snapshot), /No handler registered/);
  });

  test('the ipc options reach the handlers', async () => {
    const { electron, client } = await startApp({}, { ipc: { allowNewSession: false } });
    const page = electron.ipc.openWindow('file:///app/index.html');
    const answer = (await page.ipcRenderer.invoke(CHANNELS.newSession)) as IpcResult<unknown>;
    assert.deepEqual(answer.ok ? null : answer.error.code, 'FORBIDDEN');
    client.dispose();
  });

  test('ipc: false registers no handler and needs no ipcMain', async () => {
    const { electron, client } = await startApp({}, { ipc: false });
    assert.equal(electron.ipcMain.registrations(), 0);
    client.dispose();

    const noIpc = freshElectron();
    await noIpc.app.becomeReady();
    const { ipcMain: _ipcMain, ...withoutIpcMain } = noIpc;
    const electronWithoutIpc = {
      ...withoutIpcMain,
      app: noIpc.app,
      BrowserWindow: noIpc.BrowserWindow,
    };
    assert.throws(
      () => createClientSession({ electron: electronWithoutIpc, store: new MemorySessionStore() }),
      { code: 'INVALID_OPTION', message: /ipcMain \(or set ipc: false\)/ },
    );
    createClientSession({
      electron: electronWithoutIpc,
      ipc: false,
      store: new MemorySessionStore(),
    }).dispose();
  });

  test('handlers the app registered itself: a clear error, and nothing left attached', async () => {
    const electron = freshElectron();
    await electron.app.becomeReady();
    electron.app.createWindow('main', { focused: true });
    const first = createClientSession({ electron, store: new MemorySessionStore() });
    const attached = electron.listenerTotal();
    // A second app object sharing the same ipcMain, as when the app wired IPC by hand.
    const other = freshElectron();
    await other.app.becomeReady();
    const sharing = {
      ...other,
      ipcMain: electron.ipcMain,
      BrowserWindow: other.BrowserWindow,
      app: other.app,
    };
    assert.throws(
      () => createClientSession({ electron: sharing, store: new MemorySessionStore() }),
      {
        code: 'ALREADY_CREATED',
      },
    );
    assert.equal(electron.listenerTotal(), attached);
    assert.equal(other.app.listenerTotal() + other.powerMonitor.listenerTotal(), 0);
    first.dispose();
  });

  test('a set-up that fails once the app becomes ready: whenReady() rejects, said once, nothing left', async () => {
    const taken = freshElectron();
    await taken.app.becomeReady();
    const first = createClientSession({ electron: taken, store: new MemorySessionStore() });
    const electron = freshElectron();
    const sharing = {
      ...electron,
      ipcMain: taken.ipcMain,
      app: electron.app,
      BrowserWindow: electron.BrowserWindow,
    };
    const logger = recordingLogger();
    const client = createClientSession({
      electron: sharing,
      logger,
      store: new MemorySessionStore(),
    });
    await electron.app.becomeReady();

    await assert.rejects(client.whenReady(), { code: 'ALREADY_CREATED' });
    assert.equal(logger.lines.error.length, 1);
    assert.equal(electron.app.listenerTotal() + electron.powerMonitor.listenerTotal(), 0);
    first.dispose();
  });

  test("preload: true registers the package's preload in the default session, until dispose()", async () => {
    const filePath = join(dir, 'standalone.js');
    writeFileSync(filePath, '// the built preload\n');
    const { electron, client } = await startApp({}, { preload: { filePath } });
    assert.deepEqual([...electron.session.defaultSession.preloads.values()], [filePath]);
    client.dispose();
    assert.equal(electron.session.defaultSession.preloads.size, 0);
  });

  test('preload given before ready: registered once ready (session.defaultSession throws until then)', async () => {
    const filePath = join(dir, 'standalone-before-ready.js');
    writeFileSync(filePath, '// the built preload\n');
    const electron = freshElectron();
    const logger = recordingLogger();
    const client = createClientSession({
      electron,
      logger,
      store: new MemorySessionStore(),
      preload: { filePath },
    });
    assert.equal(electron.defaultSession.preloads.size, 0);

    await electron.app.becomeReady();
    await client.whenReady();
    assert.deepEqual([...electron.session.defaultSession.preloads.values()], [filePath]);
    assert.deepEqual(logger.lines.error, []);
    client.dispose();
    assert.equal(electron.defaultSession.preloads.size, 0);
  });

  test("preload: true without the package's preload file beside it: INVALID_OPTION at the call", () => {
    // Run from the sources, as a bundled main process does, the built preload is not there.
    assert.equal(existsSync(clientSessionPreloadPath()), false);
    const electron = freshElectron();
    assert.throws(() => createClientSession({ electron, preload: true }), {
      code: 'INVALID_OPTION',
      message: /options\.preload: the package's preload is not at .*preload: \{ filePath \}/,
    });
    assert.equal(electron.listenerTotal(), 0);
  });

  test('a preload filePath that names no file: INVALID_OPTION at the call', () => {
    const electron = freshElectron();
    const filePath = join(dir, 'not-built', 'standalone.js');
    assert.throws(() => createClientSession({ electron, preload: { filePath } }), {
      code: 'INVALID_OPTION',
      message: /options\.preload\.filePath names no file/,
    });
    assert.equal(electron.listenerTotal(), 0);
  });

  test('a preload that cannot be registered once ready: said once, the session works on', async () => {
    const filePath = join(dir, 'removed-before-ready.js');
    writeFileSync(filePath, '// the built preload\n');
    const electron = freshElectron();
    const clock = new FakeClock();
    const timers = new FakeTimers(clock);
    const logger = recordingLogger();
    const client = createClientSession({
      electron,
      logger,
      timers,
      clock: clock.now,
      store: new MemorySessionStore(),
      preload: { filePath },
    });
    rmSync(filePath);
    await electron.app.becomeReady();

    const session = await client.whenReady();
    assert.equal(logger.lines.error.length, 1);
    assert.match(logger.lines.error[0]!, /preload could not be registered/);
    assert.equal(client.session, session);
    assert.equal(session.stamp(eventId(), clock.time).eventIndex, 1);
    const page = electron.ipc.openWindow('file:///app/index.html');
    const answer = (await page.ipcRenderer.invoke(CHANNELS.snapshot)) as IpcResult<unknown>;
    assert.ok(answer.ok);
    const window = electron.app.createWindow('main', { focused: true });
    window.fire('focus');
    assert.equal(session.getIsBackground(), false);
    window.fire('blur', { focused: false });
    timers.advance(500);
    assert.equal(session.getIsBackground(), true);
    client.dispose();
  });

  test('a preload id already registered: said once, the session is set up all the same', async () => {
    const filePath = join(dir, 'standalone-taken.js');
    writeFileSync(filePath, '// the built preload\n');
    const electron = freshElectron();
    await electron.app.becomeReady();
    electron.session.defaultSession.registerPreloadScript({
      type: 'frame',
      id: 'electron-client-session',
      filePath: '/app/own-copy.js',
    });
    const logger = recordingLogger();
    const client = createClientSession({
      electron,
      logger,
      store: new MemorySessionStore(),
      preload: { filePath },
    });
    assert.equal(logger.lines.error.length, 1);
    assert.notEqual(client.session, null);
    assert.ok(electron.ipcMain.registrations() > 0);
    client.dispose();
    assert.equal(electron.ipcMain.registrations(), 0);
  });
});
