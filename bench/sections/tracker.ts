import { buildSelfDescribingEvent, newTracker } from '@snowplow/node-tracker';
import { newInMemoryEventStore } from '@snowplow/tracker-core';
import type { CorePlugin, PayloadBuilder } from '@snowplow/tracker-core';

import { CLIENT_SESSION_SCHEMA, clientSessionContext, clientSessionPlugin } from '../../src/main';
import type { ClientSession } from '../../src/main';
import { eventIdPool, makeFixture, openSession, silentLogger } from '../lib/fixtures';
import type { ConfClass } from '../lib/fixtures';
import { median, startTiming } from '../lib/stats';
import type { Timing } from '../lib/stats';
import { rotate } from './stampRate';

export interface TrackerOptions {
  readonly warmupEvents: number;
  readonly eventsPerRepetition: number;
  readonly repetitions: number;
}

/** What `beforeTrack` attaches in each variant measured. */
export type TrackerVariant = 'constant' | 'plugin-sqlite';

export interface TrackerSection {
  readonly variants: {
    readonly variant: TrackerVariant;
    /** Median wall-clock microseconds per `track()` over the repetitions. */
    readonly usPerTrack: number;
    readonly tracksPerSecond: number;
    /** Median CPU microseconds of the process per `track()`. */
    readonly cpuUsPerTrack: number;
    readonly repetitionUs: number[];
  }[];
  /** Median time with the plugin on the SQLite store over the constant-entity median. */
  readonly pluginOverConstant: number;
  /** The same by CPU time, which other work on a shared machine disturbs less. */
  readonly pluginOverConstantCpu: number;
  /** The wall-clock ratio within each repetition, where both ran under the same load. */
  readonly pluginOverConstantPerRepetition: number[];
  /** Requests the emitter tried to send; the run fails unless this is 0. */
  readonly requestsSent: number;
  readonly emitter: string;
}

const VARIANTS: readonly TrackerVariant[] = ['constant', 'plugin-sqlite'];

const EVENT_SCHEMA = 'iglu:com.example/bench_click/jsonschema/1-0-0';

/** The buffer never fills, so the emitter never flushes and nothing is sent. */
const NEVER_FULL = 1_000_000_000;

/**
 * `track()` of a self-describing event on one real node-tracker whose single plugin hands
 * `beforeTrack` to the variant under test: a fixed `client_session` entity (what attaching any
 * entity costs the tracker), or `clientSessionPlugin` on a SQLite session. One tracker for
 * both, so the variants differ in nothing but what the plugin does. The constant entity is the
 * session's own first entity, so both attach the same shape and size.
 */
export async function measureTracker(
  Conf: ConfClass,
  options: TrackerOptions,
): Promise<TrackerSection> {
  const sqliteSession = openSession(makeFixture('sqlite', Conf).open());
  const stamped = clientSessionContext(sqliteSession.stamp(eventIdPool(1)[0]!, Date.now()));
  const constantEntity = { schema: stamped.schema, data: { ...stamped.data } };

  const plugins: Record<TrackerVariant, CorePlugin> = {
    constant: { beforeTrack: (builder) => builder.addContextEntity(constantEntity) },
    'plugin-sqlite': asCorePlugin(sqliteSession),
  };
  let current: CorePlugin = plugins.constant;

  let requestsSent = 0;
  // The emitter's default store, made here so that the run can look at what was tracked.
  const eventStore = newInMemoryEventStore({ maxSize: 1000 });
  const tracker = newTracker(
    { namespace: 'bench', appId: 'electron-client-session-bench' },
    {
      endpoint: 'http://127.0.0.1:9',
      bufferSize: NEVER_FULL,
      eventStore,
      customFetch: () => {
        requestsSent += 1;
        return Promise.resolve(new Response(null, { status: 200 }));
      },
    },
  );
  tracker.addPlugin({ plugin: { beforeTrack: (builder) => current.beforeTrack?.(builder) } });

  const trackMany = async (count: number): Promise<Timing> => {
    const stop = startTiming();
    for (let i = 0; i < count; i++) {
      tracker.track(
        buildSelfDescribingEvent({ event: { schema: EVENT_SCHEMA, data: { n: i, id: 'save' } } }),
      );
    }
    // The emitter finishes each event in promise callbacks: let them run inside the timing.
    await new Promise((resolve) => setImmediate(resolve));
    return stop();
  };

  for (const variant of VARIANTS) {
    current = plugins[variant];
    await trackMany(options.warmupEvents);
    // Guard against timing the wrong thing: the last event must carry the entity expected.
    const attached = await lastClientSession(eventStore);
    const constantIndex = constantEntity.data.eventIndex;
    const live = variant === 'constant' ? attached === constantIndex : attached > constantIndex;
    if (!live) {
      throw new Error(`${variant}: the last event carries client_session eventIndex ${attached}`);
    }
  }

  const timings = new Map<TrackerVariant, Timing[]>(VARIANTS.map((variant) => [variant, []]));
  for (let rep = 0; rep < options.repetitions; rep++) {
    for (const variant of rotate(VARIANTS, rep)) {
      current = plugins[variant];
      timings.get(variant)!.push(await trackMany(options.eventsPerRepetition));
    }
  }
  sqliteSession.close();

  const n = options.eventsPerRepetition;
  const wallUs = (variant: TrackerVariant) => timings.get(variant)!.map((t) => t.wallNs / n / 1e3);
  const cpuUs = (variant: TrackerVariant) =>
    median(timings.get(variant)!.map((t) => t.cpuNs / n / 1e3));
  const constant = wallUs('constant');
  const sqlite = wallUs('plugin-sqlite');
  return {
    variants: VARIANTS.map((variant) => {
      const repetitionUs = wallUs(variant);
      const usPerTrack = median(repetitionUs);
      const cpuUsPerTrack = cpuUs(variant);
      return {
        variant,
        usPerTrack,
        tracksPerSecond: 1e6 / usPerTrack,
        cpuUsPerTrack,
        repetitionUs,
      };
    }),
    pluginOverConstant: median(sqlite) / median(constant),
    pluginOverConstantCpu: cpuUs('plugin-sqlite') / cpuUs('constant'),
    pluginOverConstantPerRepetition: sqlite.map((us, i) => us / constant[i]!),
    requestsSent,
    emitter: `bufferSize ${NEVER_FULL} (never flushed); customFetch counts calls, none expected`,
  };
}

/** The `eventIndex` of the `client_session` entity on the newest event in the store. */
async function lastClientSession(store: ReturnType<typeof newInMemoryEventStore>) {
  const payloads = await store.getAllPayloads();
  const cx = payloads[payloads.length - 1]?.cx;
  if (typeof cx !== 'string') throw new Error('the tracked events carry no entities (cx)');
  const contexts = JSON.parse(Buffer.from(cx, 'base64url').toString('utf8')) as {
    data: { schema: string; data: { eventIndex?: number } }[];
  };
  const entity = contexts.data.find((c) => c.schema === CLIENT_SESSION_SCHEMA);
  if (entity?.data.eventIndex === undefined) throw new Error('no client_session entity tracked');
  return entity.data.eventIndex;
}

function asCorePlugin(session: ClientSession): CorePlugin {
  const plugin = clientSessionPlugin(session, { logger: silentLogger });
  return { beforeTrack: (builder: PayloadBuilder) => plugin.beforeTrack(builder) };
}
