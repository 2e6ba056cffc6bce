import type { Logger } from '../../shared/logger';
import type { SeamPowerEvent, SeamPowerMonitor, SeamTimers } from './ElectronSeam';

/** The three pairs of `powerMonitor` events that say the user left and came back. */
type Pair = 'sleep' | 'lock' | 'user';

const EVENTS: Record<SeamPowerEvent, { pair: Pair; away: boolean }> = {
  suspend: { pair: 'sleep', away: true },
  resume: { pair: 'sleep', away: false },
  'lock-screen': { pair: 'lock', away: true },
  'unlock-screen': { pair: 'lock', away: false },
  'user-did-resign-active': { pair: 'user', away: true },
  'user-did-become-active': { pair: 'user', away: false },
};

export interface PowerPresenceOptions {
  readonly powerMonitor: SeamPowerMonitor;
  readonly timers: SeamTimers;
  readonly clock: () => number;
  readonly logger: Logger;
  /** Milliseconds within which a pair's halves out of order, or twice, are one delivery. */
  readonly toleranceMs: number;
  /** Milliseconds after which a `suspend` with no `resume`, the process running, is dropped. */
  readonly suspendHoldMs: number;
  /** The user left: the machine sleeps, the screen locked, or the session was switched away. */
  readonly onAway: () => void;
  /** The last reason to be away ended. */
  readonly onBack: () => void;
}

/**
 * Whether the user is away, from `powerMonitor`, made robust to what several Electron versions
 * deliver: duplicated events, the two halves of a pair in the wrong order, and a `suspend`
 * with no sleep and no `resume`.
 */
export class PowerPresence {
  private readonly options: PowerPresenceOptions;
  private readonly listeners = new Map<SeamPowerEvent, () => void>();
  /** Pairs whose "away" half is in force. */
  private readonly away = new Set<Pair>();
  /** When each pair last came back, epoch ms. */
  private readonly backAt = new Map<Pair, number>();
  /** Pairs that came back with no "away" before: their "away" half may still arrive, late. */
  private readonly earlyBackAt = new Map<Pair, number>();
  /**
   * Pairs whose "away" half a focus ended: their "back" half is still due and, however late,
   * says nothing new. Taken for an early "back" instead, it would swallow the next real "away".
   */
  private readonly endedByFocus = new Set<Pair>();
  private suspendTimer: unknown = undefined;

  constructor(options: PowerPresenceOptions) {
    this.options = options;
  }

  start(): void {
    for (const name of Object.keys(EVENTS) as SeamPowerEvent[]) {
      const listener = () => this.onEvent(name);
      this.listeners.set(name, listener);
      this.options.powerMonitor.on(name as 'suspend', listener);
    }
  }

  isAway(): boolean {
    return this.away.size > 0;
  }

  /**
   * A window of the app gained focus: someone is at the app, whatever the power events said
   * (a return event may be lost, or still on its way: then it counts as a duplicate).
   */
  present(): void {
    const now = this.options.clock();
    for (const pair of this.away) {
      this.backAt.set(pair, now);
      this.endedByFocus.add(pair);
    }
    this.away.clear();
    this.cancelSuspendTimer();
  }

  dispose(): void {
    this.cancelSuspendTimer();
    for (const [name, listener] of this.listeners) {
      this.options.powerMonitor.removeListener(name as 'suspend', listener);
    }
    this.listeners.clear();
  }

  private onEvent(name: SeamPowerEvent): void {
    const { pair, away } = EVENTS[name];
    const now = this.options.clock();
    const { toleranceMs } = this.options;

    if (away) {
      if (this.away.has(pair)) return;
      this.endedByFocus.delete(pair);
      const early = this.earlyBackAt.get(pair);
      this.earlyBackAt.delete(pair);
      const afterItsBack = early !== undefined && now - early <= toleranceMs;
      if (afterItsBack && pair !== 'sleep') {
        this.options.logger.debug(`"${name}" arrived after its pair; ignored`);
        return;
      }
      this.away.add(pair);
      // A suspend just after a resume may be the late half of that pair or a duplicate of the
      // suspend before it, or a real sleep after a resume delivered again late (Windows sends a
      // second one when the user comes back to a machine that woke unattended). Only a sleep
      // stops the process: the hold tells them apart, soon in this case, rather than keep the
      // app in the foreground through a sleep.
      if (pair === 'sleep') {
        const back = this.backAt.get(pair);
        const soonAfterBack = afterItsBack || (back !== undefined && now - back <= toleranceMs);
        this.holdSuspend(soonAfterBack ? toleranceMs : this.options.suspendHoldMs);
      }
      this.options.onAway();
      return;
    }

    if (this.endedByFocus.delete(pair)) {
      // Kept so that a duplicate of this late "back" is recognised as one too.
      this.backAt.set(pair, now);
      return;
    }
    if (this.away.delete(pair)) {
      if (pair === 'sleep') this.cancelSuspendTimer();
    } else {
      const last = this.backAt.get(pair);
      if (last !== undefined && now - last <= toleranceMs) return;
      this.earlyBackAt.set(pair, now);
    }
    this.backAt.set(pair, now);
    this.options.onBack();
  }

  /**
   * A suspended process runs no timers. So if this one fires while the `suspend` is still in
   * force, the process is running and no `resume` came: the `suspend` was spurious, or its
   * `resume` was lost or came first.
   */
  private holdSuspend(ms: number): void {
    this.cancelSuspendTimer();
    this.suspendTimer = this.options.timers.setTimeout(() => {
      this.suspendTimer = undefined;
      if (!this.away.delete('sleep')) return;
      this.options.logger.debug('"suspend" with no "resume" while the process ran; dropped');
      this.backAt.set('sleep', this.options.clock());
      this.options.onBack();
    }, ms);
  }

  private cancelSuspendTimer(): void {
    if (this.suspendTimer === undefined) return;
    this.options.timers.clearTimeout(this.suspendTimer);
    this.suspendTimer = undefined;
  }
}
