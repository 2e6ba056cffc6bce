/**
 * A benchmark worker process (see lib/child.ts): runs the tasks the parent sends over IPC and
 * answers each with its result. Exits when the parent disconnects.
 */
import type { ClientSession } from '../src/main';
import { eventIdPool, loadConf, makeFixture, openSession, removeTempDirs } from './lib/fixtures';
import type { StoreKind } from './lib/fixtures';
import type { Timing } from './lib/stats';
import { measureMillion } from './sections/million';
import type { MillionOptions, MillionRun } from './sections/million';
import { stampMany } from './sections/stampRate';
import { measureStartup } from './sections/startup';
import type { StartupOptions, StartupSection } from './sections/startup';
import { measureTracker } from './sections/tracker';
import type { TrackerOptions, TrackerSection } from './sections/tracker';

export type Task =
  | { readonly type: 'startup'; readonly options: StartupOptions }
  | { readonly type: 'tracker'; readonly options: TrackerOptions }
  | { readonly type: 'million'; readonly kind: StoreKind; readonly options: MillionOptions }
  | { readonly type: 'stamp-open'; readonly kind: StoreKind; readonly warmupStamps: number }
  | { readonly type: 'stamp-batch'; readonly count: number };

export type TaskResult<T extends Task> = T extends { type: 'startup' }
  ? StartupSection
  : T extends { type: 'tracker' }
    ? TrackerSection
    : T extends { type: 'million' }
      ? MillionRun
      : T extends { type: 'stamp-batch' }
        ? Timing
        : null;

const ids = eventIdPool();
let session: ClientSession | undefined;

async function perform(task: Task): Promise<unknown> {
  const Conf = await loadConf();
  switch (task.type) {
    case 'startup':
      return measureStartup(Conf, task.options);
    case 'tracker':
      return measureTracker(Conf, task.options);
    case 'million':
      return measureMillion(Conf, ids, task.kind, task.options);
    case 'stamp-open':
      session = openSession(makeFixture(task.kind, Conf).open());
      stampMany(session, ids, task.warmupStamps);
      return null;
    case 'stamp-batch':
      if (session === undefined) throw new Error('stamp-batch before stamp-open');
      return stampMany(session, ids, task.count);
  }
}

process.on('message', (message: { id: number; task: Task }) => {
  perform(message.task).then(
    (result) => process.send!({ id: message.id, result }),
    (error: unknown) =>
      process.send!({
        id: message.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});

process.on('disconnect', () => {
  session?.close();
  removeTempDirs();
});
