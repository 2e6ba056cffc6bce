import { buildStructEvent, newTracker } from '@snowplow/node-tracker';
import type { Tracker } from '@snowplow/node-tracker';
import type {
  BrowserWindow,
  BrowserWindowConstructorOptions,
  IpcMain,
  IpcMainInvokeEvent,
  WebContents,
} from 'electron';
import { createClientSession } from 'electron-client-session/main';
import type {
  ClientSession,
  ElectronClientSession,
  Logger,
  SeamApp,
  SeamPowerMonitor,
  SeamWindow,
} from 'electron-client-session/main';

import { DEMO_APP } from '../shared/demoApp';
import { DEMO_CHANNELS } from '../shared/demoBridge';
import type { DemoInfo } from '../shared/demoBridge';
import { startCollector } from './startCollector';
import type { Collector } from './startCollector';

/** What the demo calls on a window: the real `BrowserWindow` fits. */
export type DemoWindow = SeamWindow &
  Pick<BrowserWindow, 'loadURL'> & {
    readonly webContents: Pick<WebContents, 'id' | 'send' | 'isDestroyed'>;
  };

/** The `BrowserWindow` class, as the demo and the library use it. */
export interface DemoWindowClass {
  new (options: BrowserWindowConstructorOptions): DemoWindow;
  getAllWindows(): DemoWindow[];
  fromWebContents(webContents: WebContents): DemoWindow | null;
}

/** The Electron main-process objects the demo works with; `electron` itself fits. */
export interface DemoElectron {
  readonly app: SeamApp;
  readonly BrowserWindow: DemoWindowClass;
  readonly ipcMain: Pick<IpcMain, 'handle' | 'removeHandler' | 'on' | 'removeListener'>;
  readonly powerMonitor: SeamPowerMonitor;
}

export interface DemoOptions {
  /** The page every window shows: the Vite dev server, or the built page as a `file:` URL. */
  readonly rendererUrl: string;
  /** Absolute path of the built preload script. */
  readonly preloadPath: string;
  /**
   * A real collector to send the events to, such as `https://collector.example.com` or a
   * Snowplow Micro. When absent, the demo runs its own on 127.0.0.1 and shows what it receives.
   */
  readonly collectorUrl?: string;
  /**
   * Seconds without activity in the foreground before the next event starts a new session.
   * Short, so that a rotation can be watched.
   * @default 300
   */
  readonly foregroundTimeout?: number;
  /**
   * Seconds in the background before the next event starts a new session.
   * @default 30
   */
  readonly backgroundTimeout?: number;
  /**
   * Track `application_foreground` and `application_background` through the main process's
   * tracker on each transition, so that the collector shows them.
   * @default true
   */
  readonly lifecycleEvents?: boolean;
  /** Absolute path of the session store file. @default the library's, under `userData` */
  readonly storePath?: string;
  /**
   * The time now, epoch milliseconds (tests pass a fake clock): the session's, and the device
   * timestamp of the events the main process's tracker sends for the window controls.
   * @default Date.now
   */
  readonly clock?: () => number;
  /** @default console, level `warn` */
  readonly logger?: Logger;
}

export interface Demo {
  readonly client: ElectronClientSession;
  readonly session: ClientSession;
  /** The node tracker of the main process. */
  readonly tracker: Tracker;
  /** The embedded collector, or `null` when sending to a real one. */
  readonly collector: Collector | null;
  readonly collectorUrl: string;
  /** Opens one more window showing the demo page. */
  openWindow(): Promise<DemoWindow>;
  /** Stops everything the demo started (handlers, session, collector). */
  close(): Promise<void>;
}

/**
 * The demo's main process, Electron passed in: the client session (through the library's
 * public API, as an app would use it), a node tracker, the embedded collector, the window
 * controls, and the IPC that connects them to the windows. Call once the app is ready.
 */
export async function startDemo(electron: DemoElectron, options: DemoOptions): Promise<Demo> {
  const { BrowserWindow, ipcMain } = electron;
  const clock = options.clock ?? Date.now;
  const collector = options.collectorUrl === undefined ? await startCollector() : null;
  const collectorUrl = options.collectorUrl ?? (collector as Collector).url;

  // One call sets up the session: the SQLite store under userData, foreground/background from
  // the windows, and the IPC handlers the windows' bridge talks to (for the demo's own pages).
  const client = createClientSession({
    electron,
    foregroundTimeout: options.foregroundTimeout ?? 300,
    backgroundTimeout: options.backgroundTimeout ?? 30,
    ipc: { allowedOrigins: [originOf(options.rendererUrl)] },
    lifecycleEvents: options.lifecycleEvents ?? true,
    ...(options.storePath === undefined ? {} : { path: options.storePath }),
    clock,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const session = await client.whenReady();

  const tracker = newTracker(
    { namespace: 'main', appId: DEMO_APP.name },
    { endpoint: collectorUrl, bufferSize: 1 },
  );
  tracker.addPlugin({ plugin: client.plugin });

  const windowNumbers = new Map<number, number>();
  let opened = 0;

  const openWindow = async (): Promise<DemoWindow> => {
    const number = ++opened;
    const window = new BrowserWindow({
      width: 1180,
      height: 860,
      title: `electron-client-session demo — window ${number}`,
      webPreferences: {
        preload: options.preloadPath,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
      },
    });
    const id = window.webContents.id;
    windowNumbers.set(id, number);
    window.on('closed', () => windowNumbers.delete(id));
    await window.loadURL(options.rendererUrl);
    return window;
  };

  const stopForwarding = collector?.onEvent((event) => {
    for (const window of BrowserWindow.getAllWindows()) {
      if (!window.webContents.isDestroyed())
        window.webContents.send(DEMO_CHANNELS.collected, event);
    }
  });

  /** The number of the demo window a message came from; throws for anything else. */
  const windowOf = (event: IpcMainInvokeEvent): number => {
    const number = windowNumbers.get(event.sender.id);
    const owner = BrowserWindow.fromWebContents(event.sender);
    if (number === undefined || owner === null || event.senderFrame?.parent !== null) {
      throw new Error('demo: refused a message that did not come from a demo window');
    }
    return number;
  };

  const handlers: Record<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown> = {
    [DEMO_CHANNELS.info]: (event): DemoInfo => ({
      windowNumber: windowOf(event),
      collectorUrl,
      collector: collector === null ? 'external' : 'embedded',
      storePath: client.storePath,
      appId: DEMO_APP.name,
    }),
    [DEMO_CHANNELS.events]: (event) => {
      windowOf(event);
      return collector?.events() ?? [];
    },
    [DEMO_CHANNELS.trackFromMain]: async (event, label) => {
      windowOf(event);
      if (typeof label !== 'string' || label.length > 100) {
        throw new Error('demo: trackFromMain(label) takes a string of at most 100 characters');
      }
      const struct = buildStructEvent({ category: 'demo', action: 'track-from-main', label });
      tracker.track(struct, null, clock());
      await tracker.flush();
    },
    [DEMO_CHANNELS.openWindow]: async (event) => {
      windowOf(event);
      const window = await openWindow();
      return windowNumbers.get(window.webContents.id);
    },
    [DEMO_CHANNELS.setBackground]: (event, isBackground) => {
      windowOf(event);
      if (typeof isBackground !== 'boolean') {
        throw new Error('demo: setBackground(isBackground) takes a boolean');
      }
      session.setIsBackground(isBackground);
    },
  };
  for (const [channel, handler] of Object.entries(handlers)) ipcMain.handle(channel, handler);

  return {
    client,
    session,
    tracker,
    collector,
    collectorUrl,
    openWindow,
    async close() {
      for (const channel of Object.keys(handlers)) ipcMain.removeHandler(channel);
      stopForwarding?.();
      client.dispose();
      await collector?.close();
    },
  };
}

/** The origin of the demo's own pages, as the library's `allowedOrigins` takes it. */
function originOf(url: string): string {
  const parsed = new URL(url);
  return parsed.protocol === 'file:' ? 'file://' : parsed.origin;
}
