// Random sequences of stamps, transitions, clock jumps, new-session requests, mode changes and
// restarts: one instance checked against a small reference model written straight from SPEC
// 3-6, and two instances on one store (two processes of one app) checked against what must
// hold across them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { ClientSession, SqliteSessionStore } from '../src/main';
import type { ClientSessionEntity } from '../src/main';
import { eventId } from './support/ids';
import { assertValidClientSession } from './support/schemas';
import { tempDir } from './support/tmp';

const FOREGROUND_MS = 10_000;
const BACKGROUND_MS = 5_000;
const TOLERANCE_MS = 60_000;
/** SPEC 6: a crash may lose about a second of lastActivity. */
const LOSS_MS = 1_000;
const ZERO = '00000000-0000-0000-0000-000000000000';
const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);

/**
 * Sequences of 20 to 150 commands. fast-check's default size would keep arrays near ten
 * commands whatever the maximum; `size: 'max'` spreads lengths over the whole range.
 */
function sequences<T>(command: fc.Arbitrary<T>): fc.Arbitrary<T[]> {
  return fc.array(command, { minLength: 20, maxLength: 150, size: 'max' });
}

const waitMs = fc.oneof(
  // The boundaries themselves: exactly at a timeout or the tolerance, and just past.
  fc.constantFrom(
    BACKGROUND_MS,
    BACKGROUND_MS + 1,
    FOREGROUND_MS,
    FOREGROUND_MS + 1,
    -TOLERANCE_MS,
    -TOLERANCE_MS - 1,
  ),
  fc.integer({ min: 0, max: 12_000 }),
  fc.integer({ min: -TOLERANCE_MS * 2, max: 0 }),
  fc.integer({ min: 0, max: 7_200_000 }),
);

const restartOptions = {
  crash: fc.boolean(),
  background: fc.boolean(),
  continueOnRestart: fc.oneof(
    { weight: 3, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
  /** Whether the restart changes the anonymous option (rarely). */
  switchMode: fc.oneof(
    { weight: 4, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
};

type Command =
  | { kind: 'wait'; ms: number }
  | { kind: 'stamp' }
  | { kind: 'background'; value: boolean }
  | { kind: 'extend' }
  | { kind: 'newSession' }
  | { kind: 'anonymous'; value: boolean }
  | {
      kind: 'restart';
      crash: boolean;
      background: boolean;
      continueOnRestart: boolean;
      switchMode: boolean;
    };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('stamp' as const) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: waitMs }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('background' as const), value: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extend' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('newSession' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('anonymous' as const), value: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('restart' as const), ...restartOptions }),
  },
);

/** The reference model: exact state, no write strategy, written from the SPEC alone. */
class Model {
  hasSession = false;
  sessionIndex = 0;
  lastActivity = 0;
  /** After a crash, lastActivity is only known to lie in [lastActivity - LOSS_MS, lastActivity]. */
  uncertain = false;
  background = false;
  /** A new session was asked for, or found expired by a transition or a start. */
  due = false;
  anonymous = false;
  /** The mode the current session was started in. */
  sessionAnonymous = false;
  /**
   * Whether `due` is unknown: a judgment the model could not make (see `expired`) while the
   * modes differ, so that the engine's snapshot cannot tell it either. Known again once the
   * modes agree, or at the next session.
   */
  dueUnknown = false;
  /** eventIndex is exactly predictable until a crash leaves a gap. */
  eventIndex: number | null = 0;

  timeout(): number {
    return this.background ? BACKGROUND_MS : FOREGROUND_MS;
  }

  /** Whether the next event starts a new session whatever the time. */
  isDue(): boolean {
    return !this.hasSession || this.due || this.anonymous !== this.sessionAnonymous;
  }

  /** true, false, or undefined when the crash's lost second makes either answer legal. */
  expired(now: number, timeout = this.timeout()): boolean | undefined {
    const over = (last: number) => now - last > timeout || now < last - TOLERANCE_MS;
    const sure = over(this.lastActivity);
    if (!this.uncertain) return sure;
    return sure === over(this.lastActivity - LOSS_MS) ? sure : undefined;
  }

  activity(now: number, expired: boolean): void {
    if (this.hasSession && expired) {
      this.due = true;
      this.lastActivity = now;
      this.uncertain = false;
    } else if (now > this.lastActivity) {
      this.lastActivity = now;
      this.uncertain = false;
    }
  }
}

type Options = { background: boolean; anonymous: boolean; continueOnRestart: boolean };

/**
 * Opens an instance on the file at `path`. Its store goes into `opened`, so that the run can
 * release the connections of instances it "killed" (left without close()) when it ends.
 */
function openOn(
  path: string,
  clock: () => number,
  options: Options,
  opened: SqliteSessionStore[],
): ClientSession {
  const store = new SqliteSessionStore({ path, checkpointInWorker: false });
  opened.push(store);
  return new ClientSession({
    store,
    clock,
    foregroundTimeout: FOREGROUND_MS / 1000,
    backgroundTimeout: BACKGROUND_MS / 1000,
    isBackground: options.background,
    anonymous: options.anonymous,
    continueSessionOnRestart: options.continueOnRestart,
  });
}

function runModel(commands: Command[], path: string): void {
  let now = Date.UTC(2026, 5, 1);
  const clock = () => now;
  const model = new Model();
  const opened: SqliteSessionStore[] = [];
  const first = { background: false, anonymous: false, continueOnRestart: true };
  let session = openOn(path, clock, first, opened);
  const seen = new Set<string>();
  let previous: ClientSessionEntity | undefined;
  /** Whether the session of `previous` was anonymous. */
  let previousAnonymous = false;
  let realUserId: string | undefined;

  /** A judgment the model cannot make (a crash lost part of a second): take the engine's. */
  const judge = (expired: boolean | undefined) => {
    if (expired !== undefined) return expired;
    if (model.anonymous === model.sessionAnonymous) return session.getSnapshot().newSessionDue;
    model.dueUnknown = true;
    return false;
  };

  for (const cmd of commands) {
    switch (cmd.kind) {
      case 'wait':
        now = Math.max(0, now + cmd.ms);
        break;

      case 'stamp': {
        const expected = model.isDue() ? true : model.expired(now);
        const entity = session.stamp(eventId(), now);
        assertValidClientSession(entity);
        assert.deepEqual(session.getSnapshot().entity, entity);
        const rotated = previous === undefined || entity.sessionId !== previous.sessionId;
        if (expected !== undefined) assert.equal(rotated, expected, 'rotation as the model says');

        const key = `${entity.sessionId}/${entity.eventIndex}`;
        assert.ok(!seen.has(key), `(sessionId, eventIndex) ${key} issued twice`);
        seen.add(key);

        if (rotated) {
          model.sessionIndex += 1;
          model.eventIndex = 0;
          model.hasSession = true;
          model.due = false;
          model.dueUnknown = false;
          model.sessionAnonymous = model.anonymous;
          model.lastActivity = now;
          model.uncertain = false;
          assert.equal(entity.eventIndex, 1);
          if (previous !== undefined) {
            // Anonymous sessions name no previous one, and the session after an anonymous
            // one does not name it next to the real user id.
            assert.equal(
              entity.previousSessionId,
              model.anonymous || previousAnonymous ? null : previous.sessionId,
              'previousSessionId chains',
            );
          }
        } else {
          model.activity(now, false);
          assert.ok(entity.eventIndex > (previous?.eventIndex ?? 0), 'eventIndex increases');
        }
        assert.equal(entity.sessionIndex, model.sessionIndex, 'sessionIndex as the model says');
        if (model.eventIndex !== null) {
          model.eventIndex += 1;
          assert.equal(entity.eventIndex, model.eventIndex, 'eventIndex as the model says');
        }
        if (model.anonymous) {
          assert.equal(entity.userId, ZERO, 'the zero user id while anonymous');
          assert.equal(entity.previousSessionId, null, 'no previous session while anonymous');
        } else {
          realUserId ??= entity.userId;
          assert.equal(entity.userId, realUserId, 'userId never changes');
        }
        if (rotated) previousAnonymous = model.anonymous;
        previous = entity;
        break;
      }

      case 'background': {
        if (cmd.value === model.background) {
          session.setIsBackground(cmd.value);
          break;
        }
        const expired = model.expired(now);
        session.setIsBackground(cmd.value);
        model.activity(now, judge(expired));
        model.background = cmd.value;
        break;
      }

      case 'extend': {
        const expired = model.expired(now);
        session.extend();
        model.activity(now, judge(expired));
        break;
      }

      case 'newSession':
        session.startNewSession();
        if (model.hasSession) model.due = true;
        break;

      case 'anonymous':
        // No write: the next event starts a new session while the mode differs from the
        // session's, and switching back before any event keeps it.
        session.setAnonymous(cmd.value);
        model.anonymous = cmd.value;
        break;

      case 'restart': {
        let unsure = false;
        if (cmd.crash) {
          model.uncertain = model.hasSession;
          if (model.hasSession) model.eventIndex = null;
        } else {
          // The quit is a transition out of the current state, and the last activity.
          const expired = model.expired(now);
          unsure = expired === undefined;
          session.close();
          model.activity(now, expired ?? false);
        }
        // The closed time counts as background time.
        const expired = model.expired(now, BACKGROUND_MS);
        unsure ||= expired === undefined;
        const anonymous = cmd.switchMode ? !model.anonymous : model.anonymous;
        session = openOn(path, clock, { ...cmd, anonymous }, opened);
        assert.equal(session.getSnapshot().entity, null, 'no entity before the first stamp');
        model.activity(now, expired ?? false);
        if (model.hasSession && !cmd.continueOnRestart) model.due = true;
        model.anonymous = anonymous;
        if (unsure && model.hasSession && cmd.continueOnRestart) model.due = judge(undefined);
        model.background = cmd.background;
        break;
      }
    }
    assert.equal(session.getIsBackground(), model.background);
    if (model.dueUnknown && model.anonymous === model.sessionAnonymous) {
      model.due = session.getSnapshot().newSessionDue;
      model.dueUnknown = false;
    }
    if (model.hasSession && !model.dueUnknown) {
      assert.equal(session.getSnapshot().newSessionDue, model.isDue(), 'due as the model says');
    }
  }
  session.close();
  for (const store of opened) store.close();
}

test('random runs agree with the reference model and keep every invariant', () => {
  const dir = tempDir();
  let n = 0;
  fc.assert(
    fc.property(sequences(command), (commands) => {
      runModel(commands, join(dir, `p${n++}.sqlite`));
    }),
    { numRuns: RUNS },
  );
});

// Two instances of the engine on one SQLite store and name, each with its own connection, as
// two processes of one app.

type Who = 0 | 1;
type SharedCommand =
  | { kind: 'wait'; ms: number }
  | { kind: 'stamp'; who: Who }
  | { kind: 'background'; who: Who; value: boolean }
  | { kind: 'extend'; who: Who }
  | { kind: 'newSession'; who: Who }
  | { kind: 'anonymous'; who: Who; value: boolean }
  | {
      kind: 'restart';
      who: Who;
      crash: boolean;
      background: boolean;
      continueOnRestart: boolean;
      switchMode: boolean;
    };

const who = fc.constantFrom<Who>(0, 1);
const sharedCommand: fc.Arbitrary<SharedCommand> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('stamp' as const), who }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: waitMs }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('background' as const), who, value: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extend' as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('newSession' as const), who }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('anonymous' as const), who, value: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('restart' as const), who, ...restartOptions }),
  },
);

/** What must hold across every entity either instance returned, whatever the order. */
class CrossChecks {
  private readonly pairs = new Set<string>();
  private readonly indexOf = new Map<string, number>();
  private readonly byIndex = new Map<number, { id: string; anonymous: boolean }>();
  private readonly previousOf = new Map<string, string | null>();
  private readonly lastIndex: [number, number] = [0, 0];
  private realUserId: string | undefined;

  /** Checks one entity; returns whether its session is new. */
  add(entity: ClientSessionEntity, from: Who, anonymous: boolean): boolean {
    assertValidClientSession(entity);
    const key = `${entity.sessionId}/${entity.eventIndex}`;
    assert.ok(!this.pairs.has(key), `(sessionId, eventIndex) ${key} issued twice`);
    this.pairs.add(key);

    assert.ok(entity.sessionIndex >= this.lastIndex[from], 'sessionIndex never decreases');
    this.lastIndex[from] = entity.sessionIndex;

    if (anonymous) {
      assert.equal(entity.userId, ZERO, 'the zero user id while anonymous');
      assert.equal(entity.previousSessionId, null, 'no previous session while anonymous');
    } else {
      this.realUserId ??= entity.userId;
      assert.equal(entity.userId, this.realUserId, 'the real user id, never the zero one');
    }

    const isNew = !this.indexOf.has(entity.sessionId);
    if (isNew) {
      assert.equal(entity.eventIndex, 1, 'a new session starts at event 1');
      assert.ok(!this.byIndex.has(entity.sessionIndex), 'one session per sessionIndex');
      this.indexOf.set(entity.sessionId, entity.sessionIndex);
      this.byIndex.set(entity.sessionIndex, { id: entity.sessionId, anonymous });
      this.previousOf.set(entity.sessionId, entity.previousSessionId);
      // Every session is started by a stamp, so the one before it was seen.
      const before = this.byIndex.get(entity.sessionIndex - 1);
      const expected = before === undefined || anonymous || before.anonymous ? null : before.id;
      assert.equal(entity.previousSessionId, expected, 'previousSessionId chains');
    } else {
      assert.equal(this.indexOf.get(entity.sessionId), entity.sessionIndex, 'one index per id');
      assert.equal(this.previousOf.get(entity.sessionId), entity.previousSessionId);
    }
    return isNew;
  }
}

function runShared(commands: SharedCommand[], path: string): void {
  let now = Date.UTC(2026, 5, 1);
  const clock = () => now;
  const modes: [boolean, boolean] = [false, false];
  const first = { background: false, anonymous: false, continueOnRestart: true };
  const opened: SqliteSessionStore[] = [];
  const sessions = [openOn(path, clock, first, opened), openOn(path, clock, first, opened)];
  const checks = new CrossChecks();

  for (const cmd of commands) {
    if (cmd.kind === 'wait') {
      now = Math.max(0, now + cmd.ms);
      continue;
    }
    const session = sessions[cmd.who]!;
    switch (cmd.kind) {
      case 'stamp':
        checks.add(session.stamp(eventId(), now), cmd.who, modes[cmd.who]);
        break;
      case 'background':
        session.setIsBackground(cmd.value);
        break;
      case 'extend':
        session.extend();
        break;
      case 'newSession':
        session.startNewSession();
        break;
      case 'anonymous':
        session.setAnonymous(cmd.value);
        modes[cmd.who] = cmd.value;
        break;
      case 'restart':
        if (!cmd.crash) session.close();
        if (cmd.switchMode) modes[cmd.who] = !modes[cmd.who];
        sessions[cmd.who] = openOn(path, clock, { ...cmd, anonymous: modes[cmd.who] }, opened);
        break;
    }
  }
  for (const session of sessions) session.close();
  for (const store of opened) store.close();
}

/**
 * Commands of one kind for the liveness check: each after a wait that is either short (at most
 * 1.5 s) or longer than every timeout, so that whether the session is live never depends on the
 * second of lastActivity a write may still owe. Same mode, sessions continued across restarts,
 * no requests for a new session, a clock that only goes forward.
 */
type LiveAction =
  | { kind: 'stamp'; who: Who }
  | { kind: 'toggle'; who: Who }
  | { kind: 'extend'; who: Who }
  | { kind: 'restart'; who: Who; crash: boolean };

const liveStep = fc.record({
  waitMs: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 1_500 }) },
    { weight: 1, arbitrary: fc.integer({ min: FOREGROUND_MS + 1_000, max: 40_000 }) },
  ),
  action: fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('stamp' as const), who }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('toggle' as const), who }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('extend' as const), who }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('restart' as const), who, crash: fc.boolean() }),
    },
  ) as fc.Arbitrary<LiveAction>,
});

function runLiveness(steps: { waitMs: number; action: LiveAction }[], path: string): void {
  let now = Date.UTC(2026, 5, 1);
  const clock = () => now;
  const background: [boolean, boolean] = [false, false];
  const options = (w: Who) => ({
    background: background[w],
    anonymous: false,
    continueOnRestart: true,
  });
  const opened: SqliteSessionStore[] = [];
  const sessions = [
    openOn(path, clock, options(0), opened),
    openOn(path, clock, options(1), opened),
  ];
  const checks = new CrossChecks();
  let started = false;
  /** Every instance was idle longer than any timeout since the session's last activity. */
  let over = false;

  for (const { waitMs, action } of steps) {
    now += waitMs;
    if (waitMs > FOREGROUND_MS && started) over = true;
    const session = sessions[action.who]!;
    switch (action.kind) {
      case 'stamp': {
        const isNew = checks.add(session.stamp(eventId(), now), action.who, false);
        const expected: boolean = !started || over;
        assert.equal(isNew, expected, expected ? 'the session had expired' : 'a live session cut');
        started = true;
        over = false;
        break;
      }
      case 'toggle':
        background[action.who] = !background[action.who];
        session.setIsBackground(background[action.who]);
        break;
      case 'extend':
        session.extend();
        break;
      case 'restart':
        if (!action.crash) session.close();
        sessions[action.who] = openOn(path, clock, options(action.who), opened);
        break;
    }
  }
  for (const session of sessions) session.close();
  for (const store of opened) store.close();
}

describe('two instances on one store', () => {
  test('never issue a pair twice, count and chain sessions, and keep each mode', () => {
    const dir = tempDir();
    let n = 0;
    fc.assert(
      fc.property(sequences(sharedCommand), (commands) => {
        runShared(commands, join(dir, `s${n++}.sqlite`));
      }),
      { numRuns: RUNS },
    );
  });

  test('never cut a session either of them kept alive, and end one nobody did', () => {
    const dir = tempDir();
    let n = 0;
    fc.assert(
      fc.property(sequences(liveStep), (steps) => {
        runLiveness(steps, join(dir, `l${n++}.sqlite`));
      }),
      { numRuns: RUNS },
    );
  });
});
