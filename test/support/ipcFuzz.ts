// Hostile IPC requests against the real main-process handlers (SPEC 7), for `npm run
// reliability`: the long version of test/ipc.fuzz.test.ts, aimed at what the reliability issue
// lists: wrong types, huge strings, prototype-pollution keys, NaN and infinities, cycles, from
// the app's own page and from senders that must be refused.
import { isDeepStrictEqual } from 'node:util';

import fc from 'fast-check';

import { CHANNELS, MAX_EVENT_TIMESTAMP_MS, MIN_EVENT_TIMESTAMP_MS } from '../../src/shared/ipc';
import type { IpcResult } from '../../src/shared/ipc';
import { APP_PAGE, startMain } from './fakeIpc';
import type { FakePage } from './fakeIpc';
import { eventId } from './ids';

export interface IpcFuzzReport {
  /** Requests sent. */
  readonly trials: number;
  /** One line per request that made a handler throw, got no error, or moved the session. */
  readonly failures: readonly string[];
}

/** Values made fresh for every request: a cycle, prototype keys (own, as JSON.parse makes them). */
const hostile = (): Record<string, () => unknown> => ({
  cycle: () => {
    const value: Record<string, unknown> = { eventId: eventId(), timestamp: Date.now() };
    value.self = value;
    return value;
  },
  'prototype keys': () =>
    JSON.parse(
      `{"eventId":"${eventId()}","timestamp":${Date.now()},` +
        '"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    ),
  'huge string': () => 'f'.repeat(4 * 1024 * 1024),
  'huge UUID-like string': () => `${eventId()}${'0'.repeat(1024 * 1024)}`,
  'a function': () => () => eventId(),
  'a symbol': () => Symbol('eventId'),
  'a BigInt': () => 10n ** 40n,
  'a Proxy': () => new Proxy({ eventId: eventId(), timestamp: Date.now() }, {}),
});

const hostileName = fc.constantFrom(...Object.keys(hostile()));
const badNumber = fc.constantFrom(NaN, Infinity, -Infinity, -0, -1, 1e300, Number.MIN_VALUE);
const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.anything({ withBigInt: true, withMap: true, withSet: true }) },
  { weight: 2, arbitrary: hostileName.map((name) => ({ hostile: name })) },
  { weight: 1, arbitrary: badNumber },
);
const badEventId = fc.oneof(
  anyValue,
  fc.uuid().map((id) => id.toUpperCase().replace(/-/g, '')),
  fc.string({ maxLength: 36 }),
);
const badTimestamp = fc.oneof(
  anyValue.filter((value) => typeof value !== 'number'),
  badNumber,
  fc.double({ max: MIN_EVENT_TIMESTAMP_MS, maxExcluded: true }),
  fc.double({ min: MAX_EVENT_TIMESTAMP_MS, minExcluded: true }),
  fc.integer({ min: MIN_EVENT_TIMESTAMP_MS, max: MAX_EVENT_TIMESTAMP_MS }).map(String),
);
const goodTimestamp = fc.integer({ min: MIN_EVENT_TIMESTAMP_MS, max: MAX_EVENT_TIMESTAMP_MS });
const stampArgs = fc.oneof(
  fc.array(anyValue, { maxLength: 3 }),
  fc.tuple(fc.record({ eventId: badEventId, timestamp: goodTimestamp })),
  fc.tuple(fc.record({ eventId: fc.uuid(), timestamp: badTimestamp })),
  fc.tuple(hostileName.map((name) => ({ hostile: name }))),
  fc.tuple(fc.record({ eventId: fc.uuid(), timestamp: goodTimestamp }), anyValue),
);
const otherChannel = fc.constantFrom(
  CHANNELS.snapshot,
  CHANNELS.extend,
  CHANNELS.newSession,
  CHANNELS.subscribe,
  CHANNELS.unsubscribe,
);
const request = fc.oneof(
  { weight: 3, arbitrary: fc.record({ channel: fc.constant(CHANNELS.stamp), args: stampArgs }) },
  {
    weight: 1,
    arbitrary: fc.record({
      channel: otherChannel,
      args: fc.array(anyValue, { minLength: 1, maxLength: 3 }),
    }),
  },
);
/**
 * One page the app allows and one of each kind main must refuse: an iframe, a `<webview>`, a
 * foreign origin, a `WebContentsView`, a closed window. Shared by the fuzz test and
 * `npm run reliability`.
 */
export function openFuzzSenders(main: ReturnType<typeof startMain>): Record<string, FakePage> {
  const allowed = main.app.openWindow(APP_PAGE);
  const closed = main.app.openWindow(APP_PAGE);
  main.app.close(closed);
  return {
    allowed,
    iframe: main.app.openIframe(allowed, APP_PAGE),
    webview: main.app.openWebview(allowed, APP_PAGE),
    foreign: main.app.openWindow('https://evil.example/'),
    view: main.app.openView(APP_PAGE),
    closed,
  };
}

const senderName = fc.oneof(
  { weight: 6, arbitrary: fc.constant('allowed') },
  { weight: 1, arbitrary: fc.constantFrom('iframe', 'webview', 'foreign', 'view', 'closed') },
);

/** Replaces every `{ hostile: name }` placeholder with a fresh hostile value. */
function materialise(value: unknown, made = hostile()): unknown {
  if (Array.isArray(value)) return value.map((item) => materialise(item, made));
  const name = (value as { hostile?: unknown } | null)?.hostile;
  if (typeof name === 'string' && Object.hasOwn(made, name)) return made[name]?.();
  if (value !== null && typeof value === 'object' && !(value instanceof Map)) {
    if (Object.getPrototypeOf(value) !== Object.prototype) return value;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(copy, key, {
        value: materialise((value as Record<string, unknown>)[key], made),
        enumerable: true,
      });
    }
    return copy;
  }
  return value;
}

/** Sends `runs` hostile requests; every one must get an error and leave everything as it was. */
export async function fuzzIpc(runs: number, seed: number): Promise<IpcFuzzReport> {
  const main = startMain();
  main.session.stamp(eventId(), main.clock.time);
  const senders = openFuzzSenders(main);
  const state = () => ({ stored: main.store.getSession(), snapshot: main.session.getSnapshot() });
  const before = state();
  const failures: string[] = [];

  const samples = fc.sample(fc.tuple(senderName, request), { numRuns: runs, seed });
  for (const [name, { channel, args }] of samples) {
    const page = senders[name] as FakePage;
    const from = { webContents: page.webContents, frame: page.frame };
    const what = `${channel} from ${name}`;
    let result: IpcResult<unknown>;
    try {
      const sent = materialise(args) as unknown[];
      result = (
        channel === CHANNELS.stamp
          ? main.app.ipcMain.sendSyncRaw(from, channel, sent)
          : await main.app.ipcMain.invokeRaw(from, channel, sent)
      ) as IpcResult<unknown>;
    } catch (error) {
      failures.push(`${what}: the handler threw ${String(error).slice(0, 120)}`);
      continue;
    }
    const expected = name === 'allowed' ? 'INVALID_ARGUMENT' : 'SENDER_REFUSED';
    const problems: string[] = [];
    if (result?.ok !== false || result.error.code !== expected) {
      problems.push(`answered ${JSON.stringify(result)?.slice(0, 120)}`);
    }
    if (!isDeepStrictEqual(state(), before)) problems.push('the session moved');
    if (({} as { polluted?: unknown }).polluted !== undefined) {
      problems.push('Object.prototype was polluted');
    }
    if (problems.length > 0) failures.push(`${what}: ${problems.join('; ')}`);
  }
  if (main.logger.lines.some((line) => line.includes('failed in the main process'))) {
    failures.push('a handler failed in the main process');
  }
  main.dispose();
  return { trials: samples.length, failures };
}
