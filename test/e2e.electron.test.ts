// The packaged demo in real Electron, driven by Playwright: the one check of what only Electron
// can show (the packaged app starts, better-sqlite3 loads from app.asar.unpacked, the preload
// runs sandboxed). It runs where the Electron binary is installed and the demo was packaged
// (`npm run package`); elsewhere it is reported as skipped, with the reason, never as passed.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';

import { _electron } from 'playwright-core';

import { DEMO_APP } from '../demo/shared/demoApp';
import { tempDir } from './support/tmp';

const PROJECT = join(__dirname, '..');

/** The Electron binary npm installed, or why there is none (read, never loaded). */
function electronBinary(): { path: string } | { missing: string } {
  const dir = dirname(require.resolve('electron/package.json'));
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) {
    return {
      missing:
        'the Electron binary is not installed here (node_modules/electron has no path.txt: its ' +
        'download was skipped or failed)',
    };
  }
  const path = join(dir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(path) ? { path } : { missing: `the Electron binary ${path} is missing` };
}

/** The executable `npm run package` made for this machine, if any. */
function packagedDemo(): string | null {
  const folder = join(
    PROJECT,
    'out',
    `${DEMO_APP.productName}-${process.platform}-${process.arch}`,
  );
  const candidates = {
    linux: [join(folder, DEMO_APP.name)],
    win32: [join(folder, `${DEMO_APP.name}.exe`)],
    darwin: [
      join(folder, `${DEMO_APP.productName}.app`, 'Contents', 'MacOS', DEMO_APP.name),
      join(folder, `${DEMO_APP.productName}.app`, 'Contents', 'MacOS', DEMO_APP.productName),
    ],
  }[process.platform as 'linux' | 'win32' | 'darwin'];
  return candidates?.find((path) => existsSync(path)) ?? null;
}

function whyNot(): string | false {
  const binary = electronBinary();
  if ('missing' in binary) {
    return `did not run: ${binary.missing}. On a machine where Electron installs, run npm ci, then npm run package, then npm test`;
  }
  if (packagedDemo() === null) {
    return 'did not run: the demo is not packaged on this machine; run npm run package first';
  }
  return false;
}

describe('the packaged demo in Electron', () => {
  test(
    'starts, keeps its session in SQLite and shares it between a window and main',
    { skip: whyNot() },
    async () => {
      const userData = tempDir('ecs-electron-');
      const app = await _electron.launch({
        executablePath: packagedDemo() as string,
        env: { ...process.env, DEMO_USER_DATA_DIR: userData } as Record<string, string>,
      });
      try {
        const appPath = await app.evaluate(({ app: electronApp }) => electronApp.getAppPath());
        assert.match(appPath, /app\.asar$/);

        const page = await app.firstWindow();
        await page.waitForSelector('body[data-ready="true"]');
        await page.click('#track-renderer');
        await page.waitForFunction(() => document.querySelectorAll('#events .event').length === 1);
        await page.click('#track-main');
        await page.waitForFunction(() => document.querySelectorAll('#events .event').length === 2);

        const rows = await page.$$eval('#events .event', (nodes) =>
          nodes.map((node) => {
            const data = (node as HTMLElement).dataset;
            return [data.tracker, data.sessionIndex, data.eventIndex];
          }),
        );
        // Newest first.
        assert.deepEqual(rows, [
          ['main', '1', '2'],
          ['window1', '1', '1'],
        ]);
        const storage = await page
          .locator('#entity [data-field="storageMechanism"]')
          .evaluate((node) => node.firstChild?.textContent);
        assert.equal(storage, 'SQLITE', 'better-sqlite3 loaded in the packaged app');
        assert.ok(existsSync(join(userData, 'client-session.sqlite')));

        mkdirSync(join(PROJECT, 'test-results'), { recursive: true });
        await page.screenshot({ path: join(PROJECT, 'test-results', 'electron-demo.png') });
      } finally {
        await app.close();
      }
    },
  );
});
