import type { ClientSessionEntity } from 'electron-client-session';

/** A self-describing JSON as it arrived in a tracker request. */
export interface ReceivedSelfDescribingJson {
  readonly schema: string;
  readonly data: unknown;
}

/**
 * One event as the demo's embedded collector received and decoded it. Plain data, so it can be
 * sent to the windows as it is.
 */
export interface CollectedEvent {
  /** Order of arrival at the collector, from 1. */
  readonly sequence: number;
  /** Epoch milliseconds at which the collector received the request. */
  readonly receivedAt: number;
  /** The event id (`eid`). */
  readonly eventId: string;
  /** The event type code (`e`): `se`, `ue`, `pv`, ... */
  readonly eventType: string;
  /** A short human description: the structured event's category and action, or the schema. */
  readonly name: string;
  /** The tracker namespace (`tna`): tells which process or window tracked it. */
  readonly trackerNamespace: string | null;
  readonly appId: string | null;
  readonly platform: string | null;
  /** The device timestamp (`dtm`) in epoch milliseconds. */
  readonly deviceTimestamp: number | null;
  /** Every entity attached to the event (`cx` or `co`). */
  readonly entities: readonly ReceivedSelfDescribingJson[];
  /** The data of the `client_session` entity, or `null` when the event carried none. */
  readonly clientSession: ClientSessionEntity | null;
  /** How many `client_session` entities the event carried: exactly 1 is right. */
  readonly clientSessionCount: number;
  /** The raw fields of the event, as strings. */
  readonly payload: Readonly<Record<string, string>>;
}
