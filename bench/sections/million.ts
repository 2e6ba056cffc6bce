import { PerformanceObserver } from 'node:perf_hooks';

import { CountingStore } from '../lib/countingStore';
import { makeFixture, openSession } from '../lib/fixtures';
import type { ConfClass, StoreKind } from '../lib/fixtures';
import { sortedQuantile } from '../lib/stats';

export interface MillionOptions {
  readonly stamps: number;
  /** Heap and file sizes are read this many times along the way (after a forced GC). */
  readonly checkpoints: number;
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
  /**
   * Heap growth from the first checkpoint after stamping began to the last, in bytes. Not from
   * before the first stamp: V8 drops compiled code of start-up functions over the first
   * collections, which would hide a slow leak behind a fall of a megabyte or so.
   */
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
    /** Of the stamps over 1 ms, those that wrote to the store. */
    readonly over1msWriting: number;
  };
  /** Stamps that wrote to the store (reserving indexes, or the once-a-second flush). */
  readonly writes: number;
  /** Garbage collections during the run, from `perf_hooks`; forced ones at checkpoints excluded. */
  readonly gc: { readonly count: number; readonly over1ms: number; readonly maxMs: number };
}

const SIZE_SAMPLE_MASK = 1023;

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * A million stamps (by default) on a fresh store with the wall clock, timing each one with
 * `process.hrtime`. Heap and store size are read at checkpoints, outside the timed stamps. Run
 * it in a fresh worker process per store, so that the heap holds nothing else that changes.
 */
export async function measureMillion(
  Conf: ConfClass,
  ids: readonly string[],
  kind: StoreKind,
  options: MillionOptions,
): Promise<MillionRun> {
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

  const store = new CountingStore(fixture.open());
  const session = openSession(store);
  const wrote = new Uint8Array(options.stamps);
  const checkpoints = [checkpoint(0)];
  const gcs = watchGc();
  let maxStoreBytes = checkpoints[0]!.storeBytes;
  let stampNs = 0;
  for (let done = 0; done < options.stamps;) {
    const end = Math.min(done + every, options.stamps);
    await gcs.resume();
    for (let i = done; i < end; i++) {
      const writes = store.writes;
      const start = process.hrtime.bigint();
      session.stamp(ids[i & mask]!, Date.now());
      durations[i] = Number(process.hrtime.bigint() - start);
      if (store.writes !== writes) wrote[i] = 1;
      // The WAL grows and restarts between checkpoints: look at it often, between stamps.
      if ((i & SIZE_SAMPLE_MASK) === 0) maxStoreBytes = Math.max(maxStoreBytes, storeBytes());
    }
    await gcs.pause();
    for (let i = done; i < end; i++) stampNs += durations[i]!;
    done = end;
    checkpoints.push(checkpoint(done));
    maxStoreBytes = Math.max(maxStoreBytes, checkpoints[checkpoints.length - 1]!.storeBytes);
  }
  const gcSeen = gcs.stop();
  session.close();
  const afterClose = storeBytes();

  let maxAt = 0;
  for (let i = 1; i < durations.length; i++) if (durations[i]! > durations[maxAt]!) maxAt = i;
  const maxNs = durations[maxAt]!;
  let over1ms = 0;
  let over2ms = 0;
  let over1msWriting = 0;
  let writes = 0;
  for (let i = 0; i < durations.length; i++) {
    const ns = durations[i]!;
    writes += wrote[i]!;
    if (ns > 1e6) {
      over1ms += 1;
      over1msWriting += wrote[i]!;
    }
    if (ns > 2e6) over2ms += 1;
  }
  const sorted = durations.sort();
  const us = (q: number) => sortedQuantile(sorted, q) / 1000;

  const first = checkpoints[1]!;
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
      over1msWriting,
    },
    writes,
    gc: gcSeen,
  };
}

/** Collects GC pauses while resumed, so that the forced ones at checkpoints are left out. */
function watchGc() {
  const durations: number[] = [];
  let listening = false;
  const observer = new PerformanceObserver((list) => {
    if (!listening) return;
    for (const entry of list.getEntries()) durations.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    resume: async () => {
      // Drop what came while paused: the forced collections of a checkpoint.
      await turn();
      observer.takeRecords();
      listening = true;
    },
    pause: async () => {
      // Node makes GC entries on a later turn of the event loop: let it turn, then collect.
      await turn();
      for (const entry of observer.takeRecords()) durations.push(entry.duration);
      listening = false;
    },
    stop: () => {
      observer.disconnect();
      return {
        count: durations.length,
        over1ms: durations.filter((ms) => ms > 1).length,
        maxMs: durations.length === 0 ? 0 : Math.max(...durations),
      };
    },
  };
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function heapAfterGc(): number | null {
  if (gc === undefined) return null;
  // Twice: the first pass can leave objects that only a second one frees (weak references).
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
