// Several processes opening one store file that does not exist yet, at the same instant, many
// times over (see freshOpener.ts). Shared by the reliability tests and `npm run reliability`.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ClientSessionEntity } from '../../src/main';
import { bundledChild, childEnv } from './stampers';

export interface FreshOpenerConfig {
  /** A folder of its own: round `r` opens `round<r>/client-session.sqlite` in it. */
  readonly dir: string;
  readonly rounds: number;
  /** Where the child writes one {@link FreshOpenLine} per round. */
  readonly out: string;
}

export interface FreshOpenLine {
  readonly round: number;
  /** The entity of the event stamped right after opening. */
  readonly entity: ClientSessionEntity;
  /** What the package logged at `warn` or `error`. */
  readonly warnings: readonly string[];
}

export interface FreshOpensReport {
  readonly opens: number;
  /** Opens that did not end on the SQLite store, or that logged something. */
  readonly failures: readonly string[];
}

/** How far ahead of now the parent sets each round's instant, in milliseconds. */
const LEAD_MS = 40;

/**
 * Starts `processes` children and runs `rounds` rounds: in each, every child opens the same new
 * store file at one instant and stamps. Every open must end on the SQLite store (`SQLITE`), with
 * no warning, and every child of a round must get the same `userId`.
 */
export async function runFreshOpens(
  dir: string,
  processes: number,
  rounds: number,
): Promise<FreshOpensReport> {
  const configs = Array.from({ length: processes }, (_, child): FreshOpenerConfig => ({
    dir,
    rounds,
    out: join(dir, `opener${child}.jsonl`),
  }));
  const exits = configs.map(
    (config) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [bundledChild('freshOpener.ts'), JSON.stringify(config)],
          {
            env: childEnv(),
            stdio: ['ignore', 'ignore', 'pipe'],
          },
        );
        let stderr = '';
        child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('error', reject);
        child.once('close', (code) =>
          resolve(code === 0 ? '' : `a child exited with ${code}: ${stderr}`),
        );
      }),
  );
  let ended = false;
  const ending = Promise.all(exits).then((problems) => {
    ended = true;
    return problems.filter((problem) => problem !== '');
  });

  const linesOf = (config: FreshOpenerConfig): FreshOpenLine[] =>
    existsSync(config.out)
      ? readFileSync(config.out, 'utf8')
          .split('\n')
          .slice(0, -1)
          .map((line) => JSON.parse(line) as FreshOpenLine)
      : [];
  for (let round = 0; round < rounds && !ended; round++) {
    writeFileSync(
      join(dir, `round${round}.go`),
      String(performance.timeOrigin + performance.now() + LEAD_MS),
    );
    while (!ended && !configs.every((config) => linesOf(config).length > round)) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  const failures = [...(await ending)];
  const lines = configs.flatMap(linesOf);
  for (let round = 0; round < rounds; round++) {
    const ofRound = lines.filter((line) => line.round === round);
    if (ofRound.length !== processes) failures.push(`round ${round}: ${ofRound.length} opens`);
    for (const { entity, warnings } of ofRound) {
      if (entity.storageMechanism !== 'SQLITE' || warnings.length > 0) {
        failures.push(`round ${round}: ${entity.storageMechanism} ${warnings.join(' ')}`);
      }
    }
    const users = new Set(ofRound.map((line) => line.entity.userId));
    if (users.size > 1) failures.push(`round ${round}: ${users.size} user ids`);
  }
  return { opens: lines.length, failures };
}
