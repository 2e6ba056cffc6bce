import { isAbsolute, join } from 'node:path';

import { APPLICATION_BACKGROUND_SCHEMA, APPLICATION_FOREGROUND_SCHEMA } from '../../shared/entity';
import { ClientSessionError } from '../../shared/errors';
import { createConsoleLogger } from '../../shared/logger';
import type { Logger } from '../../shared/logger';
import { ClientSession } from '../ClientSession';
import type { ClientSessionOptions } from '../ClientSession';
import { MemorySessionStore } from '../MemorySessionStore';
import type { SessionStore } from '../SessionStore';
import { SqliteSessionStore } from '../SqliteSessionStore';
import { assertTimeoutSeconds } from '../validate';
import type { ElectronSeam, SeamApp, SeamTimers } from './ElectronSeam';
import { FocusTracker } from './FocusTracker';
import { createTrackerPluginHost } from './trackerPlugin';
import type { ElectronTrackerPlugin } from './trackerPlugin';

/** File name of the default store, in the folder `app.getPath('userData')` names. */
export const DEFAULT_STORE_FILE_NAME = 'client-session.sqlite';

export interface CreateClientSessionOptions extends Omit<
  ClientSessionOptions,
  'store' | 'isBackground'
> {
  /**
   * Where the session is kept. When given, `path` is ignored.
   * @default a SqliteSessionStore at `path`
   */
  readonly store?: SessionStore;
  /**
   * Absolute path of the SQLite store file; its folder is created if missing.
   * @default `client-session.sqlite` in `app.getPath('userData')`, read once the app is ready
   */
  readonly path?: string;
  /**
   * Milliseconds to wait, after a window loses focus, hides, minimises or closes, before the
   * app counts as in the background (a focus inside that time is a window switch).
   * @default 500
   */
  readonly backgroundGraceMs?: number;
  /**
   * Track `application_foreground` and `application_background` events through the trackers
   * the plugin was added to, on each transition.
   * @default false
   */
  readonly lifecycleEvents?: boolean;
  /**
   * The Electron main-process API. Pass it to test outside Electron, or when a bundler needs
   * to see the import.
   * @default require('electron'), loaded when createClientSession is called
   */
  readonly electron?: ElectronSeam;
  /** Timers for the grace period. @default Node's timers */
  readonly timers?: SeamTimers;
}

/** What `createClientSession` returns. */
export interface ElectronClientSession {
  /** For the main process's tracker: `tracker.addPlugin({ plugin: clientSession.plugin })`. */
  readonly plugin: ElectronTrackerPlugin;
  /**
   * The session engine, or `null` until the app is ready (see {@link whenReady}). Set at once
   * when `createClientSession` is called after the app is ready.
   */
  readonly session: ClientSession | null;
  /** The store file in use, or `null` for a custom or in-memory store or before ready. */
  readonly storePath: string | null;
  /** Resolves with the session once the app is ready and the store open. */
  whenReady(): Promise<ClientSession>;
  /**
   * Removes every listener this package added (windows, `app`, `powerMonitor`, IPC) and
   * closes the store. Idempotent. Afterwards `createClientSession` may be called again.
   */
  dispose(): void;
}

/** One per Electron `app`: the object that owns its listeners. */
const created = new WeakMap<SeamApp, ElectronClientSession>();

/**
 * Sets up client sessions for an Electron app, in its main process: the store in the app's
 * `userData` folder, foreground/background from its windows and from `powerMonitor`, and a
 * plugin for its Snowplow tracker.
 *
 * @example
 * ```ts
 * const clientSession = createClientSession();
 * tracker.addPlugin({ plugin: clientSession.plugin });
 * ```
 *
 * @remarks
 * May be called before or after the app is ready; the store is opened once it is (the
 * `userData` path depends on the app's name, which is final by then). Call it once per
 * process: a second call before `dispose()` throws `ALREADY_CREATED`, so that no second set of
 * listeners is ever attached. The store is closed on `will-quit` and on a window's
 * `session-end` (Windows shutdown or log-off); state is committed at every change anyway.
 */
export function createClientSession(
  options: CreateClientSessionOptions = {},
): ElectronClientSession {
  if (options === null || typeof options !== 'object') {
    throw new ClientSessionError('INVALID_OPTION', 'createClientSession(options) takes an object');
  }
  validateOptions(options);
  const electron = options.electron ?? loadElectron();
  assertSeam(electron);
  if (created.has(electron.app)) {
    throw new ClientSessionError(
      'ALREADY_CREATED',
      'createClientSession() was already called in this process; keep and share the object ' +
        'it returned, or call its dispose() before creating another',
    );
  }

  const logger = options.logger ?? createConsoleLogger();
  const clock = options.clock ?? Date.now;
  const host = createTrackerPluginHost(logger);
  const lifecycle = options.lifecycleEvents ?? false;
  let foregroundIndex = 0;
  let backgroundIndex = 0;

  let session: ClientSession | null = null;
  let storePath: string | null = null;
  let disposed = false;

  const focus = new FocusTracker({
    app: electron.app,
    BrowserWindow: electron.BrowserWindow,
    powerMonitor: electron.powerMonitor,
    graceMs: options.backgroundGraceMs,
    timers: options.timers,
    clock,
    logger,
    onSessionEnd: () => handle.dispose(),
    onChange: (isBackground) => {
      if (session === null || session.getIsBackground() === isBackground) return;
      if (lifecycle) {
        // Tracked before the state flips, so that the event is judged by the timeout of the
        // state being left (SPEC 4).
        host.trackSelfDescribing(
          isBackground
            ? {
                schema: APPLICATION_BACKGROUND_SCHEMA,
                data: { backgroundIndex: ++backgroundIndex },
              }
            : {
                schema: APPLICATION_FOREGROUND_SCHEMA,
                data: { foregroundIndex: ++foregroundIndex },
              },
        );
      }
      session.setIsBackground(isBackground);
    },
  });
  const onWillQuit = () => handle.dispose();

  let resolveReady!: (session: ClientSession) => void;
  let rejectReady!: (error: unknown) => void;
  const ready = new Promise<ClientSession>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // Nobody has to wait for it: a failure is also logged.
  ready.catch(() => undefined);

  const setUp = (): void => {
    if (disposed) return;
    const opened = openStore(options, electron.app, logger);
    const isBackground = focus.start();
    try {
      session = createSession(options, opened.store, isBackground, clock, logger);
    } catch (error) {
      focus.dispose();
      throw error;
    }
    storePath = opened.path;
    host.setSession(session);
    electron.app.on('will-quit', onWillQuit);
    resolveReady(session);
  };

  const handle: ElectronClientSession = {
    plugin: host.plugin,
    get session() {
      return session;
    },
    get storePath() {
      return storePath;
    },
    whenReady: () => ready,
    dispose() {
      if (disposed) return;
      disposed = true;
      created.delete(electron.app);
      focus.dispose();
      electron.app.removeListener('will-quit', onWillQuit);
      host.setSession(null);
      if (session === null) {
        rejectReady(
          new ClientSessionError('CLOSED', 'dispose() was called before the app was ready'),
        );
        return;
      }
      try {
        session.close();
      } catch (error) {
        logger.error('closing the session store failed', error);
      }
    },
  };
  created.set(electron.app, handle);

  if (electron.app.isReady()) {
    try {
      setUp();
    } catch (error) {
      created.delete(electron.app);
      disposed = true;
      throw error;
    }
  } else {
    electron.app
      .whenReady()
      .then(setUp)
      .catch((error: unknown) => {
        logger.error('setting up the client session failed', error);
        handle.dispose();
        rejectReady(error);
      });
  }
  return handle;
}

function createSession(
  options: CreateClientSessionOptions,
  store: SessionStore,
  isBackground: boolean,
  clock: () => number,
  logger: Logger,
): ClientSession {
  const sessionOptions: ClientSessionOptions = {
    foregroundTimeout: options.foregroundTimeout,
    backgroundTimeout: options.backgroundTimeout,
    continueSessionOnRestart: options.continueSessionOnRestart,
    anonymous: options.anonymous,
    clockToleranceSeconds: options.clockToleranceSeconds,
    clock,
    logger,
    isBackground,
    store,
  };
  try {
    return new ClientSession(sessionOptions);
  } catch (error) {
    if (options.store !== undefined || !(store instanceof SqliteSessionStore)) throw error;
    // The file opened but its content could not be used: keep tracking, in memory.
    logger.error(
      `the session store ${store.path} could not be read; sessions are kept in memory until ` +
        'the next start',
      error,
    );
    closeQuietly(store);
    return new ClientSession({ ...sessionOptions, store: new MemorySessionStore() });
  }
}

function openStore(
  options: CreateClientSessionOptions,
  app: SeamApp,
  logger: Logger,
): { store: SessionStore; path: string | null } {
  if (options.store !== undefined) return { store: options.store, path: null };
  const path = options.path ?? join(app.getPath('userData'), DEFAULT_STORE_FILE_NAME);
  try {
    return { store: new SqliteSessionStore({ path }), path };
  } catch (error) {
    logger.error(
      `the session store ${path} could not be opened; sessions are kept in memory until the ` +
        'next start',
      error,
    );
    return { store: new MemorySessionStore(), path: null };
  }
}

function closeQuietly(store: SessionStore): void {
  try {
    store.close?.();
  } catch {
    // Already reported why the store is unusable.
  }
}

function validateOptions(options: CreateClientSessionOptions): void {
  for (const name of ['foregroundTimeout', 'backgroundTimeout', 'clockToleranceSeconds'] as const) {
    if (options[name] !== undefined) assertTimeoutSeconds(options[name], `options.${name}`);
  }
  if (
    options.path !== undefined &&
    (typeof options.path !== 'string' || !isAbsolute(options.path))
  ) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      'options.path must be an absolute file path, for example ' +
        "join(app.getPath('userData'), 'client-session.sqlite')",
    );
  }
  const store = options.store as Partial<SessionStore> | undefined;
  if (
    store !== undefined &&
    (store === null ||
      typeof store.getSession !== 'function' ||
      typeof store.setSession !== 'function')
  ) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      'options.store must be a SessionStore (getSession, setSession, deleteSession)',
    );
  }
  if (options.lifecycleEvents !== undefined && typeof options.lifecycleEvents !== 'boolean') {
    throw new ClientSessionError('INVALID_OPTION', 'options.lifecycleEvents must be a boolean');
  }
}

function assertSeam(electron: ElectronSeam): void {
  const ok =
    electron !== null &&
    typeof electron === 'object' &&
    typeof electron.app?.whenReady === 'function' &&
    typeof electron.BrowserWindow?.getAllWindows === 'function' &&
    typeof electron.powerMonitor?.on === 'function';
  if (!ok) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      'options.electron must hold app, BrowserWindow and powerMonitor from the main process',
    );
  }
}

/** The only place this package loads Electron, and only when no stand-in was passed. */
function loadElectron(): ElectronSeam {
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
  if (typeof loaded !== 'object' || loaded === null || !('app' in loaded) || !loaded.app) {
    throw new ClientSessionError('NOT_INSTALLED', `${hint}: this is not the main process`);
  }
  return loaded as ElectronSeam;
}
