export { getClientSession } from './getClientSession';
export type { GetClientSessionOptions, RendererClientSession } from './getClientSession';
export { clientSessionBrowserPlugin } from './clientSessionBrowserPlugin';
export type {
  BrowserPayloadBuilderLike,
  ClientSessionBrowserPlugin,
  ClientSessionBrowserPluginOptions,
} from './clientSessionBrowserPlugin';
export { CHANNELS, DEFAULT_BRIDGE_NAME } from '../shared/ipc';
export type { ClientSessionBridge, IpcError, IpcErrorCode, IpcResult } from '../shared/ipc';
export { CLIENT_SESSION_SCHEMA } from '../shared/entity';
export type { ClientSessionEntity, SessionSnapshot } from '../shared/entity';
export { ClientSessionError } from '../shared/errors';
export type { ClientSessionErrorCode } from '../shared/errors';
