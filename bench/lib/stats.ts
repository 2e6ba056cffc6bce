/** Small statistics helpers for the benchmark; every input array is left unchanged. */

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** The `q` quantile (0..1) by linear interpolation between the nearest ranks. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  return sortedQuantile(sorted, q);
}

/** Like {@link quantile} for values already sorted ascending (saves a sort of a million). */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (at - low);
}

export function max(values: ArrayLike<number>): number {
  let top = -Infinity;
  for (let i = 0; i < values.length; i++) top = Math.max(top, values[i] as number);
  return top;
}

export function min(values: ArrayLike<number>): number {
  let bottom = Infinity;
  for (let i = 0; i < values.length; i++) bottom = Math.min(bottom, values[i] as number);
  return bottom;
}

/** Nanoseconds elapsed since `start`, a `process.hrtime.bigint()` reading, as a number. */
export function nsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start);
}

/** Wall-clock and CPU time of one measured stretch, in nanoseconds. */
export interface Timing {
  readonly wallNs: number;
  /**
   * User plus system CPU time of the whole process (all threads). Unlike wall time it leaves
   * out the time other processes on a shared machine held the CPU, but also time spent
   * waiting for the disk.
   */
  readonly cpuNs: number;
}

export function startTiming(): () => Timing {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  return () => {
    const wallNs = nsSince(start);
    const used = process.cpuUsage(cpu);
    return { wallNs, cpuNs: (used.user + used.system) * 1000 };
  };
}
