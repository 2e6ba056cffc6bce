// Random sequences of stamps, transitions, clock jumps, new-session requests and restarts,
// checked against a small reference model written straight from SPEC 3-6.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

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

type Command =
  | { kind: 'wait'; ms: number }
  | { kind: 'stamp' }
  | { kind: 'background'; value: boolean }
  | { kind: 'extend' }
  | { kind: 'newSession' }
  | { kind: 'anonymous'; value: boolean }
  | { kind: 'restart'; crash: boolean; background: boolean };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('stamp' as const) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      ms: fc.oneof(
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
      ),
    }),
  },
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
    arbitrary: fc.record({
      kind: fc.constant('restart' as const),
      crash: fc.boolean(),
      background: fc.boolean(),
    }),
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
  due = false;
  anonymous = false;
  /** eventIndex is exactly predictable until a crash leaves a gap. */
  eventIndex: number | null = 0;

  private timeout(): number {
    return this.background ? BACKGROUND_MS : FOREGROUND_MS;
  }

  /** true, false, or undefined when the crash's lost second makes either answer legal. */
  expired(now: number, timeout = this.timeout()): boolean | undefined {
    const over = (last: number) => now - last > timeout || now < last - TOLERANCE_MS;
    const sure = over(this.lastActivity);
    if (!this.uncertain) return sure;
    return sure === over(this.lastActivity - LOSS_MS) ? sure : undefined;
  }

  activity(now: number, timeout?: number, expired = this.expired(now, timeout)): void {
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

function run(commands: Command[], path: string): void {
  let now = Date.UTC(2026, 5, 1);
  const clock = () => now;
  const open = (background: boolean, anonymous: boolean) =>
    new ClientSession({
      store: new SqliteSessionStore({ path }),
      clock,
      foregroundTimeout: FOREGROUND_MS / 1000,
      backgroundTimeout: BACKGROUND_MS / 1000,
      isBackground: background,
      anonymous,
    });

  const model = new Model();
  let session = open(false, false);
  const seen = new Set<string>();
  let previous: ClientSessionEntity | undefined;
  /** Whether the session of `previous` was anonymous. */
  let previousAnonymous = false;
  let realUserId: string | undefined;

  for (const cmd of commands) {
    switch (cmd.kind) {
      case 'wait':
        now = Math.max(0, now + cmd.ms);
        break;

      case 'stamp': {
        const expected = !model.hasSession || model.due ? true : model.expired(now);
        const entity = session.stamp(eventId(), now);
        assertValidClientSession(entity);
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
          model.lastActivity = now;
          model.uncertain = false;
          assert.equal(entity.eventIndex, 1);
          if (previous !== undefined) {
            // Anonymous sessions name no previous one, and leaving anonymous mode must not
            // link the anonymous session to the real user.
            assert.equal(
              entity.previousSessionId,
              model.anonymous || previousAnonymous ? null : previous.sessionId,
              'previousSessionId chains',
            );
          }
        } else {
          model.activity(now, undefined, false);
          assert.ok(entity.eventIndex > (previous?.eventIndex ?? 0), 'eventIndex increases');
        }
        assert.equal(entity.sessionIndex, model.sessionIndex, 'sessionIndex as the model says');
        if (model.eventIndex !== null) {
          model.eventIndex += 1;
          assert.equal(entity.eventIndex, model.eventIndex, 'eventIndex as the model says');
        }
        if (!model.anonymous) {
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
        if (expired === undefined) model.due = session.getSnapshot().newSessionDue;
        model.activity(now, undefined, expired ?? model.due);
        model.background = cmd.value;
        break;
      }

      case 'extend': {
        const expired = model.expired(now);
        session.extend();
        if (expired === undefined) model.due = session.getSnapshot().newSessionDue;
        model.activity(now, undefined, expired ?? model.due);
        break;
      }

      case 'newSession':
        session.startNewSession();
        if (model.hasSession) model.due = true;
        break;

      case 'anonymous':
        session.setAnonymous(cmd.value);
        if (cmd.value !== model.anonymous && model.hasSession) model.due = true;
        model.anonymous = cmd.value;
        break;

      case 'restart': {
        if (cmd.crash) {
          model.uncertain = model.hasSession;
          if (model.hasSession) model.eventIndex = null;
        } else {
          session.close();
        }
        // The closed time counts as background time.
        const expired = model.expired(now, BACKGROUND_MS);
        session = open(cmd.background, model.anonymous);
        if (expired === undefined) model.due = session.getSnapshot().newSessionDue;
        model.activity(now, BACKGROUND_MS, expired ?? model.due);
        model.background = cmd.background;
        break;
      }
    }
    assert.equal(session.getIsBackground(), model.background);
  }
  session.close();
}

test('random runs agree with the reference model and keep every invariant', () => {
  const dir = tempDir();
  let n = 0;
  fc.assert(
    fc.property(fc.array(command, { minLength: 1, maxLength: 60 }), (commands) => {
      run(commands, join(dir, `p${n++}.sqlite`));
    }),
    { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
  );
});
