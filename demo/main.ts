// The demo's Electron entry: the only file that imports 'electron'. Everything it starts is in
// demo/app/startDemo.ts, which the end-to-end test drives outside Electron.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { app, BrowserWindow, ipcMain, powerMonitor } from 'electron';

import { startDemo } from './app/startDemo';
import type { Demo } from './app/startDemo';
import { DEMO_APP } from './shared/demoApp';

// Defined by Electron Forge's Vite plugin: the dev server's URL under `npm start`, and the
// folder name of the built page in a package.
declare const MAIN_WINDOW_VITE_DEV_SERVER_URL: string | undefined;
declare const MAIN_WINDOW_VITE_NAME: string;

// Set before anything reads `userData`, so that `npm start` (which runs the bundle, not a
// package) and the packaged app keep their session in the same folder.
app.setName(DEMO_APP.productName);
app.setPath(
  'userData',
  process.env.DEMO_USER_DATA_DIR ?? join(app.getPath('appData'), DEMO_APP.productName),
);

const rendererUrl =
  MAIN_WINDOW_VITE_DEV_SERVER_URL ??
  pathToFileURL(join(__dirname, `../renderer/${MAIN_WINDOW_VITE_NAME}/index.html`)).href;

const seconds = (name: string): number | undefined => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : Number(value);
};

let demo: Demo | null = null;

app
  .whenReady()
  .then(async () => {
    demo = await startDemo(
      { app, BrowserWindow, ipcMain, powerMonitor },
      {
        rendererUrl,
        preloadPath: join(__dirname, 'preload.js'),
        collectorUrl: process.env.SNOWPLOW_COLLECTOR_URL || undefined,
        foregroundTimeout: seconds('DEMO_FOREGROUND_TIMEOUT'),
        backgroundTimeout: seconds('DEMO_BACKGROUND_TIMEOUT'),
      },
    );
    await demo.openWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) void demo?.openWindow();
    });
  })
  .catch((error: unknown) => {
    console.error('The demo could not start:', error);
    app.exit(1);
  });

// A demo: quit with the last window, on macOS too.
app.on('window-all-closed', () => app.quit());

// On `quit`, not `will-quit`: the library writes the session on `will-quit` (where the app may
// still track an event, or cancel quitting) and closes it on `quit`. Closing the demo on
// `will-quit` would dispose the session before the library's own handler has run.
app.on('quit', () => {
  void demo?.close();
});
