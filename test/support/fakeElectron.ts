// Stand-ins for the Electron main-process objects, typed against Electron's own typings: the
// event names come from the seam (which the real classes are proven to fit), and the query
// methods are picked from the real `BrowserWindow` and `App`, so a change there breaks tsc.
import { EventEmitter } from 'node:events';

import type { App, BrowserWindow, Event, WindowSessionEndEvent } from 'electron';

import type {
  ElectronSeam,
  SeamApp,
  SeamBrowserWindowClass,
  SeamPowerEvent,
  SeamPowerMonitor,
  SeamWindow,
} from '../../src/main/electron/ElectronSeam';
import type { WindowLookup } from '../../src/main/ipc/checkSender';
import type { PreloadSession } from '../../src/main/ipc/registerClientSessionPreload';
import { FakeApp as FakeIpcApp } from './fakeIpc';

type WindowEvents = {
  focus: [];
  blur: [];
  hide: [];
  show: [];
  minimize: [];
  restore: [];
  closed: [];
  'session-end': [WindowSessionEndEvent];
};

export interface WindowState {
  focused: boolean;
  minimized: boolean;
  visible: boolean;
  destroyed: boolean;
}

function electronEvent<T extends object>(params: T): Event<T> {
  let prevented = false;
  return {
    preventDefault: () => {
      prevented = true;
    },
    get defaultPrevented() {
      return prevented;
    },
    ...params,
  } as Event<T>;
}

/** A `BrowserWindow` whose state the test sets and whose events the test fires. */
export class FakeWindow
  extends EventEmitter<WindowEvents>
  implements
    SeamWindow,
    Pick<BrowserWindow, 'isFocused' | 'isMinimized' | 'isVisible' | 'isDestroyed'>
{
  readonly state: WindowState;

  constructor(
    readonly title: string,
    state: Partial<WindowState> = {},
  ) {
    super();
    this.state = { focused: false, minimized: false, visible: true, destroyed: false, ...state };
  }

  /**
   * Changes the state as the OS would, then emits `event` as Electron would. `after` is applied
   * once the listeners have run (for a focus query that lags behind the event, as on Windows).
   */
  fire(
    event: Exclude<keyof WindowEvents, 'session-end'>,
    state: Partial<WindowState> = {},
    after: Partial<WindowState> = {},
  ): void {
    Object.assign(this.state, state);
    this.emit(event);
    Object.assign(this.state, after);
  }

  /** Windows only: the OS session ends (shutdown, restart, log-off). */
  fireSessionEnd(reasons: WindowSessionEndEvent['reasons'] = ['shutdown']): void {
    this.emit('session-end', electronEvent({ reasons }));
  }

  isFocused(): boolean {
    return this.alive().focused;
  }

  isMinimized(): boolean {
    return this.alive().minimized;
  }

  isVisible(): boolean {
    return this.alive().visible;
  }

  isDestroyed(): boolean {
    return this.state.destroyed;
  }

  /** Every listener on this window, whatever the event. */
  listenerTotal(): number {
    return this.eventNames().reduce((sum, name) => sum + this.listenerCount(name), 0);
  }

  private alive(): WindowState {
    // As in Electron, a destroyed window throws on use.
    if (this.state.destroyed) throw new TypeError('Object has been destroyed');
    return this.state;
  }
}

type AppEvents = {
  'browser-window-created': [Event, FakeWindow];
  'will-quit': [Event];
  quit: [Event, number];
  ready: [];
};

/** The `app` object: ready or not, a name that sets the `userData` path, window creation. */
export class FakeApp
  extends EventEmitter<AppEvents>
  implements SeamApp, Pick<App, 'isReady' | 'whenReady' | 'getName' | 'setName'>
{
  readonly windows: FakeWindow[] = [];
  /** Every name `getPath('userData')` was asked under, in order. */
  readonly userDataReads: string[] = [];
  private ready = false;
  private name = 'Electron';
  private readonly readyPromise: Promise<void>;
  private resolveReady!: () => void;

  constructor(readonly appData: string) {
    super();
    this.readyPromise = new Promise((resolve) => {
      this.resolveReady = resolve;
    });
  }

  isReady(): boolean {
    return this.ready;
  }

  whenReady(): Promise<void> {
    return this.readyPromise;
  }

  getName(): string {
    return this.name;
  }

  setName(name: string): void {
    this.name = name;
  }

  getPath(name: 'userData'): string {
    if (name !== 'userData') throw new Error(`the fake app only knows userData, not ${name}`);
    this.userDataReads.push(this.name);
    return `${this.appData}/${this.name}`;
  }

  /** The app becomes ready, as Electron's `ready` event and `whenReady()` say. */
  async becomeReady(): Promise<void> {
    this.ready = true;
    this.emit('ready');
    this.resolveReady();
    await this.readyPromise;
    // Let the code waiting on whenReady() run.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** `new BrowserWindow(...)`: Electron announces every window through the app. */
  createWindow(title: string, state: Partial<WindowState> = {}): FakeWindow {
    const window = new FakeWindow(title, state);
    this.windows.push(window);
    window.on('closed', () => this.windows.splice(this.windows.indexOf(window), 1));
    this.emit('browser-window-created', electronEvent({}), window);
    return window;
  }

  /** Quitting: `will-quit`, which an app may prevent, then `quit` unless it did. */
  quit(): Event {
    const event = electronEvent({});
    this.emit('will-quit', event);
    if (!event.defaultPrevented) this.emit('quit', electronEvent({}), 0);
    return event;
  }

  listenerTotal(): number {
    return this.eventNames().reduce((sum, name) => sum + this.listenerCount(name), 0);
  }
}

type PowerEvents = { [K in SeamPowerEvent]: [] };

export class FakePowerMonitor extends EventEmitter<PowerEvents> implements SeamPowerMonitor {
  fire(event: SeamPowerEvent): void {
    this.emit(event);
  }

  listenerTotal(): number {
    return this.eventNames().reduce((sum, name) => sum + this.listenerCount(name), 0);
  }
}

/** A `Session` that takes preload registrations (Electron 35+ API). */
export class FakePreloadSession implements PreloadSession {
  readonly preloads = new Map<string, string>();

  registerPreloadScript(script: {
    type: 'frame' | 'service-worker';
    id?: string;
    filePath: string;
  }) {
    const id = script.id ?? String(this.preloads.size);
    if (this.preloads.has(id))
      throw new Error(`Cannot register preload script with existing ID '${id}'`);
    this.preloads.set(id, script.filePath);
    return id;
  }

  unregisterPreloadScript(id: string): void {
    this.preloads.delete(id);
  }
}

/**
 * The objects together, as `options.electron` takes them. IPC comes from the IPC stand-ins
 * (`ipcMain`, and `BrowserWindow.fromWebContents` for the pages they open).
 */
export class FakeElectron implements ElectronSeam {
  readonly app: FakeApp;
  readonly powerMonitor = new FakePowerMonitor();
  readonly ipc = new FakeIpcApp();
  readonly ipcMain = this.ipc.ipcMain;
  /** What `session.defaultSession` gives once the app is ready; tests may read it at any time. */
  readonly defaultSession = new FakePreloadSession();
  /**
   * Electron's `session` module: as there, `defaultSession` is a getter that throws until the
   * app is ready (`fromPartition('')` refuses before then).
   */
  readonly session: { readonly defaultSession: FakePreloadSession };
  readonly BrowserWindow: SeamBrowserWindowClass &
    WindowLookup & { getFocusedWindow(): FakeWindow | null };

  constructor(appData = '/nonexistent/appData') {
    const app = new FakeApp(appData);
    this.app = app;
    const defaultSession = this.defaultSession;
    this.session = {
      get defaultSession() {
        if (!app.isReady()) {
          throw new TypeError('Session can only be received when app is ready');
        }
        return defaultSession;
      },
    };
    this.BrowserWindow = {
      getAllWindows: () => app.windows.filter((w) => !w.isDestroyed()),
      getFocusedWindow: () => app.windows.find((w) => !w.isDestroyed() && w.isFocused()) ?? null,
      fromWebContents: (webContents) => this.ipc.BrowserWindow.fromWebContents(webContents),
    };
  }

  /**
   * Every listener on the app, the power monitor and all open windows, plus IPC handlers and
   * preload registrations.
   */
  listenerTotal(): number {
    return (
      this.app.listenerTotal() +
      this.powerMonitor.listenerTotal() +
      this.app.windows.reduce((sum, w) => sum + w.listenerTotal(), 0) +
      this.ipcMain.registrations() +
      this.defaultSession.preloads.size
    );
  }
}
