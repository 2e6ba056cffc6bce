import { ClientSessionError } from '../../shared/errors';
import type { ElectronSeam } from './ElectronSeam';

/** The only place this package loads Electron, and only when no stand-in was passed. */
export function loadElectron(): ElectronSeam {
  const hint =
    "createClientSession() must run in Electron's main process (outside Electron, pass " +
    'options.electron)';
  let loaded: unknown;
  try {
    loaded = require('electron');
  } catch (error) {
    throw new ClientSessionError('NOT_INSTALLED', `${hint}: require('electron') failed`, {
      cause: error,
    });
  }
  // Outside Electron's main process the module is only the path of the binary.
  if (typeof loaded !== 'object' || loaded === null || !('app' in loaded) || !loaded.app) {
    throw new ClientSessionError('NOT_INSTALLED', `${hint}: this is not the main process`);
  }
  return loaded as ElectronSeam;
}

/**
 * Checks that `electron` has what the options it was given need. Reads no getter that may throw
 * before the app is ready: `session.defaultSession` is one.
 */
export function assertSeam(
  electron: ElectronSeam,
  needs: { ipc: boolean; preload: boolean },
): void {
  const missing = [
    typeof electron?.app?.whenReady !== 'function' && 'app',
    typeof electron?.BrowserWindow?.getAllWindows !== 'function' && 'BrowserWindow',
    typeof electron?.powerMonitor?.on !== 'function' && 'powerMonitor',
    needs.ipc && typeof electron?.ipcMain?.handle !== 'function' && 'ipcMain (or set ipc: false)',
    needs.preload && !hasDefaultSession(electron?.session) && 'session',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      `options.electron lacks ${missing.join(', ')}: pass the main process's electron module`,
    );
  }
}

/** Asked with `in`, not read: Electron's getter throws until the app is ready. */
function hasDefaultSession(session: unknown): boolean {
  return typeof session === 'object' && session !== null && 'defaultSession' in session;
}
