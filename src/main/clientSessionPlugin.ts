import { ClientSessionError } from '../shared/errors';
import { createConsoleLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';
import { createStampingPlugin } from '../shared/stampingPlugin';
import type { PayloadBuilderLike, StampingPlugin } from '../shared/stampingPlugin';
import type { ClientSession } from './ClientSession';
import { warnUnknownOptions } from './warnUnknownOptions';

export type { PayloadBuilderLike };

/** A `@snowplow/tracker-core` plugin, as `tracker.addPlugin({ plugin })` takes it. */
export type ClientSessionTrackerPlugin = StampingPlugin;

export interface ClientSessionPluginOptions {
  /** Where a failure to stamp is reported. @default a console logger at level `warn` */
  readonly logger?: Logger;
}

const KNOWN: Record<keyof ClientSessionPluginOptions, true> = { logger: true };

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
  if (typeof (session as Partial<ClientSession> | undefined)?.stamp !== 'function') {
    throw new ClientSessionError(
      'INVALID_ARGUMENT',
      'clientSessionPlugin(session) takes a ClientSession (for createClientSession, hand the ' +
        'tracker its .plugin instead)',
    );
  }
  if (options === null || typeof options !== 'object') {
    throw new ClientSessionError(
      'INVALID_OPTION',
      'clientSessionPlugin(session, options) takes an options object such as { logger }',
    );
  }
  const logger = options.logger ?? createConsoleLogger();
  warnUnknownOptions(options, KNOWN, 'clientSessionPlugin()', logger);
  return createStampingPlugin((eventId, timestamp) => session.stamp(eventId, timestamp), logger);
}
