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
        // Passed on as found (a timestamp string as its number), so that a missing or odd value is
        // described as what it is: `got undefined`, not `got "undefined"`.
        const eventId = payload.eid as string;
        const timestamp = numeric(payload.ttm ?? payload.dtm ?? Date.now()) as number;
        const entity = stamp(eventId, timestamp);
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

/** The payload keeps timestamps as strings of digits: those become numbers, the rest stays. */
function numeric(value: unknown): unknown {
  return typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}
