import { createConsoleLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';
import { createStampingPlugin } from '../shared/stampingPlugin';
import type { PayloadBuilderLike, StampingPlugin } from '../shared/stampingPlugin';
import { getClientSession } from './getClientSession';
import type { RendererClientSession } from './getClientSession';

export type { PayloadBuilderLike as BrowserPayloadBuilderLike };

/** A plugin as `@snowplow/browser-tracker` takes it (`plugins: [...]` or `addPlugin`). */
export type ClientSessionBrowserPlugin = StampingPlugin;

export interface ClientSessionBrowserPluginOptions {
  /** The bridge to stamp through. @default getClientSession({ name }) */
  readonly session?: RendererClientSession;
  /** The name the preload exposed the bridge under. @default 'electronClientSession' */
  readonly name?: string;
  /** Where a failure to stamp is reported (once). @default console, level `warn` */
  readonly logger?: Logger;
}

/**
 * Makes a plugin for `@snowplow/browser-tracker` that stamps each event through the bridge, so
 * that events from every window and from the main process share one session and one event
 * order, and attaches the `client_session` entity.
 *
 * @example
 * ```ts
 * newTracker('sp', 'https://collector.example.com', {
 *   appId: 'my-app',
 *   contexts: { session: false }, // the tracker's own cookie session entity stays off
 *   plugins: [clientSessionBrowserPlugin()],
 * });
 * ```
 *
 * @remarks
 * Throws `NOT_INSTALLED` at once when the preload did not expose the bridge. Stamping is a
 * synchronous IPC call (`ipcRenderer.sendSync`): it blocks the page for one round trip to the
 * main process. An event that cannot be stamped (a refused page, a closed session) is still
 * tracked, without the entity, and the failure is logged once. When the main process has no
 * handler (before `createClientSession()` set them up, after `dispose()`), the page stays
 * blocked until Electron gives up on the message: `await session.getSnapshot()`, which fails at
 * once, before creating the tracker.
 */
export function clientSessionBrowserPlugin(
  options: ClientSessionBrowserPluginOptions = {},
): ClientSessionBrowserPlugin {
  const session =
    options.session ?? getClientSession(options.name === undefined ? {} : { name: options.name });
  return createStampingPlugin(
    (eventId, timestamp) => session.stamp(eventId, timestamp),
    options.logger ?? createConsoleLogger(),
  );
}
