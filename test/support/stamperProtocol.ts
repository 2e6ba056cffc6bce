// The lines a stamper child writes and the configuration it takes (see stamper.ts).
import type { ClientSessionEntity } from '../../src/main';

export interface StamperConfig {
  /** The store file. */
  readonly path: string;
  /** Where to write the JSON lines. */
  readonly out: string;
  readonly seed: number;
  /**
   * `stamps` only; `all`: mostly stamps, with transitions, keep-alives and new-session requests;
   * `churn`: as `all` with half the calls transitions, each written at once.
   */
  readonly mix: 'stamps' | 'all' | 'churn';
  /** Longest pause between two calls, in milliseconds (each pause is random up to it). */
  readonly maxPauseMs: number;
  /** Close and exit after this many milliseconds; run until killed when left out. */
  readonly durationMs?: number;
  /**
   * A file to wait for before the first call: the parent creates it once every process is
   * ready, so that their first calls come at the same moment.
   */
  readonly goFile?: string;
  /** Run as this user and group id (the parent must be root), to meet real permissions. */
  readonly uid?: number;
  readonly continueSessionOnRestart: boolean;
  readonly isBackground: boolean;
  /** Seconds. */
  readonly foregroundTimeout: number;
  /** Seconds. */
  readonly backgroundTimeout: number;
}

/** What the stamper writes, one per line. `t` is the time the engine read for that call. */
export type StamperLine =
  | { readonly k: 'ready'; readonly t: number; readonly pid: number }
  | { readonly k: 'e'; readonly t: number; readonly e: ClientSessionEntity }
  | { readonly k: 'i'; readonly op: ControlOp; readonly v?: boolean }
  | { readonly k: 'a'; readonly op: ControlOp; readonly v?: boolean; readonly t: number }
  | { readonly k: 'closed' };

export type ControlOp = 'bg' | 'extend' | 'new';

/** A small seeded generator (mulberry32), so a run's choices can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
