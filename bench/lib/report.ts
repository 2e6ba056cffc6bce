import type { MillionRun } from '../sections/million';
import type { StampRateSection } from '../sections/stampRate';
import type { StartupSection } from '../sections/startup';
import type { TrackerSection, TrackerVariant } from '../sections/tracker';
import { STORE_LABELS } from './fixtures';
import type { MachineInfo } from './machine';
import { max, median, min } from './stats';

export interface BenchResults {
  readonly machine: MachineInfo;
  readonly loadAtEnd: readonly number[];
  readonly durationSeconds: number;
  readonly settings: Record<string, unknown>;
  readonly startup: StartupSection;
  readonly stampRate: StampRateSection;
  readonly tracker: TrackerSection;
  readonly million: MillionRun[];
  readonly goals: GoalCheck[];
}

export interface GoalCheck {
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Heap growth over the million stamps below this counts as flat. */
export const FLAT_HEAP_BYTES = 1024 * 1024;

export function checkGoals(
  stampRate: StampRateSection,
  tracker: TrackerSection,
  startup: StartupSection,
  million: MillionRun[],
): GoalCheck[] {
  const goals: GoalCheck[] = [
    {
      goal: 'SqliteSessionStore stamps/s >= 0.8 x memory',
      measured: `${fixed(stampRate.sqliteOverMemory, 2)} x (by CPU time ${fixed(stampRate.sqliteOverMemoryCpu, 2)} x)`,
      met: stampRate.sqliteOverMemory >= 0.8,
    },
    {
      goal: 'openSqliteStore (app default) stamps/s >= 0.8 x memory',
      measured: `${fixed(stampRate.defaultSqliteOverMemory, 2)} x`,
      met: stampRate.defaultSqliteOverMemory >= 0.8,
    },
    {
      goal: 'track() with plugin (SQLite) <= 1.10 x constant entity',
      measured: `${fixed(tracker.pluginOverConstant, 3)} x (by CPU time ${fixed(tracker.pluginOverConstantCpu, 3)} x)`,
      met: tracker.pluginOverConstant <= 1.1,
    },
  ];

  for (const variant of startup.variants) {
    if (!variant.name.startsWith('sqlite')) continue;
    goals.push({
      goal: `first entity <= 5 ms: ${variant.name}`,
      measured: `median ${fixed(variant.medianMs, 2)} ms, max ${fixed(variant.maxMs, 2)} ms`,
      met: variant.maxMs <= 5,
    });
  }

  for (const run of million) {
    const label = STORE_LABELS[run.kind];
    if (run.heapGrowthBytes !== null) {
      goals.push({
        goal: `flat heap (after GC) over ${count(run.stamps)} stamps: ${label}`,
        measured: `${signedKiB(run.heapGrowthBytes)} KiB`,
        met: run.heapGrowthBytes < FLAT_HEAP_BYTES,
      });
    }
    if (run.kind !== 'memory') {
      goals.push({
        goal: `bounded store file (at most 4.5 MiB): ${label}`,
        measured: `max ${kib(run.maxStoreBytes)} KiB, end ${kib(run.storeBytesAtEnd)} KiB`,
        met: isBounded(run),
      });
    }
    goals.push({
      goal: `no stamp over 2 ms: ${label}`,
      measured:
        `max ${fixed(run.stampUs.max / 1000, 1)} ms; ${run.stampUs.over2ms} over 2 ms ` +
        `(over 1 ms: ${run.stampUs.over1ms}, ${run.stampUs.over1msWriting} writing)`,
      met: run.stampUs.over2ms === 0,
    });
  }
  return goals;
}

/**
 * The most a store may ever need, in bytes: SQLite checkpoints the WAL by itself at 1000 pages
 * (about 4 MiB) if nothing else did first, and the session rows take a few pages.
 */
const STORE_BYTES_BOUND = 4.5 * 1024 * 1024;

/**
 * Bounded: never above the WAL's own bound. With event-index reservations a million stamps make
 * only about a hundred commits, too few to reach a checkpoint, so growth between the halves of
 * the run says nothing; `npm run bench:checkpoints` makes every stamp commit to show the bound
 * being kept.
 */
function isBounded(run: MillionRun): boolean {
  return (
    Math.max(...run.checkpoints.map((c) => c.storeBytes), run.maxStoreBytes) <= STORE_BYTES_BOUND
  );
}

/** The human-readable copy of the results: what `npm run bench` prints. */
export function formatReport(results: BenchResults): string {
  const { machine } = results;
  const out: string[] = [];
  out.push(
    `electron-client-session benchmark, ${machine.date}`,
    `machine: ${machine.nproc} CPUs (nproc), ${machine.cpuModel}, ${machine.totalMemoryMiB} MiB; ` +
      `Node ${machine.node} (V8 ${machine.v8}), ${machine.platform}`,
    `load average (1/5/15 min): ${machine.loadAtStart.join(' / ')} at start, ` +
      `${results.loadAtEnd.join(' / ')} at end; run took ${fixed(results.durationSeconds, 0)} s`,
    `source: ${machine.source}`,
    '',
  );

  const rate = results.stampRate;
  const memoryRate = rate.stores.find((m) => m.kind === 'memory')!;
  out.push('Stamps per second (one live session per store, wall clock, median of repetitions)');
  out.push(
    ...table(
      ['store', 'stamps/s', 'ns/stamp', 'CPU ns/stamp', 'x memory', 'x memory (CPU)'],
      rate.stores.map((s) => [
        STORE_LABELS[s.kind],
        count(s.stampsPerSecond),
        fixed(s.nsPerStamp, 0),
        fixed(s.cpuNsPerStamp, 0),
        fixed(s.stampsPerSecond / memoryRate.stampsPerSecond, 2),
        fixed(memoryRate.cpuNsPerStamp / s.cpuNsPerStamp, 2),
      ]),
    ),
    `SQLite / memory: ${fixed(rate.sqliteOverMemory, 2)} (goal >= 0.8); by CPU time ` +
      `${fixed(rate.sqliteOverMemoryCpu, 2)}; ${spread(rate.sqliteOverMemoryPerRepetition, 2)}`,
    '',
  );

  const tracker = results.tracker;
  const constant = tracker.variants.find((c) => c.variant === 'constant')!;
  out.push('@snowplow/node-tracker track() of a self-describing event (median of repetitions)');
  out.push(
    ...table(
      ['beforeTrack attaches', 'us/track', 'tracks/s', 'CPU us/track', 'x constant', 'x (CPU)'],
      tracker.variants.map((v) => [
        TRACKER_LABELS[v.variant],
        fixed(v.usPerTrack, 2),
        count(v.tracksPerSecond),
        fixed(v.cpuUsPerTrack, 2),
        fixed(v.usPerTrack / constant.usPerTrack, 3),
        fixed(v.cpuUsPerTrack / constant.cpuUsPerTrack, 3),
      ]),
    ),
    `plugin (SQLite) / constant: ${fixed(tracker.pluginOverConstant, 3)} (goal <= 1.10); ` +
      `by CPU time ${fixed(tracker.pluginOverConstantCpu, 3)}; ` +
      spread(tracker.pluginOverConstantPerRepetition, 3),
    `emitter: ${tracker.emitter}; requests sent: ${tracker.requestsSent}`,
    '',
  );

  out.push('First entity after constructing the session on an existing store (ms)');
  out.push(
    ...table(
      ['variant', 'median', 'max', 'first', 'runs'],
      results.startup.variants.map((v) => [
        v.name,
        fixed(v.medianMs, 3),
        fixed(v.maxMs, 3),
        fixed(v.firstMs, 3),
        String(v.samples),
      ]),
    ),
    '("first" = first run in this process, before warm-up; fresh-process rows: one run each)',
    '',
  );

  out.push('A million stamps on a fresh store: single-stamp time (us), heap after GC, store size');
  out.push(
    ...table(
      [
        'store',
        'p50',
        'p99',
        'p99.9',
        'max (#stamp)',
        '>1ms',
        '>2ms',
        'heap growth',
        'store max/end',
      ],
      results.million.map((run) => [
        STORE_LABELS[run.kind],
        fixed(run.stampUs.p50, 2),
        fixed(run.stampUs.p99, 2),
        fixed(run.stampUs.p999, 2),
        `${fixed(run.stampUs.max, 0)} (#${run.stampUs.maxAt})`,
        String(run.stampUs.over1ms),
        String(run.stampUs.over2ms),
        run.heapGrowthBytes === null ? 'no --expose-gc' : `${signedKiB(run.heapGrowthBytes)} KiB`,
        run.kind === 'memory' ? '-' : `${kib(run.maxStoreBytes)} / ${kib(run.storeBytesAtEnd)} KiB`,
      ]),
    ),
  );
  out.push(
    '(max: the longest stamp and which one it was; "writing" below: slow stamps that wrote to ' +
      'the store, the rest were GC pauses or other processes holding the CPU)',
  );
  for (const run of results.million) {
    const heap = run.checkpoints
      .map((c) => (c.heapUsedBytes === null ? '?' : (c.heapUsedBytes / 2 ** 20).toFixed(2)))
      .join(' ');
    const files = run.checkpoints[run.checkpoints.length - 1]!.files;
    out.push(
      `${STORE_LABELS[run.kind]}: ${count(run.stampsPerSecond)} stamps/s; ` +
        `${count(run.writes)} stamps wrote to the store; over 1 ms: ${run.stampUs.over1ms}, ` +
        `${run.stampUs.over1msWriting} of them writing; GC pauses: ${run.gc.count}, ` +
        `${run.gc.over1ms} over 1 ms, longest ${fixed(run.gc.maxMs, 2)} ms; heap MiB at ` +
        `checkpoints: ${heap}` +
        (files.length === 0
          ? ''
          : `; files at end: ${files.map((f) => `${f.name} ${kib(f.bytes)} KiB`).join(', ')}` +
            `; after close ${kib(run.storeBytesAfterClose)} KiB`),
    );
  }
  out.push('');

  out.push('Goals');
  out.push(
    ...table(
      ['goal', 'measured', 'met'],
      results.goals.map((g) => [g.goal, g.measured, g.met ? 'yes' : 'NO']),
    ),
  );
  return `${out.join('\n')}\n`;
}

const TRACKER_LABELS: Record<TrackerVariant, string> = {
  constant: 'a constant client_session entity',
  'plugin-sqlite': 'clientSessionPlugin, SQLite store',
};

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** Median and range of per-repetition ratios: how much the load on the machine moved them. */
function spread(ratios: number[], digits: number): string {
  return (
    `per repetition median ${fixed(median(ratios), digits)}, ` +
    `range ${fixed(min(ratios), digits)}-${fixed(max(ratios), digits)} (${ratios.length})`
  );
}

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(0);
}

function signedKiB(bytes: number): string {
  const value = (bytes / 1024).toFixed(0);
  return bytes >= 0 ? `+${value}` : value;
}
