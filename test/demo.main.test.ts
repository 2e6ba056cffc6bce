// The demo's main process (demo/app/startDemo.ts) in plain Node, with small stand-ins for
// Electron's objects: what the window controls do, whom they answer, and that a real collector
// can take the embedded one's place.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

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
import { FakeIpcMain } from './support/fakeIpc';
import { assertValidClientSession } from './support/schemas';
import { tempDir } from './support/tmp';

const PAGE = 'file:///app/.vite/renderer/main_window/index.html';
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

describe("the demo's main process", () => {
  const opened: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const thing of opened.reverse()) await thing.close();
  });

  const start = async (collectorUrl?: string) => {
    const dir = tempDir('ecs-demo-main-');
    const { electron, ipcMain, windows } = standIns(join(dir, 'userData'));
    const demo: Demo = await startDemo(electron, {
      rendererUrl: PAGE,
      preloadPath: join(dir, 'preload.js'),
      clock: new FakeClock().now,
      ...(collectorUrl === undefined ? {} : { collectorUrl }),
    });
    opened.push(demo);
    const window = await demo.openWindow();
    const from = windows.find((w) => w.webContents.id === window.webContents.id);
    assert.ok(from);
    const sender = { webContents: from.webContents, frame: from.frame } as never;
    const invoke = (channel: string, ...args: unknown[]) =>
      ipcMain.invokeRaw(sender, channel, args);
    return { demo, ipcMain, invoke, window: from };
  };

  test('with a collector URL, the trackers send there and no collector is started', async () => {
    const external = await startCollector();
    opened.push(external);
    const { demo, invoke } = await start(external.url);
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
    assert.deepEqual(window.webContents.sent, [DEMO_CHANNELS.collected]);
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
    assert.deepEqual(demo.collector?.events(), []);

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
