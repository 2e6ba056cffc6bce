// A child process for test/sqlite.checkpoint.test.ts: writes to a real SQLite store until its
// checkpointing worker has run, then closes the store (or, with "leave-open", does not) and
// returns from its last callback. The test checks that the process then exits by itself.
import { SqliteSessionStore } from '../../src/main/SqliteSessionStore';
import { CHECKPOINT_EVERY_WRITES } from '../../src/main/WalCheckpointer';
import type { WalCheckpointer } from '../../src/main/WalCheckpointer';
import { sessionRecord } from './checkpoints';

async function main(path: string, mode: string): Promise<void> {
  const store = new SqliteSessionStore({ path });
  const checkpointer = (store as unknown as { checkpointer: WalCheckpointer }).checkpointer;
  for (let i = 0; i <= CHECKPOINT_EVERY_WRITES; i++) store.setSession(sessionRecord(i));
  // A quiet moment, as an app has between events: the worker starts and checkpoints.
  for (let turn = 0; checkpointer.stats.completed === 0; turn++) {
    if (turn === 20_000) throw new Error('the checkpointing worker never completed a checkpoint');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  store.setSession(sessionRecord(CHECKPOINT_EVERY_WRITES + 1));
  if (mode !== 'leave-open') store.close();
  process.stdout.write(`${JSON.stringify(checkpointer.stats)}\n`);
}

main(process.argv[2]!, process.argv[3] ?? 'close').catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
