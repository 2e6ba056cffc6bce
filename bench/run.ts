/**
 * `npm run bench`: measures the session engine and prints a table. Not a test: it asserts
 * nothing about speed, it reports. Writes bench/results/latest.json and latest.txt.
 *
 * Options: --quick (a smoke run of a few seconds that writes no results; its figures mean
 * little).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { inChild } from './lib/child';
import { STORE_KINDS } from './lib/fixtures';
import { describeMachine, loadNow } from './lib/machine';
import { checkGoals, formatReport } from './lib/report';
import type { BenchResults } from './lib/report';
import type { MillionRun } from './sections/million';
import { measureStampRate } from './sections/stampRate';

const quick = process.argv.includes('--quick');

const SETTINGS = quick
  ? {
      startup: { warmups: 2, repetitions: 5, coldProcesses: 1 },
      stampRate: { warmupStamps: 5_000, stampsPerRepetition: 10_000, repetitions: 3 },
      tracker: { warmupEvents: 500, eventsPerRepetition: 1_000, repetitions: 3 },
      million: { stamps: 20_000, checkpoints: 4 },
    }
  : {
      startup: { warmups: 5, repetitions: 40, coldProcesses: 5 },
      stampRate: { warmupStamps: 100_000, stampsPerRepetition: 50_000, repetitions: 31 },
      tracker: { warmupEvents: 3_000, eventsPerRepetition: 1_000, repetitions: 81 },
      million: { stamps: 1_000_000, checkpoints: 10 },
    };

async function main(): Promise<void> {
  const began = process.hrtime.bigint();
  const machine = describeMachine();
  if ((globalThis as { gc?: unknown }).gc === undefined) {
    process.stderr.write('bench: run node with --expose-gc to measure the heap (npm run bench)\n');
  }
  // Startup first, in a fresh process: its "first" column is only cold there.
  progress('first entity after construction');
  const startup = await inChild({ type: 'startup', options: SETTINGS.startup });
  progress('stamps per second');
  const stampRate = await measureStampRate(SETTINGS.stampRate);
  progress('node-tracker track()');
  const tracker = await inChild({ type: 'tracker', options: SETTINGS.tracker });
  if (tracker.requestsSent !== 0) {
    throw new Error(`the emitter sent ${tracker.requestsSent} requests; the timings are void`);
  }
  const million: MillionRun[] = [];
  for (const kind of STORE_KINDS) {
    progress(`${SETTINGS.million.stamps.toLocaleString('en-US')} stamps, ${kind}`);
    million.push(await inChild({ type: 'million', kind, options: SETTINGS.million }));
  }

  const results: BenchResults = {
    machine,
    loadAtEnd: loadNow(),
    durationSeconds: Number(process.hrtime.bigint() - began) / 1e9,
    settings: { quick, ...SETTINGS },
    startup,
    stampRate,
    tracker,
    million,
    goals: checkGoals(stampRate, tracker, startup, million),
  };
  const report = formatReport(results);
  process.stdout.write(`\n${report}`);

  // A quick run's figures mean little: keep them from replacing the committed ones.
  if (quick) return;
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.txt'), report);
  process.stdout.write('\nwritten: bench/results/latest.json and latest.txt\n');
}

function progress(what: string): void {
  process.stderr.write(`bench: ${what}...\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
