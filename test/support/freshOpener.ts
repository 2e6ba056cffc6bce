// A child process that, round after round, opens a store file that does not exist yet at an
// instant agreed with its siblings, stamps one event and closes, as many copies of an app (or
// an app and its helpers) starting together on a fresh profile would. Run by freshOpens.ts.
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ClientSession } from '../../src/main/ClientSession';
import { openSqliteStore } from '../../src/main/openSqliteStore';
import type { FreshOpenerConfig, FreshOpenLine } from './freshOpens';

const pause = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number): void => {
  if (ms > 0) Atomics.wait(pause, 0, 0, ms);
};
const now = (): number => performance.timeOrigin + performance.now();

function main(config: FreshOpenerConfig): void {
  for (let round = 0; round < config.rounds; round++) {
    const signal = join(config.dir, `round${round}.go`);
    while (!existsSync(signal)) sleep(1);
    // The parent names an instant a little ahead: every sibling opens at it, to the millisecond.
    sleep(Number(readFileSync(signal, 'utf8')) - now());

    const warnings: string[] = [];
    const logger = {
      error: (message: string) => warnings.push(message),
      warn: (message: string) => warnings.push(message),
      info: () => undefined,
      debug: () => undefined,
    };
    const store = openSqliteStore({
      path: join(config.dir, `round${round}`, 'client-session.sqlite'),
      logger,
    });
    const session = new ClientSession({ store, logger });
    const entity = session.stamp(randomUUID(), Date.now());
    session.close();

    const line: FreshOpenLine = { round, entity, warnings };
    appendFileSync(config.out, `${JSON.stringify(line)}\n`);
  }
}

main(JSON.parse(process.argv[2] ?? '{}') as FreshOpenerConfig);
