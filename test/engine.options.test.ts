import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ClientSession, MemorySessionStore } from '../src/main';
import type { ClientSessionOptions, Logger } from '../src/main';
import { FakeClock } from './support/clock';
import { eventId } from './support/ids';

type Level = 'error' | 'warn' | 'info' | 'debug';

function recording(): Logger & { lines: Record<Level, string[]> } {
  const lines: Record<Level, string[]> = { error: [], warn: [], info: [], debug: [] };
  const at = (level: Level) => (message: string) => void lines[level].push(message);
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

describe('options of new ClientSession()', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['no store', { store: undefined }, /options\.store must be a SessionStore/],
    ['a store without methods', { store: {} }, /options\.store must be a SessionStore/],
    ['a clock that is not a function', { clock: 5 }, /options\.clock must be a function/],
    ['a logger without methods', { logger: {} }, /options\.logger must have error, warn/],
    ['a string for a boolean', { anonymous: 'false' }, /options\.anonymous must be a boolean/],
    ['isBackground as text', { isBackground: 'no' }, /options\.isBackground must be a boolean/],
    ['a negative timeout', { foregroundTimeout: -1 }, /options\.foregroundTimeout is in seconds/],
    ['a timeout in ms by mistake', { backgroundTimeout: 1.8e9 }, /at most 31536000/],
  ];
  for (const [what, extra, message] of bad) {
    test(`refuses ${what} with a prefixed INVALID_OPTION error`, () => {
      const options = { store: new MemorySessionStore(), ...extra } as ClientSessionOptions;
      assert.throws(
        () => new ClientSession(options),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'INVALID_OPTION');
          assert.match(error.message, /^electron-client-session: /);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  test('refuses a negative clockToleranceSeconds and takes 0: then any step back rotates', () => {
    assert.throws(
      () => new ClientSession({ store: new MemorySessionStore(), clockToleranceSeconds: -1 }),
      { code: 'INVALID_OPTION', message: /options\.clockToleranceSeconds .* from 0/ },
    );
    const clock = new FakeClock();
    const options = { store: new MemorySessionStore(), clock: clock.now, clockToleranceSeconds: 0 };
    const session = new ClientSession(options);
    const first = session.stamp(eventId(), clock.time);
    assert.equal(session.stamp(eventId(), clock.time).sessionId, first.sessionId);
    clock.advance(-1);
    assert.equal(session.stamp(eventId(), clock.time).previousSessionId, first.sessionId);
  });

  test('warns once about unknown options, such as a unit typo', () => {
    const logger = recording();
    const options = { store: new MemorySessionStore(), logger, foregroundTimeoutMs: 5000 };
    new ClientSession(options as ClientSessionOptions);
    assert.deepEqual(logger.lines.warn, [
      'new ClientSession() ignores unknown options: foregroundTimeoutMs',
    ]);
  });

  test('a clock answering NaN is replaced by the wall clock for that reading, said once', () => {
    const logger = recording();
    const clock = new FakeClock();
    let broken = false;
    const session = new ClientSession({
      store: new MemorySessionStore(),
      logger,
      foregroundTimeout: 1,
      clock: () => (broken ? Number.NaN : clock.now()),
    });
    const first = session.stamp(eventId(), clock.time);
    broken = true;
    session.stamp(eventId(), clock.time);
    session.stamp(eventId(), clock.time);
    broken = false;
    clock.advanceSeconds(10);
    // lastActivity stayed a number, so the timeout still works.
    assert.notEqual(session.stamp(eventId(), clock.time).sessionId, first.sessionId);
    assert.equal(logger.lines.warn.length, 1);
    assert.match(logger.lines.warn[0]!, /options\.clock returned NaN/);
  });

  test('a clock answering a string is quoted in the warning, not taken for a number', () => {
    const logger = recording();
    const clock = () => '1' as unknown as number;
    new ClientSession({ store: new MemorySessionStore(), logger, clock }).stamp(eventId(), 1);
    assert.equal(logger.lines.warn.length, 1);
    assert.match(logger.lines.warn[0]!, /options\.clock returned "1", not epoch milliseconds/);
  });
});

test('a storageMechanism the schema does not allow is refused, naming the legal values', () => {
  for (const mechanism of ['DISK', 'sqlite', undefined]) {
    const store = Object.assign(new MemorySessionStore(), { storageMechanism: mechanism });
    assert.throws(() => new ClientSession({ store: store as never }), {
      code: 'INVALID_OPTION',
      message:
        /^electron-client-session: options\.store\.storageMechanism must be one of SQLITE, CO/,
    });
  }
});

describe('listeners', () => {
  test('a listener that rejects is caught and logged, not an unhandled rejection', async () => {
    const logger = recording();
    const session = new ClientSession({ store: new MemorySessionStore(), logger });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      session.onSessionStart(async () => {
        throw new Error('async listener bug');
      });
      session.stamp(eventId(), Date.now());
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
    assert.equal(logger.lines.error.length, 1);
  });

  test('a listener failing every time is logged once at error, then at debug', () => {
    const logger = recording();
    const session = new ClientSession({ store: new MemorySessionStore(), logger });
    session.onChange(() => {
      throw new Error('listener bug');
    });
    for (let i = 0; i < 5; i++) {
      session.startNewSession();
      session.stamp(eventId(), Date.now());
    }
    assert.equal(logger.lines.error.length, 1);
    assert.ok(logger.lines.debug.length >= 4);
  });
});

test('every control throws CLOSED after close()', () => {
  const session = new ClientSession({ store: new MemorySessionStore() });
  session.close();
  const calls: [string, () => void][] = [
    ['setForegroundTimeout', () => session.setForegroundTimeout(10)],
    ['setBackgroundTimeout', () => session.setBackgroundTimeout(10)],
    ['setIsBackground', () => session.setIsBackground(true)],
    ['startNewSession', () => session.startNewSession()],
    ['extend', () => session.extend()],
    ['flush', () => session.flush()],
  ];
  for (const [name, call] of calls) {
    assert.throws(call, { code: 'CLOSED' }, name);
  }
});
