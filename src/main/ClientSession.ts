import { randomUUID } from 'node:crypto';

import { ANONYMOUS_USER_ID } from '../shared/entity';
import type { ClientSessionEntity, SessionSnapshot } from '../shared/entity';
import { ClientSessionError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { describeStoreError } from './describeStoreError';
import type { SessionStore, StoredSession } from './SessionStore';
import { readSessionOptions } from './sessionOptions';
import { isValidUserId, salvageStoredSession, storedSessionProblem } from './storedSession';
import type { EngineRecord } from './storedSession';
import { assertEventId, assertTimestamp, assertTimeoutSeconds, describeValue } from './validate';

export interface ClientSessionOptions {
  /** Where the session is kept between events and across restarts. */
  readonly store: SessionStore;
  /**
   * Seconds of inactivity in the foreground after which the next event starts a new session.
   * @default 1800
   */
  readonly foregroundTimeout?: number;
  /**
   * Seconds of inactivity in the background (and while the app is closed) after which the
   * next event starts a new session.
   * @default 1800
   */
  readonly backgroundTimeout?: number;
  /**
   * Continue the stored session after a restart when the app was closed for no longer than
   * the background timeout. `false` gives the mobile trackers' rule: the first event after
   * every start opens a new session.
   * @default true
   */
  readonly continueSessionOnRestart?: boolean;
  /**
   * Report the all-zero user id and no previous session id. The store keeps the real ids.
   * @default false
   */
  readonly anonymous?: boolean;
  /**
   * The time now, in epoch milliseconds.
   * @default Date.now
   */
  readonly clock?: () => number;
  /**
   * Whether the app starts in the background.
   * @default false
   */
  readonly isBackground?: boolean;
  /**
   * Seconds the clock may step backwards without ending the session; 0 ends it at any step back.
   * @default 60
   */
  readonly clockToleranceSeconds?: number;
  /** Where warnings go. @default a console logger at level `warn` */
  readonly logger?: Logger;
}

export type SessionStartListener = (entity: ClientSessionEntity) => void;
export type SessionChangeListener = (snapshot: SessionSnapshot) => void;

/**
 * How many event indexes a session reserves in the store ahead of use, at least and at most.
 * The store is written once per block instead of once per event; a crash leaves at most one
 * block unused. The block doubles while blocks last under a second (a busy app) and halves
 * again when they last ten, so quiet apps keep small gaps and busy ones rarely commit.
 */
const MIN_RESERVATION = 128;
const MAX_RESERVATION = 8192;

/**
 * How long, in milliseconds, another writer of the same store counts as active after it was
 * last seen. Meanwhile indexes are reserved one at a time, so that the writers' events are
 * numbered in the order they were stamped instead of in interleaved blocks.
 */
const SHARED_WINDOW_MS = 10_000;

/** `lastActivity` is written at least this often while events flow (SPEC 6: about a second). */
const LAST_ACTIVITY_FLUSH_MS = 1000;

/** Mutable working copy of the stored record. */
type State = { -readonly [K in keyof EngineRecord]-?: EngineRecord[K] };

/**
 * What a write may change. A write works on a copy (a draft), and the engine takes the copy
 * only once the store has taken the write: after a failed commit it is as it was, and never
 * hands out an index the store does not hold.
 */
interface Draft {
  state: State;
  /** Last event index handed out in the current session by this instance. */
  issued: number;
  /** Event index reserved in the store (the `eventIndex` last written). */
  reserved: number;
  reservationSize: number;
  /** Clock time of the last reservation, to size the next one. */
  reservedAt: number | null;
  /** Clock time until which another writer counts as active (see SHARED_WINDOW_MS). */
  sharedUntil: number;
}

/**
 * A Snowplow client session: decides, for each event, which session it belongs to and its
 * index within it, and keeps that state in a {@link SessionStore}.
 *
 * @remarks
 * Knows nothing of Electron or of Snowplow payloads; the tracker plugins and the Electron
 * wiring are adapters around it. Sessions are judged lazily: only {@link stamp} starts or
 * rotates one.
 */
export class ClientSession {
  private readonly store: SessionStore;
  private readonly clock: () => number;
  private readonly logger: Logger;
  private readonly toleranceMs: number;
  private readonly continueOnRestart: boolean;
  private foregroundTimeoutMs: number;
  private backgroundTimeoutMs: number;
  private anonymous: boolean;

  // What a write changes (see Draft).
  private state: State;
  private issued: number;
  private reserved: number;
  private reservationSize = MIN_RESERVATION;
  private reservedAt: number | null = null;
  private sharedUntil = Number.NEGATIVE_INFINITY;

  /** What this instance last wrote or read of the store, to notice other writers. */
  private seen: { sessionId: string | null; eventIndex: number } = {
    sessionId: null,
    eventIndex: 0,
  };
  private persistedLastActivity: number | null;
  /** The entity of the last event this instance stamped. */
  private lastEntity: ClientSessionEntity | null = null;
  /** Whether the store's content was found unusable once already (said once, then at debug). */
  private warnedContent = false;
  private closed = false;

  private readonly startListeners = new Set<SessionStartListener>();
  private readonly changeListeners = new Set<SessionChangeListener>();
  private readonly failedListeners = new WeakSet<object>();

  constructor(options: ClientSessionOptions) {
    const config = readSessionOptions(options);
    this.store = config.store;
    this.clock = config.clock;
    this.logger = config.logger;
    this.foregroundTimeoutMs = config.foregroundTimeoutMs;
    this.backgroundTimeoutMs = config.backgroundTimeoutMs;
    this.toleranceMs = config.toleranceMs;
    this.continueOnRestart = config.continueOnRestart;
    this.anonymous = config.anonymous;
    const isBackground = config.isBackground;

    const read = this.storeCall('read the session', () => this.store.getSession());
    const stored = this.checked(read);
    const now = this.clock();
    if (stored === undefined) {
      // A record that cannot be used gives what it can: the user id and the count of sessions.
      const salvaged = read === undefined || read === null ? undefined : salvageStoredSession(read);
      this.state = emptyState(salvaged?.userId ?? this.claimUserId(), isBackground, this.anonymous);
      this.state.sessionIndex = salvaged?.sessionIndex ?? 0;
      this.issued = 0;
      this.reserved = 0;
      this.persistedLastActivity = null;
      // Replaced at once, so that the next start finds a record it can use.
      if (salvaged !== undefined) this.persist();
      return;
    }

    this.state = toState(stored);
    this.seen = { sessionId: stored.sessionId, eventIndex: stored.eventIndex };
    this.issued = stored.eventIndex;
    this.reserved = stored.eventIndex;
    this.persistedLastActivity = stored.lastActivity;

    // A start is a transition out of "closed", and closed time counts as background time: from
    // the quit after close(), which records it, from the last activity after a crash.
    if (this.state.sessionId !== null) {
      const due =
        !this.continueOnRestart || this.isOver(stored.lastActivity, now, this.backgroundTimeoutMs);
      if (due) this.state.newSessionDue = true;
    }
    this.state.isBackground = isBackground;
    touch(this.state, now);
    this.persist();
  }

  /**
   * Assigns an event to a session and returns the `client_session` entity data for it. The
   * only operation that starts or rotates a session.
   *
   * @param eventId - the event's id (`eid`), a UUID
   * @param timestamp - the event's own timestamp in epoch milliseconds (`dtm`, or `ttm` when
   *   the caller set a true timestamp); becomes `firstEventTimestamp` for a session's first event
   * @throws `STORE_FAILED` when the store cannot be read or written (a store wrapped in a
   *   `ResilientStore`, as `openSqliteStore` gives, never fails); the session is then as it was
   *   before the call
   */
  stamp(eventId: string, timestamp: number): ClientSessionEntity {
    this.assertOpen('stamp');
    assertEventId(eventId, 'stamp(eventId)');
    assertTimestamp(timestamp, 'stamp(timestamp)');
    const now = this.clock();
    const sessionBefore = this.state.sessionId;

    let due = this.isDue();
    const timedOut = !due && this.isOver(this.state.lastActivity, now, this.currentTimeoutMs());
    if (!due && !timedOut) {
      if (this.issued >= this.reserved || this.activityStale(now)) {
        this.persist((d) => touch(d.state, now));
        // The write may have learned that a new session is due: asked for by another process, a
        // session of the other mode found, or the store went to memory (see persist).
        due = this.isDue();
      } else {
        touch(this.state, now);
      }
    }
    const started = (due || timedOut) && this.startSession(eventId, timestamp, now, timedOut);

    if (this.issued >= this.reserved) {
      throw new ClientSessionError('INTERNAL', 'no event index is reserved in the store');
    }
    this.issued += 1;
    const entity = this.entityOf(this.issued);
    if (entity === null) {
      throw new ClientSessionError('INTERNAL', 'a session was started but is incomplete');
    }
    this.lastEntity = entity;
    if (started) this.emitStart(entity);
    if (due || timedOut || this.state.sessionId !== sessionBefore) this.emitChange();
    return entity;
  }

  /**
   * Tells the session whether the app is in the background. A change counts as activity: if
   * the session has expired under the timeout of the state being left, the next event starts
   * a new one. Repeating the current state does nothing.
   */
  setIsBackground(isBackground: boolean): void {
    this.assertOpen('setIsBackground');
    if (typeof isBackground !== 'boolean') {
      throw new ClientSessionError(
        'INVALID_ARGUMENT',
        `setIsBackground(isBackground) takes a boolean, got ${typeof isBackground}`,
      );
    }
    if (isBackground === this.state.isBackground) return;

    const now = this.clock();
    this.persist((d) => {
      this.markActivity(d, now);
      d.state.isBackground = isBackground;
    });
    this.emitChange();
  }

  getIsBackground(): boolean {
    return this.state.isBackground;
  }

  /** The next event starts a new session. Stored at once, so it survives a restart. */
  startNewSession(): void {
    this.assertOpen('startNewSession');
    const wasDue = this.state.newSessionDue;
    // Written even when this instance had a request already: another process on the store may
    // have started a session since, which answered that one but not this.
    this.persist((d) => {
      d.state.newSessionDue = true;
    });
    if (!wasDue) this.emitChange();
  }

  /**
   * Records activity without an event (keep-alive): if the session has already expired the
   * next event starts a new one, otherwise its expiry moves forward.
   */
  extend(): void {
    this.assertOpen('extend');
    const now = this.clock();
    const expired =
      this.state.sessionId !== null &&
      this.isOver(this.state.lastActivity, now, this.currentTimeoutMs());
    if (!expired && !this.activityStale(now)) {
      touch(this.state, now);
      return;
    }
    const wasDue = this.isDue();
    // Judged again on what the store holds: another process may have kept the session alive.
    this.persist((d) => this.markActivity(d, now));
    if (this.isDue() !== wasDue) this.emitChange();
  }

  /**
   * Switches anonymous mode. The next event starts a new session when the current one was
   * started in the other mode, so that no session mixes anonymous and identified events;
   * switching back before any event keeps the session. Nothing is written: the mode is this
   * instance's, and another instance on the same store keeps its own.
   */
  setAnonymous(anonymous: boolean): void {
    this.assertOpen('setAnonymous');
    if (typeof anonymous !== 'boolean') {
      throw new ClientSessionError(
        'INVALID_ARGUMENT',
        `setAnonymous(anonymous) takes a boolean, got ${typeof anonymous}`,
      );
    }
    if (anonymous === this.anonymous) return;
    this.anonymous = anonymous;
    this.emitChange();
  }

  getAnonymous(): boolean {
    return this.anonymous;
  }

  /** Changes the foreground timeout, in seconds, from now on. */
  setForegroundTimeout(seconds: number): void {
    this.assertOpen('setForegroundTimeout');
    assertTimeoutSeconds(seconds, 'setForegroundTimeout(seconds)');
    this.foregroundTimeoutMs = seconds * 1000;
    this.emitChange();
  }

  /** Changes the background timeout, in seconds, from now on. */
  setBackgroundTimeout(seconds: number): void {
    this.assertOpen('setBackgroundTimeout');
    assertTimeoutSeconds(seconds, 'setBackgroundTimeout(seconds)');
    this.backgroundTimeoutMs = seconds * 1000;
    this.emitChange();
  }

  /**
   * What the session looks like now. Never starts or rotates a session, and never reads the
   * store: `entity` is the one of the last event this instance stamped (`null` before its
   * first, also after a restart), so that it never shows an index that was not handed out.
   */
  getSnapshot(): SessionSnapshot {
    const timeoutMs = this.currentTimeoutMs();
    const { lastActivity, isBackground } = this.state;
    const due = this.isDue();
    return {
      entity: this.lastEntity,
      isBackground,
      lastActivity,
      expiresAt: due || lastActivity === null ? null : lastActivity + timeoutMs,
      newSessionDue: due,
      timeoutSeconds: timeoutMs / 1000,
    };
  }

  /** Calls `listener` with the first entity of every new session. Returns an unsubscribe. */
  onSessionStart(listener: SessionStartListener): () => void {
    return subscribe(this.startListeners, listener, 'onSessionStart(listener)');
  }

  /**
   * Calls `listener` with a fresh snapshot when a session starts, the app moves between
   * foreground and background, a new session is requested or a setting changes; not on every
   * event. Returns an unsubscribe.
   */
  onChange(listener: SessionChangeListener): () => void {
    return subscribe(this.changeListeners, listener, 'onChange(listener)');
  }

  /**
   * Writes the exact state now, giving back unused reserved indexes, and goes on. Never needed
   * for durability (every change that matters is already committed); it keeps `eventIndex`
   * free of gaps across a restart that follows, for example when the app is about to quit.
   *
   * @remarks
   * Unlike {@link close}, it is no activity: an app may flush at any time, and a quit announced
   * (Electron's `will-quit`) may still be cancelled.
   */
  flush(): void {
    this.assertOpen('flush');
    this.persist(undefined, true);
  }

  /**
   * Ends the session's use in this process, as a quit: judged like a transition (a session
   * already expired under the current state's timeout makes the next start open a new one),
   * then the time of the close is stored as the last activity, so that the next start counts
   * the time closed from here, under the background timeout. Writes the exact state (giving
   * back unused reserved indexes) and closes the store. Idempotent; any other call afterwards
   * throws.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.startListeners.clear();
    this.changeListeners.clear();
    try {
      // A session kept in memory since a store failure gets one more chance to reach the disk,
      // so that the next start does not continue from the older state there.
      this.store.retryNow?.();
      const now = this.clock();
      this.persist((d) => this.markActivity(d, now), true);
    } finally {
      this.store.close?.();
    }
  }

  /** Whether a session whose last activity was at `last` is over at `now` under a timeout. */
  private isOver(last: number | null, now: number, timeoutMs: number): boolean {
    if (last === null) return false;
    return now - last > timeoutMs || now < last - this.toleranceMs;
  }

  /**
   * Whether the next event starts a new session whatever the time: there is none, one was asked
   * for, or the session is of the other mode (one another instance started).
   */
  private isDue(state: State = this.state): boolean {
    return state.sessionId === null || state.newSessionDue || state.anonymous !== this.anonymous;
  }

  private timeoutOf(isBackground: boolean): number {
    return isBackground ? this.backgroundTimeoutMs : this.foregroundTimeoutMs;
  }

  private currentTimeoutMs(): number {
    return this.timeoutOf(this.state.isBackground);
  }

  private activityStale(now: number): boolean {
    const persisted = this.persistedLastActivity;
    return persisted === null || now - persisted >= LAST_ACTIVITY_FLUSH_MS;
  }

  /** Activity without an event: a transition, a keep-alive or a quit (SPEC 4 and 5). */
  private markActivity(d: Draft, now: number): void {
    const s = d.state;
    if (s.sessionId !== null && this.isOver(s.lastActivity, now, this.timeoutOf(s.isBackground))) {
      s.newSessionDue = true;
      s.lastActivity = now;
      return;
    }
    touch(s, now);
  }

  /** Starts a new session for this event, or joins one another writer keeps alive. */
  private startSession(
    eventId: string,
    timestamp: number,
    now: number,
    timedOut: boolean,
  ): boolean {
    let started = true;
    this.commit((d, stored) => {
      started = true;
      const join =
        stored !== undefined &&
        (this.canJoin(d, stored, now) || (timedOut && this.keptAlive(d, stored, now)));
      if (join) {
        // Processes (or instances) whose first events come at the same moment share a session,
        // and one that stamps rarely does not cut the session another keeps going.
        this.merge(d, stored);
        d.state.newSessionDue = false;
        touch(d.state, now);
        started = false;
        return;
      }
      // Another process may have started sessions since we last looked: count past them.
      const base =
        stored !== undefined && stored.sessionIndex > d.state.sessionIndex ? stored : d.state;
      const previousSessionId = base.sessionId;
      const previousAnonymous = base.sessionId !== null && base.anonymous;
      const sessionIndex = base.sessionIndex + 1;
      const s = d.state;
      // The store keeps the real id; the entity leaves it out after an anonymous session.
      s.previousSessionId = previousSessionId;
      s.previousAnonymous = previousAnonymous;
      s.sessionId = randomUUID();
      s.sessionIndex = sessionIndex;
      s.eventIndex = 0;
      s.firstEventId = eventId;
      s.firstEventTimestamp = new Date(timestamp).toISOString();
      s.lastActivity = now;
      s.newSessionDue = false;
      s.anonymous = this.anonymous;
      d.issued = 0;
      d.reserved = 0;
    }, false);
    return started;
  }

  /** Whether a session someone else started after ours is still live for this process. */
  private canJoin(d: Draft, stored: StoredSession, now: number): boolean {
    return (
      stored.sessionId !== null &&
      stored.sessionIndex > d.state.sessionIndex &&
      !stored.newSessionDue &&
      stored.anonymous === this.anonymous &&
      stored.lastActivity !== null &&
      !this.isOver(stored.lastActivity, now, this.timeoutOf(d.state.isBackground))
    );
  }

  /**
   * Whether another writer was active in our session after our own last activity, so that it is
   * still live although it expired by what this instance saw. Judged on that writer's activity
   * under the timeout of the state it recorded with it (SPEC 3: the state before the event).
   */
  private keptAlive(d: Draft, stored: StoredSession, now: number): boolean {
    const last = stored.lastActivity;
    return (
      stored.sessionId !== null &&
      stored.sessionId === d.state.sessionId &&
      !stored.newSessionDue &&
      stored.anonymous === this.anonymous &&
      last !== null &&
      last > (d.state.lastActivity ?? Number.NEGATIVE_INFINITY) &&
      !this.isOver(last, now, this.timeoutOf(stored.isBackground))
    );
  }

  /**
   * Makes the state, changed by `edit`, durable, reserving event indexes ahead. Reads the store
   * first, inside one transaction, and merges what it holds before `edit` judges anything, so
   * that another process using the same store is never contradicted: a newer session there is
   * adopted, indexes it reserved are skipped, its later activity is kept.
   */
  private persist(edit?: (d: Draft) => void, exact = false): void {
    const wasDurable = this.isDurable();
    this.commit((d, stored) => {
      if (stored !== undefined) this.merge(d, stored);
      edit?.(d);
    }, exact);
    // The store just went to memory: what it reserves now would be lost with the process, and
    // a restart from the older stored state would hand out those indexes of this session again.
    // A session the store never saw cannot collide.
    if (wasDurable && !this.isDurable() && this.state.sessionId !== null) {
      this.state.newSessionDue = true;
    }
  }

  private isDurable(): boolean {
    return this.store.durable !== false;
  }

  /**
   * Reads the store, lets `change` work on a draft of the engine, and writes the draft, all in
   * one transaction. The engine takes the draft only once the transaction has returned.
   */
  private commit(
    change: (d: Draft, stored: StoredSession | undefined) => void,
    exact: boolean,
  ): void {
    let written = undefined as Draft | undefined;
    this.transaction(() => {
      written = undefined;
      const d = this.draft();
      const stored = this.readStore();
      if (stored !== undefined) this.noticeOtherWriters(d, stored);
      change(d, stored);
      this.write(d, exact);
      written = d;
    });
    if (written === undefined) {
      throw new ClientSessionError(
        'STORE_FAILED',
        "the session store's transaction(fn) returned without calling fn; nothing was written",
      );
    }
    this.keep(written);
  }

  private draft(): Draft {
    return {
      state: toState(this.state),
      issued: this.issued,
      reserved: this.reserved,
      reservationSize: this.reservationSize,
      reservedAt: this.reservedAt,
      sharedUntil: this.sharedUntil,
    };
  }

  private keep(d: Draft): void {
    this.state = d.state;
    this.issued = d.issued;
    this.reserved = d.reserved;
    this.reservationSize = d.reservationSize;
    this.reservedAt = d.reservedAt;
    this.sharedUntil = d.sharedUntil;
    this.seen = { sessionId: d.state.sessionId, eventIndex: d.state.eventIndex };
    this.persistedLastActivity = d.state.lastActivity;
  }

  /** Another writer changed the store since we last wrote it: number events one at a time. */
  private noticeOtherWriters(d: Draft, stored: StoredSession): void {
    if (stored.sessionId !== this.seen.sessionId || stored.eventIndex !== this.seen.eventIndex) {
      d.sharedUntil = this.clock() + SHARED_WINDOW_MS;
    }
  }

  private merge(d: Draft, stored: StoredSession): void {
    if (stored.sessionId === null) return;
    if (stored.sessionIndex > d.state.sessionIndex) {
      this.adopt(d, stored);
    } else if (stored.sessionId === d.state.sessionId) {
      // Someone else reserved indexes of this session beyond ours: never hand those out.
      if (stored.eventIndex > d.reserved) {
        d.issued = Math.max(d.issued, stored.eventIndex);
        d.reserved = stored.eventIndex;
      }
      if (stored.newSessionDue) d.state.newSessionDue = true;
      d.state.lastActivity = later(d.state.lastActivity, stored.lastActivity);
    }
  }

  /**
   * Takes over a newer session from the store, skipping every index reserved in it. A new
   * session this instance had due is the one found (as when joining it in startSession); what
   * is asked for now is applied after the merge. One of the other mode is taken as it is, so
   * that the store keeps naming it rightly; the next event starts a session of this instance's
   * mode (see isDue) instead of reporting it.
   */
  private adopt(d: Draft, stored: StoredSession): void {
    const s = d.state;
    s.sessionId = stored.sessionId;
    s.previousSessionId = stored.previousSessionId;
    s.previousAnonymous = (stored as EngineRecord).previousAnonymous === true;
    s.sessionIndex = stored.sessionIndex;
    s.firstEventId = stored.firstEventId;
    s.firstEventTimestamp = stored.firstEventTimestamp;
    s.lastActivity = later(s.lastActivity, stored.lastActivity);
    s.newSessionDue = stored.newSessionDue;
    s.anonymous = stored.anonymous;
    d.issued = stored.eventIndex;
    d.reserved = stored.eventIndex;
  }

  private write(d: Draft, exact: boolean): void {
    if (exact) {
      d.state.eventIndex = d.issued;
    } else {
      // A session that is over needs no more indexes: the next event starts another.
      if (d.issued >= d.reserved && !this.isDue(d.state)) {
        d.reserved = d.issued + this.nextReservation(d);
      }
      d.state.eventIndex = d.reserved;
    }
    d.reserved = d.state.eventIndex;
    const record: State = { ...d.state };
    this.storeCall('write the session', () => this.store.setSession(record));
  }

  private nextReservation(d: Draft): number {
    const now = this.clock();
    if (now < d.sharedUntil) return 1;
    const lasted = d.reservedAt === null ? null : now - d.reservedAt;
    if (lasted !== null && lasted >= 0 && lasted < 1000) {
      d.reservationSize = Math.min(d.reservationSize * 2, MAX_RESERVATION);
    } else if (lasted === null || lasted < 0) {
      d.reservationSize = MIN_RESERVATION;
    } else if (lasted >= 10_000) {
      d.reservationSize = Math.max(d.reservationSize / 2, MIN_RESERVATION);
    }
    d.reservedAt = now;
    return d.reservationSize;
  }

  /** The store's record, checked: one that cannot be used counts as none. */
  private readStore(): StoredSession | undefined {
    return this.checked(this.storeCall('read the session', () => this.store.getSession()));
  }

  /**
   * Every record a store returns passes here, as it is read (never per event): a store can
   * return anything, and an entity made from a bad record would be refused downstream.
   */
  private checked(value: StoredSession | undefined | null): StoredSession | undefined {
    if (value === undefined || value === null) return undefined;
    const problem = storedSessionProblem(value);
    if (problem === undefined) return value;
    this.warnContent(
      `the session store returned a session that cannot be used (it ${problem}); a new ` +
        'session starts in its place, keeping its user id when that is valid',
    );
    return undefined;
  }

  /** The installation's user id from the store, or a new one. */
  private claimUserId(): string {
    const candidate = randomUUID();
    const claimed = this.storeCall('claim the user id', () => this.store.claimUserId?.(candidate));
    if (claimed === undefined || isValidUserId(claimed)) return claimed ?? candidate;
    this.warnContent(
      `the session store holds a user id that is not a lowercase UUID ` +
        `(${describeValue(claimed)}); this start uses a new one`,
    );
    return candidate;
  }

  private warnContent(message: string): void {
    if (this.warnedContent) {
      this.logger.debug(message);
      return;
    }
    this.warnedContent = true;
    this.logger.warn(message);
  }

  private transaction(fn: () => void): void {
    if (this.store.transaction === undefined) {
      fn();
      return;
    }
    let own = undefined as { error: unknown } | undefined;
    try {
      this.store.transaction(() => {
        try {
          fn();
        } catch (error) {
          own = { error };
          throw error;
        }
      });
    } catch (error) {
      // The callback's own error (a read or write of the store inside it, already told) goes on.
      if (own !== undefined) throw own.error;
      throw this.storeFailed('commit the session', error);
    }
  }

  /** Runs one call of the store; see storeFailed. */
  private storeCall<T>(what: string, call: () => T): T {
    try {
      return call();
    } catch (error) {
      throw this.storeFailed(what, error);
    }
  }

  /**
   * A failure of the store as this package reports it: `STORE_FAILED`, prefixed, the store's
   * error as the cause. Errors of this package (a store used after `close()`) go on as they are.
   */
  private storeFailed(what: string, error: unknown): unknown {
    if (error instanceof ClientSessionError) return error;
    return new ClientSessionError(
      'STORE_FAILED',
      `the session store could not ${what}: ${describeStoreError(error, pathOf(this.store))}. ` +
        'Nothing was changed. Wrap the store in a ResilientStore (openSqliteStore does) to ' +
        'go on in memory through such failures',
      { cause: error },
    );
  }

  private entityOf(eventIndex: number): ClientSessionEntity | null {
    const s = this.state;
    if (s.sessionId === null || s.firstEventId === null || s.firstEventTimestamp === null) {
      return null;
    }
    // Either mode hides the real ids; stamp() never reports a session of the other mode anyway.
    const anonymous = s.anonymous || this.anonymous;
    return {
      userId: anonymous ? ANONYMOUS_USER_ID : s.userId,
      sessionId: s.sessionId,
      sessionIndex: s.sessionIndex,
      eventIndex,
      // Null while anonymous, and in the session after an anonymous one: naming the anonymous
      // session next to the real user id would tie its events to that user.
      previousSessionId: anonymous || s.previousAnonymous ? null : s.previousSessionId,
      storageMechanism: this.store.storageMechanism,
      firstEventId: s.firstEventId,
      firstEventTimestamp: s.firstEventTimestamp,
    };
  }

  private emitStart(entity: ClientSessionEntity): void {
    for (const listener of [...this.startListeners]) {
      this.safeCall('onSessionStart', listener, () => listener(entity));
    }
  }

  private emitChange(): void {
    if (this.changeListeners.size === 0) return;
    const snapshot = this.getSnapshot();
    for (const listener of [...this.changeListeners]) {
      this.safeCall('onChange', listener, () => listener(snapshot));
    }
  }

  /** Runs a listener so that nothing it does, thrown or rejected, reaches tracking. */
  private safeCall(name: string, listener: object, call: () => unknown): void {
    try {
      const result = call();
      if (result instanceof Promise) {
        result.catch((error: unknown) => this.listenerFailed(name, listener, error));
      }
    } catch (error) {
      this.listenerFailed(name, listener, error);
    }
  }

  /** Each failing listener is reported once at `error`, then at `debug`. */
  private listenerFailed(name: string, listener: object, error: unknown): void {
    if (this.failedListeners.has(listener)) {
      this.logger.debug(`an ${name} listener failed again`, error);
      return;
    }
    this.failedListeners.add(listener);
    this.logger.error(
      `an ${name} listener failed; tracking goes on (its further failures are logged at debug)`,
      error,
    );
  }

  private assertOpen(method: string): void {
    if (this.closed) {
      throw new ClientSessionError(
        'CLOSED',
        `${method}() was called after close(); a closed session is not used again: create ` +
          'a new ClientSession, on a new store',
      );
    }
  }
}

function emptyState(userId: string, isBackground: boolean, anonymous: boolean): State {
  return {
    version: 1,
    userId,
    sessionId: null,
    previousSessionId: null,
    previousAnonymous: false,
    sessionIndex: 0,
    eventIndex: 0,
    firstEventId: null,
    firstEventTimestamp: null,
    lastActivity: null,
    isBackground,
    newSessionDue: false,
    anonymous,
  };
}

/**
 * The engine's working copy of a record: its known keys only, always in one object shape (a
 * spread copy would give the state the hot path reads a slower shape).
 */
function toState(stored: EngineRecord): State {
  return {
    version: 1,
    userId: stored.userId,
    sessionId: stored.sessionId,
    previousSessionId: stored.previousSessionId,
    previousAnonymous: stored.previousAnonymous === true,
    sessionIndex: stored.sessionIndex,
    eventIndex: stored.eventIndex,
    firstEventId: stored.firstEventId,
    firstEventTimestamp: stored.firstEventTimestamp,
    lastActivity: stored.lastActivity,
    isBackground: stored.isBackground,
    newSessionDue: stored.newSessionDue,
    anonymous: stored.anonymous,
  };
}

/** Moves `lastActivity` forward, never back. */
function touch(state: State, now: number): void {
  if (state.lastActivity === null || now > state.lastActivity) state.lastActivity = now;
}

function later(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  return b === null ? a : Math.max(a, b);
}

/** The file of a store that names one (as {@link SqliteSessionStore} does), for messages. */
function pathOf(store: SessionStore): string | undefined {
  const path = (store as { path?: unknown }).path;
  return typeof path === 'string' ? path : undefined;
}

function subscribe<T>(set: Set<T>, listener: T, what: string): () => void {
  if (typeof listener !== 'function') {
    throw new ClientSessionError('INVALID_ARGUMENT', `${what} takes a function`);
  }
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}
