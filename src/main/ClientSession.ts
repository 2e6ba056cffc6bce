import { randomUUID } from 'node:crypto';

import { ANONYMOUS_USER_ID } from '../shared/entity';
import type { ClientSessionEntity, SessionSnapshot } from '../shared/entity';
import { ClientSessionError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { SessionStore, StoredSession } from './SessionStore';
import { readSessionOptions } from './sessionOptions';
import { assertEventId, assertTimestamp, assertTimeoutSeconds } from './validate';

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
   * Seconds the clock may step backwards without ending the session.
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
type State = { -readonly [K in keyof StoredSession]: StoredSession[K] };

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

  private state: State;
  /** Last event index handed out in the current session by this instance. */
  private issued: number;
  /** Event index reserved in the store (the `eventIndex` last written). */
  private reserved: number;
  private reservationSize = MIN_RESERVATION;
  /** Clock time of the last reservation, to size the next one. */
  private reservedAt: number | null = null;
  /** What this instance last wrote or read of the store, to notice other writers. */
  private seen: { sessionId: string | null; eventIndex: number } = {
    sessionId: null,
    eventIndex: 0,
  };
  /** Clock time until which another writer counts as active (see SHARED_WINDOW_MS). */
  private sharedUntil = Number.NEGATIVE_INFINITY;
  private persistedLastActivity: number | null;
  private lastEntity: ClientSessionEntity | null = null;
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

    const stored = this.store.getSession();
    const now = this.clock();
    if (stored === undefined) {
      const candidate = randomUUID();
      const userId = this.store.claimUserId?.(candidate) ?? candidate;
      this.state = emptyState(userId, isBackground, this.anonymous);
      this.issued = 0;
      this.reserved = 0;
      this.persistedLastActivity = null;
      return;
    }

    this.state = { ...stored };
    this.seen = { sessionId: stored.sessionId, eventIndex: stored.eventIndex };
    this.issued = stored.eventIndex;
    this.reserved = stored.eventIndex;
    this.persistedLastActivity = stored.lastActivity;
    this.lastEntity = this.entityOf(this.issued);

    // A start is a transition out of "closed", and closed time counts as background time.
    if (this.state.sessionId !== null) {
      const due =
        !this.continueOnRestart ||
        stored.anonymous !== this.anonymous ||
        this.hasExpired(now, this.backgroundTimeoutMs);
      if (due) this.state.newSessionDue = true;
    }
    this.state.isBackground = isBackground;
    this.touch(now);
    this.persist();
  }

  /**
   * Assigns an event to a session and returns the `client_session` entity data for it. The
   * only operation that starts or rotates a session.
   *
   * @param eventId - the event's id (`eid`), a UUID
   * @param timestamp - the event's own timestamp in epoch milliseconds (`dtm`, or `ttm` when
   *   the caller set a true timestamp); becomes `firstEventTimestamp` for a session's first event
   */
  stamp(eventId: string, timestamp: number): ClientSessionEntity {
    this.assertOpen('stamp');
    assertEventId(eventId, 'stamp(eventId)');
    assertTimestamp(timestamp, 'stamp(timestamp)');
    const now = this.clock();

    let expired =
      this.state.sessionId === null ||
      this.state.newSessionDue ||
      this.hasExpired(now, this.currentTimeoutMs());
    if (!expired) {
      this.touch(now);
      const needsReservation = this.issued + 1 > this.reserved;
      const activityStale =
        this.persistedLastActivity === null ||
        now - this.persistedLastActivity >= LAST_ACTIVITY_FLUSH_MS;
      if (needsReservation || activityStale) this.persist();
      // The write may have learned that a new session is due: asked for by another process,
      // or the store went to memory (see persist).
      expired = this.state.newSessionDue;
    }
    const started = expired && this.startSession(eventId, timestamp, now);

    this.issued += 1;
    const entity = this.entityOf(this.issued);
    if (entity === null) {
      throw new ClientSessionError('INTERNAL', 'a session was started but is incomplete');
    }
    this.lastEntity = entity;
    if (started) this.emitStart(entity);
    if (expired) this.emitChange();
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

    this.markActivity(this.clock());
    this.state.isBackground = isBackground;
    this.persist();
    this.emitChange();
  }

  getIsBackground(): boolean {
    return this.state.isBackground;
  }

  /** The next event starts a new session. Stored at once, so it survives a restart. */
  startNewSession(): void {
    this.assertOpen('startNewSession');
    if (this.state.newSessionDue) return;
    this.state.newSessionDue = true;
    this.persist();
    this.emitChange();
  }

  /**
   * Records activity without an event (keep-alive): if the session has already expired the
   * next event starts a new one, otherwise its expiry moves forward.
   */
  extend(): void {
    this.assertOpen('extend');
    const wasDue = this.state.newSessionDue;
    this.markActivity(this.clock());
    if (this.state.newSessionDue !== wasDue) {
      this.persist();
      this.emitChange();
    } else if (
      this.persistedLastActivity === null ||
      (this.state.lastActivity ?? 0) - this.persistedLastActivity >= LAST_ACTIVITY_FLUSH_MS
    ) {
      this.persist();
    }
  }

  /**
   * Switches anonymous mode. A change starts a new session at the next event, so that no
   * session mixes anonymous and identified events.
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
    if (this.state.sessionId !== null) this.state.newSessionDue = true;
    this.persist();
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

  /** What the session looks like now. Never starts or rotates a session. */
  getSnapshot(): SessionSnapshot {
    const timeoutMs = this.currentTimeoutMs();
    const { lastActivity, newSessionDue, sessionId, isBackground } = this.state;
    const expiresAt =
      sessionId === null || newSessionDue || lastActivity === null
        ? null
        : lastActivity + timeoutMs;
    return {
      entity: this.lastEntity,
      isBackground,
      lastActivity,
      expiresAt,
      newSessionDue: sessionId === null || newSessionDue,
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
   */
  flush(): void {
    this.assertOpen('flush');
    this.persist(true);
  }

  /**
   * Writes the exact state (giving back unused reserved indexes) and closes the store.
   * Idempotent; any other call afterwards throws.
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
      this.persist(true);
    } finally {
      this.store.close?.();
    }
  }

  /** Whether the session is over, given the time now and a timeout. */
  private hasExpired(now: number, timeoutMs: number): boolean {
    const last = this.state.lastActivity;
    if (last === null) return false;
    return now - last > timeoutMs || now < last - this.toleranceMs;
  }

  private currentTimeoutMs(): number {
    return this.state.isBackground ? this.backgroundTimeoutMs : this.foregroundTimeoutMs;
  }

  /** Activity without an event: a transition or a keep-alive (SPEC 4 and 5). */
  private markActivity(now: number): void {
    if (this.state.sessionId !== null && this.hasExpired(now, this.currentTimeoutMs())) {
      this.state.newSessionDue = true;
      this.state.lastActivity = now;
      return;
    }
    this.touch(now);
  }

  /** Moves `lastActivity` forward, never back. */
  private touch(now: number): void {
    if (this.state.lastActivity === null || now > this.state.lastActivity) {
      this.state.lastActivity = now;
    }
  }

  /** Starts a new session for this event, or joins one another writer just started. */
  private startSession(eventId: string, timestamp: number, now: number): boolean {
    let started = true;
    this.transaction(() => {
      const stored = this.readStore();
      if (stored !== undefined) this.noticeOtherWriters(stored);
      if (stored !== undefined && this.canJoin(stored, now)) {
        // Processes (or instances) whose first events come at the same moment share a session.
        this.adopt(stored);
        this.state.newSessionDue = false;
        this.touch(now);
        this.write(false);
        started = false;
        return;
      }
      // Another process may have started sessions since we last looked: count past them.
      const base =
        stored !== undefined && stored.sessionIndex > this.state.sessionIndex ? stored : this.state;
      this.state = {
        ...this.state,
        // Leaving anonymous mode must not link the anonymous session to the real user.
        previousSessionId: base.anonymous && !this.anonymous ? null : base.sessionId,
        sessionId: randomUUID(),
        sessionIndex: base.sessionIndex + 1,
        eventIndex: 0,
        firstEventId: eventId,
        firstEventTimestamp: new Date(timestamp).toISOString(),
        lastActivity: now,
        newSessionDue: false,
        anonymous: this.anonymous,
      };
      this.issued = 0;
      this.reserved = 0;
      this.write(false);
    });
    return started;
  }

  /** Whether a session someone else started after ours is still live for this process. */
  private canJoin(stored: StoredSession, now: number): boolean {
    const last = stored.lastActivity;
    return (
      stored.sessionId !== null &&
      stored.sessionIndex > this.state.sessionIndex &&
      !stored.newSessionDue &&
      stored.anonymous === this.anonymous &&
      last !== null &&
      now - last <= this.currentTimeoutMs() &&
      now >= last - this.toleranceMs
    );
  }

  /**
   * Makes the state durable, reserving event indexes ahead. Reads the store first, inside one
   * transaction, so that another process using the same store is never contradicted: a newer
   * session there is adopted, indexes it reserved are skipped.
   */
  private persist(exact = false): void {
    const wasDurable = this.isDurable();
    this.transaction(() => {
      const stored = this.readStore();
      if (stored !== undefined) this.merge(stored);
      this.write(exact);
    });
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

  /** Another writer changed the store since we last wrote it: number events one at a time. */
  private noticeOtherWriters(stored: StoredSession): void {
    if (stored.sessionId !== this.seen.sessionId || stored.eventIndex !== this.seen.eventIndex) {
      this.sharedUntil = this.clock() + SHARED_WINDOW_MS;
    }
  }

  private merge(stored: StoredSession): void {
    this.noticeOtherWriters(stored);
    if (stored.sessionIndex > this.state.sessionIndex && stored.sessionId !== null) {
      this.adopt(stored);
    } else if (stored.sessionId === this.state.sessionId && stored.eventIndex > this.reserved) {
      // Someone else reserved indexes of this session beyond ours: never hand those out.
      this.issued = Math.max(this.issued, stored.eventIndex);
      this.reserved = stored.eventIndex;
      if (stored.newSessionDue) this.state.newSessionDue = true;
    }
  }

  /** Takes over a newer session from the store, skipping every index reserved in it. */
  private adopt(stored: StoredSession): void {
    this.state = {
      ...this.state,
      sessionId: stored.sessionId,
      previousSessionId: stored.previousSessionId,
      sessionIndex: stored.sessionIndex,
      firstEventId: stored.firstEventId,
      firstEventTimestamp: stored.firstEventTimestamp,
      newSessionDue: this.state.newSessionDue || stored.newSessionDue,
      anonymous: stored.anonymous,
    };
    this.issued = stored.eventIndex;
    this.reserved = stored.eventIndex;
  }

  private write(exact: boolean): void {
    let eventIndex: number;
    if (exact) {
      eventIndex = this.issued;
    } else {
      if (this.issued + 1 > this.reserved) this.reserved = this.issued + this.nextReservation();
      eventIndex = this.reserved;
    }
    this.state.eventIndex = eventIndex;
    this.store.setSession({ ...this.state });
    this.seen = { sessionId: this.state.sessionId, eventIndex };
    this.reserved = eventIndex;
    this.persistedLastActivity = this.state.lastActivity;
  }

  private nextReservation(): number {
    const now = this.clock();
    if (now < this.sharedUntil) return 1;
    const lasted = this.reservedAt === null ? null : now - this.reservedAt;
    if (lasted !== null && lasted >= 0 && lasted < 1000) {
      this.reservationSize = Math.min(this.reservationSize * 2, MAX_RESERVATION);
    } else if (lasted === null || lasted < 0) {
      this.reservationSize = MIN_RESERVATION;
    } else if (lasted >= 10_000) {
      this.reservationSize = Math.max(this.reservationSize / 2, MIN_RESERVATION);
    }
    this.reservedAt = now;
    return this.reservationSize;
  }

  private readStore(): StoredSession | undefined {
    return this.store.getSession();
  }

  private transaction(fn: () => void): void {
    if (this.store.transaction !== undefined) this.store.transaction(fn);
    else fn();
  }

  private entityOf(eventIndex: number): ClientSessionEntity | null {
    const s = this.state;
    if (s.sessionId === null || s.firstEventId === null || s.firstEventTimestamp === null) {
      return null;
    }
    const anonymous = s.anonymous;
    return {
      userId: anonymous ? ANONYMOUS_USER_ID : s.userId,
      sessionId: s.sessionId,
      sessionIndex: s.sessionIndex,
      eventIndex,
      previousSessionId: anonymous ? null : s.previousSessionId,
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

function subscribe<T>(set: Set<T>, listener: T, what: string): () => void {
  if (typeof listener !== 'function') {
    throw new ClientSessionError('INVALID_ARGUMENT', `${what} takes a function`);
  }
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}
