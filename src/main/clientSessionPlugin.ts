import { clientSessionContext } from '../shared/entity';
import { createConsoleLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';
import type { ClientSession } from './ClientSession';

/**
 * The part of tracker-core's `PayloadBuilder` the plugin uses. Declared here so that the
 * package needs no Snowplow module at run time; a type test checks it against the real one.
 */
export interface PayloadBuilderLike {
  getPayload(): Record<string, unknown>;
  addContextEntity(entity: { schema: string; data: Record<string, unknown> }): void;
}

/** A `@snowplow/tracker-core` plugin, as `tracker.addPlugin({ plugin })` takes it. */
export interface ClientSessionTrackerPlugin {
  beforeTrack(payloadBuilder: PayloadBuilderLike): void;
}

export interface ClientSessionPluginOptions {
  /** Where a failure to stamp is reported. @default a console logger at level `warn` */
  readonly logger?: Logger;
}

/**
 * Makes a plugin for `@snowplow/node-tracker` (any tracker on `@snowplow/tracker-core`) that
 * stamps each event with `session` and attaches the `client_session` entity.
 *
 * @example
 * ```ts
 * tracker.addPlugin({ plugin: clientSessionPlugin(session) });
 * ```
 *
 * @remarks
 * The event's own timestamp is `ttm` when the caller gave a true timestamp, else `dtm`. An
 * event the plugin cannot stamp (say, after `session.close()`) is still tracked, without the
 * entity, and the failure is logged once.
 */
export function clientSessionPlugin(
  session: ClientSession,
  options: ClientSessionPluginOptions = {},
): ClientSessionTrackerPlugin {
  const logger = options.logger ?? createConsoleLogger();
  let reported = false;

  return {
    beforeTrack(payloadBuilder) {
      const payload = payloadBuilder.getPayload();
      try {
        const entity = session.stamp(
          payload.eid as string,
          Number(payload.ttm ?? payload.dtm ?? Date.now()),
        );
        payloadBuilder.addContextEntity(clientSessionContext(entity) as never);
      } catch (error) {
        if (!reported) {
          reported = true;
          logger.error('an event could not be stamped and was sent without client_session', error);
        }
      }
    },
  };
}
