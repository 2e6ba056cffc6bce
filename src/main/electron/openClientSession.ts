import { join } from 'node:path';

import type { Logger } from '../../shared/logger';
import { ClientSession } from '../ClientSession';
import type { ClientSessionOptions } from '../ClientSession';
import { MemorySessionStore } from '../MemorySessionStore';
import type { SessionStore } from '../SessionStore';
import { SqliteSessionStore } from '../SqliteSessionStore';
import type { SeamApp } from './ElectronSeam';

/** File name of the default store, in the folder `app.getPath('userData')` names. */
export const DEFAULT_STORE_FILE_NAME = 'client-session.sqlite';

export interface OpenClientSessionOptions extends ClientSessionOptions {
  /** Whether `store` is the default SQLite store, which may fall back to memory. */
  readonly fallBackToMemory: boolean;
}

/**
 * Opens the store the app asked for, or the default SQLite file in `userData`; `null` path for
 * a custom store. A default store that cannot be opened falls back to memory, said once.
 */
export function openStore(
  store: SessionStore | undefined,
  path: string | undefined,
  app: SeamApp,
  logger: Logger,
): { store: SessionStore; path: string | null } {
  if (store !== undefined) return { store, path: null };
  const file = path ?? join(app.getPath('userData'), DEFAULT_STORE_FILE_NAME);
  try {
    return { store: new SqliteSessionStore({ path: file }), path: file };
  } catch (error) {
    logger.error(
      `the session store ${file} could not be opened; sessions are kept in memory until the ` +
        'next start',
      error,
    );
    return { store: new MemorySessionStore(), path: null };
  }
}

/**
 * Creates the session on `options.store`. When the default store opened but its content cannot
 * be used, tracking goes on in memory rather than stopping the app.
 */
export function openClientSession(options: OpenClientSessionOptions): ClientSession {
  const { fallBackToMemory, ...sessionOptions } = options;
  try {
    return new ClientSession(sessionOptions);
  } catch (error) {
    if (!fallBackToMemory || !(options.store instanceof SqliteSessionStore)) throw error;
    options.logger?.error(
      `the session store ${options.store.path} could not be read; sessions are kept in memory ` +
        'until the next start',
      error,
    );
    try {
      options.store.close();
    } catch {
      // Already reported why the store is unusable.
    }
    return new ClientSession({ ...sessionOptions, store: new MemorySessionStore() });
  }
}
