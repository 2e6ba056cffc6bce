import type { StorageMechanism } from '../shared/entity';

/**
 * The state a store keeps for one session. Plain JSON: stores may serialise it as they
 * like, but must give back what they were given, keys this type does not name included (the
 * engine adds `previousAnonymous`, whether the session before was anonymous).
 *
 * @remarks
 * The engine checks every record a store returns. One it cannot use (a key missing, an id that
 * is not a lowercase UUID, an index that is not a whole number in the schema's range) is
 * reported once and replaced by a new session that keeps whatever valid user id and session
 * count it held. A store whose calls throw makes the engine's call throw `STORE_FAILED`, the
 * store's error as its `cause`; `createClientSession` wraps every store in a `ResilientStore`,
 * which keeps the run going in memory instead.
 */
export interface StoredSession {
  /** Layout version of this record; a store refuses records newer than it knows. */
  readonly version: 1;
  /** The installation's user id (the real one, also in anonymous mode). */
  readonly userId: string;
  /** `null` until the first event starts the first session. */
  readonly sessionId: string | null;
  readonly previousSessionId: string | null;
  /** 0 until the first session starts. */
  readonly sessionIndex: number;
  /**
   * The highest event index that may have been issued in this session. A running session
   * reserves indexes ahead of use, so after a crash the next index is above every one that
   * was handed out.
   */
  readonly eventIndex: number;
  readonly firstEventId: string | null;
  readonly firstEventTimestamp: string | null;
  /** Epoch milliseconds of the last event, transition or keep-alive. */
  readonly lastActivity: number | null;
  readonly isBackground: boolean;
  /** The next event starts a new session (requested, or found expired at a transition). */
  readonly newSessionDue: boolean;
  /** Whether the current session was started in anonymous mode. */
  readonly anonymous: boolean;
}

/**
 * Where a session lives between events and across restarts. Synchronous on purpose, so that
 * stamping an event needs no `await`; the three calls mirror the Snowplow C++ tracker's
 * `SessionStore`.
 */
export interface SessionStore {
  /** Reported as `storageMechanism` in the entity. */
  readonly storageMechanism: StorageMechanism;
  /**
   * `false` while writes are not kept across a restart although they were before (a
   * {@link ResilientStore} gone to memory). The engine then starts a new session, so that no
   * index issued from memory is issued again after a restart from the older stored state.
   * Stores whose durability never changes leave it out.
   */
  readonly durable?: boolean;
  /** The stored session, or `undefined` when there is none. */
  getSession(): StoredSession | undefined;
  setSession(session: StoredSession): void;
  deleteSession(): void;
  /**
   * Runs `fn` so that no other writer of the same store interleaves (a database
   * transaction). Stores used by one process only may leave it out.
   */
  transaction?<T>(fn: () => T): T;
  /**
   * Returns the installation's user id, storing `candidate` first when there is none yet.
   * Lets several named sessions in one store share one user id.
   */
  claimUserId?(candidate: string): string;
  /**
   * Asks a store that went to memory after a failure to try its real storage again at the next
   * write, whatever is left of its wait. Called by the session before its last write in
   * `close()`. Stores that never fall back leave it out.
   */
  retryNow?(): void;
  /** Flushes and releases the store. Further calls are errors. */
  close?(): void;
}
