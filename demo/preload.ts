// The demo's preload: the library's session bridge (window.electronClientSession), plus the
// demo's own controls (window.demo). Bundled into one CommonJS file that requires only
// 'electron', as a sandboxed window needs.
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { exposeClientSession } from 'electron-client-session/preload';

import type { CollectedEvent } from './shared/collectedEvent';
import { DEMO_CHANNELS } from './shared/demoBridge';
import type { DemoBridge } from './shared/demoBridge';

exposeClientSession({ electron: { contextBridge, ipcRenderer } });

const demo: DemoBridge = {
  info: () => ipcRenderer.invoke(DEMO_CHANNELS.info),
  events: () => ipcRenderer.invoke(DEMO_CHANNELS.events),
  trackFromMain: (label) => ipcRenderer.invoke(DEMO_CHANNELS.trackFromMain, String(label)),
  openWindow: () => ipcRenderer.invoke(DEMO_CHANNELS.openWindow),
  setBackground: (isBackground) =>
    ipcRenderer.invoke(DEMO_CHANNELS.setBackground, isBackground === true),
  onCollected(listener) {
    const forward = (_event: IpcRendererEvent, collected: CollectedEvent) => listener(collected);
    ipcRenderer.on(DEMO_CHANNELS.collected, forward);
    return () => {
      ipcRenderer.removeListener(DEMO_CHANNELS.collected, forward);
    };
  },
};
contextBridge.exposeInMainWorld('demo', demo);
