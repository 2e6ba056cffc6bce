import type { IpcRendererEvent } from 'electron';

import type { ClientSessionEntity, SessionSnapshot } from '../shared/entity';
import { ClientSessionError } from '../shared/errors';
import { BRIDGE_VERSION, CHANNELS, MAX_EVENT_ID_LENGTH, fail, isIpcResult } from '../shared/ipc';
import type { ClientSessionBridge, InvokeChannel, IpcError, IpcResult } from '../shared/ipc';
import type { Logger } from '../shared/logger';

/** The parts of Electron's `ipcRenderer` the bridge uses. */
export interface BridgeIpcRenderer {
  invoke(channel: string, ...args: any[]): Promise<any>;
  sendSync(channel: string, ...args: any[]): any;
  on(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): unknown;
  removeListener(
    channel: string,
    listener: (event: IpcRendererEvent, ...args: any[]) => void,
  ): unknown;
}

type Listener = (snapshot: SessionSnapshot) => void;

const SETUP_HINT =
  'call registerClientSessionIpc() (or createClientSession()) in the main process before windows load';

/**
 * The object the preload exposes: each call goes to the main process over the package's
 * channels and answers an {@link IpcResult}, never a rejection. Only strings and numbers are
 * sent, so nothing the page passes in can fail to clone on the way.
 */
export function createClientSessionBridge(
  ipcRenderer: BridgeIpcRenderer,
  logger: Logger,
): ClientSessionBridge {
  // This bridge's own: another bridge in the page (the package's preload beside the app's) must
  // not end this one's subscription, nor this one the other's.
  const subscriptionId = newSubscriptionId();

  const call = async <T>(channel: InvokeChannel, ...args: string[]): Promise<IpcResult<T>> => {
    try {
      const result: unknown = await ipcRenderer.invoke(channel, ...args);
      if (isIpcResult(result)) return result as IpcResult<T>;
      return fail(
        'NOT_INSTALLED',
        `the main process gave no valid answer on ${channel}: ${SETUP_HINT}`,
      );
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (text.includes('No handler registered')) {
        return fail(
          'NOT_INSTALLED',
          `nothing handles ${channel} in the main process: ${SETUP_HINT}`,
        );
      }
      return fail('INTERNAL', `${channel} failed: ${text}`);
    }
  };

  /** `heard`: a push reached it, newer than the snapshot its subscribe call answers. */
  const listeners = new Set<{ readonly listener: Listener; heard: boolean }>();
  let refusalLogged = false;
  const tell = (listener: Listener, snapshot: SessionSnapshot): void => {
    try {
      listener(snapshot);
    } catch (error) {
      logger.error('a session change listener threw', error);
    }
  };
  const onChanged = (_event: IpcRendererEvent, snapshot: SessionSnapshot): void => {
    for (const entry of [...listeners]) {
      entry.heard = true;
      tell(entry.listener, snapshot);
    }
  };

  const subscribe = (listener: Listener, onError?: (error: IpcError) => void): (() => void) => {
    if (typeof listener !== 'function') {
      throw new ClientSessionError('INVALID_ARGUMENT', 'subscribe(listener) takes a function');
    }
    const entry = { listener, heard: false };
    listeners.add(entry);
    if (listeners.size === 1) ipcRenderer.on(CHANNELS.changed, onChanged);

    // Every subscribe asks main, even while an earlier one holds: main keeps one entry per
    // bridge, and a main process registered again since (or only now) would otherwise never
    // hear of it. A subscription main did not take is dropped, so the page can simply ask again.
    void call<SessionSnapshot>(CHANNELS.subscribe, subscriptionId).then((result) => {
      if (result.ok) {
        // The state as main took the subscription, unless a push already said something newer.
        if (listeners.has(entry) && !entry.heard) tell(listener, result.value);
        return;
      }
      if (!listeners.delete(entry)) return;
      if (listeners.size === 0) ipcRenderer.removeListener(CHANNELS.changed, onChanged);
      if (typeof onError === 'function') {
        try {
          onError(result.error);
        } catch (error) {
          logger.error('a subscription error listener threw', error);
        }
      } else if (!refusalLogged) {
        refusalLogged = true;
        logger.warn(
          `a subscription was refused and dropped (${result.error.code}: ${result.error.message}); ` +
            'pass onError to subscribe() to hear of it',
        );
      }
    });

    return () => {
      if (!listeners.delete(entry) || listeners.size > 0) return;
      ipcRenderer.removeListener(CHANNELS.changed, onChanged);
      void call<null>(CHANNELS.unsubscribe, subscriptionId);
    };
  };

  const stamp = (eventId: string, timestamp: number): IpcResult<ClientSessionEntity> => {
    if (typeof eventId !== 'string' || eventId.length > MAX_EVENT_ID_LENGTH) {
      return fail(
        'INVALID_ARGUMENT',
        `stamp(eventId, timestamp) takes the event's UUID as eventId, got ${kind(eventId)}`,
      );
    }
    if (typeof timestamp !== 'number') {
      return fail(
        'INVALID_ARGUMENT',
        `stamp(eventId, timestamp) takes epoch milliseconds as timestamp, got ${kind(timestamp)}`,
      );
    }
    try {
      const result: unknown = ipcRenderer.sendSync(CHANNELS.stamp, { eventId, timestamp });
      if (isIpcResult(result) && (!result.ok || isObject(result.value))) {
        return result as IpcResult<ClientSessionEntity>;
      }
      // With no listener in main, Electron holds the page until main drops the message, then
      // answers { error: 'reply was never sent' }.
      if (isObject(result) && !('ok' in result) && typeof result.error === 'string') {
        return fail(
          'NOT_INSTALLED',
          `nothing in the main process answered ${CHANNELS.stamp} (Electron: "${result.error}"), ` +
            `so the page waited until Electron gave up: ${SETUP_HINT}, and stamp only once ` +
            'getSnapshot() succeeds',
        );
      }
      return fail(
        'NOT_INSTALLED',
        `the main process gave no valid answer on ${CHANNELS.stamp}: ${SETUP_HINT}`,
      );
    } catch (error) {
      return fail('INTERNAL', `${CHANNELS.stamp} failed: ${String(error)}`);
    }
  };

  return Object.freeze({
    version: BRIDGE_VERSION,
    getSnapshot: () => call<SessionSnapshot>(CHANNELS.snapshot),
    extend: () => call<SessionSnapshot>(CHANNELS.extend),
    startNewSession: () => call<SessionSnapshot>(CHANNELS.newSession),
    subscribe,
    stamp,
  });
}

/** 16 lower-case letters and digits, random enough to tell the bridges of one page apart. */
function newSubscriptionId(): string {
  let id = '';
  while (id.length < 16) id += Math.random().toString(36).slice(2);
  return id.slice(0, 16);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function kind(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : typeof value;
}
