// Bundled by esbuild and run in headless Chromium by test/renderer.tracker.test.ts: the
// package's real preload code and renderer plugin, and a real @snowplow/browser-tracker.
// Electron's IPC is played by HTTP to the test process, which hands each message to the
// main-process handlers; sendSync is a synchronous XMLHttpRequest, so it blocks like Electron's.
import { newTracker, trackSelfDescribingEvent } from '@snowplow/browser-tracker';

import type { BridgeIpcRenderer } from '../../src/preload/createClientSessionBridge';
import { exposeClientSession } from '../../src/preload/exposeClientSession';
import { clientSessionBrowserPlugin } from '../../src/renderer/clientSessionBrowserPlugin';
import { createConsoleLogger } from '../../src/shared/logger';

export interface PageTrackerOptions {
  /** `contexts.session` of the browser tracker. */
  readonly trackerSessionEntity: boolean;
  readonly stateStorageStrategy: 'cookieAndLocalStorage' | 'none';
}

declare global {
  interface Window {
    startTracker(options: PageTrackerOptions): void;
    trackStep(step: number): void;
  }
}

const ipcUrl = `/ipc${location.pathname}`;

const ipcRenderer: BridgeIpcRenderer = {
  sendSync(channel, ...args) {
    const request = new XMLHttpRequest();
    request.open('POST', ipcUrl, false);
    request.setRequestHeader('content-type', 'application/json');
    request.send(JSON.stringify({ kind: 'sync', channel, args }));
    return (JSON.parse(request.responseText) as { result?: unknown }).result;
  },
  async invoke(channel, ...args) {
    const response = await fetch(ipcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'invoke', channel, args }),
    });
    const body = (await response.json()) as { result?: unknown; error?: string };
    if (body.error !== undefined) throw new Error(body.error);
    return body.result;
  },
  on: () => ipcRenderer,
  removeListener: () => ipcRenderer,
};

// What the preload does, with the page's window standing in for the main world.
exposeClientSession({
  electron: {
    ipcRenderer,
    contextBridge: {
      exposeInMainWorld(key, api) {
        (window as unknown as Record<string, unknown>)[key] = api;
      },
    },
  },
  contextIsolated: true,
  logger: createConsoleLogger('silent'),
});

window.startTracker = (options) => {
  newTracker('sp', location.origin, {
    appId: 'electron-client-session-test',
    encodeBase64: false,
    bufferSize: 1,
    stateStorageStrategy: options.stateStorageStrategy,
    contexts: { webPage: false, session: options.trackerSessionEntity },
    plugins: [clientSessionBrowserPlugin()],
  });
};

window.trackStep = (step) => {
  trackSelfDescribingEvent({
    event: { schema: 'iglu:com.acme/step/jsonschema/1-0-0', data: { step } },
  });
};
