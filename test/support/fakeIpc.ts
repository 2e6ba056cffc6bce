// Stand-ins for Electron's IPC, typed against Electron's own typings: ipcMain, ipcRenderer,
// contextBridge, windows, webContents and frames. Messages are cloned with structuredClone as
// Electron clones them, so what cannot cross a real IPC boundary cannot cross this one either.
import { EventEmitter } from 'node:events';
import { types } from 'node:util';

import type {
  ContextBridge,
  IpcMainEvent,
  IpcMainInvokeEvent,
  IpcRendererEvent,
  WebContents,
} from 'electron';

import { ClientSession } from '../../src/main/ClientSession';
import { MemorySessionStore } from '../../src/main/MemorySessionStore';
import type { FrameView, SenderView, WindowLookup } from '../../src/main/ipc/checkSender';
import { registerClientSessionIpc } from '../../src/main/ipc/registerClientSessionIpc';
import type { ClientSessionIpcOptions } from '../../src/main/ipc/registerClientSessionIpc';
import type { IpcMainSeam } from '../../src/main/ipc/registerClientSessionIpc';
import type { BridgeIpcRenderer } from '../../src/preload/createClientSessionBridge';
import type { PreloadElectron } from '../../src/preload/exposeClientSession';
import { createConsoleLogger } from '../../src/shared/logger';
import type { Logger } from '../../src/shared/logger';
import { FakeClock } from './clock';

type InvokeListener = (event: IpcMainInvokeEvent, ...args: any[]) => unknown;
type OnListener = (event: IpcMainEvent, ...args: any[]) => void;
type RendererListener = (event: IpcRendererEvent, ...args: any[]) => void;

/** Clones as Electron's IPC does, failing with Electron's message on what cannot be cloned. */
export function cloneForIpc<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch (error) {
    throw new Error('An object could not be cloned.', { cause: error });
  }
}

/** A frame: the sender's `senderFrame`, and where `frame.send()` pushes go. */
export class FakeFrame implements FrameView {
  destroyed = false;
  detached = false;
  /** The renderer (document) showing in this frame, to deliver pushes to. */
  renderer: FakeIpcRenderer | null = null;
  readonly routingId: number;

  constructor(
    public url: string,
    readonly parent: FakeFrame | null,
    readonly processId: number,
  ) {
    this.routingId = nextId();
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed)
      throw new Error('Render frame was disposed before WebFrameMain could be accessed');
    this.renderer?.deliver(channel, cloneForIpc(args));
  }
}

/** A `webContents`: a window's own page, a `<webview>`'s guest, or one without a window. */
export class FakeWebContents implements SenderView {
  readonly id = nextId();
  destroyed = false;

  constructor(
    readonly type: ReturnType<WebContents['getType']>,
    public mainFrame: FakeFrame,
  ) {}

  isDestroyed(): boolean {
    return this.destroyed;
  }

  getType(): ReturnType<WebContents['getType']> {
    if (this.destroyed) throw new Error('Object has been destroyed');
    return this.type;
  }
}

/** What a test holds for one document: its sender, its frame and its `ipcRenderer`. */
export interface FakePage {
  readonly webContents: FakeWebContents;
  readonly frame: FakeFrame;
  readonly ipcRenderer: FakeIpcRenderer;
}

/** `ipcMain`: handlers and listeners the fake renderers reach. */
export class FakeIpcMain implements IpcMainSeam {
  readonly handlers = new Map<string, InvokeListener>();
  readonly listeners = new Map<string, OnListener[]>();

  handle(channel: string, listener: InvokeListener): void {
    if (this.handlers.has(channel)) {
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    }
    this.handlers.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  on(channel: string, listener: OnListener): this {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
    return this;
  }

  removeListener(channel: string, listener: OnListener): this {
    this.listeners.set(
      channel,
      (this.listeners.get(channel) ?? []).filter((registered) => registered !== listener),
    );
    return this;
  }

  /** Calls the handler of `channel` as Electron would, with `args` as they arrived (no clone). */
  async invokeRaw(from: Sender, channel: string, args: readonly unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (handler === undefined) {
      throw new Error(
        `Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`,
      );
    }
    try {
      return await handler(eventFrom(from) as IpcMainInvokeEvent, ...args);
    } catch (error) {
      throw new Error(`Error invoking remote method '${channel}': ${String(error)}`);
    }
  }

  /**
   * Sync messages no listener answered. In Electron the page stays blocked on each until the
   * main process garbage-collects the event, then gets `{ error: 'reply was never sent' }`.
   */
  unansweredSyncCalls = 0;

  /**
   * Emits a sync message as Electron would and returns what a listener set as `returnValue`
   * (no clone). As in Electron, `returnValue` can only be set, and a message nobody answers
   * gets the reply Electron sends when it drops the event.
   */
  sendSyncRaw(from: Sender, channel: string, args: readonly unknown[]): unknown {
    const event = eventFrom(from) as IpcMainEvent;
    let answered = false;
    let reply: unknown;
    Object.defineProperty(event, 'returnValue', {
      get: () => undefined,
      set: (value: unknown) => {
        if (answered) return;
        answered = true;
        reply = value;
      },
    });
    for (const listener of this.listeners.get(channel) ?? []) listener(event, ...args);
    if (answered) return reply;
    this.unansweredSyncCalls += 1;
    return { error: 'reply was never sent' };
  }

  /** How many handlers and listeners are registered, over all channels. */
  registrations(): number {
    let count = this.handlers.size;
    for (const list of this.listeners.values()) count += list.length;
    return count;
  }
}

/** Who sent a message: the webContents, and the frame as seen when the message is handled. */
export interface Sender {
  readonly webContents: SenderView | null;
  readonly frame: FrameView | null;
}

function eventFrom(from: Sender): Partial<IpcMainEvent> {
  const frame = from.frame;
  return {
    sender: from.webContents as WebContents,
    // Electron gives null once the frame navigated away or was destroyed.
    get senderFrame() {
      const gone = frame === null || frame.isDestroyed?.() === true;
      return gone ? null : (frame as IpcMainEvent['senderFrame']);
    },
    frameId: frame?.routingId ?? -1,
    processId: frame?.processId ?? -1,
    type: 'frame',
  };
}

/** `ipcRenderer` of one document, connected to a {@link FakeIpcMain}. */
export class FakeIpcRenderer implements BridgeIpcRenderer {
  private readonly emitter = new EventEmitter();
  /** Every channel this renderer sent on, in order. */
  readonly sent: string[] = [];

  constructor(
    private readonly main: FakeIpcMain,
    private readonly from: Sender,
  ) {}

  async invoke(channel: string, ...args: any[]): Promise<any> {
    this.sent.push(channel);
    return cloneForIpc(await this.main.invokeRaw(this.from, channel, cloneForIpc(args)));
  }

  sendSync(channel: string, ...args: any[]): any {
    this.sent.push(channel);
    return cloneForIpc(this.main.sendSyncRaw(this.from, channel, cloneForIpc(args)));
  }

  on(channel: string, listener: RendererListener): this {
    this.emitter.on(channel, listener);
    return this;
  }

  removeListener(channel: string, listener: RendererListener): this {
    this.emitter.removeListener(channel, listener);
    return this;
  }

  listenerCount(channel: string): number {
    return this.emitter.listenerCount(channel);
  }

  deliver(channel: string, args: unknown[]): void {
    const event = { sender: this, ports: [] } as unknown as IpcRendererEvent;
    this.emitter.emit(channel, event, ...args);
  }
}

/**
 * An app's windows and the other kinds of web contents a message can come from. `BrowserWindow`
 * answers `fromWebContents` like Electron: the window for its own contents, and (worst case)
 * the embedding window for a `<webview>` guest.
 */
export class FakeApp {
  readonly ipcMain = new FakeIpcMain();
  private readonly windows = new Map<SenderView, { webContents: SenderView; destroyed: boolean }>();
  private process = 100;

  readonly BrowserWindow: WindowLookup = {
    fromWebContents: (webContents) => {
      const window = this.windows.get(webContents);
      if (window === undefined) return null;
      return { webContents: window.webContents, isDestroyed: () => window.destroyed };
    },
  };

  /** A BrowserWindow showing `url` in its top frame. */
  openWindow(url: string): FakePage {
    const frame = new FakeFrame(url, null, this.process++);
    const webContents = new FakeWebContents('window', frame);
    this.windows.set(webContents, { webContents, destroyed: false });
    return this.attach(webContents, frame);
  }

  /** An iframe inside `page`, showing `url`, in the same webContents. */
  openIframe(page: FakePage, url: string): FakePage {
    const frame = new FakeFrame(url, page.frame, page.frame.processId);
    return this.attach(page.webContents, frame);
  }

  /** A `<webview>` guest inside `page`'s window, showing `url`. */
  openWebview(page: FakePage, url: string): FakePage {
    const frame = new FakeFrame(url, null, this.process++);
    const guest = new FakeWebContents('webview', frame);
    const embedder = this.windows.get(page.webContents);
    if (embedder !== undefined) this.windows.set(guest, embedder);
    return this.attach(guest, frame);
  }

  /** Top-level contents of type 'window' that belong to no BrowserWindow (a WebContentsView). */
  openView(url: string): FakePage {
    const frame = new FakeFrame(url, null, this.process++);
    return this.attach(new FakeWebContents('window', frame), frame);
  }

  /**
   * The top frame of `page` loads `url` as a new document: the old frame is gone (so messages
   * from the old document find no sender frame) and a new renderer shows the new page.
   */
  navigate(page: FakePage, url: string): FakePage {
    page.frame.destroyed = true;
    page.frame.renderer = null;
    const frame = new FakeFrame(url, null, this.process++);
    page.webContents.mainFrame = frame;
    return this.attach(page.webContents, frame);
  }

  /** Closes the window of `page`: its contents and frames are destroyed. */
  close(page: FakePage): void {
    page.webContents.destroyed = true;
    page.frame.destroyed = true;
    const window = this.windows.get(page.webContents);
    if (window !== undefined) window.destroyed = true;
  }

  private attach(webContents: FakeWebContents, frame: FakeFrame): FakePage {
    const ipcRenderer = new FakeIpcRenderer(this.ipcMain, { webContents, frame });
    frame.renderer = ipcRenderer;
    return { webContents, frame, ipcRenderer };
  }
}

/**
 * `contextBridge` with Electron's copying rules as far as the bridge needs them: plain objects
 * and arrays are copied (cycles kept), functions and promises are wrapped, errors lose their
 * own properties (such as `code`), symbols are dropped, and the rest is cloned. `mainWorld` plays the page's `window`.
 */
export class FakeContextBridge implements Pick<ContextBridge, 'exposeInMainWorld'> {
  readonly mainWorld: Record<string, unknown> = {};

  /** `false` plays a window without context isolation, where Electron's contextBridge throws. */
  constructor(private readonly contextIsolated = true) {}

  exposeInMainWorld(apiKey: string, api: unknown): void {
    if (!this.contextIsolated) {
      throw new Error('contextBridge API can only be used when contextIsolation is enabled');
    }
    if (Object.hasOwn(this.mainWorld, apiKey)) {
      throw new Error('Cannot bind an API on top of an existing property on the window object');
    }
    this.mainWorld[apiKey] = copyAcrossWorlds(api);
  }
}

export function copyAcrossWorlds(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof value === 'function') {
    return (...args: unknown[]) => {
      let result: unknown;
      try {
        result = (value as (...a: unknown[]) => unknown)(
          ...args.map((arg) => copyAcrossWorlds(arg)),
        );
      } catch (error) {
        throw copyError(error);
      }
      return copyAcrossWorlds(result);
    };
  }
  // types.* rather than instanceof: the preload may run in another V8 context (the build test).
  if (types.isPromise(value)) {
    return value.then(
      (result) => copyAcrossWorlds(result),
      (error: unknown) => {
        throw copyError(error);
      },
    );
  }
  if (types.isNativeError(value)) return copyError(value);
  if (value !== null && typeof value === 'object') {
    // Like contextBridge, a cycle is copied as a cycle rather than followed forever.
    if (seen.has(value)) return seen.get(value);
    const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [] : {};
    seen.set(value, copy);
    for (const key of Object.keys(value)) {
      (copy as Record<string, unknown>)[key] = copyAcrossWorlds(
        (value as Record<string, unknown>)[key],
        seen,
      );
    }
    return copy;
  }
  // Electron's documentation: symbols cannot be copied across contexts, so they are dropped.
  if (typeof value === 'symbol') return undefined;
  return structuredClone(value);
}

function copyError(error: unknown): Error {
  return new Error(types.isNativeError(error) ? error.message : String(error));
}

/** The `electron` module as a preload sees it, for `exposeClientSession({ electron })`. */
export function preloadElectron(page: FakePage, bridge = new FakeContextBridge()) {
  const electron: PreloadElectron = { contextBridge: bridge, ipcRenderer: page.ipcRenderer };
  return { electron, mainWorld: bridge.mainWorld, contextBridge: bridge };
}

export interface RecordingLogger extends Logger {
  readonly lines: string[];
}

/** A logger that keeps every message, whatever its level. */
export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  const record = (message: string) => {
    lines.push(message);
  };
  return { lines, error: record, warn: record, info: record, debug: record };
}

/** The main process of a test: a session on a fake clock, an app, and the handlers. */
export interface MainSide {
  readonly clock: FakeClock;
  readonly store: MemorySessionStore;
  readonly session: ClientSession;
  readonly app: FakeApp;
  readonly logger: RecordingLogger;
  readonly dispose: () => void;
}

export function startMain(options: ClientSessionIpcOptions = {}): MainSide {
  const clock = new FakeClock();
  const store = new MemorySessionStore();
  const session = new ClientSession({
    store,
    clock: clock.now,
    logger: createConsoleLogger('silent'),
  });
  const app = new FakeApp();
  const logger = recordingLogger();
  const dispose = registerClientSessionIpc(
    { ipcMain: app.ipcMain, session, BrowserWindow: app.BrowserWindow },
    { logger, ...options },
  );
  return { clock, store, session, app, logger, dispose };
}

/** Where the app's own pages live in these tests. */
export const APP_PAGE = 'file:///opt/app/resources/app/index.html';

let ids = 0;
function nextId(): number {
  ids += 1;
  return ids;
}
