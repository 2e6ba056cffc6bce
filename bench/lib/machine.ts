import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  readonly date: string;
  /** What `nproc` reports: the CPUs this process may run on. */
  readonly nproc: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly totalMemoryMiB: number;
  /** 1, 5 and 15 minute load averages when the run started (other work shares the machine). */
  readonly loadAtStart: readonly number[];
  /** The commit measured, marked when `src/` had changes not yet committed. */
  readonly source: string;
}

export function describeMachine(): MachineInfo {
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpuModel: cpuModel(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    totalMemoryMiB: Math.round(totalmem() / 2 ** 20),
    loadAtStart: loadNow(),
    source: sourceVersion(),
  };
}

function sourceVersion(): string {
  try {
    const cwd = join(__dirname, '..', '..');
    const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src').length > 0
      ? `${commit} with uncommitted changes in src/`
      : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export function loadNow(): number[] {
  return loadavg().map((load) => Math.round(load * 100) / 100);
}

/** The `model name` line of /proc/cpuinfo, falling back to what Node reports. */
function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1] !== undefined) return match[1].trim();
  } catch {
    // Not Linux: use Node's view below.
  }
  return cpus()[0]?.model ?? 'unknown';
}
