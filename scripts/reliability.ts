// `npm run reliability`: the long versions of the reliability tests (SPEC 6), one line per case:
// trials, failures, and what was lost. `-- --write` also rewrites RELIABILITY.md with the figures
// and the machine they came from; `-- --rounds N` sets the kill rounds (default 150).
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import * as prettier from 'prettier';

import { describeMachine } from '../bench/lib/machine';
import { ClientSession, SqliteSessionStore } from '../src/main';
import type { ClientSessionEntity } from '../src/main';
import { openSqliteStore } from '../src/main/openSqliteStore';
import { BREAKAGES, startTwice, writeHealthyStore } from '../test/support/brokenStores';
import { FakeClock } from '../test/support/clock';
import { runFreshOpens } from '../test/support/freshOpens';
import { eventId } from '../test/support/ids';
import { fuzzIpc } from '../test/support/ipcFuzz';
import { LockHolder, Tmpfs, canMount, recordingLogger } from '../test/support/reliability';
import { seededRandom } from '../test/support/stamperProtocol';
import {
  betterSqlite3Everywhere,
  problemsWithoutBetterSqlite3,
  runKillRounds,
  runLinedUp,
  runSimultaneousFirst,
  runTogether,
  runWithoutBetterSqlite3,
} from '../test/support/stampers';

interface CaseResult {
  readonly name: string;
  readonly trials: number;
  readonly failures: number;
  readonly lost: string;
  readonly problems: readonly string[];
}

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 150;
const root = mkdtempSync(join(tmpdir(), 'ecs-reliability-'));
let folders = 0;
const folder = (): string => mkdtempSync(join(root, `${folders++}-`));
const random = seededRandom(Date.now() % 2 ** 31);
const results: CaseResult[] = [];

function report(result: CaseResult): void {
  results.push(result);
  const name = result.name.padEnd(48);
  const trials = String(result.trials).padStart(5);
  const failures = String(result.failures).padStart(3);
  console.log(`${name} trials ${trials}  failures ${failures}  lost: ${result.lost}`);
  for (const problem of result.problems.slice(0, 5)) console.log(`    ${problem}`);
}

function repeated(pairs: readonly ClientSessionEntity[]): number {
  return pairs.length - new Set(pairs.map((e) => `${e.sessionId}#${e.eventIndex}`)).size;
}

async function killCase(): Promise<void> {
  const result = await runKillRounds({ dir: folder(), rounds, lifeMs: 600, seed: 7 });
  report({
    name: 'killed at any instant (SIGKILL)',
    trials: result.trials,
    failures: result.failures.length,
    lost:
      `${result.skippedIndexes} event indexes skipped over ${result.restartsChecked} checked ` +
      `restarts, ${perRestart(result.skippedIndexes, result.restartsChecked)} each on average ` +
      `(reserved, never reused; see below); at most ${result.maxActivityLostMs} ms of ` +
      `lastActivity; no session, transition or request (${result.kills} kills, ` +
      `${result.entities} events, ${result.sessions} sessions)`,
    problems: result.failures,
  });
}

function perRestart(skipped: number, restarts: number): string {
  return restarts === 0 ? 'none' : String(Math.round(skipped / restarts));
}

async function togetherCase(): Promise<void> {
  const runs = 3;
  let failures = 0;
  let peak = 0;
  let resets = 0;
  let events = 0;
  const problems: string[] = [];
  for (let run = 0; run < runs; run++) {
    const result = await runTogether(folder(), 10_000, run * 100);
    if (result.failures.length > 0) failures++;
    problems.push(...result.failures);
    peak = Math.max(peak, result.maxWalBytes);
    resets += result.walResets;
    events += result.entities;
  }
  report({
    name: 'two processes, 10 s each run',
    trials: runs,
    failures,
    lost:
      `nothing (${events} events); WAL peak ${(peak / 2 ** 20).toFixed(2)} MiB, ` +
      `reset by a checkpoint ${resets} times`,
    problems,
  });
}

async function firstTogetherCase(): Promise<void> {
  const trials = 20;
  let failures = 0;
  const problems: string[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const { runs, entities } = await runSimultaneousFirst(folder(), 3, 40);
    const sessions = new Set(entities.map((e) => e.sessionId)).size;
    const crashed = runs.filter((run) => run.code !== 0).length;
    if (sessions !== 1 || crashed > 0 || repeated(entities) > 0) {
      failures++;
      problems.push(`${sessions} sessions, ${crashed} crashes, ${repeated(entities)} repeats`);
    }
  }
  report({
    name: 'first events at one moment, 3 procs',
    trials,
    failures,
    lost: 'nothing',
    problems,
  });
}

async function freshOpensCase(): Promise<void> {
  const rounds = 50;
  const { opens, failures } = await runFreshOpens(folder(), 8, rounds);
  report({
    name: 'a new store opened by 8 procs at one instant',
    trials: rounds,
    failures: new Set(failures.map((failure) => failure.replace(/:.*/, ''))).size,
    lost: `nothing (${opens} opens, each on SQLite with the round's one userId)`,
    problems: failures,
  });
}

function windowsCase(): void {
  const trials = 50;
  let failures = 0;
  for (let trial = 0; trial < trials; trial++) {
    const path = join(folder(), 'client-session.sqlite');
    const sessions = Array.from(
      { length: 8 },
      () => new ClientSession({ store: new SqliteSessionStore({ path }) }),
    );
    const entities = sessions.flatMap((session) =>
      Array.from({ length: 5 }, () => session.stamp(eventId(), Date.now())),
    );
    for (const session of sessions) session.close();
    if (new Set(entities.map((e) => e.sessionId)).size !== 1 || repeated(entities) > 0) failures++;
  }
  report({
    name: 'many windows, 8 sessions on one file',
    trials,
    failures,
    lost: 'nothing',
    problems: [],
  });
}

function brokenCases(): void {
  for (const breakage of Object.keys(BREAKAGES)) {
    const trials = 25;
    let failures = 0;
    let setAside = 0;
    const problems: string[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const result = startTwice(folder(), breakage, random);
      if (result.setAside) setAside++;
      if (result.problems.length > 0) failures++;
      problems.push(...result.problems);
    }
    const lost =
      breakage === 'zero length'
        ? `nothing: an empty file holds no session (kept aside ${setAside} times)`
        : `the broken store's user id and session count, ${setAside} times (files kept aside)`;
    report({ name: `broken at start: ${breakage}`, trials, failures, lost, problems });
  }
}

function cannotLoadCase(): void {
  const trials = 5;
  let failures = 0;
  for (let trial = 0; trial < trials; trial++) {
    const dir = folder();
    const bogus = join(dir, 'better_sqlite3.node');
    writeFileSync(bogus, randomBytes(4096));
    let attempts = 0;
    class WrongAbi extends Database {
      constructor(file?: string, options?: Database.Options) {
        attempts++;
        super(file, { ...options, nativeBinding: bogus });
      }
    }
    const logger = recordingLogger();
    const store = openSqliteStore({
      path: join(dir, 'client-session.sqlite'),
      Database: WrongAbi as unknown as typeof Database,
      logger,
      retryAfterMs: 0,
    });
    const session = new ClientSession({ store, logger });
    for (let i = 0; i < 100; i++) session.stamp(eventId(), Date.now());
    session.close();
    if (attempts !== 1 || logger.count('error') !== 1 || logger.lines.length !== 1) failures++;
  }
  report({
    name: 'better-sqlite3 built for another ABI',
    trials,
    failures,
    lost: 'every session of that run (memory only, one error, no retry)',
    problems: [],
  });
}

/** A bundled app started with no better-sqlite3 to find (MODULE_NOT_FOUND). */
async function notInstalledCase(): Promise<void> {
  const skip = betterSqlite3Everywhere();
  if (skip !== false) {
    console.log(`better-sqlite3 not installed: skipped, ${skip}`);
    return;
  }
  const trials = 5;
  let failures = 0;
  const problems: string[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const dir = folder();
    const found = problemsWithoutBetterSqlite3(dir, await runWithoutBetterSqlite3(dir));
    if (found.length > 0) failures++;
    problems.push(...found);
  }
  report({
    name: 'better-sqlite3 not installed',
    trials,
    failures,
    lost: 'every session of that run (memory only, one error saying what to install)',
    problems,
  });
}

/** New stores, and fresh ones made after setting a broken file aside, under several umasks. */
function fileModeCase(): void {
  const umasks = [0o000, 0o002, 0o022, 0o077];
  let trials = 0;
  let failures = 0;
  const problems: string[] = [];
  for (const umask of umasks) {
    for (const broken of [false, true]) {
      for (let trial = 0; trial < 5; trial++) {
        trials++;
        const dir = join(folder(), 'new-folder');
        const path = join(dir, 'client-session.sqlite');
        if (broken) {
          mkdirSync(dir, { mode: 0o755 });
          writeFileSync(path, randomBytes(4096), { mode: 0o644 });
        }
        const previous = process.umask(umask);
        try {
          const session = new ClientSession({
            store: openSqliteStore({ path, logger: recordingLogger() }),
          });
          session.stamp(eventId(), Date.now());
          const modes = [path, `${path}-wal`, `${path}-shm`].map(
            (file) => statSync(file).mode & 0o777,
          );
          session.close();
          const folderMode = statSync(dir).mode & 0o777;
          if (modes.some((mode) => mode !== 0o600) || (!broken && folderMode !== 0o700)) {
            failures++;
            const shown = [...modes, folderMode].map((mode) => mode.toString(8)).join(' ');
            problems.push(`umask ${umask.toString(8)}: modes ${shown}`);
          }
        } finally {
          process.umask(previous);
        }
      }
    }
  }
  report({
    name: 'store file mode 0600, folder 0700',
    trials,
    failures,
    lost: 'nothing (4 umasks; new stores and fresh ones after a broken file)',
    problems,
  });
}

async function ipcFuzzCase(): Promise<void> {
  const { trials, failures } = await fuzzIpc(20_000, Date.now() % 2 ** 31);
  report({
    name: 'IPC: hostile requests to the handlers',
    trials,
    failures: failures.length,
    lost: 'nothing: an error for each, no crash, the session unmoved, no prototype polluted',
    problems: failures,
  });
}

/** Disk full while running, restart while still full, then space back: one trial. */
function diskFullTrial(): { problems: string[]; split: number; startsOnDisk: number } {
  const fs = new Tmpfs(join(folder(), 'full'), 8192);
  const problems: string[] = [];
  let split = 0;
  let startsOnDisk = 0;
  try {
    const path = join(fs.dir, 'client-session.sqlite');
    const clock = new FakeClock(Date.now());
    const logger = recordingLogger();
    const entities: ClientSessionEntity[] = [];
    const open = () =>
      new ClientSession({
        store: openSqliteStore({ path, logger, clock: clock.now }),
        clock: clock.now,
        logger,
      });
    const run = (session: ClientSession, events: number) => {
      for (let i = 0; i < events; i++) {
        clock.advance(200 + Math.floor(random() * 2000));
        entities.push(session.stamp(eventId(), clock.time));
      }
    };
    const first = open();
    run(first, 1 + Math.floor(random() * 300));
    const filler = join(fs.dir, 'filler');
    const fd = openSync(filler, 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(4096, 1));
    } catch {
      // Full.
    } finally {
      closeSync(fd);
    }
    run(first, 300);
    first.close();
    const second = open();
    run(second, 300);
    // A start warns once if the full disk sent it to memory. One may not be: its store keeps
    // going in the space the -wal file already holds while checkpoints need no new page.
    const inMemory = [entities.slice(0, -300), entities.slice(-300)].map((ofStart) =>
      ofStart.some((e) => e.storageMechanism !== 'SQLITE'),
    );
    startsOnDisk = inMemory.filter((went) => !went).length;
    const expectedWarnings = inMemory.filter(Boolean).length;
    const warnings = logger.count('warn');
    rmSync(filler);
    clock.advanceSeconds(1800);
    run(second, 10);
    const recovered = entities.at(-1)?.storageMechanism === 'SQLITE';
    second.close();
    split = new Set(entities.map((e) => e.sessionId)).size - 1;
    if (repeated(entities) > 0) problems.push(`${repeated(entities)} pairs issued twice`);
    if (warnings !== expectedWarnings) {
      problems.push(`${warnings} warnings for ${expectedWarnings} starts that went to memory`);
    }
    if (!recovered) problems.push('the store was not used again once space came back');
  } finally {
    fs.unmount();
  }
  return { problems, split, startsOnDisk };
}

async function whileRunningCases(): Promise<void> {
  if (canMount()) {
    const trials = 10;
    let failures = 0;
    let split = 0;
    let startsOnDisk = 0;
    const problems: string[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const result = diskFullTrial();
      split += result.split;
      startsOnDisk += result.startsOnDisk;
      if (result.problems.length > 0) failures++;
      problems.push(...result.problems);
    }
    report({
      name: 'disk full while running (tmpfs)',
      trials,
      failures,
      lost:
        'what memory held, if the process ended before space came back; a new session at ' +
        `each failure (${split} new sessions in ${trials} trials; ${startsOnDisk} of ` +
        `${2 * trials} starts on the full disk kept writing in the -wal file's space)`,
      problems,
    });
  } else {
    console.log('disk full while running: skipped, mount is not permitted here');
  }

  const trials = 5;
  let failures = 0;
  const problems: string[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const path = join(folder(), 'client-session.sqlite');
    const clock = new FakeClock(Date.now());
    const logger = recordingLogger();
    const store = openSqliteStore({ path, logger, clock: clock.now, busyTimeoutMs: 100 });
    const session = new ClientSession({ store, clock: clock.now, logger });
    const entities = [session.stamp(eventId(), clock.time)];
    const holder = await LockHolder.hold(path);
    for (let i = 0; i < 500; i++) {
      clock.advance(500 + Math.floor(random() * 1000));
      entities.push(session.stamp(eventId(), clock.time));
    }
    await holder.release();
    clock.advanceSeconds(1800);
    entities.push(session.stamp(eventId(), clock.time));
    const recovered = store.durable;
    session.close();
    if (repeated(entities) > 0 || logger.count('warn') !== 1 || !recovered) {
      failures++;
      problems.push(`${logger.count('warn')} warnings, recovered ${recovered}`);
    }
  }
  report({
    name: 'lock held by another process',
    trials,
    failures,
    lost: 'what memory held if the process ended before the lock was released',
    problems,
  });
}

function readOnlyCase(): void {
  if (!canMount()) {
    console.log('read-only folder at start-up: skipped, mount is not permitted here');
    return;
  }
  const trials = 5;
  let failures = 0;
  const problems: string[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const fs = new Tmpfs(join(folder(), 'ro'), 1024);
    try {
      const path = join(fs.dir, 'client-session.sqlite');
      writeHealthyStore(path);
      const stored = new Database(path, { readonly: true });
      const before = JSON.parse(
        stored.prepare('SELECT data FROM sessions').pluck().get() as string,
      ) as { userId: string; sessionIndex: number; sessionId: string };
      stored.close();
      fs.readOnly();
      const logger = recordingLogger();
      const store = openSqliteStore({ path, logger });
      const session = new ClientSession({ store, logger });
      const entity = session.stamp(eventId(), Date.now());
      session.close();
      const continued =
        entity.userId === before.userId &&
        entity.sessionIndex === before.sessionIndex + 1 &&
        entity.previousSessionId === before.sessionId;
      if (entity.storageMechanism !== 'LOCAL_STORAGE' || logger.count('warn') !== 1 || !continued) {
        failures++;
        problems.push(
          `${entity.storageMechanism}, ${logger.count('warn')} warnings: ${JSON.stringify(entity)}`,
        );
      }
    } finally {
      fs.unmount();
    }
  }
  report({
    name: 'read-only folder at start-up',
    trials,
    failures,
    lost:
      'what that run tracked (memory only); it kept the userId and began the session after the ' +
      'stored one; the store is left as it was',
    problems,
  });
}

/** A folder turned read-only under an open store, as a process running as `nobody`. */
async function readOnlyWhileRunningCase(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('read-only folder while running: skipped, needs root to run as another user');
    return;
  }
  const nobody = 65534;
  chmodSync(root, 0o755);
  const trials = 5;
  let failures = 0;
  const problems: string[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const base = folder();
    chmodSync(base, 0o755);
    const dir = join(base, 'store');
    mkdirSync(dir);
    chownSync(dir, nobody, nobody);
    const out = join(base, 'out.jsonl');
    writeFileSync(out, '');
    chownSync(out, nobody, nobody);
    const [run] = await runLinedUp(
      [
        {
          path: join(dir, 'client-session.sqlite'),
          out,
          seed: trial,
          mix: 'all',
          maxPauseMs: 2,
          durationMs: 1000,
          goFile: join(base, 'go'),
          uid: nobody,
          continueSessionOnRestart: true,
          isBackground: false,
          foregroundTimeout: 1800,
          backgroundTimeout: 1800,
        },
      ],
      join(base, 'go'),
      () => chmodSync(dir, 0o555),
    );
    const entities = (run?.lines ?? []).flatMap((l) => (l.k === 'e' ? [l.e] : []));
    const inMemory = entities.filter((e) => e.storageMechanism !== 'SQLITE').length;
    if (run?.code !== 0 || run.stderr !== '' || inMemory > 0 || repeated(entities) > 0) {
      failures++;
      problems.push(`exit ${run?.code}, ${inMemory} events in memory: ${run?.stderr.trim()}`);
    }
  }
  report({
    name: 'read-only folder while running',
    trials,
    failures,
    lost: 'nothing: SQLite keeps its files open',
    problems,
  });
}

async function writeMarkdown(seconds: number): Promise<void> {
  const machine = describeMachine();
  const rows = results.map((r) => `| ${r.name} | ${r.trials} | ${r.failures} | ${r.lost} |`);
  const text = `# Reliability figures

Written by \`npm run reliability -- --write\` (SPEC 6: crashes, broken stores, processes
sharing a store, store failures while running; SPEC 7: hostile IPC input). Every failure is
real: processes killed with SIGKILL, files broken on disk, a tmpfs that fills up (ENOSPC) or is
mounted read-only, a process running as \`nobody\` whose folder turns read-only, a second
process holding \`BEGIN EXCLUSIVE\`, a native module that fails to load (dlopen of a bad binary),
a bundled app with no better-sqlite3 to find (MODULE_NOT_FOUND), hostile requests to the real
IPC handlers.

- Date: ${machine.date}
- Machine: ${machine.nproc} CPUs (\`nproc\`), ${machine.cpuModel}, ${machine.platform}
- Node.js: ${machine.node}
- Load average when the run started: ${machine.loadAtStart.join(' / ')} (other work may share
  the machine; no figure below depends on speed)
- Kill rounds: ${rounds}; the whole run took ${seconds} s

| case | trials | failures | lost |
| --- | --- | --- | --- |
${rows.join('\n')}

**Event indexes skipped by a kill.** A session does not write the store on every event: it
reserves a block of event indexes ahead and writes again when the block is used up. A killed
process never hands out the rest of its block, so the next start continues above it: SPEC 6
allows gaps, never a repeat, and no repeat occurred. The block is sized to the event rate: it
starts at 128, doubles while a block lasts less than a second, up to 8192, and halves back
toward 128 when one lasts ten seconds or more. The children of the kill case stamp as fast as
they can (a pause of 0 to 3 ms between calls, hundreds of events a second), so their blocks grow
to the largest sizes, and a kill skips many indexes (the average per restart above). A block
grows only when 128 events come within a second: an app that stamps a few events a second keeps
blocks of 128, and a crash skips fewer than 128 indexes.

The short versions of these cases run in \`npm test\` (\`test/reliability.*.test.ts\`, and
\`test/ipc.fuzz.test.ts\` for IPC input).
`;
  const file = join(__dirname, '..', 'RELIABILITY.md');
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
  console.log('wrote RELIABILITY.md');
}

async function main(): Promise<void> {
  const started = Date.now();
  try {
    await killCase();
    await togetherCase();
    await firstTogetherCase();
    await freshOpensCase();
    windowsCase();
    brokenCases();
    fileModeCase();
    cannotLoadCase();
    await notInstalledCase();
    await whileRunningCases();
    readOnlyCase();
    await readOnlyWhileRunningCase();
    await ipcFuzzCase();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const failed = results.reduce((sum, r) => sum + r.failures, 0);
  console.log(`${results.length} cases, ${failed} failures`);
  if (args.includes('--write')) await writeMarkdown(Math.round((Date.now() - started) / 1000));
  process.exitCode = failed === 0 ? 0 : 1;
}

void main();
