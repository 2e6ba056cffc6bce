// Helpers for the reliability tests and `npm run reliability`: a logger that records, real
// file-system failures (a tmpfs that fills up or is read-only) and a real second process holding
// the database lock.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import type { Logger } from '../../src/shared/logger';

export interface RecordingLogger extends Logger {
  readonly lines: { level: 'error' | 'warn' | 'info' | 'debug'; message: string }[];
  count(level: 'error' | 'warn' | 'info' | 'debug'): number;
}

/** A logger that keeps every line, so tests can count warnings. */
export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const at =
    (level: RecordingLogger['lines'][number]['level']) =>
    (message: string): void => {
      lines.push({ level, message });
    };
  return {
    lines,
    count: (level) => lines.filter((line) => line.level === level).length,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
  };
}

/** The user id of `nobody`, which tests run processes as to meet real permissions. */
export const NOBODY = 65534;

/** Why a process cannot be run as `nobody` here (for a test's `skip`), or `false`. */
export function cannotRunAsNobody(): string | false {
  if (process.getuid?.() !== 0) return 'needs root, to run a process as another user';
  if (!othersCanReach(join(__dirname, '..', '..', 'node_modules'))) {
    return (
      'the checkout is in a folder other users cannot enter (such as one made by mktemp -d), ' +
      'so the process running as nobody could not load the package'
    );
  }
  return false;
}

function othersCanReach(path: string): boolean {
  for (let dir = path; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dirname(dir) === dir) return true;
  }
}

let mountAllowed: boolean | undefined;

/** Whether this process may mount a tmpfs (root, or a container that allows it). */
export function canMount(): boolean {
  if (mountAllowed !== undefined) return mountAllowed;
  const probe = mkdtempSync(join(tmpdir(), 'ecs-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    mountAllowed = true;
  } catch {
    mountAllowed = false;
  }
  rmSync(probe, { recursive: true, force: true });
  return mountAllowed;
}

/** A real, small file system: writes past `sizeKiB` fail with ENOSPC, as on a full disk. */
export class Tmpfs {
  private mounted = true;

  constructor(
    readonly dir: string,
    sizeKiB: number,
  ) {
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'tmpfs', dir]);
  }

  /** Makes it read-only; only works while no file on it is open for writing. */
  readOnly(): void {
    execFileSync('mount', ['-o', 'remount,ro', this.dir]);
  }

  readWrite(): void {
    execFileSync('mount', ['-o', 'remount,rw', this.dir]);
  }

  unmount(): void {
    if (!this.mounted) return;
    this.mounted = false;
    execFileSync('umount', ['-l', this.dir]);
  }
}

/**
 * Another process holding the database's write lock (`BEGIN EXCLUSIVE`) until released, as a
 * stuck second copy of the app or a database browser would. With `exclusiveMode` it also sets
 * `PRAGMA locking_mode = EXCLUSIVE`: then no other connection can even read the file, and a start
 * cannot open the store at all.
 */
export class LockHolder {
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  static async hold(path: string, exclusiveMode = false): Promise<LockHolder> {
    const script = `
      const Database = require('better-sqlite3');
      const db = new Database(process.argv[1], { timeout: 5000 });
      if (process.argv[2] === 'exclusive') db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.prepare('SELECT count(*) FROM sessions').get();
      process.stdout.write('locked\\n');
      process.stdin.on('data', () => { db.exec('COMMIT'); db.close(); process.exit(0); });
    `;
    const mode = exclusiveMode ? 'exclusive' : 'normal';
    const child = spawn(process.execPath, ['-e', script, path, mode], {
      cwd: process.cwd(),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
      child.stdout?.once('data', () => resolve());
    });
    child.removeAllListeners('exit');
    return new LockHolder(child);
  }

  async release(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin?.write('release\n');
    await exited;
  }
}
