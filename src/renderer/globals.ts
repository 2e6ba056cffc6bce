// Opt-in global typing: `import 'electron-client-session/renderer/globals'` once in the
// renderer (or list it in tsconfig "types") to type `window.electronClientSession`. Pages that
// expose the bridge under another name declare that name themselves.
import type { ClientSessionBridge } from '../shared/ipc';

declare global {
  interface Window {
    /** The session bridge put there by electron-client-session's preload, when it ran. */
    readonly electronClientSession?: ClientSessionBridge;
  }
}

export {};
