import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

import type { Session } from 'electron';

import { ClientSessionError } from '../../shared/errors';

/** The parts of an Electron `Session` used: the new API (Electron 35+) or the old one. */
export type PreloadSession = Partial<
  Pick<Session, 'registerPreloadScript' | 'unregisterPreloadScript' | 'getPreloads' | 'setPreloads'>
>;

export interface ClientSessionPreloadOptions {
  /**
   * Absolute path of the built single-file preload.
   * @default {@link clientSessionPreloadPath}()
   */
  readonly filePath?: string;
  /**
   * Id of the registration (Electron 35+).
   * @default 'electron-client-session'
   */
  readonly id?: string;
}

/**
 * Where the package's built preload is: `dist/preload/standalone.js`, a single CommonJS file
 * that requires only `electron` and exposes the bridge under its default name.
 *
 * @remarks
 * Resolved next to this package's own files. When the main process is bundled (Vite, webpack),
 * copy that file into the app and pass its path as `filePath` instead.
 */
export function clientSessionPreloadPath(): string {
  return resolve(__dirname, '..', '..', 'preload', 'standalone.js');
}

/**
 * Runs the package's preload in every window of `session` (for example
 * `session.defaultSession`), before and in addition to each window's own `preload`, so the app
 * keeps its own preload. Returns a function that unregisters it.
 *
 * @remarks
 * Uses `session.registerPreloadScript` (Electron 35+); on older versions it appends the file to
 * `session.setPreloads`, keeping the preloads already there. Call it before the windows load
 * their pages: a page that is already loaded gets the bridge at its next load. Preloads run in
 * top-level frames only (unless `nodeIntegrationInSubFrames` is on), and the main process
 * refuses every other sender anyway.
 */
export function registerClientSessionPreload(
  session: PreloadSession,
  options: ClientSessionPreloadOptions = {},
): () => void {
  const filePath = options.filePath ?? clientSessionPreloadPath();
  const id = options.id ?? 'electron-client-session';
  if (typeof filePath !== 'string' || !isAbsolute(filePath) || !existsSync(filePath)) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      `no preload file at ${String(filePath)}: pass options.filePath, the absolute path of dist/preload/standalone.js from this package (copy it into your app if you bundle the main process)`,
    );
  }

  if (typeof session?.registerPreloadScript === 'function') {
    try {
      session.registerPreloadScript({ type: 'frame', id, filePath });
    } catch (error) {
      throw new ClientSessionError(
        'ALREADY_CREATED',
        `could not register the preload "${id}" (${String(error)}); it is probably registered already`,
        { cause: error },
      );
    }
    let registered = true;
    return () => {
      if (!registered) return;
      registered = false;
      session.unregisterPreloadScript?.(id);
    };
  }

  if (typeof session?.getPreloads === 'function' && typeof session.setPreloads === 'function') {
    const before = session.getPreloads();
    if (before.includes(filePath)) return () => {};
    session.setPreloads([...before, filePath]);
    let added = true;
    return () => {
      if (!added) return;
      added = false;
      const now = session.getPreloads?.() ?? [];
      session.setPreloads?.(now.filter((path) => path !== filePath));
    };
  }

  throw new ClientSessionError(
    'INVALID_OPTION',
    'registerClientSessionPreload(session) needs an Electron Session (for example session.defaultSession); otherwise load the preload yourself, see the README section "Preload"',
  );
}
