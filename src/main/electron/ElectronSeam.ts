// The few parts of Electron's main-process API this package uses, as small interfaces. The real
// `electron` module fits them (test/electron.types.test.ts proves it against Electron's own
// typings), tests pass stand-ins, and nothing here loads Electron at run time.
import type { Event, WindowSessionEndEvent } from 'electron';

import type { WindowLookup } from '../ipc/checkSender';
import type { PreloadSession } from '../ipc/registerClientSessionPreload';
import type { IpcMainSeam } from '../ipc/registerClientSessionIpc';

/** Power and presence events of `powerMonitor` that this package listens to. */
export type SeamPowerEvent =
  | 'suspend'
  | 'resume'
  | 'lock-screen'
  | 'unlock-screen'
  | 'user-did-resign-active'
  | 'user-did-become-active';

/**
 * The part of a `BrowserWindow` used. One overload per event, so that an event Electron renames
 * or drops stops the real class from fitting.
 */
export interface SeamWindow {
  on(event: 'focus', listener: () => void): unknown;
  on(event: 'blur', listener: () => void): unknown;
  on(event: 'hide', listener: () => void): unknown;
  on(event: 'show', listener: () => void): unknown;
  on(event: 'minimize', listener: () => void): unknown;
  on(event: 'restore', listener: () => void): unknown;
  on(event: 'closed', listener: () => void): unknown;
  on(event: 'session-end', listener: (event: WindowSessionEndEvent) => void): unknown;
  removeListener(event: 'focus', listener: () => void): unknown;
  removeListener(event: 'blur', listener: () => void): unknown;
  removeListener(event: 'hide', listener: () => void): unknown;
  removeListener(event: 'show', listener: () => void): unknown;
  removeListener(event: 'minimize', listener: () => void): unknown;
  removeListener(event: 'restore', listener: () => void): unknown;
  removeListener(event: 'closed', listener: () => void): unknown;
  removeListener(event: 'session-end', listener: (event: WindowSessionEndEvent) => void): unknown;
  isFocused(): boolean;
  isMinimized(): boolean;
  isVisible(): boolean;
  isDestroyed(): boolean;
}

/** The statics of `BrowserWindow` used. */
export interface SeamBrowserWindowClass {
  getAllWindows(): SeamWindow[];
}

/** The part of `app` used. */
export interface SeamApp {
  isReady(): boolean;
  whenReady(): Promise<void>;
  getPath(name: 'userData'): string;
  on(
    event: 'browser-window-created',
    listener: (event: Event, window: SeamWindow) => void,
  ): unknown;
  on(event: 'will-quit', listener: (event: Event) => void): unknown;
  on(event: 'quit', listener: (event: Event, exitCode: number) => void): unknown;
  removeListener(
    event: 'browser-window-created',
    listener: (event: Event, window: SeamWindow) => void,
  ): unknown;
  removeListener(event: 'will-quit', listener: (event: Event) => void): unknown;
  removeListener(event: 'quit', listener: (event: Event, exitCode: number) => void): unknown;
}

/** The part of `powerMonitor` used. */
export interface SeamPowerMonitor {
  on(event: 'suspend', listener: () => void): unknown;
  on(event: 'resume', listener: () => void): unknown;
  on(event: 'lock-screen', listener: () => void): unknown;
  on(event: 'unlock-screen', listener: () => void): unknown;
  on(event: 'user-did-resign-active', listener: () => void): unknown;
  on(event: 'user-did-become-active', listener: () => void): unknown;
  removeListener(event: 'suspend', listener: () => void): unknown;
  removeListener(event: 'resume', listener: () => void): unknown;
  removeListener(event: 'lock-screen', listener: () => void): unknown;
  removeListener(event: 'unlock-screen', listener: () => void): unknown;
  removeListener(event: 'user-did-resign-active', listener: () => void): unknown;
  removeListener(event: 'user-did-become-active', listener: () => void): unknown;
}

/**
 * The Electron main-process objects the package works with. In an app this is the `electron`
 * module itself; tests pass stand-ins.
 */
export interface ElectronSeam {
  readonly app: SeamApp;
  /** `getAllWindows` for focus; `fromWebContents` for the IPC sender check. */
  readonly BrowserWindow: SeamBrowserWindowClass & WindowLookup;
  readonly powerMonitor: SeamPowerMonitor;
  /** Needed unless the IPC handlers are turned off (`ipc: false`). */
  readonly ipcMain?: IpcMainSeam;
  /** Needed only to register the package's preload (`preload` option). */
  readonly session?: { readonly defaultSession: PreloadSession };
}

/** Timers the grace period runs on; tests pass fake ones. */
export interface SeamTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unreferenced so that a pending grace check never keeps a process alive. */
export const systemTimers: SeamTimers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
