export { registerClientSessionIpc } from './registerClientSessionIpc';
export type {
  ClientSessionIpcDeps,
  ClientSessionIpcOptions,
  IpcMainSeam,
} from './registerClientSessionIpc';
export {
  clientSessionPreloadPath,
  registerClientSessionPreload,
} from './registerClientSessionPreload';
export type { ClientSessionPreloadOptions, PreloadSession } from './registerClientSessionPreload';
export { DEFAULT_ALLOWED_ORIGINS, originOf } from './origins';
export type { AllowedOrigins } from './origins';
export type { FrameView, SenderView, WindowLookup } from './checkSender';
export { CHANNELS, DEFAULT_BRIDGE_NAME } from '../../shared/ipc';
export type {
  ClientSessionBridge,
  IpcError,
  IpcErrorCode,
  IpcResult,
  StampRequest,
} from '../../shared/ipc';
