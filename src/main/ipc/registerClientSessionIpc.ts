import type { IpcMainEvent, IpcMainInvokeEvent } from 'electron';

import { ClientSessionError } from '../../shared/errors';
import { CHANNELS, fail, ok } from '../../shared/ipc';
import type { InvokeChannel, InvokeResponses, IpcResult } from '../../shared/ipc';
import { createConsoleLogger } from '../../shared/logger';
import type { Logger } from '../../shared/logger';
import type { ClientSession } from '../ClientSession';
import { refusalOf } from './checkSender';
import type { FrameView, SenderCheck, SenderView, WindowLookup } from './checkSender';
import { originMatcher } from './origins';
import { failure, neverThrowing, plainEntity, plainSnapshot } from './replies';
import type { AllowedOrigins } from './origins';
import { assertNoArguments, parseStampRequest, parseSubscriptionId } from './validateRequest';

/** The parts of Electron's `ipcMain` used. */
export interface IpcMainSeam {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => unknown): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: IpcMainEvent, ...args: any[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcMainEvent, ...args: any[]) => void): unknown;
}

/** The Electron objects and the session the handlers work with. */
export interface ClientSessionIpcDeps {
  /** Electron's `ipcMain`. */
  readonly ipcMain: IpcMainSeam;
  /** The session renderers reach. */
  readonly session: Pick<
    ClientSession,
    'getSnapshot' | 'extend' | 'startNewSession' | 'stamp' | 'onChange'
  >;
  /** Electron's `BrowserWindow` class: only a window's own top-level page is served. */
  readonly BrowserWindow: WindowLookup;
}

export interface ClientSessionIpcOptions {
  /**
   * Origins whose pages may use the bridge, compared with the origin of the sending frame's
   * URL: `'file://'` covers every file, custom schemes are written `'app://bundle'`, a dev
   * server `'http://localhost:5173'`. Or a function `(origin, url) => boolean`.
   * @default ['file://'] (pages opened with `loadFile()`)
   */
  readonly allowedOrigins?: AllowedOrigins;
  /**
   * Whether renderers may start a new session. When `false` they get the code `FORBIDDEN`.
   * @default true
   */
  readonly allowNewSession?: boolean;
  /** Where refused senders and internal failures are reported. @default console, level `warn` */
  readonly logger?: Logger;
}

/** At most this many distinct refusals are logged, so a busy iframe cannot flood the log. */
const MAX_LOGGED_REFUSALS = 50;
/**
 * Subscription ids one page may hold. A bridge draws one; a page has one or two bridges (the
 * package's preload beside the app's own). The cap keeps a page from growing main's memory.
 */
const MAX_SUBSCRIPTIONS_PER_PAGE = 16;

type InvokeHandler<C extends InvokeChannel> = (
  sender: SenderView,
  frame: FrameView,
  args: readonly unknown[],
) => InvokeResponses[C];

/** One page that subscribed: where to push, and which of its bridges asked. */
interface Subscriber {
  readonly sender: SenderView;
  readonly frame: FrameView;
  readonly ids: Set<string>;
}

/**
 * Registers the main-process side of the renderer bridge and returns a function that removes
 * it again. Every message is checked (sender, then arguments) before the session is touched;
 * a refused or malformed message gets an error with a stable code and changes nothing.
 *
 * @example
 * ```ts
 * const dispose = registerClientSessionIpc({ ipcMain, session, BrowserWindow }, {
 *   allowedOrigins: ['file://', 'http://localhost:5173'],
 * });
 * ```
 *
 * @remarks
 * Registers each channel once: a second registration before the first is disposed throws
 * `ALREADY_CREATED`. Changes are pushed only to pages that subscribed, and only while they
 * still pass the sender check: once per page while any of its bridges (each with its own
 * subscription id) holds a subscription.
 */
export function registerClientSessionIpc(
  deps: ClientSessionIpcDeps,
  options: ClientSessionIpcOptions = {},
): () => void {
  assertDeps(deps);
  const { ipcMain, session } = deps;
  const logger = neverThrowing(options.logger ?? createConsoleLogger());
  const allowNewSession = options.allowNewSession ?? true;
  if (typeof allowNewSession !== 'boolean') {
    throw new ClientSessionError('INVALID_OPTION', 'options.allowNewSession must be a boolean');
  }
  const check: SenderCheck = {
    windows: deps.BrowserWindow,
    isAllowedOrigin: originMatcher(options.allowedOrigins),
  };
  /** By webContents id. One push per page, however many of its bridges subscribed. */
  const subscribers = new Map<number, Subscriber>();
  const loggedRefusals = new Set<string>();

  const refuse = (channel: string, reason: string): IpcResult<never> => {
    if (loggedRefusals.size < MAX_LOGGED_REFUSALS && !loggedRefusals.has(reason)) {
      loggedRefusals.add(reason);
      logger.warn(`refused ${channel} from ${reason}`);
    }
    return fail('SENDER_REFUSED', `the main process refused this message: it came from ${reason}`);
  };

  const serve = <T>(
    channel: string,
    event: IpcMainEvent | IpcMainInvokeEvent,
    run: (sender: SenderView, frame: FrameView) => T,
  ): IpcResult<T> => {
    let sender: SenderView | undefined;
    let frame: FrameView | null | undefined;
    try {
      sender = event.sender;
      frame = event.senderFrame;
    } catch {
      return refuse(channel, 'a sender that could not be inspected');
    }
    const refusal = refusalOf(check, sender, frame);
    if (refusal !== null || sender == null || frame == null) {
      return refuse(channel, refusal ?? 'an unknown sender');
    }
    try {
      return ok(run(sender, frame));
    } catch (error) {
      return failure(channel, error, logger);
    }
  };

  const handlers: { [C in InvokeChannel]: InvokeHandler<C> } = {
    [CHANNELS.snapshot]: (_sender, _frame, args) => {
      assertNoArguments(CHANNELS.snapshot, args);
      return plainSnapshot(session.getSnapshot());
    },
    [CHANNELS.extend]: (_sender, _frame, args) => {
      assertNoArguments(CHANNELS.extend, args);
      session.extend();
      return plainSnapshot(session.getSnapshot());
    },
    [CHANNELS.newSession]: (_sender, _frame, args) => {
      assertNoArguments(CHANNELS.newSession, args);
      if (!allowNewSession) {
        throw new ClientSessionError(
          'FORBIDDEN',
          'the main process does not let renderers start a new session (allowNewSession: false)',
        );
      }
      session.startNewSession();
      return plainSnapshot(session.getSnapshot());
    },
    [CHANNELS.subscribe]: (sender, frame, args) => {
      const id = parseSubscriptionId(CHANNELS.subscribe, args);
      let subscriber = subscribers.get(sender.id);
      // Another frame means another document: what its bridges asked for went with it.
      if (subscriber === undefined || !sameFrame(subscriber.frame, frame)) {
        subscriber = { sender, frame, ids: new Set() };
        subscribers.set(sender.id, subscriber);
      }
      if (!subscriber.ids.has(id) && subscriber.ids.size >= MAX_SUBSCRIPTIONS_PER_PAGE) {
        throw new ClientSessionError(
          'INVALID_ARGUMENT',
          `${CHANNELS.subscribe}: this page already holds ${MAX_SUBSCRIPTIONS_PER_PAGE} subscription ids, the most one page may; unsubscribe one first`,
        );
      }
      subscriber.ids.add(id);
      return plainSnapshot(session.getSnapshot());
    },
    [CHANNELS.unsubscribe]: (sender, _frame, args) => {
      const id = parseSubscriptionId(CHANNELS.unsubscribe, args);
      const subscriber = subscribers.get(sender.id);
      subscriber?.ids.delete(id);
      if (subscriber?.ids.size === 0) subscribers.delete(sender.id);
      return null;
    },
  };

  const onStamp = (event: IpcMainEvent, ...args: unknown[]): void => {
    const result = serve(CHANNELS.stamp, event, () => {
      const request = parseStampRequest(CHANNELS.stamp, args);
      return plainEntity(session.stamp(request.eventId, request.timestamp));
    });
    try {
      // A sync sender waits for this value; it must be set whatever happened above.
      event.returnValue = result;
    } catch {
      // The sender went away while we worked: nobody is waiting any more.
    }
  };

  const registered: InvokeChannel[] = [];
  try {
    for (const channel of Object.keys(handlers) as InvokeChannel[]) {
      const handler = handlers[channel] as InvokeHandler<InvokeChannel>;
      ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...args: unknown[]) =>
        serve(channel, event, (sender, frame) => handler(sender, frame, args)),
      );
      registered.push(channel);
    }
  } catch (error) {
    for (const channel of registered) ipcMain.removeHandler(channel);
    throw new ClientSessionError(
      'ALREADY_CREATED',
      `could not register the IPC handlers (${String(error)}); they are probably registered already: call the function the first registerClientSessionIpc() returned before registering again`,
      { cause: error },
    );
  }
  ipcMain.on(CHANNELS.stamp, onStamp);

  const stopPushing = session.onChange((snapshot) => {
    const plain = plainSnapshot(snapshot);
    for (const [id, { sender, frame }] of subscribers) {
      if (refusalOf(check, sender, frame) !== null) {
        subscribers.delete(id);
        continue;
      }
      try {
        frame.send(CHANNELS.changed, plain);
      } catch {
        subscribers.delete(id);
      }
    }
  });

  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    for (const channel of registered) ipcMain.removeHandler(channel);
    ipcMain.removeListener(CHANNELS.stamp, onStamp);
    stopPushing();
    subscribers.clear();
  };
}

function sameFrame(a: FrameView, b: FrameView): boolean {
  try {
    return a === b || (a.processId === b.processId && a.routingId === b.routingId);
  } catch {
    // A frame destroyed since throws when read: it is not the one sending now.
    return false;
  }
}

function assertDeps(deps: ClientSessionIpcDeps): void {
  const missing = [
    typeof deps?.ipcMain?.handle !== 'function' && 'ipcMain',
    typeof deps?.session?.onChange !== 'function' && 'session',
    typeof deps?.BrowserWindow?.fromWebContents !== 'function' && 'BrowserWindow',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      `registerClientSessionIpc(deps) needs deps.${missing.join(', deps.')} (pass Electron's ipcMain and BrowserWindow and your ClientSession)`,
    );
  }
}
