// SPEC 7: every handler serves only the top-level frame of the app's own windows, showing a page
// of an allowed origin. Anything else is refused with SENDER_REFUSED and changes nothing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type {
  BrowserWindow,
  ContextBridge,
  IpcMain,
  IpcMainEvent,
  IpcRenderer,
  Session,
  WebContents,
  WebFrameMain,
} from 'electron';

import { ClientSession, MemorySessionStore } from '../src/main';
import { refusalOf } from '../src/main/ipc/checkSender';
import type { FrameView, SenderView, WindowLookup } from '../src/main/ipc/checkSender';
import { registerClientSessionIpc } from '../src/main/ipc/registerClientSessionIpc';
import type { IpcMainSeam } from '../src/main/ipc/registerClientSessionIpc';
import type { PreloadSession } from '../src/main/ipc/registerClientSessionPreload';
import type { PreloadElectron } from '../src/preload/exposeClientSession';
import { CHANNELS } from '../src/shared/ipc';
import type { IpcResult } from '../src/shared/ipc';
import { APP_PAGE, FakeApp, FakeFrame, FakeWebContents, startMain } from './support/fakeIpc';
import type { FakePage, MainSide } from './support/fakeIpc';
import { eventId } from './support/ids';

/** Never called: tsc checks that Electron's real objects fit the seams the bridge is typed on. */
export function realElectronFitsTheIpcSeams(
  ipcMain: IpcMain,
  windowClass: typeof BrowserWindow,
  webContents: WebContents,
  frame: WebFrameMain,
  event: IpcMainEvent,
  ipcRenderer: IpcRenderer,
  contextBridge: ContextBridge,
  session: Session,
): void {
  const seams: [IpcMainSeam, WindowLookup, SenderView, FrameView, PreloadElectron, PreloadSession] =
    [ipcMain, windowClass, webContents, frame, { contextBridge, ipcRenderer }, session];
  const fromEvent: [SenderView, FrameView | null] = [event.sender, event.senderFrame];
  void seams;
  void fromEvent;
}

const setup = startMain;

type Setup = MainSide;

/** Sends one message on every channel from `page`, after time has passed. */
async function callEveryChannel(env: Setup, page: FakePage): Promise<IpcResult<unknown>[]> {
  env.clock.advanceSeconds(60);
  const renderer = page.ipcRenderer;
  return [
    await renderer.invoke(CHANNELS.snapshot),
    await renderer.invoke(CHANNELS.extend),
    await renderer.invoke(CHANNELS.newSession),
    await renderer.invoke(CHANNELS.subscribe, 'bridge0000000001'),
    await renderer.invoke(CHANNELS.unsubscribe, 'bridge0000000001'),
    renderer.sendSync(CHANNELS.stamp, { eventId: eventId(), timestamp: env.clock.time }),
  ];
}

/** A session with one event behind it, and the state to compare with afterwards. */
function withStartedSession(env: Setup) {
  env.session.stamp(eventId(), env.clock.time);
  return { stored: env.store.getSession(), snapshot: env.session.getSnapshot() };
}

function assertRefusedWithoutChange(env: Setup, results: IpcResult<unknown>[], before: object) {
  assert.equal(results.length, 6);
  for (const result of results) {
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.error.code, 'SENDER_REFUSED');
      assert.match(result.error.message, /refused/);
    }
  }
  assert.deepEqual({ stored: env.store.getSession(), snapshot: env.session.getSnapshot() }, before);
}

describe('who may use the bridge (SPEC 7)', () => {
  test("the top frame of the app's own window, on a file:// page, is served on every channel", async () => {
    const env = setup();
    const page = env.app.openWindow(APP_PAGE);
    const results = await callEveryChannel(env, page);
    assert.deepEqual(
      results.map((result) => result.ok),
      [true, true, true, true, true, true],
    );
  });

  test('an iframe inside an allowed window is refused and nothing changes', async () => {
    const env = setup();
    const before = withStartedSession(env);
    const window = env.app.openWindow(APP_PAGE);
    const iframe = env.app.openIframe(window, 'file:///opt/app/resources/app/frame.html');
    assertRefusedWithoutChange(env, await callEveryChannel(env, iframe), before);
  });

  test('a <webview> guest is refused even though its window is the app’s', async () => {
    const env = setup();
    const before = withStartedSession(env);
    const window = env.app.openWindow(APP_PAGE);
    const guest = env.app.openWebview(window, APP_PAGE);
    assertRefusedWithoutChange(env, await callEveryChannel(env, guest), before);
  });

  test('a window showing a page of another origin is refused', async () => {
    const env = setup();
    const before = withStartedSession(env);
    const page = env.app.openWindow('https://evil.example/index.html');
    assertRefusedWithoutChange(env, await callEveryChannel(env, page), before);
  });

  test('a page that navigated elsewhere is refused, whether its frame was swapped or reused', async () => {
    const env = setup();
    const before = withStartedSession(env);
    const swapped = env.app.openWindow(APP_PAGE);
    env.app.navigate(swapped, 'https://evil.example/');
    // The old document's messages arrive after the navigation: no sender frame any more.
    assertRefusedWithoutChange(env, await callEveryChannel(env, swapped), before);

    const reused = env.app.openWindow(APP_PAGE);
    reused.frame.url = 'https://evil.example/landing';
    assertRefusedWithoutChange(env, await callEveryChannel(env, reused), before);
  });

  test('a closed window (destroyed webContents and frame) is refused without throwing', async () => {
    const env = setup();
    const before = withStartedSession(env);
    const page = env.app.openWindow(APP_PAGE);
    env.app.close(page);
    assertRefusedWithoutChange(env, await callEveryChannel(env, page), before);
  });

  test('web contents that belong to no BrowserWindow (a WebContentsView) are refused', async () => {
    const env = setup();
    const before = withStartedSession(env);
    const view = env.app.openView(APP_PAGE);
    assertRefusedWithoutChange(env, await callEveryChannel(env, view), before);
  });

  test('pages without an origin of their own (about:blank, data:) are refused', async () => {
    const env = setup();
    const before = withStartedSession(env);
    for (const url of ['about:blank', 'data:text/html,<p>hi</p>', 'not a url']) {
      const page = env.app.openWindow(url);
      assertRefusedWithoutChange(env, await callEveryChannel(env, page), before);
    }
  });

  test('a refused sender is logged once per reason, not once per message', async () => {
    const env = setup();
    const page = env.app.openWindow('https://evil.example/');
    await callEveryChannel(env, page);
    await callEveryChannel(env, page);
    assert.equal(env.logger.lines.filter((line) => line.includes('evil.example')).length, 1);
    await callEveryChannel(env, env.app.openIframe(env.app.openWindow(APP_PAGE), APP_PAGE));
    assert.equal(env.logger.lines.filter((line) => line.includes('iframe')).length, 1);
  });
});

test('a throwing logger does not keep a refused sender from getting its answer', async () => {
  const explode = () => {
    throw new Error('logger down');
  };
  const env = setup({ logger: { error: explode, warn: explode, info: explode, debug: explode } });
  const results = await callEveryChannel(env, env.app.openWindow('https://evil.example/'));
  assert.deepEqual(
    results.map((result) => !result.ok && result.error.code),
    Array(6).fill('SENDER_REFUSED'),
  );
});

describe('each sender check refuses on its own', () => {
  // Built so that exactly one check fails and every other one passes.
  function sender(change: (parts: { webContents: FakeWebContents; frame: FakeFrame }) => void) {
    const frame = new FakeFrame(APP_PAGE, null, 1);
    const webContents = new FakeWebContents('window', frame);
    const parts = { webContents, frame };
    change(parts);
    const windows: WindowLookup = {
      fromWebContents: () => ({ webContents: { id: webContents.id }, isDestroyed: () => false }),
    };
    return refusalOf(
      { windows, isAllowedOrigin: (origin) => origin === 'file://' },
      parts.webContents,
      parts.frame,
    );
  }

  test('the unchanged sender passes', () => {
    assert.equal(
      sender(() => {}),
      null,
    );
  });

  test('a webview type, even if a window claims it', () => {
    assert.match(
      sender((p) => {
        p.webContents = new FakeWebContents('webview', p.frame);
      }) ?? '',
      /type "webview"/,
    );
  });

  test('a frame with a parent, even with the main frame’s ids', () => {
    assert.match(
      sender((p) => {
        p.frame = Object.assign(new FakeFrame(APP_PAGE, p.frame, 1), {
          routingId: p.frame.routingId,
        });
      }) ?? '',
      /not top-level/,
    );
  });

  test('a parentless frame that is not the main frame', () => {
    assert.match(
      sender((p) => {
        p.frame = new FakeFrame(APP_PAGE, null, 1);
      }) ?? '',
      /not top-level/,
    );
  });

  test('a frame of Electron 30 to 33.0, which has no isDestroyed() and no detached, passes', () => {
    assert.equal(
      sender((p) => {
        const { url, parent, processId, routingId } = p.frame;
        p.frame = { url, parent, processId, routingId, send: () => {} } as unknown as FakeFrame;
        p.webContents.mainFrame = p.frame;
      }),
      null,
    );
  });

  test('a destroyed frame of Electron before 33.1 throws when read, and is refused', () => {
    assert.match(
      sender((p) => {
        const { parent, processId, routingId } = p.frame;
        const gone = {
          parent,
          processId,
          routingId,
          send: () => {},
          get url(): string {
            throw new Error('Render frame was disposed before WebFrameMain could be accessed');
          },
        };
        p.frame = gone as unknown as FakeFrame;
        p.webContents.mainFrame = p.frame;
      }) ?? '',
      /could not be inspected/,
    );
  });

  test('a detached frame', () => {
    assert.match(
      sender((p) => {
        p.frame.detached = true;
      }) ?? '',
      /navigated away/,
    );
  });
});

describe('allowedOrigins', () => {
  test('a custom scheme and a dev server are served once listed; file:// then is not', async () => {
    const env = setup({ allowedOrigins: ['app://bundle', 'http://localhost:5173/'] });
    for (const url of [
      'app://bundle/index.html',
      'APP://Bundle/other.html',
      'http://localhost:5173/#/x',
    ]) {
      const result = await env.app.openWindow(url).ipcRenderer.invoke(CHANNELS.snapshot);
      assert.equal(result.ok, true, url);
    }
    for (const url of [
      APP_PAGE,
      'http://localhost:5174/',
      'https://localhost:5173/',
      'app://other/',
    ]) {
      const result = await env.app.openWindow(url).ipcRenderer.invoke(CHANNELS.snapshot);
      assert.equal(result.ok, false, url);
    }
  });

  test('a function decides from the origin and the full URL', async () => {
    const seen: [string, string][] = [];
    const env = setup({
      allowedOrigins: (origin, url) => {
        seen.push([origin, url]);
        return url.endsWith('/allowed.html');
      },
    });
    const allowed = await env.app
      .openWindow('https://app.example/allowed.html')
      .ipcRenderer.invoke(CHANNELS.snapshot);
    const other = await env.app
      .openWindow('https://app.example/other.html')
      .ipcRenderer.invoke(CHANNELS.snapshot);
    assert.equal(allowed.ok, true);
    assert.equal(other.ok, false);
    assert.deepEqual(seen[0], ['https://app.example', 'https://app.example/allowed.html']);
  });

  test('a throwing origin function refuses instead of crashing', async () => {
    const env = setup({
      allowedOrigins: () => {
        throw new Error('boom');
      },
    });
    const result = await env.app.openWindow(APP_PAGE).ipcRenderer.invoke(CHANNELS.snapshot);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'SENDER_REFUSED');
  });

  test('a page without a host (app:///index.html) is left to a function, as origin "null"', async () => {
    const seen: [string, string][] = [];
    const env = setup({
      allowedOrigins: (origin, url) => {
        seen.push([origin, url]);
        return url.startsWith('app:///');
      },
    });
    const allowed = await env.app
      .openWindow('app:///index.html')
      .ipcRenderer.invoke(CHANNELS.snapshot);
    const other = await env.app
      .openWindow('other:///index.html')
      .ipcRenderer.invoke(CHANNELS.snapshot);
    assert.equal(allowed.ok, true);
    assert.equal(!other.ok && other.error.code, 'SENDER_REFUSED');
    assert.deepEqual(seen, [
      ['null', 'app:///index.html'],
      ['null', 'other:///index.html'],
    ]);
  });

  test('a list never allows a page without a host, and says a function can', async () => {
    const env = setup({ allowedOrigins: ['app://bundle', 'file://'] });
    const result = await env.app
      .openWindow('app:///index.html')
      .ipcRenderer.invoke(CHANNELS.snapshot);
    assert.equal(!result.ok && result.error.code, 'SENDER_REFUSED');
    assert.match(env.logger.lines.join('\n'), /without a host .*allowedOrigins function/);
  });

  test('a list entry without a host is rejected at registration, pointing to a function', () => {
    const app = new FakeApp();
    const session = new ClientSession({ store: new MemorySessionStore() });
    assert.throws(
      () =>
        registerClientSessionIpc(
          { ipcMain: app.ipcMain, session, BrowserWindow: app.BrowserWindow },
          { allowedOrigins: ['app://'] },
        ),
      (error: { code?: string; message?: string }) =>
        error.code === 'INVALID_OPTION' && /function \(origin, url\)/.test(error.message ?? ''),
    );
    assert.equal(app.ipcMain.registrations(), 0);
  });

  test('about:, data:, blob: and javascript: pages are refused even by a function allowing all', async () => {
    const asked: string[] = [];
    const env = setup({
      allowedOrigins: (_origin, url) => {
        asked.push(url);
        return true;
      },
    });
    const before = withStartedSession(env);
    for (const url of [
      'about:blank',
      'about://evil.example/',
      'data:text/html,<p>hi</p>',
      'blob:file:///2f6a1c7e-0000-4000-8000-000000000000',
      'javascript:void(0)',
    ]) {
      const page = env.app.openWindow(url);
      assertRefusedWithoutChange(env, await callEveryChannel(env, page), before);
    }
    assert.deepEqual(asked, []);
  });

  test('entries that are not bare origins are rejected at registration with INVALID_OPTION', () => {
    for (const entry of ['https://x.example/path', 'x.example', '*', 42, '']) {
      const app = new FakeApp();
      const session = new ClientSession({ store: new MemorySessionStore() });
      assert.throws(
        () =>
          registerClientSessionIpc(
            { ipcMain: app.ipcMain, session, BrowserWindow: app.BrowserWindow },
            { allowedOrigins: [entry as string] },
          ),
        (error: { code?: string; message?: string }) =>
          error.code === 'INVALID_OPTION' && /allowedOrigins/.test(error.message ?? ''),
        String(entry),
      );
      assert.equal(app.ipcMain.registrations(), 0);
    }
  });
});
