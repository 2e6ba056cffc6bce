import type { ContextBridge } from 'electron';

import { ClientSessionError } from '../shared/errors';
import { DEFAULT_BRIDGE_NAME } from '../shared/ipc';
import type { ClientSessionBridge } from '../shared/ipc';
import { createConsoleLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';
import { createClientSessionBridge } from './createClientSessionBridge';
import type { BridgeIpcRenderer } from './createClientSessionBridge';

/** The Electron objects the preload needs. */
export interface PreloadElectron {
  readonly contextBridge: Pick<ContextBridge, 'exposeInMainWorld'>;
  readonly ipcRenderer: BridgeIpcRenderer;
}

export interface ExposeClientSessionOptions {
  /**
   * The property of `window` the bridge appears as. The renderer's `getClientSession()` must be
   * given the same name.
   * @default 'electronClientSession'
   */
  readonly name?: string;
  /**
   * Where warnings go (a second exposure, a throwing listener).
   * @default console, level `warn`
   */
  readonly logger?: Logger;
  /**
   * Electron's `contextBridge` and `ipcRenderer`. Tests pass stand-ins.
   * @default require('electron')
   */
  readonly electron?: PreloadElectron;
  /**
   * Whether the page runs with context isolation. Without it the bridge is set on `window`
   * directly, since `contextBridge` refuses to work.
   * @default process.contextIsolated
   */
  readonly contextIsolated?: boolean;
}

/**
 * Call once in a preload script: puts the session bridge on `window` (under
 * `electronClientSession` unless `name` says otherwise) with `contextBridge`. Returns whether
 * it did; `false` when something already sits under that name: the bridge itself, because the
 * package's own preload ran first (`registerClientSessionPreload()` in main), which is said at
 * `info` only, or anything else, which is a warning.
 *
 * @example
 * ```ts
 * // preload.ts
 * import { exposeClientSession } from 'electron-client-session/preload';
 * exposeClientSession();
 * ```
 */
export function exposeClientSession(options: ExposeClientSessionOptions = {}): boolean {
  const name = options.name ?? DEFAULT_BRIDGE_NAME;
  if (typeof name !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(name)) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      `exposeClientSession({ name }) takes a JavaScript identifier such as "${DEFAULT_BRIDGE_NAME}", got ${JSON.stringify(name)}`,
    );
  }
  const logger = options.logger ?? createConsoleLogger();
  const electron = options.electron ?? loadElectron();
  if (
    typeof electron?.contextBridge?.exposeInMainWorld !== 'function' ||
    typeof electron.ipcRenderer?.sendSync !== 'function'
  ) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      "exposeClientSession({ electron }) takes { contextBridge, ipcRenderer } from the preload's electron module",
    );
  }
  const exposed = namesExposedWith(electron.contextBridge);
  if (exposed.has(name)) {
    // The package's preload beside the app's own, both asking for the default name: valid.
    logger.info(`window.${name} is already the session bridge (an earlier preload put it there)`);
    return false;
  }
  const bridge = createClientSessionBridge(electron.ipcRenderer, logger);
  const putOnWindow = (): boolean => {
    if (!setOnWindow(name, bridge, logger)) return false;
    exposed.add(name);
    return true;
  };

  const isolated = options.contextIsolated ?? contextIsolationOfThisPreload() ?? true;
  if (!isolated) return putOnWindow();
  try {
    electron.contextBridge.exposeInMainWorld(name, bridge);
    exposed.add(name);
    return true;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (text.includes('existing property')) {
      logger.warn(`window.${name} is taken (was the preload run twice?); kept what is there`);
      return false;
    }
    if (text.includes('contextIsolation')) {
      // contextBridge says isolation is off although nothing else told us: the page's window is
      // this script's global then, as without isolation.
      return putOnWindow();
    }
    logger.error(`window.${name} could not be exposed with contextBridge`, error);
    return false;
  }
}

/**
 * `process.contextIsolated` of the running preload, read through the bare identifier: in a
 * sandboxed preload `process` is a parameter of the function Electron wraps the script in, not
 * a property of the global object, so `globalThis.process` is always undefined there.
 */
function contextIsolationOfThisPreload(): boolean | undefined {
  if (typeof process !== 'object' || process === null) return undefined;
  const value: unknown = process.contextIsolated;
  return typeof value === 'boolean' ? value : undefined;
}

/**
 * The names this package exposed the bridge under with `contextBridge`. The main world cannot be
 * read from an isolated preload, and the package's preload and the app's own are two bundles
 * with two copies of this module: only the world's global object, which both preloads share,
 * can hold this, under a key both copies know.
 */
function namesExposedWith(contextBridge: object): Set<string> {
  const key = Symbol.for('electron-client-session.exposedNames');
  const world = globalThis as unknown as Record<symbol, WeakMap<object, Set<string>> | undefined>;
  const byBridge = (world[key] ??= new WeakMap());
  let names = byBridge.get(contextBridge);
  if (names === undefined) {
    names = new Set();
    byBridge.set(contextBridge, names);
  }
  return names;
}

function setOnWindow(name: string, bridge: ClientSessionBridge, logger: Logger): boolean {
  const target = globalThis as Record<string, unknown>;
  if (target[name] !== undefined) {
    logger.warn(`window.${name} is taken (was the preload run twice?); kept what is there`);
    return false;
  }
  Object.defineProperty(target, name, { value: bridge, enumerable: true, configurable: true });
  return true;
}

function loadElectron(): PreloadElectron {
  // Loaded here, not at the top, so that tests can load this module outside Electron.
  return require('electron') as PreloadElectron;
}
