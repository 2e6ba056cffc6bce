// SPEC 8, renderer side, end to end: real @snowplow/browser-tracker instances in two windows of
// headless Chromium and a real @snowplow/node-tracker in the "main process" (this test), all
// sending to one HTTP collector on 127.0.0.1. Every event carries exactly one client_session:
// the main process's session, in one event order.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { newTracker } from '@snowplow/node-tracker';
import { buildSelfDescribingEvent } from '@snowplow/node-tracker';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';

import { CLIENT_SESSION_SCHEMA, clientSessionPlugin } from '../src/main';
import { CHANNELS } from '../src/shared/ipc';
import { decodeEntities } from './support/collector';
import type { ReceivedEvent } from './support/collector';
import { startMain } from './support/fakeIpc';
import type { FakePage, MainSide } from './support/fakeIpc';
import { assertValidClientSession } from './support/schemas';
import { launchChromium } from './support/chromium';
import type { PageTrackerOptions } from './support/rendererPage';

/** One test app: the main side, its windows by path, the collected events. */
interface Harness {
  readonly origin: string;
  readonly main: MainSide;
  readonly events: ReceivedEvent[];
  readonly windows: Map<string, FakePage>;
  /** Resolves once `count` events have arrived (bounded, so a bug fails instead of hanging). */
  waitForEvents(count: number): Promise<ReceivedEvent[]>;
}

let bundle = '';
let browser: Browser;

before(async () => {
  const output = await build({
    entryPoints: [join(__dirname, 'support', 'rendererPage.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    // The page passes its own stand-in to exposeClientSession, so this is never loaded.
    external: ['electron'],
    write: false,
    logLevel: 'warning',
  });
  bundle = output.outputFiles[0]!.text;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

async function startHarness(): Promise<Harness> {
  const events: ReceivedEvent[] = [];
  const windows = new Map<string, FakePage>();
  let main: MainSide | undefined;

  const server = createServer((request, response) => {
    readBody(request)
      .then((body) => serve(request, response, body))
      .catch((error: unknown) => response.writeHead(500).end(String(error)));
  });

  const serve = async (request: IncomingMessage, response: ServerResponse, body: string) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (request.method === 'GET' && path === '/bundle.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else if (request.method === 'GET' && path.startsWith('/window/')) {
      const html = '<!doctype html><title>window</title><script src="/bundle.js"></script>';
      response.writeHead(200, { 'content-type': 'text/html' }).end(html);
    } else if (request.method === 'POST' && path.startsWith('/ipc/')) {
      // The page's ipcRenderer: hand the message to main as Electron would, from that window.
      const page = windows.get(path.slice('/ipc'.length));
      const { kind, channel, args } = JSON.parse(body) as {
        kind: 'sync' | 'invoke';
        channel: string;
        args: unknown[];
      };
      const from = { webContents: page?.webContents ?? null, frame: page?.frame ?? null };
      const ipcMain = main!.app.ipcMain;
      try {
        const result =
          kind === 'sync'
            ? ipcMain.sendSyncRaw(from, channel, args)
            : await ipcMain.invokeRaw(from, channel, args);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ result }));
      } catch (error) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: String(error) }));
      }
    } else if (request.method === 'POST' && path === '/com.snowplowanalytics.snowplow/tp2') {
      const { data } = JSON.parse(body) as { data: Record<string, string>[] };
      for (const payload of data) events.push({ payload, entities: decodeEntities(payload) });
      response.writeHead(200).end();
    } else {
      response.writeHead(404).end();
    }
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  main = startMain({ allowedOrigins: [origin] });

  return {
    origin,
    main,
    events,
    windows,
    async waitForEvents(count) {
      const deadline = Date.now() + 15_000;
      while (events.length < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(events.length, count, 'events at the collector');
      return events;
    },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Opens a Chromium page as an app window of `harness` and starts its tracker. */
async function openWindow(
  harness: Harness,
  name: string,
  options: PageTrackerOptions,
): Promise<Page> {
  const path = `/window/${name}/`;
  harness.windows.set(path, harness.main.app.openWindow(`${harness.origin}${path}`));
  const page = await browser.newPage();
  after(() => page.close());
  await page.goto(`${harness.origin}${path}`);
  await page.evaluate((opts) => window.startTracker(opts), options);
  return page;
}

function stepOf(event: ReceivedEvent): number {
  const json =
    event.payload.ue_pr ?? Buffer.from(event.payload.ue_px ?? '', 'base64url').toString();
  return (JSON.parse(json) as { data: { data: { step: number } } }).data.data.step;
}

function clientSessions(event: ReceivedEvent) {
  return event.entities.filter((entity) => entity.schema === CLIENT_SESSION_SCHEMA);
}

describe('the browser-tracker plugin in headless Chromium', () => {
  test('events from two windows and the main process share one session and one event order', async () => {
    const harness = await startHarness();
    const { main } = harness;
    const windowA = await openWindow(harness, 'a', {
      trackerSessionEntity: false,
      stateStorageStrategy: 'none',
    });
    const windowB = await openWindow(harness, 'b', {
      trackerSessionEntity: false,
      stateStorageStrategy: 'cookieAndLocalStorage',
    });
    const mainTracker = newTracker(
      { namespace: 'main', appId: 'electron-client-session-test', encodeBase64: false },
      { endpoint: harness.origin, bufferSize: 1 },
    );
    mainTracker.addPlugin({ plugin: clientSessionPlugin(main.session) });
    const trackInMain = async (step: number) => {
      mainTracker.track(
        buildSelfDescribingEvent({
          event: { schema: 'iglu:com.acme/step/jsonschema/1-0-0', data: { step } },
        }),
      );
      await mainTracker.flush();
    };

    await windowA.evaluate(() => window.trackStep(1));
    await windowA.evaluate(() => window.trackStep(2));
    await trackInMain(3);
    await windowB.evaluate(() => window.trackStep(4));
    main.clock.advanceSeconds(60);
    await trackInMain(5);
    await windowA.evaluate(() => window.trackStep(6));
    await windowB.evaluate(() => window.trackStep(7));

    const events = [...(await harness.waitForEvents(7))].sort((x, y) => stepOf(x) - stepOf(y));
    const entities = events.map((event) => {
      const found = clientSessions(event);
      assert.equal(found.length, 1, `exactly one client_session on step ${stepOf(event)}`);
      assertValidClientSession(found[0]!.data);
      return found[0]!.data;
    });

    const last = main.session.getSnapshot().entity!;
    assert.deepEqual(
      entities.map((entity) => entity.eventIndex),
      [1, 2, 3, 4, 5, 6, 7],
    );
    for (const entity of entities) {
      assert.equal(entity.sessionId, last.sessionId);
      assert.equal(entity.userId, last.userId);
      assert.equal(entity.firstEventId, events[0]!.payload.eid);
    }
    assert.equal(
      entities[0]!.firstEventTimestamp,
      new Date(Number(events[0]!.payload.dtm)).toISOString(),
    );
    assert.deepEqual(entities[6], last);
  });

  test('a window the main process refuses still tracks, without a client_session', async () => {
    const harness = await startHarness();
    const page = await openWindow(harness, 'foreign', {
      trackerSessionEntity: false,
      stateStorageStrategy: 'none',
    });
    // The window navigated to a page of another origin, as far as main can tell.
    harness.windows.get('/window/foreign/')!.frame.url = 'https://elsewhere.example/';
    await page.evaluate(() => window.trackStep(1));
    const [event] = await harness.waitForEvents(1);
    assert.equal(clientSessions(event!).length, 0);
    assert.equal(harness.main.session.getSnapshot().entity, null, 'main stamped nothing');
  });

  test("with contexts.session on, the tracker adds its own cookie entity: a second client_session (hence the README's setting)", async () => {
    const harness = await startHarness();
    const page = await openWindow(harness, 'both', {
      trackerSessionEntity: true,
      stateStorageStrategy: 'cookieAndLocalStorage',
    });
    await page.evaluate(() => window.trackStep(1));
    const [event] = await harness.waitForEvents(1);
    const found = clientSessions(event!);
    assert.equal(found.length, 2);
    const ours = harness.main.session.getSnapshot().entity;
    assert.equal(found.filter((entity) => entity.data.sessionId === ours?.sessionId).length, 1);
  });

  test('the page stamps over the stamp channel only: no other IPC per event', async () => {
    const harness = await startHarness();
    const page = await openWindow(harness, 'count', {
      trackerSessionEntity: false,
      stateStorageStrategy: 'none',
    });
    const seen: string[] = [];
    const ipcMain = harness.main.app.ipcMain;
    const original = ipcMain.sendSyncRaw.bind(ipcMain);
    ipcMain.sendSyncRaw = (from, channel, args) => {
      seen.push(channel);
      return original(from, channel, args);
    };
    await page.evaluate(() => {
      window.trackStep(1);
      window.trackStep(2);
    });
    await harness.waitForEvents(2);
    assert.deepEqual(seen, [CHANNELS.stamp, CHANNELS.stamp]);
  });
});
