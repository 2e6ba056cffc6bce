import type { ClientSessionEntity, SessionSnapshot } from '../shared/entity';
import { ClientSessionError } from '../shared/errors';
import { BRIDGE_VERSION, DEFAULT_BRIDGE_NAME } from '../shared/ipc';
import type { ClientSessionBridge, IpcError, IpcResult } from '../shared/ipc';

/**
 * The main process's session as a renderer sees it. Each failure throws a
 * `ClientSessionError` whose `code` says what went wrong (`SENDER_REFUSED`, `FORBIDDEN`,
 * `INVALID_ARGUMENT`, `CLOSED`, `NOT_INSTALLED`, `INTERNAL`).
 */
export interface RendererClientSession {
  /** The session as it is now; never starts or rotates one. */
  getSnapshot(): Promise<SessionSnapshot>;
  /** Keep-alive: activity without an event. Resolves with the snapshot after it. */
  extend(): Promise<SessionSnapshot>;
  /** The next event starts a new session. Rejects with `FORBIDDEN` when main does not allow it. */
  startNewSession(): Promise<SessionSnapshot>;
  /**
   * Calls `listener` with the state once the main process took the subscription, then on each
   * session start, foreground/background change, new-session request or setting change (not on
   * every event). Returns the function that unsubscribes. `onError` hears if the main process
   * refuses the subscription; without it, the refusal is logged by the preload.
   */
  onChange(
    listener: (snapshot: SessionSnapshot) => void,
    onError?: (error: ClientSessionError) => void,
  ): () => void;
  /**
   * Assigns an event to the session, synchronously, and returns its `client_session` data.
   * @param eventId - the event's UUID (`eid`)
   * @param timestamp - the event's own timestamp, epoch milliseconds
   *
   * @remarks
   * Blocks the page until the main process answers. With no handler there (before
   * `createClientSession()` set them up, after `dispose()` or a `session-end`), Electron answers
   * only once the main process garbage-collects the message, and this throws `NOT_INSTALLED`
   * then: check with `await getSnapshot()`, which fails at once, before stamping.
   */
  stamp(eventId: string, timestamp: number): ClientSessionEntity;
}

export interface GetClientSessionOptions {
  /**
   * The name the preload exposed the bridge under (`exposeClientSession({ name })`).
   * @default 'electronClientSession'
   */
  readonly name?: string;
  /**
   * Where to look for the bridge.
   * @default globalThis (the page's `window`)
   */
  readonly target?: object;
}

/**
 * The session bridge of this window, with errors turned into thrown `ClientSessionError`s.
 * Throws `NOT_INSTALLED` when the preload did not expose the bridge.
 *
 * @example
 * ```ts
 * const session = getClientSession();
 * const stop = session.onChange((snapshot) => render(snapshot));
 * ```
 */
export function getClientSession(options: GetClientSessionOptions = {}): RendererClientSession {
  const name = options.name ?? DEFAULT_BRIDGE_NAME;
  const target = (options.target ?? globalThis) as Record<string, unknown>;
  const bridge = target[name] as Partial<ClientSessionBridge> | undefined;

  if (bridge === undefined || bridge === null || typeof bridge.stamp !== 'function') {
    throw new ClientSessionError(
      'NOT_INSTALLED',
      `window.${name} is missing: call exposeClientSession() in this window's preload, or registerClientSessionPreload(session.defaultSession) in the main process before the window loads`,
    );
  }
  if (bridge.version !== BRIDGE_VERSION) {
    throw new ClientSessionError(
      'NOT_INSTALLED',
      `window.${name} speaks bridge version ${String(bridge.version)}, this code expects ${BRIDGE_VERSION}: the preload and the renderer come from different versions of electron-client-session`,
    );
  }
  return wrap(bridge as ClientSessionBridge);
}

function wrap(bridge: ClientSessionBridge): RendererClientSession {
  return {
    getSnapshot: async () => unwrap(await bridge.getSnapshot()),
    extend: async () => unwrap(await bridge.extend()),
    startNewSession: async () => unwrap(await bridge.startNewSession()),
    onChange: (listener, onError) =>
      bridge.subscribe(
        listener,
        onError === undefined ? undefined : (error) => onError(toError(error)),
      ),
    stamp: (eventId, timestamp) => unwrap(bridge.stamp(eventId, timestamp)),
  };
}

function unwrap<T>(result: IpcResult<T>): T {
  if (result.ok) return result.value;
  throw toError(result.error);
}

function toError(error: IpcError): ClientSessionError {
  return new ClientSessionError(error.code, error.message);
}
