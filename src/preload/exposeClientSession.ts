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
 * it did; `false` when something already sits under that name, for example because the
 * package's own preload ran first (`registerClientSessionPreload()` in main).
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
  const bridge = createClientSessionBridge(electron.ipcRenderer, logger);

  const isolated = options.contextIsolated ?? globalThis.process?.contextIsolated ?? true;
  if (!isolated) return setOnWindow(name, bridge, logger);
  try {
    electron.contextBridge.exposeInMainWorld(name, bridge);
    return true;
  } catch (error) {
    logger.warn(`window.${name} is taken (was the preload run twice?); kept what is there`, error);
    return false;
  }
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
