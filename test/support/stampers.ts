// Runs stamper children (stamper.ts) on one store, kills them, and checks what they returned
// against SPEC 6. Shared by the reliability tests (few rounds) and `npm run reliability`.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

import { buildSync } from 'esbuild';

import type { ClientSessionEntity, StoredSession } from '../../src/main';
import { openSqliteStore } from '../../src/main/openSqliteStore';
import { recordingLogger } from './reliability';
import { seededRandom } from './stamperProtocol';
import type { StamperConfig, StamperLine } from './stamperProtocol';

const repo = join(__dirname, '..', '..');
const bundles = new Map<string, string>();

/**
 * A child script of this folder bundled into one file, so that a child starts in tens of
 * milliseconds. Run it with {@link childEnv}.
 */
export function bundledChild(file: string): string {
  const known = bundles.get(file);
  if (known !== undefined) return known;
  const dir = mkdtempSync(join(tmpdir(), 'ecs-child-'));
  // Readable by a child that runs as another user (see StamperConfig.uid).
  chmodSync(dir, 0o755);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const outfile = join(dir, file.replace(/\.ts$/, '.cjs'));
  buildSync({
    entryPoints: [join(__dirname, file)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    external: ['better-sqlite3'],
    logLevel: 'error',
  });
  bundles.set(file, outfile);
  return outfile;
}

/** The environment of a bundled child: better-sqlite3 is loaded from this checkout. */
export const childEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  NODE_PATH: join(repo, 'node_modules'),
});

/**
 * Why better-sqlite3 cannot be left out of a child's reach here (for a test's `skip`), or
 * `false`: a bundled child without NODE_PATH would still find a global install.
 */
export function betterSqlite3Everywhere(): string | false {
  try {
    require.resolve('better-sqlite3', { paths: [dirname(bundledChild('stamper.ts'))] });
    return 'better-sqlite3 is installed where every Node.js process finds it';
  } catch {
    return false;
  }
}

/**
 * Runs a stamper for a moment on a new store in `dir`, as an app packaged without better-sqlite3
 * would run: the bundled child is started without NODE_PATH, so `require('better-sqlite3')`
 * fails with MODULE_NOT_FOUND.
 */
export function runWithoutBetterSqlite3(dir: string): Promise<ChildRun> {
  const { NODE_PATH: _omitted, ...env } = process.env;
  const config: StamperConfig = {
    path: join(dir, 'store', 'client-session.sqlite'),
    out: join(dir, 'out.jsonl'),
    seed: 1,
    mix: 'stamps',
    maxPauseMs: 1,
    durationMs: 100,
    continueSessionOnRestart: true,
    isBackground: false,
    foregroundTimeout: 1800,
    backgroundTimeout: 1800,
  };
  return runStamper(config, undefined, env);
}

/**
 * What is wrong with a {@link runWithoutBetterSqlite3} run: it must end normally, every event
 * tracked in memory, after exactly one message saying what to install, and write no store.
 */
export function problemsWithoutBetterSqlite3(dir: string, run: ChildRun): string[] {
  const problems: string[] = [];
  const entities = run.lines.flatMap((line) => (line.k === 'e' ? [line.e] : []));
  const messages = run.stderr.trim().split('\n').filter(Boolean);
  if (run.code !== 0) problems.push(`exit ${run.code}: ${run.stderr.slice(0, 200)}`);
  if (entities.length === 0) problems.push('no event was tracked');
  if (entities.some((e) => e.storageMechanism !== 'LOCAL_STORAGE')) {
    problems.push('an event was not tracked in memory');
  }
  if (
    messages.length !== 1 ||
    !/better-sqlite3 cannot be loaded \(Cannot find module 'better-sqlite3'/.test(
      messages[0] ?? '',
    ) ||
    !/npm install better-sqlite3/.test(messages[0] ?? '')
  ) {
    problems.push(`${messages.length} messages: ${run.stderr.slice(0, 300)}`);
  }
  if (existsSync(join(dir, 'store'))) problems.push('a store folder was made');
  return problems;
}

export interface ChildRun {
  readonly config: StamperConfig;
  /** Every complete line the child wrote: only calls that returned. */
  readonly lines: readonly StamperLine[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** What the package logged (warnings and errors go to stderr in the child). */
  readonly stderr: string;
}

/** Runs one stamper; kills it with SIGKILL after `killAfterMs` when given. */
export function runStamper(
  config: StamperConfig,
  killAfterMs?: number,
  env: NodeJS.ProcessEnv = childEnv(),
): Promise<ChildRun> {
  const child = spawn(process.execPath, [bundledChild('stamper.ts'), JSON.stringify(config)], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer =
    killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ config, lines: readLines(config.out), code, signal, stderr });
    });
  });
}

function readLines(file: string): StamperLine[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  // A kill can cut the last line short: only lines that end are counted.
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as StamperLine);
}

const entitiesOf = (run: ChildRun): { t: number; e: ClientSessionEntity }[] =>
  run.lines.flatMap((line) => (line.k === 'e' ? [{ t: line.t, e: line.e }] : []));

/**
 * Everything every process returned, checked as it comes in: no (sessionId, eventIndex) pair
 * twice, one sessionIndex per sessionId and back, one userId, and per process a sessionIndex that
 * never goes down and event indexes that only go up.
 */
export class Ledger {
  readonly failures: string[] = [];
  entities = 0;
  private readonly pairs = new Set<string>();
  private readonly indexOf = new Map<string, number>();
  private readonly idOf = new Map<number, string>();
  /** Highest event index returned per session. */
  readonly highest = new Map<string, number>();
  private userId: string | undefined;

  add(run: ChildRun): void {
    let lastSessionIndex = 0;
    let lastPair: { id: string; index: number } | undefined;
    for (const { e } of entitiesOf(run)) {
      this.entities++;
      const key = `${e.sessionId}#${e.eventIndex}`;
      if (this.pairs.has(key)) this.fail(`(sessionId, eventIndex) issued twice: ${key}`);
      this.pairs.add(key);
      this.userId ??= e.userId;
      if (e.userId !== this.userId) this.fail(`userId changed to ${e.userId}`);
      const index = this.indexOf.get(e.sessionId);
      if (index !== undefined && index !== e.sessionIndex) {
        this.fail(`session ${e.sessionId} has sessionIndex ${index} and ${e.sessionIndex}`);
      }
      const id = this.idOf.get(e.sessionIndex);
      if (id !== undefined && id !== e.sessionId) {
        this.fail(`sessionIndex ${e.sessionIndex} names ${id} and ${e.sessionId}`);
      }
      this.indexOf.set(e.sessionId, e.sessionIndex);
      this.idOf.set(e.sessionIndex, e.sessionId);
      if (e.sessionIndex < lastSessionIndex) {
        this.fail(`sessionIndex went down from ${lastSessionIndex} to ${e.sessionIndex}`);
      }
      lastSessionIndex = e.sessionIndex;
      if (lastPair?.id === e.sessionId && e.eventIndex <= lastPair.index) {
        this.fail(`eventIndex went from ${lastPair.index} to ${e.eventIndex} in ${e.sessionId}`);
      }
      lastPair = { id: e.sessionId, index: e.eventIndex };
      this.highest.set(e.sessionId, Math.max(this.highest.get(e.sessionId) ?? 0, e.eventIndex));
    }
  }

  get sessions(): number {
    return this.indexOf.size;
  }

  fail(message: string): void {
    if (this.failures.length < 20) this.failures.push(message);
  }
}

/** Opens the store as the next start would: it must open cleanly, with nothing set aside. */
export function reopen(path: string, ledger: Ledger): StoredSession | undefined {
  const logger = recordingLogger();
  const store = openSqliteStore({ path, logger });
  const stored = store.getSession();
  store.close();
  if (!store.durable || logger.lines.length > 0) {
    ledger.fail(`the store did not reopen cleanly: ${JSON.stringify(logger.lines)}`);
  }
  const kept = readdirSync(dirname(path)).filter((name) =>
    /\.(corrupt|newer)-/.test(name.slice(basename(path).length)),
  );
  if (kept.length > 0) ledger.fail(`files were set aside: ${kept.join(', ')}`);
  return stored;
}

export interface KillRoundsOptions {
  /** A folder of its own. */
  readonly dir: string;
  readonly rounds: number;
  /** Longest life of a child before SIGKILL, in milliseconds (start-up included). */
  readonly lifeMs: number;
  readonly seed: number;
  /** Share of rounds that run two processes at once. @default 0.3 */
  readonly twoProcessShare?: number;
  /** Share of children that close normally instead of being killed. @default 0.1 */
  readonly closeShare?: number;
}

export interface KillRoundsReport {
  readonly trials: number;
  readonly failures: readonly string[];
  readonly entities: number;
  readonly sessions: number;
  readonly kills: number;
  /** Event indexes never handed out because a reservation died with its process. */
  readonly skippedIndexes: number;
  /** Longest `lastActivity` lost to a kill, in milliseconds (SPEC 6: about a second). */
  readonly maxActivityLostMs: number;
  /** Restarts whose first event was checked against the stored session (SPEC 6). */
  readonly restartsChecked: number;
}

const SPEC_TIMEOUTS = { foregroundTimeout: 1800, backgroundTimeout: 3600 } as const;

/**
 * Children stamp and switch state on one store and are killed with SIGKILL at random moments,
 * round after round on the same file. After every round the store must reopen cleanly and hold
 * a state that explains everything returned (SPEC 6); a single process's restart must continue
 * the stored session or start the next one exactly as the rules say.
 */
export async function runKillRounds(options: KillRoundsOptions): Promise<KillRoundsReport> {
  const path = join(options.dir, 'client-session.sqlite');
  const random = seededRandom(options.seed);
  const ledger = new Ledger();
  let previous: StoredSession | undefined;
  let kills = 0;
  let skippedIndexes = 0;
  let maxActivityLostMs = 0;
  let restartsChecked = 0;

  for (let round = 0; round < options.rounds; round++) {
    const count = random() < (options.twoProcessShare ?? 0.3) ? 2 : 1;
    const runs = await Promise.all(
      Array.from({ length: count }, (_, child) => {
        const closes = random() < (options.closeShare ?? 0.1);
        const config: StamperConfig = {
          path,
          out: join(options.dir, `round${round}-${child}.jsonl`),
          seed: Math.floor(random() * 2 ** 31),
          mix: 'all',
          maxPauseMs: 3,
          durationMs: closes ? Math.floor(random() * options.lifeMs) : undefined,
          continueSessionOnRestart: random() < 0.8,
          isBackground: random() < 0.3,
          ...SPEC_TIMEOUTS,
        };
        if (!closes) kills++;
        return runStamper(config, closes ? undefined : Math.floor(random() * options.lifeMs));
      }),
    );

    for (const run of runs) {
      if (run.stderr.includes('[electron-client-session]')) {
        ledger.fail(`round ${round}: the package complained: ${run.stderr.trim()}`);
      }
      if (run.signal === null && run.code !== 0) {
        ledger.fail(`round ${round}: a child crashed (${run.code}): ${run.stderr.trim()}`);
      }
    }
    if (count === 1 && runs[0] !== undefined && previous?.sessionId != null) {
      const checked = checkRestart(runs[0], previous, ledger, round);
      if (checked !== undefined) {
        restartsChecked++;
        skippedIndexes += checked;
      }
    }
    for (const run of runs) ledger.add(run);

    const stored = reopen(path, ledger);
    if (stored !== undefined) {
      checkStored(stored, previous, runs, ledger, round);
      if (count === 1 && runs[0] !== undefined) {
        maxActivityLostMs = Math.max(
          maxActivityLostMs,
          checkSingle(runs[0], stored, ledger, round),
        );
      }
    } else if (ledger.entities > 0) {
      ledger.fail(`round ${round}: the store lost its session`);
    }
    previous = stored ?? previous;
    for (const run of runs) rmSync(run.config.out, { force: true });
  }

  return {
    trials: options.rounds,
    failures: ledger.failures,
    entities: ledger.entities,
    sessions: ledger.sessions,
    kills,
    skippedIndexes,
    maxActivityLostMs,
    restartsChecked,
  };
}

/** The store explains everything returned: indexes and the session count never went back. */
function checkStored(
  stored: StoredSession,
  previous: StoredSession | undefined,
  runs: readonly ChildRun[],
  ledger: Ledger,
  round: number,
): void {
  if (previous !== undefined && stored.sessionIndex < previous.sessionIndex) {
    ledger.fail(`round ${round}: stored sessionIndex went down to ${stored.sessionIndex}`);
  }
  for (const { e } of runs.flatMap(entitiesOf)) {
    if (e.sessionIndex > stored.sessionIndex) {
      ledger.fail(`round ${round}: session ${e.sessionIndex} was returned but not stored`);
      break;
    }
  }
  const highest = stored.sessionId === null ? undefined : ledger.highest.get(stored.sessionId);
  if (highest !== undefined && stored.eventIndex < highest) {
    ledger.fail(`round ${round}: stored eventIndex ${stored.eventIndex} is below ${highest}`);
  }
}

/**
 * One process alone: a transition or a new-session request it was told had happened is stored,
 * and the `lastActivity` stored is at most about a second older than its last call. Returns the
 * `lastActivity` lost, in milliseconds.
 */
function checkSingle(run: ChildRun, stored: StoredSession, ledger: Ledger, round: number): number {
  const lines = run.lines;
  const lastIndex = (k: 'i' | 'a', op: string): number => {
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i];
      if (line?.k === k && line.op === op) return i;
    }
    return -1;
  };
  const lastIntent = (op: string) => lastIndex('i', op);
  const lastAck = (op: string) => lastIndex('a', op);

  const bg = lastAck('bg');
  const bgLine = lines[bg];
  if (bgLine?.k === 'a' && lastIntent('bg') < bg && stored.isBackground !== bgLine.v) {
    ledger.fail(`round ${round}: the transition to isBackground=${bgLine.v} was lost`);
  }

  const request = lastAck('new');
  const stampedAfter = lines.slice(request + 1).some((l) => l.k === 'e');
  if (request >= 0 && !stampedAfter) {
    const highestReturned = Math.max(0, ...entitiesOf(run).map(({ e }) => e.sessionIndex));
    // Either the request is still stored, or a stamp cut short by the kill fulfilled it.
    if (!stored.newSessionDue && stored.sessionIndex <= highestReturned) {
      ledger.fail(`round ${round}: a new-session request was lost`);
    }
  }

  const times = lines.flatMap((l) => (l.k === 'e' || (l.k === 'a' && l.op !== 'new') ? [l.t] : []));
  if (times.length === 0 || stored.lastActivity === null) return 0;
  const lost = Math.max(...times) - stored.lastActivity;
  if (lost > 1000) ledger.fail(`round ${round}: ${lost} ms of lastActivity were lost`);
  return Math.max(0, lost);
}

/**
 * SPEC 6 on restart: the stored session continues (eventIndex right after its reservation) when
 * the app was closed no longer than the background timeout and continuing is on; otherwise the
 * first event opens the next session. Returns the indexes skipped, or `undefined` when the first
 * call was not a stamp.
 */
function checkRestart(
  run: ChildRun,
  stored: StoredSession,
  ledger: Ledger,
  round: number,
): number | undefined {
  const ready = run.lines[0];
  const first = run.lines[1];
  if (ready?.k !== 'ready' || first?.k !== 'e') return undefined;
  const e = first.e;
  const closedMs = ready.t - (stored.lastActivity ?? ready.t);
  const continues =
    run.config.continueSessionOnRestart &&
    !stored.newSessionDue &&
    !stored.anonymous &&
    closedMs <= SPEC_TIMEOUTS.backgroundTimeout * 1000;
  if (continues) {
    if (e.sessionId !== stored.sessionId || e.eventIndex !== stored.eventIndex + 1) {
      ledger.fail(
        `round ${round}: expected ${stored.sessionId}#${stored.eventIndex + 1} after the restart, ` +
          `got ${e.sessionId}#${e.eventIndex}`,
      );
      return 0;
    }
    return stored.eventIndex - (ledger.highest.get(e.sessionId) ?? 0);
  }
  if (e.sessionIndex !== stored.sessionIndex + 1 || e.previousSessionId !== stored.sessionId) {
    ledger.fail(
      `round ${round}: expected session ${stored.sessionIndex + 1} after ${stored.sessionId}, ` +
        `got ${e.sessionIndex} after ${e.previousSessionId}`,
    );
  }
  return 0;
}

export interface TogetherReport {
  readonly failures: readonly string[];
  readonly entities: number;
  readonly sessions: number;
  /** Largest `-wal` file seen while they ran, in bytes. */
  readonly maxWalBytes: number;
  readonly walSamples: number;
  /** Times the `-wal` file was seen to start over (a checkpoint reset it). */
  readonly walResets: number;
}

/**
 * Two processes stamping and switching state on one store at the same time for `durationMs`,
 * each calling every few milliseconds; the `-wal` file is sampled meanwhile.
 */
export async function runTogether(
  dir: string,
  durationMs: number,
  seed: number,
  mix: StamperConfig['mix'] = 'churn',
): Promise<TogetherReport> {
  const path = join(dir, 'client-session.sqlite');
  const ledger = new Ledger();
  let maxWalBytes = 0;
  let walSamples = 0;
  let walResets = 0;
  let lastHeader = '';
  const sampler = setInterval(() => {
    try {
      maxWalBytes = Math.max(maxWalBytes, statSync(`${path}-wal`).size);
      walSamples++;
      // The header's checkpoint sequence and salts change each time the WAL starts over.
      const header = walHeader(`${path}-wal`);
      if (header !== '' && lastHeader !== '' && header !== lastHeader) walResets++;
      if (header !== '') lastHeader = header;
    } catch {
      // Not created yet, or removed by the last close.
    }
  }, 10);
  const goFile = join(dir, 'go');
  const runs = await runLinedUp(
    [0, 1].map((child) => ({
      path,
      out: join(dir, `together-${child}.jsonl`),
      seed: seed + child,
      mix,
      maxPauseMs: 2,
      durationMs,
      goFile,
      continueSessionOnRestart: true,
      isBackground: false,
      ...SPEC_TIMEOUTS,
    })),
    goFile,
  );
  clearInterval(sampler);
  for (const run of runs) {
    if (run.code !== 0) ledger.fail(`a process exited with ${run.code ?? run.signal}`);
    if (run.stderr !== '') ledger.fail(`a process complained: ${run.stderr.trim()}`);
    ledger.add(run);
  }
  const stored = reopen(path, ledger);
  if (stored !== undefined) checkStored(stored, undefined, runs, ledger, 0);
  return {
    failures: ledger.failures,
    entities: ledger.entities,
    sessions: ledger.sessions,
    maxWalBytes,
    walSamples,
    walResets,
  };
}

/** Bytes 12–23 of a WAL file (checkpoint sequence and salts), as hex; '' when unreadable. */
function walHeader(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(12);
    return readSync(fd, header, 0, 12, 12) === 12 ? header.toString('hex') : '';
  } finally {
    closeSync(fd);
  }
}

/** Several processes whose first events come at the same moment; returns every entity. */
export async function runSimultaneousFirst(
  dir: string,
  processes: number,
  durationMs: number,
): Promise<{ runs: readonly ChildRun[]; entities: readonly ClientSessionEntity[] }> {
  const goFile = join(dir, 'go');
  const runs = await runLinedUp(
    Array.from({ length: processes }, (_, child) => ({
      path: join(dir, 'client-session.sqlite'),
      out: join(dir, `first-${child}.jsonl`),
      seed: child,
      mix: 'stamps' as const,
      maxPauseMs: 1,
      durationMs,
      goFile,
      continueSessionOnRestart: true,
      isBackground: false,
      ...SPEC_TIMEOUTS,
    })),
    goFile,
  );
  return { runs, entities: runs.flatMap(entitiesOf).map(({ e }) => e) };
}

/**
 * Starts every stamper, waits until each has opened the store, runs `beforeGo`, then lets them
 * all go at once.
 */
export async function runLinedUp(
  configs: readonly StamperConfig[],
  goFile: string,
  beforeGo: () => void = () => undefined,
): Promise<ChildRun[]> {
  const runs = configs.map((config) => runStamper(config));
  let exited = false;
  void Promise.all(runs).then(() => (exited = true));
  while (
    !exited &&
    !configs.every((config) => readLines(config.out).some((l) => l.k === 'ready'))
  ) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  beforeGo();
  writeFileSync(goFile, '');
  return Promise.all(runs);
}
