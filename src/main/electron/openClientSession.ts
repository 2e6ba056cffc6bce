import { join } from 'node:path';

import { ClientSessionError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { ClientSession } from '../ClientSession';
import type { ClientSessionOptions } from '../ClientSession';
import { MemorySessionStore } from '../MemorySessionStore';
import { ResilientStore } from '../ResilientStore';
import type { SessionStore } from '../SessionStore';
import { openSqliteStore } from '../openSqliteStore';
import type { SeamApp } from './ElectronSeam';

/** File name of the default store, in the folder `app.getPath('userData')` names. */
export const DEFAULT_STORE_FILE_NAME = 'client-session.sqlite';

export interface OpenClientSessionOptions extends ClientSessionOptions {
  /** Whether `store` is the default SQLite store, which may fall back to memory. */
  readonly fallBackToMemory: boolean;
}

/**
 * Opens the store the app asked for, or the default SQLite file in `userData` through
 * {@link openSqliteStore} (damaged files kept aside, memory when nothing else works, one
 * message). The app's own store goes in a {@link ResilientStore}: one that fails (a record it
 * cannot read, a method that throws) leaves the session in memory, with one warning, rather
 * than the whole run without `client_session`. `path` is `null` for a custom store and when
 * the session is in memory.
 */
export function openStore(
  store: SessionStore | undefined,
  path: string | undefined,
  app: SeamApp,
  logger: Logger,
  clock: () => number,
): { store: SessionStore; path: string | null } {
  if (store !== undefined) {
    const resilient =
      store instanceof ResilientStore ? store : new ResilientStore({ store, logger, clock });
    return { store: resilient, path: null };
  }
  const file = path ?? join(app.getPath('userData'), DEFAULT_STORE_FILE_NAME);
  const opened = openSqliteStore({ path: file, logger, clock });
  return { store: opened, path: opened.durable ? file : null };
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
    // A wrong option is the app's mistake, not the store's: blaming the store would mislead.
    const isOptionError = error instanceof ClientSessionError && error.code === 'INVALID_OPTION';
    if (!fallBackToMemory || isOptionError) throw error;
    options.logger?.error(
      'the session store could not be read; sessions are kept in memory until the next start',
      error,
    );
    try {
      options.store.close?.();
    } catch {
      // Already reported why the store is unusable.
    }
    return new ClientSession({ ...sessionOptions, store: new MemorySessionStore() });
  }
}
