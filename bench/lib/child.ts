import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import type { Task, TaskResult } from '../worker';

/**
 * A benchmark worker in its own Node process (bench/worker.ts), run with the same flags as
 * this one (`--expose-gc --import tsx`). Each store is measured in a process of its own, so
 * that the engine's code only ever meets one store class, as in an app: otherwise V8 makes the
 * store calls polymorphic and every store looks slower than it is.
 */
export class Child {
  private readonly process: ChildProcess;
  private next = 0;
  private readonly pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: Error): void }
  >();

  constructor() {
    this.process = fork(join(__dirname, '..', 'worker.ts'), [], { stdio: 'inherit' });
    this.process.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const waiting = this.pending.get(message.id);
      if (waiting === undefined) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiting.reject(new Error(message.error));
      else waiting.resolve(message.result);
    });
    this.process.on('exit', (code) => {
      for (const waiting of this.pending.values()) {
        waiting.reject(new Error(`a benchmark worker exited (code ${code})`));
      }
      this.pending.clear();
    });
  }

  run<T extends Task>(task: T): Promise<TaskResult<T>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.process.send({ id, task });
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.process.exitCode !== null) return resolve();
      this.process.once('exit', () => resolve());
      this.process.disconnect();
    });
  }
}

/** Runs one task in a fresh worker process and stops it. */
export async function inChild<T extends Task>(task: T): Promise<TaskResult<T>> {
  const child = new Child();
  try {
    return await child.run(task);
  } finally {
    await child.stop();
  }
}
