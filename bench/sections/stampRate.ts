import type { ClientSession } from '../../src/main';
import { makeFixture, openSession, STORE_KINDS } from '../lib/fixtures';
import type { ConfClass, StoreKind } from '../lib/fixtures';
import { median, nsSince } from '../lib/stats';

export interface StampRateOptions {
  readonly warmupStamps: number;
  readonly stampsPerRepetition: number;
  readonly repetitions: number;
}

export interface StampRateResult {
  readonly kind: StoreKind;
  /** Median over the repetitions. */
  readonly stampsPerSecond: number;
  readonly nsPerStamp: number;
  /** Each repetition's rate, in the order run. */
  readonly repetitionRates: number[];
}

export interface StampRateSection {
  readonly stores: StampRateResult[];
  /** Median SQLite rate over median memory rate. */
  readonly sqliteOverMemory: number;
  /** The same ratio taken within each repetition, so load that shifts between them cancels. */
  readonly sqliteOverMemoryPerRepetition: number[];
}

/**
 * Stamps per second of one long-lived session per store, with the real clock. The stores take
 * turns within each repetition (the order rotates), so a burst of load from other work on the
 * machine falls on all of them rather than on one.
 */
export function measureStampRate(
  Conf: ConfClass,
  ids: readonly string[],
  options: StampRateOptions,
): StampRateSection {
  const sessions = new Map<StoreKind, ClientSession>();
  for (const kind of STORE_KINDS) {
    const session = openSession(makeFixture(kind, Conf).open());
    stampMany(session, ids, options.warmupStamps);
    sessions.set(kind, session);
  }

  const rates = new Map<StoreKind, number[]>(STORE_KINDS.map((kind) => [kind, []]));
  for (let rep = 0; rep < options.repetitions; rep++) {
    const order = rotate(STORE_KINDS, rep);
    for (const kind of order) {
      const ns = stampMany(sessions.get(kind)!, ids, options.stampsPerRepetition);
      rates.get(kind)!.push((options.stampsPerRepetition * 1e9) / ns);
    }
  }
  for (const session of sessions.values()) session.close();

  const stores = STORE_KINDS.map((kind): StampRateResult => {
    const repetitionRates = rates.get(kind)!;
    const stampsPerSecond = median(repetitionRates);
    return { kind, stampsPerSecond, nsPerStamp: 1e9 / stampsPerSecond, repetitionRates };
  });
  const memory = rates.get('memory')!;
  const sqlite = rates.get('sqlite')!;
  return {
    stores,
    sqliteOverMemory: median(sqlite) / median(memory),
    sqliteOverMemoryPerRepetition: sqlite.map((rate, i) => rate / memory[i]!),
  };
}

/** Stamps `count` events with the wall clock; returns the nanoseconds taken. */
export function stampMany(session: ClientSession, ids: readonly string[], count: number): number {
  const mask = ids.length - 1;
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) session.stamp(ids[i & mask]!, Date.now());
  return nsSince(start);
}

export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
