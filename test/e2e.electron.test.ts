// The packaged demo in real Electron, driven by Playwright: the one check of what only Electron
// can show (the packaged app starts, better-sqlite3 loads from app.asar.unpacked, the built
// preload works in a window that asks for `sandbox: true` and context isolation, and the page
// reaches no Node.js). Whether the renderer is in fact sandboxed is not checked: Electron has
// no API that reads it back, and on Linux Playwright starts Electron with --no-sandbox (unless
// `chromiumSandbox: true`, which fails as root and wherever the chrome-sandbox helper is not set
// up), so the OS-level sandbox is off there. It runs where the Electron binary is installed and
// the demo was packaged (`npm run package`) after its last change; elsewhere it is reported as
// skipped, with the reason, never as passed.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
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

const PACKAGED = join(
  PROJECT,
  'out',
  `${DEMO_APP.productName}-${process.platform}-${process.arch}`,
);

/** The executable `npm run package` made for this machine, if any. */
function packagedDemo(): string | null {
  const candidates = {
    linux: [join(PACKAGED, DEMO_APP.name)],
    win32: [join(PACKAGED, `${DEMO_APP.name}.exe`)],
    darwin: [
      join(PACKAGED, `${DEMO_APP.productName}.app`, 'Contents', 'MacOS', DEMO_APP.name),
      join(PACKAGED, `${DEMO_APP.productName}.app`, 'Contents', 'MacOS', DEMO_APP.productName),
    ],
  }[process.platform as 'linux' | 'win32' | 'darwin'];
  return candidates?.find((path) => existsSync(path)) ?? null;
}

/** The packaged app's archive, written anew by each `npm run package`. */
function packagedAsar(): string {
  return process.platform === 'darwin'
    ? join(PACKAGED, `${DEMO_APP.productName}.app`, 'Contents', 'Resources', 'app.asar')
    : join(PACKAGED, 'resources', 'app.asar');
}

/** The newest of the files the packaged demo is built from, with its time. */
function newestSource(): { path: string; mtimeMs: number } {
  const files = ['package.json', 'package-lock.json', 'forge.config.ts'];
  for (const dir of ['demo', 'src']) {
    for (const file of readdirSync(join(PROJECT, dir), { recursive: true }) as string[]) {
      files.push(join(dir, file));
    }
  }
  let newest = { path: '', mtimeMs: 0 };
  for (const path of files) {
    const stat = statSync(join(PROJECT, path), { throwIfNoEntry: false });
    if (stat?.isFile() && stat.mtimeMs > newest.mtimeMs) newest = { path, mtimeMs: stat.mtimeMs };
  }
  return newest;
}

/** Why the test cannot run here, every reason at once, or false. */
function whyNot(): string | false {
  const reasons: string[] = [];
  const binary = electronBinary();
  if ('missing' in binary) reasons.push(binary.missing);
  if (packagedDemo() === null) {
    reasons.push('the demo is not packaged on this machine');
  } else {
    const asar = statSync(packagedAsar(), { throwIfNoEntry: false });
    const source = newestSource();
    if (asar === undefined) {
      reasons.push(`the packaged demo has no ${packagedAsar()}`);
    } else if (asar.mtimeMs < source.mtimeMs) {
      // It would test what the sources were then, not what they are.
      reasons.push(`the packaged demo in out/ is older than ${source.path}`);
    }
  }
  if (reasons.length === 0) return false;
  const todo =
    'missing' in binary
      ? 'On a machine where Electron installs, run npm ci, then npm run package, then npm test'
      : 'Run npm run package, then npm test';
  return `did not run: ${reasons.join('; ')}. ${todo}`;
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
        // Context isolation: the page reaches the preload's bridge, and no Node.js.
        assert.deepEqual(
          await page.evaluate(() => [typeof globalThis.require, typeof globalThis.process]),
          ['undefined', 'undefined'],
        );
        // The launch may have tracked application_foreground already (if the window got the
        // focus): the two events tracked here come after it, in the same session.
        const shown = (name: string) =>
          page.waitForFunction(
            (text) =>
              Array.from(document.querySelectorAll('#events .event summary')).some((summary) =>
                summary.textContent?.includes(text),
              ),
            name,
          );
        await page.click('#track-renderer');
        await shown('track-from-window');
        await page.click('#track-main');
        await shown('track-from-main');

        const rows = await page.$$eval('#events .event', (nodes) =>
          nodes.map((node) => {
            const data = (node as HTMLElement).dataset;
            const name = node.querySelector('summary')?.children[2]?.textContent ?? '';
            return [data.tracker, name, data.sessionIndex, Number(data.eventIndex)] as const;
          }),
        );
        const tracked = rows.filter(([, name]) => name.includes('track-from'));
        // Newest first.
        assert.deepEqual(
          tracked.map(([tracker, , session]) => [tracker, session]),
          [
            ['main', '1'],
            ['window1', '1'],
          ],
        );
        assert.ok((tracked[0]?.[3] ?? 0) > (tracked[1]?.[3] ?? Infinity), JSON.stringify(rows));
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
