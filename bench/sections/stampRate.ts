import type { ClientSession } from '../../src/main';
import { Child } from '../lib/child';
import { STORE_KINDS } from '../lib/fixtures';
import type { StoreKind } from '../lib/fixtures';
import { median, startTiming } from '../lib/stats';
import type { Timing } from '../lib/stats';

export interface StampRateOptions {
  readonly warmupStamps: number;
  readonly stampsPerRepetition: number;
  readonly repetitions: number;
}

export interface StampRateResult {
  readonly kind: StoreKind;
  /** Median over the repetitions, by wall-clock time. */
  readonly stampsPerSecond: number;
  readonly nsPerStamp: number;
  /** The same by CPU time of the process. */
  readonly cpuNsPerStamp: number;
  /** Each repetition's wall-clock rate, in the order run. */
  readonly repetitionRates: number[];
}

export interface StampRateSection {
  readonly stores: StampRateResult[];
  /** Median SQLite rate over median memory rate (wall clock). */
  readonly sqliteOverMemory: number;
  /** The same by CPU time: steadier when other work shares the machine; blind to disk waits. */
  readonly sqliteOverMemoryCpu: number;
  /** Median rate through openSqliteStore (what createClientSession uses) over memory. */
  readonly defaultSqliteOverMemory: number;
  /** The wall-clock ratio within each repetition, where both ran under the same load. */
  readonly sqliteOverMemoryPerRepetition: number[];
}

/**
 * Stamps per second of one long-lived session per store, with the real clock, each store in a
 * worker process of its own. The stores take turns within each repetition (the order rotates),
 * so a burst of load from other work on the machine falls on all of them rather than on one.
 */
export async function measureStampRate(options: StampRateOptions): Promise<StampRateSection> {
  const children = new Map<StoreKind, Child>(STORE_KINDS.map((kind) => [kind, new Child()]));
  const timings = new Map<StoreKind, Timing[]>(STORE_KINDS.map((kind) => [kind, []]));
  try {
    for (const [kind, child] of children) {
      await child.run({ type: 'stamp-open', kind, warmupStamps: options.warmupStamps });
    }
    for (let rep = 0; rep < options.repetitions; rep++) {
      for (const kind of rotate(STORE_KINDS, rep)) {
        const task = { type: 'stamp-batch', count: options.stampsPerRepetition } as const;
        timings.get(kind)!.push(await children.get(kind)!.run(task));
      }
    }
  } finally {
    await Promise.all([...children.values()].map((child) => child.stop()));
  }

  const n = options.stampsPerRepetition;
  const wallRates = (kind: StoreKind) => timings.get(kind)!.map((t) => (n * 1e9) / t.wallNs);
  const cpuNs = (kind: StoreKind) => median(timings.get(kind)!.map((t) => t.cpuNs / n));
  const stores = STORE_KINDS.map((kind): StampRateResult => {
    const repetitionRates = wallRates(kind);
    const stampsPerSecond = median(repetitionRates);
    return {
      kind,
      stampsPerSecond,
      nsPerStamp: 1e9 / stampsPerSecond,
      cpuNsPerStamp: cpuNs(kind),
      repetitionRates,
    };
  });
  const memory = wallRates('memory');
  const sqlite = wallRates('sqlite');
  return {
    stores,
    sqliteOverMemory: median(sqlite) / median(memory),
    sqliteOverMemoryCpu: cpuNs('memory') / cpuNs('sqlite'),
    defaultSqliteOverMemory: median(wallRates('sqlite-default')) / median(memory),
    sqliteOverMemoryPerRepetition: sqlite.map((rate, i) => rate / memory[i]!),
  };
}

/** Stamps `count` events with the wall clock. */
export function stampMany(session: ClientSession, ids: readonly string[], count: number): Timing {
  const mask = ids.length - 1;
  const stop = startTiming();
  for (let i = 0; i < count; i++) session.stamp(ids[i & mask]!, Date.now());
  return stop();
}

export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
