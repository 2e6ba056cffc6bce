/** Iglu URI of the entity this package attaches to every event. */
export const CLIENT_SESSION_SCHEMA =
  'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2';

/** Iglu URI of the optional event tracked when the app comes to the foreground. */
export const APPLICATION_FOREGROUND_SCHEMA =
  'iglu:com.snowplowanalytics.snowplow/application_foreground/jsonschema/1-0-0';

/** Iglu URI of the optional event tracked when the app goes to the background. */
export const APPLICATION_BACKGROUND_SCHEMA =
  'iglu:com.snowplowanalytics.snowplow/application_background/jsonschema/1-0-0';

/** The user id reported while anonymous mode is on. */
export const ANONYMOUS_USER_ID = '00000000-0000-0000-0000-000000000000';

/** The only values the `client_session` schema allows for `storageMechanism`. */
export const STORAGE_MECHANISMS = [
  'SQLITE',
  'COOKIE_1',
  'COOKIE_3',
  'LOCAL_STORAGE',
  'FLASH_LSO',
] as const;

export type StorageMechanism = (typeof STORAGE_MECHANISMS)[number];

/**
 * The data of the `client_session` 1-0-2 entity: exactly these eight keys, no others
 * (the schema forbids additional properties).
 */
export interface ClientSessionEntity {
  /** Lowercase UUID of the installation; all zeros in anonymous mode. */
  readonly userId: string;
  /** Lowercase UUID v4 of the current session. */
  readonly sessionId: string;
  /** 1 for the first session of the installation, +1 for each new one. */
  readonly sessionIndex: number;
  /** 1 for the first event of the session, +1 for each stamped event. */
  readonly eventIndex: number;
  /** Id of the session before this one, or `null`. The key is always present. */
  readonly previousSessionId: string | null;
  readonly storageMechanism: StorageMechanism;
  /** Event id (`eid`) of the session's first event. */
  readonly firstEventId: string;
  /** ISO 8601 UTC timestamp with milliseconds of the session's first event. */
  readonly firstEventTimestamp: string;
}

/** A self-describing JSON as Snowplow trackers take it. */
export interface SelfDescribingJson<T = Record<string, unknown>> {
  readonly schema: string;
  readonly data: T;
}

/**
 * What the main process reports about the session without stamping an event. Plain data
 * only: it crosses the IPC boundary as it is.
 */
export interface SessionSnapshot {
  /**
   * The entity of the last event this process stamped, or `null` before its first (also after
   * a restart: the store holds the event indexes reserved ahead, not the last one handed out).
   */
  readonly entity: ClientSessionEntity | null;
  /** Whether the app is in the background (no window of it focused). */
  readonly isBackground: boolean;
  /** Epoch milliseconds of the last event, transition or keep-alive; `null` before any. */
  readonly lastActivity: number | null;
  /**
   * Epoch milliseconds after which the next event starts a new session if nothing happens
   * before; `null` when there is no session yet or a new one is already due.
   */
  readonly expiresAt: number | null;
  /** True when the next event will start a new session whatever the time. */
  readonly newSessionDue: boolean;
  /** The timeout in force now, in seconds (background or foreground). */
  readonly timeoutSeconds: number;
}

/** Wraps entity data as the self-describing JSON trackers attach. */
export function clientSessionContext(
  entity: ClientSessionEntity,
): SelfDescribingJson<ClientSessionEntity> {
  return { schema: CLIENT_SESSION_SCHEMA, data: entity };
}
