// The demo's main process (demo/app/startDemo.ts) in plain Node, with small stand-ins for
// Electron's objects: what the window controls do, whom they answer, and that a real collector
// can take the embedded one's place. Then its Electron entry (demo/main.ts), built as Forge
// builds it, started and quit with those stand-ins in place of the `electron` module.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { buildStructEvent } from '@snowplow/node-tracker';
import type { BrowserWindowConstructorOptions, Event } from 'electron';

import { startCollector } from '../demo/app/startCollector';
import type { Collector } from '../demo/app/startCollector';
import { startDemo } from '../demo/app/startDemo';
import type { Demo, DemoElectron } from '../demo/app/startDemo';
import { DEMO_CHANNELS } from '../demo/shared/demoBridge';
import type { DemoInfo } from '../demo/shared/demoBridge';
import type { CollectedEvent } from '../demo/shared/collectedEvent';
import { FakeClock } from './support/clock';
import { buildDemo } from './support/demoBuild';
import { FakeIpcMain } from './support/fakeIpc';
import { assertValidClientSession } from './support/schemas';
import { tempDir } from './support/tmp';

const PAGE = 'file:///app/.vite/renderer/main_window/index.html';
const PROJECT = join(__dirname, '..');
/** Where the stand-in `electron` module of a built main bundle finds its objects. */
const STAND_IN_ELECTRON = Symbol.for('electron-client-session.test.electron');
let ids = 1;

/** Electron's main-process objects, with windows that load nothing. */
function standIns(userData: string) {
  const app = Object.assign(new EventEmitter(), {
    isReady: () => true,
    whenReady: () => Promise.resolve(),
    getPath: () => userData,
  });
  const windows: StandInWindow[] = [];

  class StandInWindow extends EventEmitter {
    readonly frame = {
      url: '',
      parent: null,
      detached: false,
      processId: ids++,
      routingId: ids++,
      isDestroyed: () => false,
      send: () => undefined,
    };
    readonly webContents = {
      id: ids++,
      mainFrame: this.frame,
      sent: [] as string[],
      isDestroyed: () => false,
      getType: () => 'window' as const,
      send: (channel: string) => void this.webContents.sent.push(channel),
    };

    static getAllWindows = () => [...windows];
    static fromWebContents = (contents: { id: number }) =>
      windows.find((w) => w.webContents.id === contents.id) ?? null;

    constructor(readonly options: BrowserWindowConstructorOptions) {
      super();
      windows.push(this);
      app.emit('browser-window-created', {} as Event, this);
      this.emit('focus');
    }

    async loadURL(url: string): Promise<void> {
      this.frame.url = url;
    }

    isFocused = () => true;
    isMinimized = () => false;
    isVisible = () => true;
    isDestroyed = () => false;
  }

  const ipcMain = new FakeIpcMain();
  const electron = { app, BrowserWindow: StandInWindow, ipcMain, powerMonitor: new EventEmitter() };
  return { electron: electron as unknown as DemoElectron, ipcMain, windows };
}

const nextEvent = (collector: Collector): Promise<CollectedEvent> =>
  new Promise((resolve) => {
    const stop = collector.onEvent((event) => {
      stop();
      resolve(event);
    });
  });

/** Resolves with the collector's events once it holds `count`. */
const eventsAt = (collector: Collector, count: number): Promise<readonly CollectedEvent[]> =>
  new Promise((resolve) => {
    const check = () => {
      if (collector.events().length < count) return;
      stop();
      resolve(collector.events());
    };
    const stop = collector.onEvent(check);
    check();
  });

describe("the demo's main process", () => {
  const opened: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const thing of opened.reverse()) await thing.close();
  });

  /**
   * Starts the demo and opens its window, which takes the focus: the app comes to the
   * foreground, which the main process tracks. Resolves once that event has arrived.
   */
  const start = async (external?: Collector) => {
    const dir = tempDir('ecs-demo-main-');
    const { electron, ipcMain, windows } = standIns(join(dir, 'userData'));
    const clock = new FakeClock();
    const demo: Demo = await startDemo(electron, {
      rendererUrl: PAGE,
      preloadPath: join(dir, 'preload.js'),
      clock: clock.now,
      ...(external === undefined ? {} : { collectorUrl: external.url }),
    });
    opened.push(demo);
    const window = await demo.openWindow();
    const [launched] = await eventsAt(external ?? (demo.collector as Collector), 1);
    const from = windows.find((w) => w.webContents.id === window.webContents.id);
    assert.ok(from);
    const sender = { webContents: from.webContents, frame: from.frame } as never;
    const invoke = (channel: string, ...args: unknown[]) =>
      ipcMain.invokeRaw(sender, channel, args);
    return { demo, ipcMain, invoke, window: from, clock, launched: launched as CollectedEvent };
  };

  test('the window taking the focus brings the app to the foreground, tracked by main', async () => {
    const { demo, launched } = await start();
    assert.equal(launched.trackerNamespace, 'main');
    assert.equal(launched.name, 'application_foreground');
    assert.equal(launched.clientSession?.sessionIndex, 1);
    assert.equal(launched.clientSession?.eventIndex, 1);
    assert.equal(demo.session.getIsBackground(), false);
  });

  test("the main process's events for the window controls carry the demo's clock", async () => {
    const { demo, invoke, clock } = await start();
    clock.advanceSeconds(7);
    const arrived = nextEvent(demo.collector as Collector);
    await invoke(DEMO_CHANNELS.trackFromMain, 'timed');
    const event = await arrived;
    assert.equal(event.deviceTimestamp, clock.time);
    assert.equal(demo.session.getSnapshot().lastActivity, clock.time);
  });

  test('with a collector URL, the trackers send there and no collector is started', async () => {
    const external = await startCollector();
    opened.push(external);
    const { demo, invoke } = await start(external);
    assert.equal(demo.collector, null);

    const info = (await invoke(DEMO_CHANNELS.info)) as DemoInfo;
    assert.deepEqual(
      { ...info, storePath: info.storePath?.endsWith('client-session.sqlite') },
      {
        windowNumber: 1,
        collectorUrl: external.url,
        collector: 'external',
        storePath: true,
        appId: 'electron-client-session-demo',
      },
    );

    const arrived = nextEvent(external);
    await invoke(DEMO_CHANNELS.trackFromMain, 'from a test');
    const event = await arrived;
    assert.equal(event.name, 'demo / track-from-main / from a test');
    assertValidClientSession(event.clientSession);
    assert.equal(event.clientSession?.storageMechanism, 'SQLITE');
  });

  test('what the embedded collector receives is pushed to every window', async () => {
    const { demo, window } = await start();
    assert.ok(demo.collector);
    const arrived = nextEvent(demo.collector);
    demo.tracker.track(buildStructEvent({ category: 'c', action: 'a' }));
    await arrived;
    // The foreground event at launch, then this one.
    assert.deepEqual(window.webContents.sent, [DEMO_CHANNELS.collected, DEMO_CHANNELS.collected]);
  });

  test('the controls answer demo windows only, and refuse bad arguments', async () => {
    const { demo, ipcMain, invoke } = await start();
    const stranger = {
      webContents: { id: 999_999, isDestroyed: () => false, getType: () => 'window' },
      frame: { url: PAGE, parent: null, isDestroyed: () => false, detached: false },
    } as never;
    await assert.rejects(
      ipcMain.invokeRaw(stranger, DEMO_CHANNELS.setBackground, [true]),
      /did not come from a demo window/,
    );
    await assert.rejects(invoke(DEMO_CHANNELS.setBackground, 'yes'), /takes a boolean/);
    await assert.rejects(invoke(DEMO_CHANNELS.trackFromMain, 'x'.repeat(101)), /at most 100/);
    assert.equal(demo.session.getIsBackground(), false);
    assert.deepEqual(
      demo.collector?.events().map((event) => event.name),
      ['application_foreground'],
    );

    await invoke(DEMO_CHANNELS.setBackground, true);
    assert.equal(demo.session.getIsBackground(), true);
  });

  test('closing the demo removes every IPC handler it and the library registered', async () => {
    const { demo, ipcMain } = await start();
    assert.ok(ipcMain.registrations() > 0);
    await demo.close();
    assert.equal(ipcMain.registrations(), 0);
  });
});

describe("the demo's Electron entry (demo/main.ts, built)", { timeout: 60_000 }, () => {
  const dir = tempDir('ecs-demo-entry-');
  let main: string;

  before(async () => {
    ({ main } = await buildDemo(join(dir, 'out'), ['main']));
    // Beside the bundle, as in a packaged app: better-sqlite3, and an `electron` module that
    // hands out the stand-ins the test put in place.
    const modules = join(dir, 'out', 'node_modules');
    mkdirSync(join(modules, 'electron'), { recursive: true });
    writeFileSync(
      join(modules, 'electron', 'index.js'),
      `module.exports = globalThis[Symbol.for(${JSON.stringify(STAND_IN_ELECTRON.description)})];\n`,
    );
    symlinkSync(join(PROJECT, 'node_modules', 'better-sqlite3'), join(modules, 'better-sqlite3'));
  });

  test('quitting writes and closes the session without an error, and stops the demo', async (t) => {
    const logged: string[] = [];
    // Before the bundle runs: the library's default logger keeps the console's functions.
    for (const level of ['error', 'warn'] as const) {
      t.mock.method(console, level, (...args: unknown[]) => void logged.push(args.join(' ')));
    }
    const { electron, ipcMain, windows } = standIns(join(dir, 'unused-userData'));
    const app = electron.app as unknown as EventEmitter & Record<string, unknown>;
    const paths: Record<string, string> = { appData: join(dir, 'appData') };
    Object.assign(app, {
      setName: () => undefined,
      getPath: (name: string) => paths[name],
      setPath: (name: string, path: string) => void (paths[name] = path),
      exit: (code: number) => assert.fail(`the demo exited with ${code}: ${logged.join('\n')}`),
      // As Electron: will-quit, which a handler may prevent, then quit.
      quit() {
        const willQuit = { defaultPrevented: false, preventDefault: () => undefined };
        app.emit('will-quit', willQuit);
        app.emit('quit', {}, 0);
      },
    });
    (globalThis as Record<symbol, unknown>)[STAND_IN_ELECTRON] = electron;
    t.after(() => delete (globalThis as Record<symbol, unknown>)[STAND_IN_ELECTRON]);

    require(main);
    while (windows.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(ipcMain.registrations() > 0, 'the demo and the library registered their IPC');

    (app.quit as () => void)();
    // The demo closes asynchronously (its collector); its IPC goes at once.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(ipcMain.registrations(), 0);
    assert.deepEqual(logged, []);
  });
});
