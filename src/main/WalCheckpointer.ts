import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

import type { SqliteDatabaseConstructor } from './SqliteDatabase';

/** Commits of the writing connection between two checkpoints of the worker. */
export const CHECKPOINT_EVERY_WRITES = 128;

/** Tries after a checkpoint that left frames behind (a write or a reader came in between). */
const MAX_RETRIES = 8;
/** Wait before the first retry, in milliseconds; it doubles with each one. */
const FIRST_RETRY_MS = 5;
/** Longest `close()` waits for the worker to finish a checkpoint and close its connection. */
const STOP_TIMEOUT_MS = 1000;

/** Places in the memory shared with the worker (an `Int32Array`). */
const Slot = { state: 0, bell: 1, writes: 2, checkpoints: 3, completed: 4 } as const;
const SLOTS = 5;

/**
 * The worker's state. Only the worker leaves `WORKING`; the writing thread only moves
 * `NOT_OPEN` to `CLOSED` (the worker then never opens its connection) and `IDLE` to `STOPPING`.
 */
const State = { NOT_OPEN: 0, IDLE: 1, WORKING: 2, STOPPING: 3, CLOSED: 4 } as const;

// The worker is created from this text rather than from a file: once an app's bundler has
// merged this library into its own main bundle there is no file of ours to point a Worker at.
// It is plain JavaScript (not compiled by anyone) and needs nothing but the module path given.
const WORKER_SOURCE = `'use strict';
const { workerData } = require('node:worker_threads');
const shared = new Int32Array(workerData.shared);
const setState = (state) => {
  Atomics.store(shared, ${Slot.state}, state);
  Atomics.notify(shared, ${Slot.state});
};
let db;
try {
  if (Atomics.compareExchange(shared, ${Slot.state}, ${State.NOT_OPEN}, ${State.WORKING}) === ${State.NOT_OPEN}) {
    const Database = require(workerData.modulePath);
    db = new Database(workerData.path, { fileMustExist: true, timeout: workerData.busyTimeoutMs });
    // Sync the WAL before copying it and the database after, as SQLite's own checkpoint does.
    db.pragma('synchronous = NORMAL');
    // Once every frame is copied, the next write starts the WAL over from its beginning and
    // syncs the new header. Writing the layout version back unchanged makes that write ours,
    // so that the sync is not in a commit of the writing thread. Under the write lock, and only
    // if the writing thread committed nothing since the checkpoint began (else frames are left).
    const restart = db.transaction((writes) => {
      if (Atomics.load(shared, ${Slot.writes}) !== writes) return false;
      db.pragma('user_version = ' + db.pragma('user_version', { simple: true }));
      return true;
    });
    let bell = 0;
    let retries = 0;
    for (;;) {
      setState(${State.IDLE});
      const wait = retries === 0 ? Infinity : ${FIRST_RETRY_MS} * 2 ** (retries - 1);
      Atomics.wait(shared, ${Slot.bell}, bell, wait);
      bell = Atomics.load(shared, ${Slot.bell});
      if (Atomics.compareExchange(shared, ${Slot.state}, ${State.IDLE}, ${State.WORKING}) !== ${State.IDLE}) break;
      // Woken by a ring (every so many commits) or to try again: either way, checkpoint.
      const writes = Atomics.load(shared, ${Slot.writes});
      // PASSIVE neither waits for the writing thread nor takes the write lock.
      const [result] = db.pragma('wal_checkpoint(PASSIVE)');
      Atomics.add(shared, ${Slot.checkpoints}, 1);
      const complete = result.busy === 0 && result.log === result.checkpointed;
      if (complete && Atomics.load(shared, ${Slot.writes}) === writes && restart.immediate(writes)) {
        retries = 0;
        Atomics.add(shared, ${Slot.completed}, 1);
      } else {
        retries = retries < ${MAX_RETRIES} ? retries + 1 : 0;
      }
    }
  }
} finally {
  try {
    if (db !== undefined) db.close();
  } finally {
    setState(${State.CLOSED});
  }
}
`;

export interface WalCheckpointerOptions {
  /** The database file, already in WAL mode. */
  readonly path: string;
  /** The better-sqlite3 class the writing connection uses; the worker loads the same module. */
  readonly Database: SqliteDatabaseConstructor;
  /** Milliseconds the worker's connection waits for a lock. @default 2000 */
  readonly busyTimeoutMs?: number;
  /** Commits between two checkpoints. @default {@link CHECKPOINT_EVERY_WRITES} */
  readonly everyWrites?: number;
}

/** What the worker has done, for tests and the benchmark. */
export interface WalCheckpointerStats {
  /** Whether the worker thread was started (it starts at the first `everyWrites` commits). */
  readonly started: boolean;
  /** Commits counted by {@link WalCheckpointer.wrote}. */
  readonly writes: number;
  /** Checkpoints the worker ran. */
  readonly checkpoints: number;
  /** Rounds that left the WAL fully copied, so that the next commit restarts it. */
  readonly completed: number;
}

/**
 * Runs SQLite's WAL checkpoints in a worker thread with a connection of its own, so that the
 * thread that writes never copies the WAL into the database nor waits for the disk to sync.
 *
 * @remarks
 * The writing connection calls {@link wrote} after each commit: an atomic add in memory shared
 * with the worker. Every `everyWrites` commits the worker wakes and runs a `PASSIVE` checkpoint,
 * which neither waits for nor blocks the writer. If it copied every frame and no commit came in
 * meanwhile, the worker makes one small write of its own (the layout version, written back
 * unchanged): SQLite starts the WAL over from its beginning in the first write after a complete
 * checkpoint, when no reader still uses old frames, and syncs the rewritten WAL header then;
 * that sync is the worker's, not a commit's of the writing thread. The `-wal` file stays near
 * `everyWrites` pages. The worker holds the write lock only for that write (0.3 to 0.6 ms here);
 * a commit arriving meanwhile waits for it, in SQLite's busy wait (1 ms at first).
 *
 * A commit that came in during the checkpoint leaves frames behind: the worker tries again after
 * 5, 10, 20 ms and so on, 8 times at most, then waits for the next `everyWrites` commits. At a
 * sustained rate of hundreds of commits a second it may never catch a quiet moment: the writing
 * connection's own automatic checkpoint (SQLite's `wal_autocheckpoint`) remains the bound then.
 *
 * The worker starts on a later turn of the event loop after the first `everyWrites` commits
 * (creating it takes 1.5 to 3 ms of this thread here, and short-lived stores never need it).
 * It takes about 7 MiB of memory, is unref'd (it never keeps a process alive), and loads
 * better-sqlite3 from the file of the module that exports `Database` (else it resolves
 * `better-sqlite3` from here). If it cannot start or fails, nothing else changes: SQLite's own
 * checkpoints go on in the writer's commits, as without it.
 */
export class WalCheckpointer {
  private readonly shared = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly everyWrites: number;
  private worker: Worker | undefined;
  private starting: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(private readonly options: WalCheckpointerOptions) {
    this.everyWrites = options.everyWrites ?? CHECKPOINT_EVERY_WRITES;
  }

  /** To call after each commit of the writing connection. */
  wrote(): void {
    const writes = Atomics.add(this.shared, Slot.writes, 1) + 1;
    if (writes % this.everyWrites !== 0 || this.closed) return;
    if (this.worker === undefined) {
      this.starting ??= setImmediate(() => this.start()).unref();
      return;
    }
    this.ring();
  }

  get stats(): WalCheckpointerStats {
    return {
      started: this.worker !== undefined,
      writes: Atomics.load(this.shared, Slot.writes),
      checkpoints: Atomics.load(this.shared, Slot.checkpoints),
      completed: Atomics.load(this.shared, Slot.completed),
    };
  }

  /**
   * Stops the worker. On return its connection is closed (or was never opened), unless it was
   * stuck for a second, in which case it is terminated.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.starting !== undefined) clearImmediate(this.starting);
    if (this.worker === undefined) return;

    const deadline = Date.now() + STOP_TIMEOUT_MS;
    for (;;) {
      const state = Atomics.load(this.shared, Slot.state);
      if (state === State.CLOSED) return;
      if (state === State.NOT_OPEN || state === State.IDLE) {
        const next = state === State.NOT_OPEN ? State.CLOSED : State.STOPPING;
        if (Atomics.compareExchange(this.shared, Slot.state, state, next) !== state) continue;
        if (next === State.CLOSED) return;
        this.ring();
        continue;
      }
      // WORKING or STOPPING: a checkpoint, or closing the connection, takes milliseconds.
      const left = deadline - Date.now();
      if (left <= 0) {
        void this.worker.terminate();
        return;
      }
      waitWhile(this.shared, Slot.state, state, left);
    }
  }

  private start(): void {
    this.starting = undefined;
    if (this.closed) return;
    const modulePath = locateModule(this.options.Database);
    if (modulePath === undefined) return;
    try {
      this.worker = new Worker(WORKER_SOURCE, {
        eval: true,
        // Not the app's flags (a TypeScript loader, an inspector port): the source is plain JS.
        execArgv: [],
        workerData: {
          shared: this.shared.buffer,
          path: this.options.path,
          modulePath,
          busyTimeoutMs: this.options.busyTimeoutMs ?? 2000,
        },
        resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 },
      });
    } catch {
      return;
    }
    this.worker.unref();
    // The worker reports nothing the store could act on: SQLite's own checkpoints take over.
    this.worker.on('error', () => {});
    this.ring();
  }

  private ring(): void {
    Atomics.add(this.shared, Slot.bell, 1);
    Atomics.notify(this.shared, Slot.bell);
  }
}

/** The file of the module whose export is `Database`, else better-sqlite3 as resolved from here. */
function locateModule(Database: SqliteDatabaseConstructor): string | undefined {
  try {
    const localRequire = createRequire(__filename);
    for (const loaded of Object.values(localRequire.cache)) {
      if (loaded?.exports === Database) return loaded.filename;
    }
    return localRequire.resolve('better-sqlite3');
  } catch {
    return undefined;
  }
}

/** Waits while `shared[index]` holds `value`, for `ms` at most; spins where blocking is refused. */
function waitWhile(shared: Int32Array, index: number, value: number, ms: number): void {
  try {
    Atomics.wait(shared, index, value, ms);
  } catch {
    const until = Date.now() + ms;
    while (Atomics.load(shared, index) === value && Date.now() < until);
  }
}
