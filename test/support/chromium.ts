import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

/** Debian's Chromium, installed by .ci/run; Playwright downloads no browser here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Headless, and nothing that reaches for the network on its own (the machine has none). The
 * pages of a test are all "in the background" to Chromium but one, and it slows the timers and
 * rendering of the others by a second or more per step: tests click in several windows.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
