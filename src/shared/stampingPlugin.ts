import { clientSessionContext } from './entity';
import type { ClientSessionEntity } from './entity';
import type { Logger } from './logger';

/**
 * The part of tracker-core's `PayloadBuilder` the plugins use. Declared here so that the
 * package needs no Snowplow module at run time; type tests check it against the real one.
 */
export interface PayloadBuilderLike {
  getPayload(): Record<string, unknown>;
  addContextEntity(entity: { schema: string; data: Record<string, unknown> }): void;
}

/** A tracker plugin that stamps each event and attaches `client_session`. */
export interface StampingPlugin {
  beforeTrack(payloadBuilder: PayloadBuilderLike): void;
}

/**
 * The `beforeTrack` both tracker plugins share: stamps with the event's `eid` and its own
 * timestamp (`ttm` when the caller gave a true timestamp, else `dtm`), attaches the entity,
 * and reports the first failure of each kind (error code) only, so that one bad timestamp does
 * not hide a later `CLOSED`. An event that cannot be stamped is still tracked.
 */
export function createStampingPlugin(
  stamp: (eventId: string, timestamp: number) => ClientSessionEntity,
  logger: Logger,
): StampingPlugin {
  const reported = new Set<unknown>();
  return {
    beforeTrack(payloadBuilder) {
      const payload = payloadBuilder.getPayload();
      try {
        const entity = stamp(String(payload.eid), Number(payload.ttm ?? payload.dtm ?? Date.now()));
        payloadBuilder.addContextEntity(clientSessionContext(entity) as never);
      } catch (error) {
        const kind = (error as { code?: unknown } | null)?.code;
        if (!reported.has(kind)) {
          reported.add(kind);
          logger.error('an event could not be stamped and was sent without client_session', error);
        }
      }
    },
  };
}
