// SPEC 7: many random malformed messages, from allowed and refused senders, straight to the
// handlers and through a cloning ipcRenderer. The main process never throws, every message gets
// an error with a stable code, and the session does not move.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';
import { validate as isUuid } from 'uuid';

import {
  CHANNELS,
  MAX_EVENT_TIMESTAMP_MS,
  MIN_EVENT_TIMESTAMP_MS,
  isSubscriptionId,
} from '../src/shared/ipc';
import type { IpcResult } from '../src/shared/ipc';
import { startMain } from './support/fakeIpc';
import type { FakePage } from './support/fakeIpc';
import { eventId } from './support/ids';
import { openFuzzSenders } from './support/ipcFuzz';

const RUNS = 600;
const CHANNEL_LIST = Object.values(CHANNELS).filter((channel) => channel !== CHANNELS.changed);

function weirdValues(): unknown[] {
  const cyclic: Record<string, unknown> = { eventId: eventId(), timestamp: Date.now() };
  cyclic.self = cyclic;
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const throwing = Object.defineProperty({ timestamp: Date.now() }, 'eventId', {
    enumerable: true,
    get() {
      throw new Error('getter ran');
    },
  });
  const trap = new Proxy(
    {},
    {
      get() {
        throw new Error('proxy trap ran');
      },
      ownKeys() {
        throw new Error('proxy trap ran');
      },
      getPrototypeOf() {
        throw new Error('proxy trap ran');
      },
    },
  );
  return [
    cyclic,
    revoked,
    throwing,
    trap,
    new Proxy({ eventId: eventId(), timestamp: Date.now() }, {}),
    Symbol('s'),
    10n ** 30n,
    () => 'function',
    new Date(),
    new Map(),
    new Uint8Array(8),
    Object.create(null),
    new (class Stamp {
      eventId = eventId();
      timestamp = Date.now();
    })(),
  ];
}

/**
 * Stands for one of {@link weirdValues} until the property runs: fast-check inspects and prints
 * the values it generates, which a revoked Proxy or a throwing trap would not survive.
 */
class Weird {
  constructor(readonly index: number) {}
}

/** `value` with every {@link Weird} replaced by a fresh weird value. */
function materialise(value: unknown, fresh = weirdValues()): unknown {
  if (value instanceof Weird) return fresh[value.index];
  if (Array.isArray(value)) return value.map((item) => materialise(item, fresh));
  if (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      copy[key] = materialise((value as Record<string, unknown>)[key], fresh);
    }
    return copy;
  }
  return value;
}

const weird = fc.integer({ min: 0, max: weirdValues().length - 1 }).map((i) => new Weird(i));
const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.anything({ withBigInt: true, withDate: true, withMap: true }) },
  { weight: 2, arbitrary: weird },
  { weight: 1, arbitrary: fc.func(fc.anything()) },
);

const badEventId = fc.oneof(
  anyValue.filter((value) => typeof value !== 'string' || !isUuid(value)),
  fc.uuid().map((id) => id.toUpperCase().replace(/-/g, '')),
  fc.uuid().map((id) => `${id}${'0'.repeat(40)}`),
  fc.string({ maxLength: 36 }).filter((text) => !isUuid(text)),
);
const badTimestamp = fc.oneof(
  anyValue.filter((value) => typeof value !== 'number'),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -1, 0, 1e20),
  fc.double({ max: MIN_EVENT_TIMESTAMP_MS, maxExcluded: true, noNaN: true }),
  fc.double({ min: MAX_EVENT_TIMESTAMP_MS, minExcluded: true, noNaN: true }),
);
const goodTimestamp = fc.integer({ min: MIN_EVENT_TIMESTAMP_MS, max: MAX_EVENT_TIMESTAMP_MS });

/** Malformed argument lists for the stamp channel: wrong shapes and one broken field. */
const badStampArgs = fc.oneof(
  fc.array(anyValue, { maxLength: 3 }),
  fc.tuple(fc.record({ eventId: badEventId, timestamp: goodTimestamp })),
  fc.tuple(fc.record({ eventId: fc.uuid(), timestamp: badTimestamp })),
  fc.tuple(fc.record({ eventId: badEventId, timestamp: badTimestamp })),
  fc.tuple(
    fc
      .tuple(fc.uuid(), goodTimestamp, fc.dictionary(fc.string(), anyValue, { minKeys: 1 }))
      .map(([id, timestamp, extra]) => ({ ...extra, eventId: id, timestamp }))
      .filter((request) => Object.keys(request).length > 2),
  ),
  fc.tuple(fc.record({ eventId: fc.uuid() }, { requiredKeys: [] })),
);

/** Whatever it is, an argument list that is not one valid stamp request. */
function isValidStamp(args: readonly unknown[]): boolean {
  if (args.length !== 1) return false;
  try {
    const request = args[0] as Record<string, unknown>;
    return (
      Object.getPrototypeOf(request) === Object.prototype &&
      Reflect.ownKeys(request).length === 2 &&
      typeof request.eventId === 'string' &&
      isUuid(request.eventId) &&
      typeof request.timestamp === 'number' &&
      request.timestamp >= MIN_EVENT_TIMESTAMP_MS &&
      request.timestamp <= MAX_EVENT_TIMESTAMP_MS
    );
  } catch {
    return false;
  }
}

/** Random arguments are malformed except a valid stamp, or one subscription id on its own. */
function isMalformed(channel: string, args: unknown[]): boolean {
  if (channel === CHANNELS.stamp) return !isValidStamp(args);
  const takesAnId = channel === CHANNELS.subscribe || channel === CHANNELS.unsubscribe;
  return !(takesAnId && args.length === 1 && isSubscriptionId(args[0]));
}

const message = fc.oneof(
  fc.record({ channel: fc.constant<string>(CHANNELS.stamp), args: badStampArgs }),
  fc.record({
    channel: fc.constantFrom(...CHANNEL_LIST.filter((channel) => channel !== CHANNELS.stamp)),
    args: fc.array(anyValue, { minLength: 1, maxLength: 3 }),
  }),
);

function setup() {
  const main = startMain();
  main.session.stamp(eventId(), main.clock.time);
  main.clock.advanceSeconds(30);
  const senders = openFuzzSenders(main);
  const state = () => ({ stored: main.store.getSession(), snapshot: main.session.getSnapshot() });
  return { main, senders, state, before: state() };
}

/** Mostly the allowed page, so that most messages reach the argument checks. */
function senderName(senders: Record<string, FakePage>) {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant('allowed') },
    { weight: 1, arbitrary: fc.constantFrom(...Object.keys(senders)) },
  );
}

function assertAnError(result: unknown, sender: string): void {
  const answer = result as IpcResult<unknown>;
  assert.equal(answer.ok, false, 'every malformed message gets an error');
  if (answer.ok) return;
  assert.equal(answer.error.code, sender === 'allowed' ? 'INVALID_ARGUMENT' : 'SENDER_REFUSED');
  assert.ok(answer.error.message.length > 0);
}

test('random malformed messages handed straight to the handlers: an error each, nothing moves', async () => {
  const { main, senders, state, before } = setup();
  await fc.assert(
    fc.asyncProperty(senderName(senders), message, async (senderName, message) => {
      const channel = message.channel;
      const args = materialise(message.args) as unknown[];
      fc.pre(isMalformed(channel, args));
      const page = senders[senderName]!;
      const from = { webContents: page.webContents, frame: page.frame };
      const result =
        channel === CHANNELS.stamp
          ? main.app.ipcMain.sendSyncRaw(from, channel, args)
          : await main.app.ipcMain.invokeRaw(from, channel, args);
      assertAnError(result, senderName);
      assert.deepEqual(state(), before);
    }),
    { numRuns: RUNS },
  );
  assert.ok(!main.logger.lines.some((line) => line.includes('failed in the main process')));
});

test('random malformed messages through a cloning ipcRenderer: uncloneable ones fail in the renderer, the rest get an error', async () => {
  const { main, senders, state, before } = setup();
  let clonedAndAnswered = 0;
  await fc.assert(
    fc.asyncProperty(senderName(senders), message, async (senderName, message) => {
      const channel = message.channel;
      const args = materialise(message.args) as unknown[];
      fc.pre(isMalformed(channel, args));
      let cloned: unknown[];
      try {
        cloned = structuredClone(args);
      } catch {
        cloned = [];
      }
      fc.pre(isMalformed(channel, cloned));
      const renderer = senders[senderName]!.ipcRenderer;
      let result: unknown;
      try {
        result =
          channel === CHANNELS.stamp
            ? renderer.sendSync(channel, ...args)
            : await renderer.invoke(channel, ...args);
      } catch (error) {
        // As in Electron: what cannot be cloned never leaves the renderer.
        assert.match(String(error), /could not be cloned/);
        assert.deepEqual(state(), before);
        return;
      }
      clonedAndAnswered += 1;
      assertAnError(result, senderName);
      assert.deepEqual(state(), before);
    }),
    { numRuns: RUNS },
  );
  assert.ok(clonedAndAnswered > RUNS / 4, `${clonedAndAnswered} messages reached main`);
});
