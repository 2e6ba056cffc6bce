import { makeFixture, openSession } from '../lib/fixtures';
import type { ConfClass, StoreKind } from '../lib/fixtures';
import { sortedQuantile } from '../lib/stats';

export interface MillionOptions {
  readonly stamps: number;
  /** Heap and file sizes are read this many times along the way (after a forced GC). */
  readonly checkpoints: number;
  readonly kinds: readonly StoreKind[];
}

export interface Checkpoint {
  readonly stamps: number;
  /** `heapUsed` after a full GC, in bytes; `null` without `--expose-gc`. */
  readonly heapUsedBytes: number | null;
  /** Every file of the store (database, -wal, -shm; or the JSON file), in bytes. */
  readonly storeBytes: number;
  readonly files: { readonly name: string; readonly bytes: number }[];
}

export interface MillionRun {
  readonly kind: StoreKind;
  readonly stamps: number;
  readonly stampsPerSecond: number;
  readonly checkpoints: Checkpoint[];
  /** Heap growth from the first checkpoint (before any stamp) to the last, in bytes. */
  readonly heapGrowthBytes: number | null;
  readonly storeBytesAtEnd: number;
  /** The largest the store's files were seen, sampled every 1024 stamps. */
  readonly maxStoreBytes: number;
  /** The store after `close()` (SQLite folds its WAL back in). */
  readonly storeBytesAfterClose: number;
  /** Single-stamp durations in microseconds. */
  readonly stampUs: {
    readonly p50: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
    /** Which stamp (0-based) took longest: early ones pay for compiling the code. */
    readonly maxAt: number;
    readonly over1ms: number;
    readonly over2ms: number;
  };
}

const SIZE_SAMPLE_MASK = 1023;

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * A million stamps (by default) on a fresh store with the wall clock, timing each one with
 * `process.hrtime`. Heap and store size are read at checkpoints, outside the timed stamps.
 */
export function measureMillion(Conf: ConfClass, ids: readonly string[], options: MillionOptions) {
  return options.kinds.map((kind) => runMillion(Conf, ids, kind, options));
}

function runMillion(
  Conf: ConfClass,
  ids: readonly string[],
  kind: StoreKind,
  options: MillionOptions,
): MillionRun {
  const fixture = makeFixture(kind, Conf);
  const durations = new Float64Array(options.stamps);
  const mask = ids.length - 1;
  const every = Math.ceil(options.stamps / options.checkpoints);

  const storeBytes = () => fixture.files().reduce((sum, file) => sum + file.bytes, 0);
  const checkpoint = (stamps: number): Checkpoint => {
    const files = fixture.files();
    return {
      stamps,
      heapUsedBytes: heapAfterGc(),
      storeBytes: files.reduce((sum, file) => sum + file.bytes, 0),
      files,
    };
  };

  const session = openSession(fixture.open());
  const checkpoints = [checkpoint(0)];
  let maxStoreBytes = checkpoints[0]!.storeBytes;
  let stampNs = 0;
  for (let done = 0; done < options.stamps; ) {
    const end = Math.min(done + every, options.stamps);
    for (let i = done; i < end; i++) {
      const start = process.hrtime.bigint();
      session.stamp(ids[i & mask]!, Date.now());
      durations[i] = Number(process.hrtime.bigint() - start);
      // The WAL grows and restarts between checkpoints: look at it often, between stamps.
      if ((i & SIZE_SAMPLE_MASK) === 0) maxStoreBytes = Math.max(maxStoreBytes, storeBytes());
    }
    for (let i = done; i < end; i++) stampNs += durations[i]!;
    done = end;
    checkpoints.push(checkpoint(done));
    maxStoreBytes = Math.max(maxStoreBytes, checkpoints[checkpoints.length - 1]!.storeBytes);
  }
  session.close();
  const afterClose = storeBytes();

  let maxAt = 0;
  for (let i = 1; i < durations.length; i++) if (durations[i]! > durations[maxAt]!) maxAt = i;
  const maxNs = durations[maxAt]!;
  let over1ms = 0;
  let over2ms = 0;
  for (const ns of durations) {
    if (ns > 1e6) over1ms += 1;
    if (ns > 2e6) over2ms += 1;
  }
  const sorted = durations.sort();
  const us = (q: number) => sortedQuantile(sorted, q) / 1000;

  const first = checkpoints[0]!;
  const last = checkpoints[checkpoints.length - 1]!;
  return {
    kind,
    stamps: options.stamps,
    stampsPerSecond: (options.stamps * 1e9) / stampNs,
    checkpoints,
    heapGrowthBytes:
      first.heapUsedBytes === null || last.heapUsedBytes === null
        ? null
        : last.heapUsedBytes - first.heapUsedBytes,
    storeBytesAtEnd: last.storeBytes,
    maxStoreBytes,
    storeBytesAfterClose: afterClose,
    stampUs: {
      p50: us(0.5),
      p99: us(0.99),
      p999: us(0.999),
      max: maxNs / 1000,
      maxAt,
      over1ms,
      over2ms,
    },
  };
}

function heapAfterGc(): number | null {
  if (gc === undefined) return null;
  // Twice: the first pass can leave objects that only a second one frees (weak references).
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
