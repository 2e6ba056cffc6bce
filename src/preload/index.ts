export { exposeClientSession } from './exposeClientSession';
export type { ExposeClientSessionOptions, PreloadElectron } from './exposeClientSession';
export { createClientSessionBridge } from './createClientSessionBridge';
export type { BridgeIpcRenderer } from './createClientSessionBridge';
export { CHANNELS, DEFAULT_BRIDGE_NAME } from '../shared/ipc';
export type { ClientSessionBridge, IpcError, IpcErrorCode, IpcResult } from '../shared/ipc';
