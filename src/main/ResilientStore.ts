import type { StorageMechanism } from '../shared/entity';
import { ClientSessionError } from '../shared/errors';
import { createConsoleLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';
import { describeStoreError } from './describeStoreError';
import { MemorySessionStore } from './MemorySessionStore';
import { warnUnknownOptions } from './warnUnknownOptions';
import type { SessionStore, StoredSession } from './SessionStore';

export interface ResilientStoreOptions {
  /** The store to protect, usually a {@link SqliteSessionStore}. */
  readonly store: SessionStore;
  /** Where the one warning goes. @default a console logger at level `warn` */
  readonly logger?: Logger;
  /**
   * Milliseconds after a failure before the store is tried again; each failed try doubles the
   * wait, up to `maxRetryAfterMs`. `Infinity` never tries again.
   * @default 30000
   */
  readonly retryAfterMs?: number;
  /**
   * Longest wait between two tries, in milliseconds.
   * @default 1800000 (30 minutes)
   */
  readonly maxRetryAfterMs?: number;
  /** The time now, in epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
}

const KNOWN: Record<keyof ResilientStoreOptions, true> = {
  store: true,
  logger: true,
  retryAfterMs: true,
  maxRetryAfterMs: true,
  clock: true,
};

/**
 * Wraps any {@link SessionStore} so that a failure of it never reaches the app: the first error
 * (disk full, read-only folder, a lock held past the store's wait, a damaged file) is logged
 * once as a warning, and the session goes on in memory from the last state seen.
 *
 * @remarks
 * Recovery is automatic: the store is tried again at the next write after `retryAfterMs`, then
 * after waits that double up to `maxRetryAfterMs`. A try that works writes the session from
 * memory back (merged with what other processes wrote meanwhile) and the store is used again.
 * Meanwhile `durable` is `false` and `storageMechanism` is the memory store's
 * (`LOCAL_STORAGE`). What happened in memory is lost if the process ends before the store
 * works again; a {@link ClientSession} starts a new session when its store stops being
 * durable, so that no event index handed out from memory can be handed out again after a
 * restart from the older state on disk.
 */
export class ResilientStore implements SessionStore {
  private inner: SessionStore | undefined;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly firstWaitMs: number;
  private readonly maxWaitMs: number;

  /** Set while the session lives in memory. */
  private memory: MemorySessionStore | undefined;
  private failureCause: unknown;
  /** The newest session read from or written to the store: the seed of the memory store. */
  private last: StoredSession | undefined;
  private userId: string | undefined;
  private waitMs: number;
  private nextTryAt = Infinity;
  private probing = false;
  private probeFailed = false;
  private probeWrote = false;
  private warned = false;
  private closed = false;

  constructor(options: ResilientStoreOptions) {
    if (options === null || typeof options !== 'object' || !isStore(options.store)) {
      throw new ClientSessionError(
        'INVALID_OPTION',
        'new ResilientStore(options) needs options.store, a SessionStore to protect',
      );
    }
    this.inner = options.store;
    this.logger = options.logger ?? createConsoleLogger();
    warnUnknownOptions(options, KNOWN, 'new ResilientStore()', this.logger);
    this.clock = options.clock ?? Date.now;
    this.firstWaitMs = waitOption('retryAfterMs', options.retryAfterMs, 30_000);
    this.maxWaitMs = waitOption('maxRetryAfterMs', options.maxRetryAfterMs, 1_800_000);
    this.waitMs = this.firstWaitMs;
  }

  /**
   * A store that is in memory from the start, because the real one could not be opened; it
   * never tries again. The caller has already said why.
   *
   * `options.seed` is what could still be read from the store. Its user id is kept, and its
   * session continues as a new session at the first event (`sessionIndex` + 1,
   * `previousSessionId` the stored one): continuing the stored session itself would hand out
   * event indexes from memory that a later start from the file would hand out again.
   */
  static inMemory(
    failure: unknown,
    options: {
      readonly logger?: Logger;
      readonly seed?: { readonly userId?: string; readonly session?: StoredSession };
    } = {},
  ): ResilientStore {
    const { seed, ...rest } = options;
    const store = new ResilientStore({ store: new MemorySessionStore(), ...rest });
    store.inner = undefined;
    store.memory = new MemorySessionStore();
    const userId = seed?.userId ?? seed?.session?.userId;
    if (userId !== undefined) store.memory.claimUserId(userId);
    if (seed?.session !== undefined) {
      store.memory.setSession({ ...seed.session, newSessionDue: true });
    }
    store.failureCause = failure;
    store.warned = true;
    return store;
  }

  /** The wrapped store's while it works, the memory store's (`LOCAL_STORAGE`) after a failure. */
  get storageMechanism(): StorageMechanism {
    return (this.memory ?? (this.inner as SessionStore)).storageMechanism;
  }

  /** `false` while the session lives in memory. */
  get durable(): boolean {
    return this.memory === undefined && this.inner?.durable !== false;
  }

  /** The error that sent the session to memory, while it is there. */
  get failure(): unknown {
    return this.memory === undefined ? undefined : this.failureCause;
  }

  getSession(): StoredSession | undefined {
    this.assertOpen('getSession');
    return this.route(
      (store) => {
        const session = store.getSession();
        // What a probe reads may be older than memory: only a working store's reads are seeds.
        if (!this.probing && session !== undefined) this.remember(session);
        return session;
      },
      (memory) => memory.getSession(),
    );
  }

  setSession(session: StoredSession): void {
    this.assertOpen('setSession');
    this.remember(session);
    this.memory?.setSession(session);
    this.route(
      (store) => {
        store.setSession(session);
        if (this.probing) this.probeWrote = true;
      },
      () => undefined,
    );
  }

  deleteSession(): void {
    this.assertOpen('deleteSession');
    this.last = undefined;
    this.memory?.deleteSession();
    this.route(
      (store) => store.deleteSession(),
      () => undefined,
    );
  }

  claimUserId(candidate: string): string {
    this.assertOpen('claimUserId');
    return this.route(
      (store) => {
        const userId = store.claimUserId?.(candidate) ?? candidate;
        this.userId ??= userId;
        return userId;
      },
      (memory) => memory.claimUserId(candidate),
    );
  }

  transaction<T>(fn: () => T): T {
    this.assertOpen('transaction');
    if (this.memory !== undefined && this.inner !== undefined && this.clock() >= this.nextTryAt) {
      this.probing = true;
      this.probeFailed = false;
      this.probeWrote = false;
    }
    try {
      return this.runTransaction(fn);
    } finally {
      if (this.probing) this.endProbe();
    }
  }

  /**
   * Lets the next write try the wrapped store again at once, whatever is left of the wait. A
   * {@link ClientSession} asks for it before its last write in `close()`, so that a session kept
   * in memory since a failure reaches the disk when the store works again by then (a lock since
   * released): otherwise the next start would continue from the older state on disk.
   */
  retryNow(): void {
    if (this.memory !== undefined && this.inner !== undefined) this.nextTryAt = this.clock();
  }

  /**
   * Closes the wrapped store; a failure to close is logged and goes no further: as a warning
   * while the store was in use (its last write may be lost), at `debug` once it had already
   * failed and the run was kept in memory (that was said then). Any later call throws `CLOSED`:
   * a session continued on a closed store would work from memory and hand out again the indexes
   * a later start from the file hands out.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.inner?.close?.();
    } catch (error) {
      if (this.memory === undefined) {
        this.logger.warn(
          `the session store failed to close; what it had not written yet may be lost: ${describeStoreError(error)}`,
          error,
        );
      } else {
        this.logger.debug('the session store failed to close', error);
      }
    }
  }

  private runTransaction<T>(fn: () => T): T {
    const inner = this.inner;
    if (!this.usesInner() || inner === undefined || inner.transaction === undefined) return fn();

    let entered = false;
    let finished = false;
    let result: T | undefined;
    try {
      return inner.transaction(() => {
        entered = true;
        result = fn();
        finished = true;
        return result;
      });
    } catch (error) {
      // The callback's own error (not a store failure: those are caught inside) goes on.
      if ((entered && !finished) || isClosedError(error)) throw error;
      this.fail(error);
      // The commit failed after the callback ran: its writes are in memory already.
      if (finished) return result as T;
      // The transaction could not begin: run the callback against memory.
      return fn();
    }
  }

  private usesInner(): boolean {
    return this.memory === undefined || (this.probing && !this.probeFailed);
  }

  private route<T>(
    onStore: (store: SessionStore) => T,
    onMemory: (memory: MemorySessionStore) => T,
  ): T {
    if (this.usesInner() && this.inner !== undefined) {
      try {
        return onStore(this.inner);
      } catch (error) {
        // A store closed under us is the app's mistake, not a failure to ride out in memory.
        if (isClosedError(error)) throw error;
        this.fail(error);
      }
    }
    return onMemory(this.memory as MemorySessionStore);
  }

  private assertOpen(method: string): void {
    if (this.closed) {
      throw new ClientSessionError(
        'CLOSED',
        `${method}() was called on a session store after close(); open a new store (for ` +
          'example with openSqliteStore) for a new session',
      );
    }
  }

  private remember(session: StoredSession): void {
    this.last = { ...session };
    this.userId ??= session.userId;
  }

  private fail(error: unknown): void {
    if (this.probing) {
      if (!this.probeFailed) this.logger.debug('the session store still fails', error);
      this.probeFailed = true;
      return;
    }
    if (this.memory !== undefined) return;

    this.memory = new MemorySessionStore();
    if (this.userId !== undefined) this.memory.claimUserId(this.userId);
    if (this.last !== undefined) this.memory.setSession(this.last);
    this.failureCause = error;
    this.nextTryAt = this.clock() + this.waitMs;

    const message =
      `the session store failed: ${describeStoreError(error, pathOf(this.inner))}. ` +
      'Tracking goes on in memory; sessions are not kept across a restart until the store ' +
      `works again. It is tried again in ${formatWait(this.waitMs)}, then less often`;
    if (this.warned) {
      this.logger.info(message, error);
    } else {
      this.warned = true;
      this.logger.warn(message, error);
    }
  }

  private endProbe(): void {
    this.probing = false;
    if (this.probeFailed) {
      this.waitMs = Math.min(this.waitMs * 2, this.maxWaitMs);
      this.nextTryAt = this.clock() + this.waitMs;
      return;
    }
    // Only a write that went through proves the store works and puts the memory state back.
    if (!this.probeWrote) return;
    this.memory = undefined;
    this.failureCause = undefined;
    this.waitMs = this.firstWaitMs;
    this.nextTryAt = Infinity;
    this.logger.info('the session store works again; sessions are kept in it from now on');
  }
}

function isClosedError(error: unknown): boolean {
  return error instanceof ClientSessionError && error.code === 'CLOSED';
}

function formatWait(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

function waitOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      `options.${name} must be a number of milliseconds, 0 or more (Infinity: never)`,
    );
  }
  return value;
}

/** The file of a store that names one (as {@link SqliteSessionStore} does), for messages. */
function pathOf(store: SessionStore | undefined): string | undefined {
  const path = (store as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : undefined;
}

function isStore(value: unknown): value is SessionStore {
  const store = value as SessionStore | null | undefined;
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof store.getSession === 'function' &&
    typeof store.setSession === 'function'
  );
}
