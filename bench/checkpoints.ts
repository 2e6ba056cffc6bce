/**
 * `npm run bench:checkpoints`: what SQLite's WAL checkpoints cost the thread that stamps. Every
 * stamp here commits (the session's clock moves a second per event, so each one writes its
 * `lastActivity`), which brings the checkpoint that SQLite runs every 1000 commits within
 * reach of a short run. Not a test: it prints figures and writes bench/results/checkpoints.*.
 *
 * Options: --quick (fewer stamps; writes nothing).
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ClientSession, SqliteSessionStore } from '../src/main';
import type { WalCheckpointer, WalCheckpointerStats } from '../src/main/WalCheckpointer';
import { CountingStore } from './lib/countingStore';
import { makeTempDir, removeTempDirs, silentLogger } from './lib/fixtures';
import { describeMachine, loadNow } from './lib/machine';
import { sortedQuantile } from './lib/stats';

const quick = process.argv.includes('--quick');

/** How long the app is quiet between two events. */
type Pace = 'quiet' | 'busy';
/** Where checkpoints run: the store's default, or SQLite's own inside the commits. */
type Variant = 'worker' | 'in-commit';

const STAMPS: Record<Pace, number> = quick
  ? { quiet: 600, busy: 1500 }
  : { quiet: 3000, busy: 5000 };
const PAUSE: Record<Pace, string> = {
  quiet: '5 ms (setTimeout)',
  busy: 'one turn of the event loop (setImmediate)',
};

interface Run {
  readonly pace: Pace;
  readonly variant: Variant;
  readonly stamps: number;
  readonly writes: number;
  readonly stampUs: { p50: number; p99: number; p999: number; max: number };
  readonly over1ms: number;
  readonly over2ms: number;
  /**
   * Stamps during which the database file was written (its modification time moved): only a
   * checkpoint writes it, so these ran one (or overlapped the worker's).
   */
  readonly checkpointsInStamps: number;
  /** The longest of those stamps, in microseconds. */
  readonly checkpointMaxUs: number;
  /** Stamps that started the WAL over from its beginning (salt-1 of its header moved). */
  readonly restartsInStamps: number;
  /** The longest of those stamps, in microseconds. */
  readonly restartMaxUs: number;
  /** Restarts between stamps (by the worker). */
  readonly restartsBetween: number;
  readonly maxWalBytes: number;
  readonly worker: WalCheckpointerStats | null;
}

async function measure(pace: Pace, variant: Variant): Promise<Run> {
  const path = join(makeTempDir(), 'client-session.sqlite');
  const sqlite = new SqliteSessionStore({ path, checkpointInWorker: variant === 'worker' });
  const store = new CountingStore(sqlite);
  let now = Date.now();
  const session = new ClientSession({ store, clock: () => now, logger: silentLogger });
  const ids = Array.from({ length: 1024 }, () => randomUUID());

  const count = STAMPS[pace];
  const durations = new Float64Array(count);
  let checkpointsInStamps = 0;
  let checkpointMaxUs = 0;
  let restartsInStamps = 0;
  let restartMaxUs = 0;
  let restartsBetween = 0;
  let maxWalBytes = 0;
  let salt = walSalt(path);
  for (let i = 0; i < count; i++) {
    now += 1001;
    const modified = statSync(path, { bigint: true }).mtimeNs;
    const start = process.hrtime.bigint();
    session.stamp(ids[i & 1023]!, now);
    const us = Number(process.hrtime.bigint() - start) / 1000;
    durations[i] = us;

    // Outside the timing: what the stamp did to the files, then what happened in the pause.
    if (statSync(path, { bigint: true }).mtimeNs !== modified) {
      checkpointsInStamps += 1;
      checkpointMaxUs = Math.max(checkpointMaxUs, us);
    }
    const next = walSalt(path);
    if (next !== salt) {
      restartsInStamps += 1;
      restartMaxUs = Math.max(restartMaxUs, us);
    }
    maxWalBytes = Math.max(maxWalBytes, statSync(`${path}-wal`).size);
    await (pace === 'quiet'
      ? new Promise((resolve) => setTimeout(resolve, 5))
      : new Promise((resolve) => setImmediate(resolve)));
    salt = walSalt(path);
    if (salt !== next) restartsBetween += 1;
  }

  const checkpointer = (sqlite as unknown as { checkpointer?: WalCheckpointer }).checkpointer;
  const worker = checkpointer?.stats ?? null;
  session.close();

  const sorted = durations.slice().sort();
  const over = (us: number) => durations.filter((d) => d > us).length;
  return {
    pace,
    variant,
    stamps: count,
    writes: store.writes,
    stampUs: {
      p50: sortedQuantile(sorted, 0.5),
      p99: sortedQuantile(sorted, 0.99),
      p999: sortedQuantile(sorted, 0.999),
      max: sorted[sorted.length - 1]!,
    },
    over1ms: over(1000),
    over2ms: over(2000),
    checkpointsInStamps,
    checkpointMaxUs,
    restartsInStamps,
    restartMaxUs,
    restartsBetween,
    maxWalBytes,
    worker,
  };
}

/** Salt-1 of the WAL header: SQLite adds one each time a writer starts the WAL over. */
function walSalt(path: string): number {
  const header = Buffer.alloc(32);
  const fd = openSync(`${path}-wal`, 'r');
  try {
    return readSync(fd, header, 0, 32, 0) === 32 ? header.readUInt32BE(16) : -1;
  } finally {
    closeSync(fd);
  }
}

function format(runs: readonly Run[], header: string): string {
  const us = (value: number) => value.toFixed(value < 100 ? 1 : 0);
  const table = [
    ['pace', 'variant', 'stamps', 'commits', 'p50 us', 'p99 us', 'p99.9 us', 'max us'],
    ['>1ms', '>2ms', 'ckpt in', 'max', 'restart in', 'max', 'between', 'WAL max KiB'],
  ];
  const rows = runs.map((run) => [
    run.pace,
    run.variant,
    String(run.stamps),
    String(run.writes),
    us(run.stampUs.p50),
    us(run.stampUs.p99),
    us(run.stampUs.p999),
    us(run.stampUs.max),
    String(run.over1ms),
    String(run.over2ms),
    String(run.checkpointsInStamps),
    run.checkpointsInStamps === 0 ? '-' : us(run.checkpointMaxUs),
    String(run.restartsInStamps),
    run.restartsInStamps === 0 ? '-' : us(run.restartMaxUs),
    String(run.restartsBetween),
    String(Math.round(run.maxWalBytes / 1024)),
  ]);
  const titles = table.flat();
  const widths = titles.map((title, i) => Math.max(title.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');

  const lines = [header, '', line(titles), line(widths.map((w) => '-'.repeat(w)))];
  for (const row of rows) lines.push(line(row));
  lines.push('');
  for (const pace of Object.keys(PAUSE) as Pace[]) {
    lines.push(`${pace}: between stamps, ${PAUSE[pace]}`);
  }
  lines.push(
    'ckpt in: stamps during which the database file was written, which only a checkpoint does; ' +
      'restart in: stamps that started the WAL over from its beginning (max: the longest of ' +
      'each kind, us); between: WAL restarts between stamps, by the worker',
    'in-commit: checkpointInWorker false, SQLite checkpoints inside the commit that reaches ' +
      '1000 pages; worker: the default',
  );
  for (const run of runs) {
    if (run.worker === null) continue;
    const { checkpoints, completed } = run.worker;
    lines.push(
      `worker, ${run.pace}: ${checkpoints} checkpoints in the worker thread, ${completed} rounds ` +
        'complete (each ends with the worker starting the WAL over)',
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const began = process.hrtime.bigint();
  const machine = describeMachine();
  // Warm the code up once, so that the first measured run does not pay for compiling it.
  await measureQuietly();
  const runs: Run[] = [];
  for (const pace of ['quiet', 'busy'] as const) {
    for (const variant of ['in-commit', 'worker'] as const) {
      process.stderr.write(`bench:checkpoints: ${pace}, ${variant}...\n`);
      runs.push(await measure(pace, variant));
    }
  }
  removeTempDirs();

  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  const load = (values: readonly number[]) => values.join(' / ');
  const header = [
    `electron-client-session WAL checkpoint benchmark, ${machine.date}`,
    `machine: ${machine.nproc} CPUs (nproc), ${machine.cpuModel}, ${machine.totalMemoryMiB} MiB; ` +
      `Node ${machine.node}, ${machine.platform}`,
    `load average (1/5/15 min): ${load(machine.loadAtStart)} at start, ${load(loadNow())} at ` +
      `end; run took ${Math.round(seconds)} s`,
    `source: ${machine.source}`,
    'every stamp commits (the clock moves 1001 ms per stamp); times are wall clock per stamp',
  ].join('\n');
  const report = format(runs, header);
  process.stdout.write(`\n${report}`);
  if (quick) return;
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'checkpoints.json'), `${JSON.stringify({ machine, runs }, null, 2)}\n`);
  writeFileSync(join(dir, 'checkpoints.txt'), report);
  process.stdout.write('\nwritten: bench/results/checkpoints.json and checkpoints.txt\n');
}

async function measureQuietly(): Promise<void> {
  const saved = STAMPS.busy;
  STAMPS.busy = 300;
  await measure('busy', 'in-commit');
  STAMPS.busy = saved;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:checkpoints failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exitCode = 1;
});
