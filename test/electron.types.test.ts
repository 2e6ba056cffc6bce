// The seam is typed against Electron's own typings: these assignments are checked by tsc
// (`npm run typecheck`), so an Electron release that renames or drops an event or a method
// the package relies on fails the build. The runtime tests pin that nothing loads Electron.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { App, BrowserWindow, PowerMonitor } from 'electron';
import type { CorePlugin, TrackerCore } from '@snowplow/tracker-core';

import { createClientSession } from '../src/main';
import type {
  ElectronSeam,
  SeamApp,
  SeamBrowserWindowClass,
  SeamPowerMonitor,
  SeamWindow,
} from '../src/main/electron/ElectronSeam';
import type { ElectronTrackerPlugin, TrackerCoreLike } from '../src/main/electron/trackerPlugin';

/** Never called: it exists for the type checker. */
export function realElectronFitsTheSeam(
  electron: typeof import('electron'),
  window: BrowserWindow,
  windowClass: typeof BrowserWindow,
  app: App,
  powerMonitor: PowerMonitor,
): void {
  const seam: ElectronSeam = electron;
  const seamWindow: SeamWindow = window;
  const seamClass: SeamBrowserWindowClass = windowClass;
  const seamApp: SeamApp = app;
  const seamPower: SeamPowerMonitor = powerMonitor;
  void [seam, seamWindow, seamClass, seamApp, seamPower];
}

/** Never called: the plugin is a tracker-core plugin, and the real core fits what it uses. */
export function pluginFitsTrackerCore(plugin: ElectronTrackerPlugin, core: TrackerCore): void {
  const asCorePlugin: CorePlugin = plugin;
  const coreLike: TrackerCoreLike = core;
  void [asCorePlugin, coreLike];
}

/** Never called: the seam is strict enough that a changed API would not fit. */
export function changedApisDoNotFit(window: BrowserWindow): void {
  type Renamed = Omit<BrowserWindow, 'on'> & {
    on(event: 'minimise', listener: () => void): unknown;
  };
  // @ts-expect-error a window whose minimise event has another name does not fit
  const renamed: SeamWindow = window as unknown as Renamed;
  // @ts-expect-error a window without isMinimized() does not fit
  const missing: SeamWindow = window as Omit<BrowserWindow, 'isMinimized'>;
  void [renamed, missing];
}

test('loading the main entry does not load electron', () => {
  assert.equal(typeof createClientSession, 'function');
  const loaded = Object.keys(require.cache).filter((file) =>
    /[\\/]node_modules[\\/]electron[\\/]/.test(file),
  );
  assert.deepEqual(loaded, []);
});

test('outside Electron, createClientSession without stand-ins says what to do', () => {
  assert.throws(() => createClientSession(), {
    name: 'ClientSessionError',
    code: 'NOT_INSTALLED',
    message: /^electron-client-session: .*main process.*options\.electron/,
  });
});
