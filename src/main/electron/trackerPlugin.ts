import type { SelfDescribingJson } from '../../shared/entity';
import { createConsoleLogger } from '../../shared/logger';
import type { Logger } from '../../shared/logger';
import type { ClientSession } from '../ClientSession';
import { clientSessionPlugin } from '../clientSessionPlugin';
import type { ClientSessionTrackerPlugin, PayloadBuilderLike } from '../clientSessionPlugin';

/**
 * The part of tracker-core's `TrackerCore` used to track lifecycle events. Declared here so
 * that the package needs no Snowplow module to load; a type test checks it against the real one.
 */
export interface TrackerCoreLike {
  track(payloadBuilder: PayloadBuilderLike): unknown;
}

/**
 * The plugin `createClientSession` hands out, for `tracker.addPlugin({ plugin })`: it stamps
 * every event, and remembers the trackers it was added to so that lifecycle events can be
 * tracked through them.
 */
export interface ElectronTrackerPlugin extends ClientSessionTrackerPlugin {
  activateCorePlugin(core: TrackerCoreLike): void;
  deactivatePlugin(core: TrackerCoreLike): void;
}

/** Internal: the plugin plus the controls `createClientSession` drives it with. */
export interface TrackerPluginHost {
  readonly plugin: ElectronTrackerPlugin;
  /** From now on events are stamped by `session` (`null`: not yet, or no longer). */
  setSession(session: ClientSession | null): void;
  /** Setting up failed: events go without the entity, and the warning says why. */
  setUpFailed(): void;
  /**
   * Tracks a self-describing event through every tracker the plugin was added to. `data` is
   * called only once the event is certain to go to a tracker, so that an index it counts up
   * skips no number for events that could not be tracked.
   */
  trackSelfDescribing(schema: string, data: () => Record<string, unknown>): void;
}

/** tracker-core's `buildSelfDescribingEvent` (re-exported by the node and browser trackers). */
export type BuildSelfDescribingEvent = (event: { event: SelfDescribingJson }) => PayloadBuilderLike;

/**
 * @param builder - builds lifecycle events; when absent it is loaded from
 *   `@snowplow/tracker-core` the first time one is tracked
 */
export function createTrackerPluginHost(
  logger: Logger = createConsoleLogger(),
  builder?: BuildSelfDescribingEvent,
): TrackerPluginHost {
  const cores = new Set<TrackerCoreLike>();
  let stamp: ClientSessionTrackerPlugin | null = null;
  let warned = false;
  let hadSession = false;
  let failed = false;
  let build: BuildSelfDescribingEvent | null | undefined = builder;

  const plugin: ElectronTrackerPlugin = {
    beforeTrack(payloadBuilder) {
      if (stamp !== null) {
        stamp.beforeTrack(payloadBuilder);
      } else if (!warned) {
        warned = true;
        logger.warn(`an event was ${untracked()} and was sent without client_session`);
      }
    },
    activateCorePlugin(core) {
      cores.add(core);
    },
    deactivatePlugin(core) {
      cores.delete(core);
    },
  };

  const untracked = (): string => {
    if (failed) {
      return (
        'tracked after setting up the client session failed (the error was logged then; ' +
        'whenReady() rejects with it)'
      );
    }
    if (hadSession) {
      return 'tracked after the client session was closed (the app quit, or dispose() was called)';
    }
    return (
      'tracked before the client session was ready (the app is not ready yet; track after ' +
      '`await clientSession.whenReady()`)'
    );
  };

  return {
    plugin,
    setUpFailed() {
      if (failed) return;
      failed = true;
      warned = false;
    },
    setSession(session) {
      if (session !== null) {
        hadSession = true;
        warned = false;
      }
      stamp = session === null ? null : clientSessionPlugin(session, { logger });
    },
    trackSelfDescribing(schema, data) {
      if (cores.size === 0) {
        logger.debug(`no tracker has the plugin yet; ${schema} not tracked`);
        return;
      }
      build ??= loadBuildSelfDescribingEvent(logger);
      if (build === null) return;
      const event: SelfDescribingJson = { schema, data: data() };
      for (const core of cores) {
        try {
          core.track(build({ event }));
        } catch (error) {
          logger.error(`tracking ${event.schema} failed`, error);
        }
      }
    },
  };
}

function loadBuildSelfDescribingEvent(logger: Logger): BuildSelfDescribingEvent | null {
  try {
    // Loaded only when lifecycle events are on, so the package needs no Snowplow module
    // otherwise. It comes with @snowplow/node-tracker.
    const core = require('@snowplow/tracker-core') as {
      buildSelfDescribingEvent: BuildSelfDescribingEvent;
    };
    return core.buildSelfDescribingEvent;
  } catch (error) {
    logger.error(
      'lifecycle events need @snowplow/tracker-core, which could not be loaded (a bundled ' +
        'main process has no node_modules): pass lifecycleEvents: { buildSelfDescribingEvent } ' +
        "imported from '@snowplow/node-tracker', or turn lifecycleEvents off",
      error,
    );
    return null;
  }
}
