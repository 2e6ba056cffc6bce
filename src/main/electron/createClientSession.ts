import { APPLICATION_BACKGROUND_SCHEMA, APPLICATION_FOREGROUND_SCHEMA } from '../../shared/entity';
import { ClientSessionError } from '../../shared/errors';
import { createConsoleLogger } from '../../shared/logger';
import type { ClientSession, ClientSessionOptions } from '../ClientSession';
import type { SessionStore } from '../SessionStore';
import { registerClientSessionIpc } from '../ipc/registerClientSessionIpc';
import type { ClientSessionIpcOptions } from '../ipc/registerClientSessionIpc';
import { registerClientSessionPreload } from '../ipc/registerClientSessionPreload';
import type { ClientSessionPreloadOptions } from '../ipc/registerClientSessionPreload';
import type { ElectronSeam, SeamApp, SeamTimers } from './ElectronSeam';
import { FocusTracker } from './FocusTracker';
import { assertSeam, loadElectron } from './loadElectron';
import { openClientSession, openStore } from './openClientSession';
import { unknownOptions, validateOptions } from './validateOptions';
import { createTrackerPluginHost } from './trackerPlugin';
import type { BuildSelfDescribingEvent, ElectronTrackerPlugin } from './trackerPlugin';

export { DEFAULT_STORE_FILE_NAME } from './openClientSession';

export interface CreateClientSessionOptions extends Omit<
  ClientSessionOptions,
  'store' | 'isBackground'
> {
  /**
   * Where the session is kept. When given, `path` is ignored. It is used through a
   * {@link ResilientStore}: while it fails, the session is kept in memory (one warning).
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
   * the plugin was added to, on each transition. `true` loads tracker-core's event builder
   * with `require('@snowplow/tracker-core')` when the first one is tracked; in a bundled main
   * process pass it instead: `{ buildSelfDescribingEvent }` from `@snowplow/node-tracker`.
   * @default false
   */
  readonly lifecycleEvents?:
    boolean | { readonly buildSelfDescribingEvent: BuildSelfDescribingEvent };
  /**
   * Options of the IPC handlers that renderers reach the session through (which origins, may
   * they start a new session), or `false` for no handlers.
   * @default {} (handlers on, for pages loaded from files)
   */
  readonly ipc?: false | ClientSessionIpcOptions;
  /**
   * Also run the package's preload in every window of `session.defaultSession`, besides each
   * window's own preload: `true`, or where the built preload file is. A missing file throws
   * `INVALID_OPTION` at the call; a registration that fails once the app is ready is logged,
   * and the session works on without it.
   * @default false (the app loads the bridge from its own preload)
   */
  readonly preload?: boolean | ClientSessionPreloadOptions;
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
   * Removes every listener this package added (windows, `app`, `powerMonitor`, IPC handlers,
   * preload) and closes the store. Idempotent. Afterwards `createClientSession` may be called
   * again.
   */
  dispose(): void;
}

/** One per Electron `app`: the object that owns its listeners. */
const created = new WeakMap<SeamApp, ElectronClientSession>();

/**
 * Sets up client sessions for an Electron app, in its main process: the store in the app's
 * `userData` folder, foreground/background from its windows and from `powerMonitor`, the IPC
 * handlers for its windows, and a plugin for its Snowplow tracker.
 *
 * @example
 * ```ts
 * const clientSession = createClientSession();
 * tracker.addPlugin({ plugin: clientSession.plugin });
 * ```
 *
 * @remarks
 * May be called before or after the app is ready; everything is set up once it is (the
 * `userData` path depends on the app's name, final by then). Call it once per process: a second
 * call before `dispose()` throws `ALREADY_CREATED`, so that no second set of listeners is ever
 * attached. The exact state is written on `will-quit` and the store closed on `quit`, or at
 * once on a window's `session-end` (Windows shutdown or log-off); state is committed at every
 * change anyway.
 *
 * Every option is checked at the call, also before the app is ready: a wrong one throws
 * `INVALID_OPTION` before anything is attached, an unknown one is ignored with one warning.
 * `isBackground` is refused, as the app's windows decide it.
 *
 * Only `BrowserWindow`s decide foreground and background, and only their pages are served over
 * IPC: an app built on `BaseWindow` and `WebContentsView` alone sets the state itself with
 * `session.setIsBackground()`.
 */
export function createClientSession(
  options: CreateClientSessionOptions = {},
): ElectronClientSession {
  validateOptions(options);
  const logger = options.logger ?? createConsoleLogger();
  const unknown = unknownOptions(options);
  if (unknown.length > 0) {
    logger.warn(`createClientSession() ignores unknown options: ${unknown.join(', ')}`);
  }
  const electron = options.electron ?? loadElectron();
  assertSeam(electron, { ipc: options.ipc !== false, preload: Boolean(options.preload) });
  if (created.has(electron.app)) {
    throw new ClientSessionError(
      'ALREADY_CREATED',
      'createClientSession() was already called in this process; keep and share the object ' +
        'it returned, or call its dispose() before creating another',
    );
  }

  const clock = options.clock ?? Date.now;
  const lifecycleOption = options.lifecycleEvents ?? false;
  const host = createTrackerPluginHost(
    logger,
    typeof lifecycleOption === 'object' ? lifecycleOption.buildSelfDescribingEvent : undefined,
  );
  const lifecycle = lifecycleOption !== false;
  const counts = { foreground: 0, background: 0 };
  /** Undoes what set-up did, last step first. */
  const undo: (() => void)[] = [];
  let session: ClientSession | null = null;
  let storePath: string | null = null;
  let disposed = false;

  const onChange = (isBackground: boolean): void => {
    if (session === null || session.getIsBackground() === isBackground) return;
    if (lifecycle) {
      // Tracked before the state flips, so that the event is judged by the timeout of the state
      // being left (SPEC 4).
      // Counted only when tracked, so the first event a tracker gets carries index 1.
      if (isBackground) {
        host.trackSelfDescribing(APPLICATION_BACKGROUND_SCHEMA, () => ({
          backgroundIndex: ++counts.background,
        }));
      } else {
        host.trackSelfDescribing(APPLICATION_FOREGROUND_SCHEMA, () => ({
          foregroundIndex: ++counts.foreground,
        }));
      }
    }
    session.setIsBackground(isBackground);
  };
  const focus = new FocusTracker({
    app: electron.app,
    BrowserWindow: electron.BrowserWindow,
    powerMonitor: electron.powerMonitor,
    backgroundGraceMs: options.backgroundGraceMs,
    timers: options.timers,
    clock,
    logger,
    onChange,
    onSessionEnd: () => handle.dispose(),
  });

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
    const opened = openStore(options.store, options.path, electron.app, logger, clock);
    let engine: ClientSession;
    try {
      const isBackground = focus.start();
      engine = openClientSession({
        store: opened.store,
        fallBackToMemory: options.store === undefined,
        foregroundTimeout: options.foregroundTimeout,
        backgroundTimeout: options.backgroundTimeout,
        continueSessionOnRestart: options.continueSessionOnRestart,
        anonymous: options.anonymous,
        clockToleranceSeconds: options.clockToleranceSeconds,
        isBackground,
        clock,
        logger,
      });
    } catch (error) {
      focus.dispose();
      opened.store.close?.();
      throw error;
    }
    undo.push(
      () => engine.close(),
      () => focus.dispose(),
    );
    session = engine;
    storePath = opened.path;
    host.setSession(engine);
    undo.push(() => host.setSession(null));

    // will-quit may still be followed by the app's own will-quit handlers tracking an event,
    // or be cancelled: write the exact state there, and close only once the app quits.
    // Node's EventEmitter calls a listener removed during the same emit, as dispose() in an
    // earlier will-quit listener of the app does: by then the session is closed.
    const onWillQuit = () => {
      if (disposed) return;
      try {
        engine.flush();
      } catch (error) {
        logger.error('writing the session on will-quit failed', error);
      }
    };
    const onQuit = () => handle.dispose();
    electron.app.on('will-quit', onWillQuit);
    electron.app.on('quit', onQuit);
    undo.push(() => {
      electron.app.removeListener('will-quit', onWillQuit);
      electron.app.removeListener('quit', onQuit);
    });
    if (options.ipc !== false && electron.ipcMain !== undefined) {
      const ipcOptions = { logger, ...options.ipc };
      const deps = { ipcMain: electron.ipcMain, BrowserWindow: electron.BrowserWindow };
      undo.push(registerClientSessionIpc({ ...deps, session: engine }, ipcOptions));
    }
    if (options.preload && electron.session !== undefined) {
      const preloadOptions = options.preload === true ? {} : options.preload;
      try {
        undo.push(registerClientSessionPreload(electron.session.defaultSession, preloadOptions));
      } catch (error) {
        // The preload is an extra: windows with the bridge in their own preload still work, and
        // the main process's events are still stamped. Tearing everything down would cost more.
        logger.error(
          "the package's preload could not be registered in session.defaultSession; the " +
            'session, focus tracking and IPC work on, but only windows that load the bridge ' +
            'from their own preload can reach it',
          error,
        );
      }
    }
    resolveReady(engine);
  };

  const teardown = (): void => {
    for (const step of undo.splice(0).reverse()) {
      try {
        step();
      } catch (error) {
        logger.error('tearing down the client session failed in part', error);
      }
    }
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
      teardown();
      rejectReady(
        new ClientSessionError('CLOSED', 'dispose() was called before the app was ready'),
      );
    },
  };
  created.set(electron.app, handle);

  if (electron.app.isReady()) {
    try {
      setUp();
    } catch (error) {
      handle.dispose();
      throw error;
    }
  } else {
    electron.app
      .whenReady()
      .then(setUp)
      .catch((error: unknown) => {
        logger.error('setting up the client session failed', error);
        rejectReady(error);
        handle.dispose();
        host.setUpFailed();
      });
  }
  return handle;
}
