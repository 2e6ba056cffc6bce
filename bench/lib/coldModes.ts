/** How the fresh-process timing of bench/coldStart.ts is taken. */
export const COLD_MODES = [
  'include-open',
  'include-open-default',
  'include-open-preloaded',
  'exclude-open',
] as const;

export type ColdMode = (typeof COLD_MODES)[number];
