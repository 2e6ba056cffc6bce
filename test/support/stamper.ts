// A child process that uses a real SQLite store the way an app's main process does: stamps
// events and switches state at random, printing one JSON line to its output file after each call
// returns (and one before each state change, as it may be cut off by a kill). Run by
// test/support/stampers.ts, bundled first so that it starts in a few tens of milliseconds.
import { existsSync, openSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

import { ClientSession } from '../../src/main/ClientSession';
import { openSqliteStore } from '../../src/main/openSqliteStore';
import { seededRandom } from './stamperProtocol';
import type { StamperConfig, StamperLine } from './stamperProtocol';

const pause = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  if (ms > 0) Atomics.wait(pause, 0, 0, ms);
}

function main(config: StamperConfig): void {
  if (config.uid !== undefined) {
    process.setgid?.(config.uid);
    process.setuid?.(config.uid);
  }
  const fd = openSync(config.out, 'a');
  const print = (line: StamperLine): void => {
    writeSync(fd, `${JSON.stringify(line)}\n`);
  };
  const logger = {
    error: (message: string) => process.stderr.write(`[electron-client-session] ${message}\n`),
    warn: (message: string) => process.stderr.write(`[electron-client-session] ${message}\n`),
    info: () => undefined,
    debug: () => undefined,
  };
  const random = seededRandom(config.seed);
  let t = 0;
  const clock = (): number => (t = Date.now());

  const store = openSqliteStore({ path: config.path, logger, clock: Date.now });
  const session = new ClientSession({
    store,
    clock,
    logger,
    continueSessionOnRestart: config.continueSessionOnRestart,
    isBackground: config.isBackground,
    foregroundTimeout: config.foregroundTimeout,
    backgroundTimeout: config.backgroundTimeout,
  });
  print({ k: 'ready', t, pid: process.pid });

  while (config.goFile !== undefined && !existsSync(config.goFile)) sleep(1);
  const end = config.durationMs === undefined ? Infinity : Date.now() + config.durationMs;
  while (Date.now() < end) {
    const roll = config.mix === 'stamps' ? 0 : random();
    if (roll < (config.mix === 'churn' ? 0.46 : 0.82)) {
      const entity = session.stamp(randomUUID(), Date.now());
      print({ k: 'e', t, e: entity });
    } else if (roll < 0.94) {
      const v = !session.getIsBackground();
      print({ k: 'i', op: 'bg', v });
      session.setIsBackground(v);
      print({ k: 'a', op: 'bg', v, t });
    } else if (roll < 0.98) {
      print({ k: 'i', op: 'extend' });
      session.extend();
      print({ k: 'a', op: 'extend', t });
    } else {
      print({ k: 'i', op: 'new' });
      session.startNewSession();
      print({ k: 'a', op: 'new', t });
    }
    sleep(Math.floor(random() * (config.maxPauseMs + 1)));
  }
  session.close();
  print({ k: 'closed' });
}

main(JSON.parse(process.argv[2] ?? '{}') as StamperConfig);
