// The demo's own IPC, beside the library's: what the window asks of the demo's main process.
// Plain data only; the preload and the main process both import this file.
import type { CollectedEvent } from './collectedEvent';

export const DEMO_CHANNELS = {
  /** invoke → {@link DemoInfo} */
  info: 'demo:info',
  /** invoke → the events the collector holds, oldest first */
  events: 'demo:events',
  /** invoke, one label string → void, once the collector has the event */
  trackFromMain: 'demo:track-from-main',
  /** invoke → the number of the window opened */
  openWindow: 'demo:open-window',
  /** invoke, one boolean → void */
  setBackground: 'demo:set-background',
  /** main → window push, one {@link CollectedEvent} */
  collected: 'demo:collected',
} as const;

/** What a window needs to know to set itself up. */
export interface DemoInfo {
  /** 1 for the first window, then 2, 3, ... */
  readonly windowNumber: number;
  /** Where the trackers send. */
  readonly collectorUrl: string;
  /** `embedded`: the demo's own collector, whose events the window shows. */
  readonly collector: 'embedded' | 'external';
  /** The session store file, or `null` when the session is kept in memory. */
  readonly storePath: string | null;
  readonly appId: string;
}

/** What the demo's preload puts on `window.demo`. */
export interface DemoBridge {
  info(): Promise<DemoInfo>;
  events(): Promise<CollectedEvent[]>;
  trackFromMain(label: string): Promise<void>;
  openWindow(): Promise<number>;
  setBackground(isBackground: boolean): Promise<void>;
  /** Calls `listener` with each event the collector receives. Returns an unsubscribe. */
  onCollected(listener: (event: CollectedEvent) => void): () => void;
}
