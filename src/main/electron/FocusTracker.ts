import { ClientSessionError } from '../../shared/errors';
import { createConsoleLogger } from '../../shared/logger';
import type { Logger } from '../../shared/logger';
import { systemTimers } from './ElectronSeam';
import type {
  SeamApp,
  SeamBrowserWindowClass,
  SeamPowerMonitor,
  SeamTimers,
  SeamWindow,
} from './ElectronSeam';
import { PowerPresence } from './PowerPresence';
import { assertMilliseconds, assertTimers } from './timingOptions';

export interface FocusTrackerOptions {
  readonly app: SeamApp;
  readonly BrowserWindow: SeamBrowserWindowClass;
  readonly powerMonitor: SeamPowerMonitor;
  /**
   * Called with each decision the events lead to. It may repeat the state decided last: the
   * app may have set the state itself in between, and a new signal wins over that.
   */
  readonly onChange: (isBackground: boolean) => void;
  /** Called when a window reports that the OS session ends (Windows shutdown or log-off). */
  readonly onSessionEnd?: () => void;
  /**
   * Milliseconds to wait after a window loses focus, hides, minimises or closes before deciding
   * that the app is in the background; a focus inside this time means no transition.
   * @default 500
   */
  readonly backgroundGraceMs?: number;
  /**
   * Milliseconds within which the two halves of a power pair (`suspend`/`resume`,
   * `lock-screen`/`unlock-screen`, `user-did-resign-active`/`user-did-become-active`) arriving
   * in the wrong order, or twice, are taken as one delivery. A `suspend` is never ignored: one
   * this soon after a `resume` is held for this long only (see `suspendHoldMs`).
   * @default 5000
   */
  readonly powerToleranceMs?: number;
  /**
   * Milliseconds after a `suspend` with no `resume` at which, the process being evidently
   * awake (a suspended process runs no timers), the windows are checked again.
   * @default 30000
   *
   * @remarks
   * A `suspend` that arrives late, after its `resume` and past `powerToleranceMs`, cannot be
   * told from a real one: the app is in the background for this long, or until a window gets
   * focus.
   */
  readonly suspendHoldMs?: number;
  /** @default Node's timers */
  readonly timers?: SeamTimers;
  /** Epoch milliseconds now. @default Date.now */
  readonly clock?: () => number;
  /** @default a console logger at level `warn` */
  readonly logger?: Logger;
}

type WindowListeners = {
  readonly focus: () => void;
  readonly lost: () => void;
  readonly shown: () => void;
  readonly closed: () => void;
  readonly sessionEnd: () => void;
};

/**
 * Decides whether an Electron app is in the foreground (one of its windows has focus) or the
 * background, from window and `powerMonitor` events.
 *
 * @remarks
 * A window counts as focused when its last focus event was `focus` (not `blur`, `hide`,
 * `minimize` or `closed`) and it is visible and not minimised. Electron's focus query
 * (`isFocused()`) is read only where no event can tell: at start, and when the user comes back
 * after a power event, where it can only take away a focus the events gave. On Windows it can
 * still name a window inside that window's `blur` handler, or stay `true` for a window that is
 * not in front, so it never outvotes a blur.
 *
 * Only `BrowserWindow`s are followed (`getAllWindows()`, `browser-window-created`): Electron
 * announces no `BaseWindow`, so an app made of `BaseWindow`s and `WebContentsView`s alone counts
 * as in the background throughout, unless it sets the state itself.
 */
export class FocusTracker {
  private readonly options: FocusTrackerOptions;
  private readonly timers: SeamTimers;
  private readonly clock: () => number;
  private readonly logger: Logger;
  private readonly graceMs: number;
  private readonly presence: PowerPresence;

  private readonly windows = new Map<SeamWindow, WindowListeners>();
  /** Windows whose last focus-related event was `focus`. */
  private readonly focused = new Set<SeamWindow>();

  private background = true;
  private started = false;
  private disposed = false;
  private graceTimer: unknown = undefined;

  private readonly onWindowCreated = (_event: unknown, window: SeamWindow): void => {
    this.attach(window);
  };

  constructor(options: FocusTrackerOptions) {
    this.options = options;
    if (options.timers !== undefined) assertTimers(options.timers, 'options.timers');
    this.timers = options.timers ?? systemTimers;
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? createConsoleLogger();
    this.graceMs = nonNegativeMs('backgroundGraceMs', options.backgroundGraceMs, 500);
    this.presence = new PowerPresence({
      powerMonitor: options.powerMonitor,
      timers: this.timers,
      clock: this.clock,
      logger: this.logger,
      toleranceMs: nonNegativeMs('powerToleranceMs', options.powerToleranceMs, 5000),
      suspendHoldMs: nonNegativeMs('suspendHoldMs', options.suspendHoldMs, 30_000),
      onAway: () => {
        this.cancelGrace();
        this.set(true);
      },
      onBack: () => this.recheck(),
    });
  }

  /**
   * Reads the state from the app's windows and starts listening. Returns whether the app is in
   * the background now. Call once.
   */
  start(): boolean {
    if (this.started) {
      throw new ClientSessionError('INTERNAL', 'FocusTracker.start() was called twice');
    }
    this.started = true;
    for (const window of this.options.BrowserWindow.getAllWindows()) this.attach(window);
    this.options.app.on('browser-window-created', this.onWindowCreated);
    this.presence.start();

    this.seed();
    this.background = !this.anyWindowFocused();
    return this.background;
  }

  /** Whether the app is in the background, as last decided. */
  isBackground(): boolean {
    return this.background;
  }

  /** Removes every listener this tracker added and cancels its timers. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancelGrace();
    for (const window of [...this.windows.keys()]) this.detach(window);
    this.options.app.removeListener('browser-window-created', this.onWindowCreated);
    this.presence.dispose();
  }

  private attach(window: SeamWindow): void {
    if (this.disposed || this.windows.has(window) || window.isDestroyed()) return;
    const listeners: WindowListeners = {
      focus: () => this.onFocus(window),
      lost: () => this.onLost(window),
      shown: () => this.onShown(window),
      closed: () => {
        this.onLost(window);
        this.detach(window);
      },
      sessionEnd: () => this.options.onSessionEnd?.(),
    };
    this.windows.set(window, listeners);
    window.on('focus', listeners.focus);
    window.on('blur', listeners.lost);
    window.on('hide', listeners.lost);
    window.on('minimize', listeners.lost);
    window.on('show', listeners.shown);
    window.on('restore', listeners.shown);
    window.on('closed', listeners.closed);
    window.on('session-end', listeners.sessionEnd);
  }

  private detach(window: SeamWindow): void {
    const listeners = this.windows.get(window);
    if (listeners === undefined) return;
    this.windows.delete(window);
    this.focused.delete(window);
    window.removeListener('focus', listeners.focus);
    window.removeListener('blur', listeners.lost);
    window.removeListener('hide', listeners.lost);
    window.removeListener('minimize', listeners.lost);
    window.removeListener('show', listeners.shown);
    window.removeListener('restore', listeners.shown);
    window.removeListener('closed', listeners.closed);
    window.removeListener('session-end', listeners.sessionEnd);
  }

  private onFocus(window: SeamWindow): void {
    this.focused.add(window);
    if (!isShowing(window)) {
      // Some platforms focus a window that is still minimised or hidden (on restore, or
      // spuriously): decide once things have settled, or on `restore`/`show`.
      this.scheduleGrace();
      return;
    }
    this.presence.present();
    this.cancelGrace();
    this.set(false);
  }

  private onLost(window: SeamWindow): void {
    this.focused.delete(window);
    this.scheduleGrace();
  }

  private onShown(window: SeamWindow): void {
    if (this.focused.has(window) && isShowing(window) && !this.presence.isAway()) {
      this.cancelGrace();
      this.set(false);
    }
  }

  /**
   * Decides at once, the user being back from a power event. Electron's focus query may take a
   * focus away (a blur lost while the machine slept) but never gives one the events did not:
   * on Windows it can stay `true` for a window the user left for another app before the lock.
   */
  private recheck(): void {
    this.cancelGrace();
    for (const window of [...this.focused]) {
      if (window.isDestroyed() || !window.isFocused()) this.focused.delete(window);
    }
    this.set(this.presence.isAway() || !this.anyWindowFocused());
  }

  private scheduleGrace(): void {
    this.cancelGrace();
    this.graceTimer = this.timers.setTimeout(() => {
      this.graceTimer = undefined;
      if (this.disposed) return;
      this.set(this.presence.isAway() || !this.anyWindowFocused());
    }, this.graceMs);
  }

  private cancelGrace(): void {
    if (this.graceTimer === undefined) return;
    this.timers.clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }

  /** Takes the windows Electron says are focused now, before any event said anything. */
  private seed(): void {
    for (const window of this.windows.keys()) {
      if (!window.isDestroyed() && window.isFocused()) this.focused.add(window);
    }
  }

  private anyWindowFocused(): boolean {
    for (const window of this.focused) {
      if (!window.isDestroyed() && isShowing(window)) return true;
    }
    return false;
  }

  private set(isBackground: boolean): void {
    if (this.disposed) return;
    this.background = isBackground;
    try {
      this.options.onChange(isBackground);
    } catch (error) {
      this.logger.error('a foreground/background listener threw', error);
    }
  }
}

function isShowing(window: SeamWindow): boolean {
  return window.isVisible() && !window.isMinimized();
}

function nonNegativeMs(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  assertMilliseconds(value, `options.${name}`);
  return value;
}
