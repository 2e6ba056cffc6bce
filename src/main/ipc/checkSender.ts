import type { BrowserWindow, WebContents, WebFrameMain } from 'electron';

import { HOSTLESS_ORIGIN, originOf } from './origins';

/** The parts of a sender's `WebContents` the checks read. */
export type SenderView = Pick<WebContents, 'id' | 'isDestroyed' | 'getType'> & {
  readonly mainFrame: Pick<WebFrameMain, 'processId' | 'routingId'>;
};

/**
 * The parts of the sending frame the checks read, and `send` for pushes. `isDestroyed()` and
 * `detached` exist only since Electron 33.1: on older versions a frame has neither.
 */
export type FrameView = Pick<WebFrameMain, 'url' | 'processId' | 'routingId' | 'send'> &
  Partial<Pick<WebFrameMain, 'isDestroyed' | 'detached'>> & {
    /** Only compared with `null`: a frame with a parent is not top-level. */
    readonly parent: unknown;
  };

/**
 * How the handlers find out whether a `WebContents` is the app's own window: Electron's
 * `BrowserWindow` class fits.
 */
export interface WindowLookup {
  fromWebContents(
    webContents: SenderView,
  ):
    (Pick<BrowserWindow, 'isDestroyed'> & { readonly webContents: Pick<WebContents, 'id'> }) | null;
}

export interface SenderCheck {
  readonly windows: WindowLookup;
  readonly isAllowedOrigin: (origin: string, url: string) => boolean;
}

/**
 * Why a message from this sender must be refused, or `null` when it may be served: only the
 * top-level frame of one of the app's own `BrowserWindow`s, showing a page of an allowed
 * origin. Never throws: a sender whose objects throw when read is refused.
 */
export function refusalOf(
  check: SenderCheck,
  sender: SenderView | null | undefined,
  frame: FrameView | null | undefined,
): string | null {
  try {
    if (sender == null || sender.isDestroyed()) return 'a destroyed webContents';
    const type = sender.getType();
    if (type !== 'window') return `a webContents of type "${type}" (only windows are served)`;

    const window = check.windows.fromWebContents(sender);
    if (window == null || window.isDestroyed() || window.webContents.id !== sender.id) {
      return "a webContents that is not a BrowserWindow's own";
    }

    if (frame == null || isGone(frame)) return 'a frame that navigated away or was destroyed';
    const main = sender.mainFrame;
    const isMainFrame =
      frame === main || (frame.processId === main.processId && frame.routingId === main.routingId);
    if (frame.parent !== null || !isMainFrame) return 'a frame that is not top-level (an iframe)';

    const url = frame.url;
    const origin = originOf(url);
    if (origin === null) return `a page without an origin of its own (${clip(url)})`;
    if (check.isAllowedOrigin(origin, url) === true) return null;
    if (origin === HOSTLESS_ORIGIN) {
      return `a page without a host (${clip(url)}), which only an allowedOrigins function allows`;
    }
    return `a page of origin ${origin}`;
  } catch {
    return 'a sender that could not be inspected';
  }
}

/**
 * Electron before 33.1 has neither member; there a destroyed frame throws when read (caught in
 * {@link refusalOf}), and `senderFrame` is `null` once the frame navigated away.
 */
function isGone(frame: FrameView): boolean {
  return (
    (typeof frame.isDestroyed === 'function' && frame.isDestroyed()) || frame.detached === true
  );
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
