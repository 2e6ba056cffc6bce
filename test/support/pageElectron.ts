// Electron's main-process objects for an end-to-end test in a real browser: each BrowserWindow
// is a Playwright page in headless Chromium, and Electron's IPC is replaced by HTTP on
// 127.0.0.1. Everything else is real: the page, the built preload script, the main-process
// handlers and session. Only Electron's IPC transport is a stand-in.
//
// How the preload reaches the main process: an init script (which runs before any page script,
// as a preload does) defines a `require('electron')` that returns a stand-in `ipcRenderer` and
// `contextBridge`, then runs the built preload file with it. `invoke` and `send` use fetch;
// `sendSync` (the bridge's synchronous stamp) uses a synchronous XMLHttpRequest, which blocks
// the page as Electron's sendSync does. Pushes from main (`webContents.send`, `frame.send`) are
// delivered with page.evaluate. Messages travel as JSON, which carries the plain data the
// contract allows.
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

import type { BrowserWindowConstructorOptions, Event } from 'electron';
import type { BrowserContext, Page } from 'playwright-core';

import { FakeIpcMain } from './fakeIpc';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

type WindowEvent = 'focus' | 'blur' | 'hide' | 'show' | 'minimize' | 'restore' | 'closed';

let nextId = 1;

/** A top-level frame, as `event.senderFrame` and `webContents.mainFrame`. */
class PageFrame {
  readonly routingId = nextId++;
  readonly processId = nextId++;
  readonly parent = null;
  readonly detached = false;
  url = 'about:blank';
  destroyed = false;

  constructor(private readonly deliver: (channel: string, args: unknown[]) => void) {}

  isDestroyed(): boolean {
    return this.destroyed;
  }

  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Render frame was disposed');
    this.deliver(channel, args);
  }
}

/** A window's `webContents`. */
class PageWebContents {
  readonly id = nextId++;
  destroyed = false;

  constructor(readonly mainFrame: PageFrame) {}

  isDestroyed(): boolean {
    return this.destroyed;
  }

  getType(): 'window' {
    if (this.destroyed) throw new Error('Object has been destroyed');
    return 'window';
  }

  send(channel: string, ...args: unknown[]): void {
    this.mainFrame.send(channel, ...args);
  }
}

/** The `app` object: always ready, `userData` in a folder the test gives. */
class PageApp extends EventEmitter {
  constructor(private readonly userData: string) {
    super();
  }

  isReady(): boolean {
    return true;
  }

  whenReady(): Promise<void> {
    return Promise.resolve();
  }

  getPath(name: 'userData'): string {
    if (name !== 'userData') throw new Error(`the stand-in app only knows userData, not ${name}`);
    return this.userData;
  }
}

export interface PageElectronOptions {
  /** The browser context each window opens a page in. */
  readonly context: BrowserContext;
  /** The folder of the built renderer page, served at the root of the test's server. */
  readonly rendererDir: string;
  /** What `app.getPath('userData')` answers. */
  readonly userData: string;
}

/** The Electron objects the demo takes, backed by browser pages. See the file comment. */
export class PageElectron {
  readonly app: PageApp;
  readonly ipcMain = new FakeIpcMain();
  readonly powerMonitor = new EventEmitter();
  readonly BrowserWindow: ReturnType<typeof windowClass>;
  /** Every page a window opened, in order. */
  readonly pages: Page[] = [];
  /** Errors thrown by page scripts, in order: an end-to-end test expects none. */
  readonly pageErrors: string[] = [];
  private readonly server: Server;
  private readonly pending = new Set<Promise<unknown>>();
  private baseUrl = '';

  constructor(private readonly options: PageElectronOptions) {
    this.app = new PageApp(options.userData);
    this.BrowserWindow = windowClass(this);
    this.server = createServer((request, response) => {
      this.serve(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
  }

  /** Starts the server; resolves with the URL of the page windows should load. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return `${this.baseUrl}/index.html`;
  }

  /** The window showing `page`. */
  windowOf(page: Page) {
    const window = this.BrowserWindow.getAllWindows().find((w) => w.page === page);
    if (window === undefined) throw new Error('no window shows this page');
    return window;
  }

  /** Waits for every push still on its way to a page. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    await this.settle();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * Runs the window's preload (the file its `webPreferences.preload` names), then the page, in a
   * new browser page.
   */
  async openPage(
    window: { readonly id: number; readonly options: BrowserWindowConstructorOptions },
    url: string,
  ): Promise<Page> {
    const preload = window.options.webPreferences?.preload;
    if (preload === undefined) throw new Error('the stand-in runs windows with a preload only');
    const preloadCode = await readFile(preload, 'utf8');
    const page = await this.options.context.newPage();
    this.pages.push(page);
    page.on('pageerror', (error) => this.pageErrors.push(`window ${window.id}: ${error.message}`));
    await page.addInitScript({ content: transportScript(window.id, preloadCode) });
    await page.goto(url);
    return page;
  }

  /** `webContents.send` into a page, in order, without waiting (main never waits for it). */
  push(page: Page | null, channel: string, args: unknown[]): void {
    if (page === null || page.isClosed()) return;
    const delivery = page
      .evaluate(([c, a]) => (window as unknown as StandInWindow).__standInIpc.deliver(c, a), [
        channel,
        args,
      ] as const)
      .catch(() => undefined);
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    if (request.method === 'POST' && url.pathname.startsWith('/__ipc/')) {
      const body = JSON.parse(await readBody(request)) as IpcRequest;
      const window = this.BrowserWindow.byId(body.windowId);
      if (window === undefined) throw new Error(`no window ${body.windowId}`);
      const from = { webContents: window.webContents, frame: window.webContents.mainFrame };
      let answer: unknown;
      if (url.pathname === '/__ipc/invoke') {
        try {
          answer = { ok: true, value: await this.ipcMain.invokeRaw(from, body.channel, body.args) };
        } catch (error) {
          answer = { ok: false, message: error instanceof Error ? error.message : String(error) };
        }
      } else if (url.pathname === '/__ipc/send-sync') {
        answer = { value: this.ipcMain.sendSyncRaw(from, body.channel, body.args) };
      } else {
        this.ipcMain.sendSyncRaw(from, body.channel, body.args);
        answer = {};
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
      return;
    }

    const file = normalize(join(this.options.rendererDir, decodeURIComponent(url.pathname)));
    if (!file.startsWith(this.options.rendererDir + sep)) {
      response.writeHead(403).end();
      return;
    }
    const content = await readFile(file).catch(() => null);
    if (content === null) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    });
    response.end(content);
  }
}

interface IpcRequest {
  readonly windowId: number;
  readonly channel: string;
  readonly args: unknown[];
}

interface StandInWindow {
  readonly __standInIpc: { deliver(channel: string, args: unknown[]): void };
}

/** The `BrowserWindow` class: each window is a page of the browser context. */
function windowClass(electron: PageElectron) {
  const windows: PageWindow[] = [];

  class PageWindow extends EventEmitter {
    readonly id = nextId++;
    readonly webContents: PageWebContents;
    page: Page | null = null;
    private focused = false;
    private destroyed = false;

    static getAllWindows(): PageWindow[] {
      return windows.filter((window) => !window.destroyed);
    }

    static getFocusedWindow(): PageWindow | null {
      return windows.find((window) => !window.destroyed && window.focused) ?? null;
    }

    static fromWebContents(webContents: { readonly id: number }): PageWindow | null {
      return windows.find((window) => window.webContents.id === webContents.id) ?? null;
    }

    static byId(id: number): PageWindow | undefined {
      return windows.find((window) => window.id === id);
    }

    constructor(readonly options: BrowserWindowConstructorOptions = {}) {
      super();
      const frame = new PageFrame((channel, args) => electron.push(this.page, channel, args));
      this.webContents = new PageWebContents(frame);
      windows.push(this);
      electron.app.emit('browser-window-created', {} as Event, this);
      // A new window is shown and takes the focus, as a real one does.
      this.focus();
    }

    async loadURL(url: string): Promise<void> {
      this.webContents.mainFrame.url = url;
      this.page = await electron.openPage(this, url);
    }

    /** The window takes the focus: the one that had it is blurred first, as the OS does it. */
    focus(): void {
      if (this.focused) return;
      const previous = PageWindow.getFocusedWindow();
      if (previous !== null) {
        previous.focused = false;
        previous.emit('blur');
      }
      this.focused = true;
      this.emit('focus');
    }

    /** The window loses the focus to another app's window: no window of the app has it. */
    blur(): void {
      if (!this.focused) return;
      this.focused = false;
      this.emit('blur');
    }

    isFocused(): boolean {
      return this.alive() && this.focused;
    }

    isMinimized(): boolean {
      return !this.alive();
    }

    isVisible(): boolean {
      return this.alive();
    }

    isDestroyed(): boolean {
      return this.destroyed;
    }

    override on(event: WindowEvent | 'session-end', listener: (...args: any[]) => void): this {
      return super.on(event, listener);
    }

    override removeListener(
      event: WindowEvent | 'session-end',
      listener: (...args: any[]) => void,
    ): this {
      return super.removeListener(event, listener);
    }

    private alive(): true {
      if (this.destroyed) throw new TypeError('Object has been destroyed');
      return true;
    }
  }
  return PageWindow;
}

/** The init script of a window: the stand-in `electron` module, then the preload. */
function transportScript(windowId: number, preloadCode: string): string {
  return `(() => {
  if (location.protocol === 'about:') return;
  const windowId = ${windowId};
  const listeners = new Map();
  const body = (channel, args) => JSON.stringify({ windowId, channel, args });
  const ipcRenderer = {
    async invoke(channel, ...args) {
      const response = await fetch('/__ipc/invoke', { method: 'POST', body: body(channel, args) });
      const answer = await response.json();
      if (answer.ok) return answer.value;
      throw new Error(answer.message);
    },
    send(channel, ...args) {
      void fetch('/__ipc/send', { method: 'POST', body: body(channel, args) });
    },
    sendSync(channel, ...args) {
      const request = new XMLHttpRequest();
      request.open('POST', '/__ipc/send-sync', false);
      request.send(body(channel, args));
      return JSON.parse(request.responseText).value;
    },
    on(channel, listener) {
      listeners.set(channel, [...(listeners.get(channel) ?? []), listener]);
      return ipcRenderer;
    },
    removeListener(channel, listener) {
      listeners.set(channel, (listeners.get(channel) ?? []).filter((l) => l !== listener));
      return ipcRenderer;
    },
  };
  ipcRenderer.off = ipcRenderer.removeListener;
  const contextBridge = {
    exposeInMainWorld(key, api) {
      if (Object.hasOwn(window, key)) {
        throw new Error('Cannot bind an API on top of an existing property on the window object');
      }
      Object.defineProperty(window, key, { value: Object.freeze(api), enumerable: true });
    },
  };
  Object.defineProperty(window, '__standInIpc', {
    value: {
      deliver(channel, args) {
        for (const listener of listeners.get(channel) ?? []) listener({ sender: ipcRenderer }, ...args);
      },
    },
  });
  const required = [];
  const require = (id) => {
    required.push(id);
    if (id === 'electron') return { contextBridge, ipcRenderer };
    throw new Error('a sandboxed preload cannot require ' + id);
  };
  const module = { exports: {} };
  // Inlined, not eval'd: the page's Content-Security-Policy forbids eval, as it should.
  (function (require, module, exports) {
${preloadCode}
  })(require, module, module.exports);
  Object.defineProperty(window, '__preloadRequired', { value: required });
})();`;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
