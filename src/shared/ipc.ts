// The IPC contract between the main process, the preload and the renderer. All three import
// it, so changing a channel or a message shape breaks the type check in every process at once.
// Plain data only: nothing here may import Node or Electron (the preload bundles this file).
import type { ClientSessionEntity, SessionSnapshot } from './entity';
import { PREFIX } from './errors';
import type { ClientSessionErrorCode } from './errors';

/** Channel names, namespaced by the package so they cannot clash with the app's own. */
export const CHANNELS = {
  /** invoke, no argument → `IpcResult<SessionSnapshot>` */
  snapshot: `${PREFIX}:snapshot`,
  /** invoke, no argument → `IpcResult<SessionSnapshot>` (after the keep-alive) */
  extend: `${PREFIX}:extend`,
  /** invoke, no argument → `IpcResult<SessionSnapshot>` (after the request) */
  newSession: `${PREFIX}:new-session`,
  /**
   * invoke, the bridge's {@link isSubscriptionId | subscription id} → `IpcResult<SessionSnapshot>`;
   * main then pushes on `changed` while any bridge of the page holds a subscription
   */
  subscribe: `${PREFIX}:subscribe`,
  /** invoke, the bridge's subscription id → `IpcResult<null>` */
  unsubscribe: `${PREFIX}:unsubscribe`,
  /** sendSync, one `StampRequest` → `IpcResult<ClientSessionEntity>` */
  stamp: `${PREFIX}:stamp`,
  /** main → renderer push, one `SessionSnapshot` */
  changed: `${PREFIX}:changed`,
} as const;

/** The channels the renderer calls with `ipcRenderer.invoke`. */
export type InvokeChannel = (typeof CHANNELS)[
  'snapshot' | 'extend' | 'newSession' | 'subscribe' | 'unsubscribe'];

/**
 * Whether `value` can be a bridge's subscription id: 8 to 32 lower-case letters and digits.
 * Each bridge draws one, so that two bridges in one page (the package's preload and the app's
 * own, under another name) hold their subscriptions apart.
 */
export function isSubscriptionId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-z]{8,32}$/.test(value);
}

/** What each invoke channel answers with, inside an {@link IpcResult}. */
export interface InvokeResponses {
  [CHANNELS.snapshot]: SessionSnapshot;
  [CHANNELS.extend]: SessionSnapshot;
  [CHANNELS.newSession]: SessionSnapshot;
  [CHANNELS.subscribe]: SessionSnapshot;
  [CHANNELS.unsubscribe]: null;
}

/** The one argument of the `stamp` channel. */
export interface StampRequest {
  /** The event's id (`eid`): a UUID, at most {@link MAX_EVENT_ID_LENGTH} characters. */
  readonly eventId: string;
  /**
   * The event's own timestamp (`dtm`, or `ttm` when the caller set a true timestamp), in epoch
   * milliseconds from {@link MIN_EVENT_TIMESTAMP_MS} to {@link MAX_EVENT_TIMESTAMP_MS}.
   */
  readonly timestamp: number;
}

/** A UUID is 36 characters; anything longer is refused before it is parsed. */
export const MAX_EVENT_ID_LENGTH = 36;

/** Earliest event timestamp accepted over IPC: 2000-01-01T00:00:00.000Z, in epoch ms. */
export const MIN_EVENT_TIMESTAMP_MS = Date.UTC(2000, 0, 1);

/** Latest event timestamp accepted over IPC: 2100-01-01T00:00:00.000Z, in epoch ms. */
export const MAX_EVENT_TIMESTAMP_MS = Date.UTC(2100, 0, 1);

/** The codes an IPC call can fail with. Stable: renderers may branch on them. */
export type IpcErrorCode = Extract<
  ClientSessionErrorCode,
  'INVALID_ARGUMENT' | 'FORBIDDEN' | 'SENDER_REFUSED' | 'CLOSED' | 'NOT_INSTALLED' | 'INTERNAL'
>;

/** A failure as it crosses the IPC boundary: a code and a message without the prefix. */
export interface IpcError {
  readonly code: IpcErrorCode;
  readonly message: string;
}

/**
 * What every handler answers: the value, or an error with a stable code. Errors travel as
 * data because neither `ipcRenderer.invoke` nor `contextBridge` keeps an Error's own
 * properties such as `code`.
 */
export type IpcResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: IpcError };

export function ok<T>(value: T): IpcResult<T> {
  return { ok: true, value };
}

export function fail(code: IpcErrorCode, message: string): IpcResult<never> {
  return { ok: false, error: { code, message } };
}

const IPC_ERROR_CODES: readonly string[] = [
  'INVALID_ARGUMENT',
  'FORBIDDEN',
  'SENDER_REFUSED',
  'CLOSED',
  'NOT_INSTALLED',
  'INTERNAL',
] satisfies IpcErrorCode[];

/**
 * Whether `value` has the shape of an {@link IpcResult}, with one of the known codes when it
 * failed (the preload checks main's answers).
 */
export function isIpcResult(value: unknown): value is IpcResult<unknown> {
  if (value === null || typeof value !== 'object') return false;
  const result = value as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  if (result.ok === true) return 'value' in result;
  return (
    result.ok === false &&
    typeof result.error === 'object' &&
    result.error !== null &&
    typeof result.error.code === 'string' &&
    IPC_ERROR_CODES.includes(result.error.code) &&
    typeof result.error.message === 'string'
  );
}

/** The name the preload exposes the bridge under on `window`, unless told otherwise. */
export const DEFAULT_BRIDGE_NAME = 'electronClientSession';

/** Bumped when the bridge changes incompatibly; the renderer client checks it. */
export const BRIDGE_VERSION = 1;

/**
 * What the preload puts on `window` (under {@link DEFAULT_BRIDGE_NAME} by default). Every
 * call answers with an {@link IpcResult} instead of throwing, because `contextBridge` drops an
 * error's `code`; `getClientSession()` in the renderer entry turns these into thrown errors.
 */
export interface ClientSessionBridge {
  readonly version: typeof BRIDGE_VERSION;
  /** The session as it is now; never starts or rotates one. */
  getSnapshot(): Promise<IpcResult<SessionSnapshot>>;
  /** Keep-alive: activity without an event. Answers the snapshot after it. */
  extend(): Promise<IpcResult<SessionSnapshot>>;
  /** The next event starts a new session; `FORBIDDEN` when the main process does not allow it. */
  startNewSession(): Promise<IpcResult<SessionSnapshot>>;
  /**
   * Calls `listener` with the snapshot the main process answers the subscription with, then
   * with a snapshot when a session starts, the app moves between foreground and background, a
   * new session is requested or a setting changes (not on every event). `onError` hears once
   * if the main process refuses the subscription (or has no handlers yet); without `onError`
   * the first refusal is logged. The listener is then dropped, and a later `subscribe` asks
   * again. Returns the only way to unsubscribe: `contextBridge` gives each call a new function,
   * so there is no remove-listener.
   */
  subscribe(
    listener: (snapshot: SessionSnapshot) => void,
    onError?: (error: IpcError) => void,
  ): () => void;
  /**
   * Assigns an event to the main process's session, synchronously (it blocks the renderer for
   * one IPC round trip), and answers the `client_session` entity data for it.
   *
   * @remarks
   * With no handler in the main process (before `createClientSession()` set them up once the
   * app is ready, or after `dispose()` or a `session-end`), Electron answers a synchronous
   * message only when the main process garbage-collects it: the page is blocked until then,
   * and the answer is `NOT_INSTALLED`. Create windows after `createClientSession()`, and check
   * with `getSnapshot()`, which fails at once, before stamping.
   */
  stamp(eventId: string, timestamp: number): IpcResult<ClientSessionEntity>;
}
