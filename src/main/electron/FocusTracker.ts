import { ClientSessionError } from '../../shared/errors';
import { createConsoleLogger } from '../../shared/logger';
import type { Logger } from '../../shared/logger';
import { systemTimers } from './ElectronSeam';
import type {
  SeamApp,
  SeamBrowserWindowClass,
  SeamPowerEvent,
  SeamPowerMonitor,
  SeamTimers,
  SeamWindow,
} from './ElectronSeam';

export interface FocusTrackerOptions {
  readonly app: SeamApp;
  readonly BrowserWindow: SeamBrowserWindowClass;
  readonly powerMonitor: SeamPowerMonitor;
  /** Called on each transition, with the new state. Never called twice with the same state. */
  readonly onChange: (isBackground: boolean) => void;
  /** Called when a window reports that the OS session ends (Windows shutdown or log-off). */
  readonly onSessionEnd?: () => void;
  /**
   * Milliseconds to wait after a window loses focus, hides, minimises or closes before deciding
   * that the app is in the background; a focus inside this time means no transition.
   * @default 500
   */
  readonly graceMs?: number;
  /**
   * Milliseconds within which the two halves of a power pair (`suspend`/`resume`,
   * `lock-screen`/`unlock-screen`, `user-did-resign-active`/`user-did-become-active`) arriving
   * in the wrong order, or twice, are taken as one delivery.
   * @default 5000
   */
  readonly powerToleranceMs?: number;
  /**
   * Milliseconds after a `suspend` with no `resume` at which, the process being evidently
   * awake (a suspended process runs no timers), the windows are checked again.
   * @default 30000
   */
  readonly suspendHoldMs?: number;
  /** @default Node's timers */
  readonly timers?: SeamTimers;
  /** Epoch milliseconds now. @default Date.now */
  readonly clock?: () => number;
  /** @default a console logger at level `warn` */
  readonly logger?: Logger;
}

type PowerKind = 'sleep' | 'lock' | 'user';

/** Which pair each power event belongs to, and whether it means "away" or "back". */
const POWER_EVENTS: Record<SeamPowerEvent, { kind: PowerKind; away: boolean }> = {
  suspend: { kind: 'sleep', away: true },
  resume: { kind: 'sleep', away: false },
  'lock-screen': { kind: 'lock', away: true },
  'unlock-screen': { kind: 'lock', away: false },
  'user-did-resign-active': { kind: 'user', away: true },
  'user-did-become-active': { kind: 'user', away: false },
};

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
 * after a power event. On Windows it can still name a window inside that window's `blur`
 * handler, or stay `true` for a window that is not in front, so it is never read after a blur.
 */
export class FocusTracker {
  private readonly options: FocusTrackerOptions;
  private readonly timers: SeamTimers;
  private readonly clock: () => number;
  private readonly logger: Logger;
  private readonly graceMs: number;
  private readonly toleranceMs: number;
  private readonly suspendHoldMs: number;

  private readonly windows = new Map<SeamWindow, WindowListeners>();
  /** Windows whose last focus-related event was `focus`. */
  private readonly focused = new Set<SeamWindow>();
  /** Power pairs whose "away" half is in force. */
  private readonly away = new Set<PowerKind>();
  /** When each pair's last "back" half was taken, epoch ms. */
  private readonly backAt = new Map<PowerKind, number>();
  /** "Back" halves that came with no "away" before them: the "away" half may come late. */
  private readonly earlyBackAt = new Map<PowerKind, number>();
  private readonly powerListeners = new Map<SeamPowerEvent, () => void>();

  private background = true;
  private started = false;
  private disposed = false;
  private graceTimer: unknown = undefined;
  private sleepTimer: unknown = undefined;

  private readonly onWindowCreated = (_event: unknown, window: SeamWindow): void => {
    this.attach(window);
  };

  constructor(options: FocusTrackerOptions) {
    this.options = options;
    this.timers = options.timers ?? systemTimers;
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? createConsoleLogger();
    this.graceMs = nonNegativeMs('graceMs', options.graceMs, 500);
    this.toleranceMs = nonNegativeMs('powerToleranceMs', options.powerToleranceMs, 5000);
    this.suspendHoldMs = nonNegativeMs('suspendHoldMs', options.suspendHoldMs, 30_000);
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
    for (const name of Object.keys(POWER_EVENTS) as SeamPowerEvent[]) {
      const listener = () => this.onPower(name);
      this.powerListeners.set(name, listener);
      this.options.powerMonitor.on(name as 'suspend', listener);
    }

    this.reseed();
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
    this.cancelSleepCheck();
    for (const window of [...this.windows.keys()]) this.detach(window);
    this.options.app.removeListener('browser-window-created', this.onWindowCreated);
    for (const [name, listener] of this.powerListeners) {
      this.options.powerMonitor.removeListener(name as 'suspend', listener);
    }
    this.powerListeners.clear();
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
    // A window of the app gaining focus means someone is at the app, whatever power events
    // said (they may have been lost or delivered out of order).
    for (const kind of this.away) this.backAt.set(kind, this.clock());
    this.away.clear();
    this.cancelSleepCheck();
    this.cancelGrace();
    this.set(false);
  }

  private onLost(window: SeamWindow): void {
    this.focused.delete(window);
    this.scheduleGrace();
  }

  private onShown(window: SeamWindow): void {
    if (this.focused.has(window) && isShowing(window) && this.away.size === 0) {
      this.cancelGrace();
      this.set(false);
    }
  }

  private onPower(name: SeamPowerEvent): void {
    const { kind, away } = POWER_EVENTS[name];
    const now = this.clock();
    if (away) {
      if (this.away.has(kind)) return;
      const early = this.earlyBackAt.get(kind);
      this.earlyBackAt.delete(kind);
      if (early !== undefined && now - early <= this.toleranceMs) {
        this.logger.debug(`"${name}" arrived after its pair; ignored`);
        return;
      }
      this.away.add(kind);
      if (kind === 'sleep') this.scheduleSleepCheck();
      this.cancelGrace();
      this.set(true);
      return;
    }

    if (this.away.delete(kind)) {
      if (kind === 'sleep') this.cancelSleepCheck();
      this.backAt.set(kind, now);
    } else {
      const last = this.backAt.get(kind);
      if (last !== undefined && now - last <= this.toleranceMs) return;
      this.earlyBackAt.set(kind, now);
      this.backAt.set(kind, now);
    }
    this.recheck();
  }

  /** Decides at once from the windows, trusting Electron's focus query. */
  private recheck(): void {
    this.cancelGrace();
    this.reseed();
    this.set(this.away.size > 0 || !this.anyWindowFocused());
  }

  private scheduleGrace(): void {
    this.cancelGrace();
    this.graceTimer = this.timers.setTimeout(() => {
      this.graceTimer = undefined;
      if (this.disposed) return;
      this.set(this.away.size > 0 || !this.anyWindowFocused());
    }, this.graceMs);
  }

  private cancelGrace(): void {
    if (this.graceTimer === undefined) return;
    this.timers.clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }

  /**
   * While suspended, JavaScript does not run. So if this timer fires with the `suspend` still
   * in force and no `resume` came, the process is running: the `suspend` was spurious, or its
   * `resume` was lost or came first. Re-check the windows.
   */
  private scheduleSleepCheck(): void {
    this.cancelSleepCheck();
    this.sleepTimer = this.timers.setTimeout(() => {
      this.sleepTimer = undefined;
      if (this.disposed || !this.away.delete('sleep')) return;
      this.logger.debug('"suspend" with no "resume" while the process kept running; re-checking');
      this.backAt.set('sleep', this.clock());
      this.recheck();
    }, this.suspendHoldMs);
  }

  private cancelSleepCheck(): void {
    if (this.sleepTimer === undefined) return;
    this.timers.clearTimeout(this.sleepTimer);
    this.sleepTimer = undefined;
  }

  /** Replaces what the events said with what Electron says now (outside any event handler). */
  private reseed(): void {
    this.focused.clear();
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
    if (this.disposed || isBackground === this.background) return;
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
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 3_600_000) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      `options.${name} is in milliseconds and must be a number from 0 to 3600000, got ${String(value)}`,
    );
  }
  return value;
}
