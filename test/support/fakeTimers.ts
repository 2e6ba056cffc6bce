import type { SeamTimers } from '../../src/main/electron/ElectronSeam';
import type { FakeClock } from './clock';

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * Timers that fire only when the test moves the clock, each at its due time and in order, so
 * that what the code sees as "now" inside a callback is exact.
 */
export class FakeTimers implements SeamTimers {
  private pending = new Set<Pending>();
  private seq = 0;

  constructor(readonly clock: FakeClock) {}

  setTimeout(callback: () => void, ms: number): unknown {
    const timer: Pending = { at: this.clock.time + ms, seq: this.seq++, callback };
    this.pending.add(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as Pending);
  }

  /** How many timers are waiting. */
  get count(): number {
    return this.pending.size;
  }

  /** Moves the clock by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.clock.time + ms;
    for (;;) {
      const next = [...this.pending]
        .filter((t) => t.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined) break;
      this.pending.delete(next);
      this.clock.time = Math.max(this.clock.time, next.at);
      next.callback();
    }
    this.clock.time = end;
  }
}
