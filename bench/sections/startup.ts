import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import type { ClientSession, SessionStore } from '../../src/main';
import { COLD_MODES } from '../lib/coldModes';
import type { ColdMode } from '../lib/coldModes';
import { makeFixture, openSession } from '../lib/fixtures';
import type { ConfClass, StoreFixture } from '../lib/fixtures';
import { max, median, nsSince } from '../lib/stats';

export interface StartupOptions {
  readonly warmups: number;
  readonly repetitions: number;
  /** Fresh Node processes to time the very first entity in (0 skips it). */
  readonly coldProcesses: number;
}

export interface StartupVariant {
  readonly name: string;
  /** Whether opening the store is inside the timing. */
  readonly includesOpen: boolean;
  readonly medianMs: number;
  readonly maxMs: number;
  /** The first repetition in this process, before any warm-up. */
  readonly firstMs: number;
  readonly samples: number;
}

export interface StartupSection {
  readonly variants: StartupVariant[];
}

interface Variant {
  readonly name: string;
  readonly fixture: StoreFixture;
  readonly includesOpen: boolean;
  readonly continueSessionOnRestart?: boolean;
}

const COLD_LABELS: Record<ColdMode, string> = {
  'include-open': 'opening',
  'include-open-preloaded': 'opening, addon preloaded',
  'include-open-default': 'openSqliteStore, opening',
  'exclude-open': 'already open',
};

const EVENT_ID = '0d4f6a2e-1b3c-4d5e-8f90-a1b2c3d4e5f6';

/**
 * Time from `new ClientSession(...)` on a store that already holds a live session to the
 * first entity `stamp()` returns, measured with `process.hrtime`. Closing is outside the
 * timing. Run first in the process, so that `firstMs` is as cold as the process allows.
 */
export function measureStartup(Conf: ConfClass, options: StartupOptions): StartupSection {
  const memory = makeFixture('memory', Conf);
  const sqlite = makeFixture('sqlite', Conf);
  const sqliteDefault = makeFixture('sqlite-default', Conf);
  const conf = makeFixture('electron-store', Conf);
  for (const fixture of [memory, sqlite, sqliteDefault, conf]) {
    const session = openSession(fixture.open());
    session.stamp(EVENT_ID, Date.now());
    session.close();
  }

  const variants: Variant[] = [
    { name: 'sqlite, opening the store', fixture: sqlite, includesOpen: true },
    { name: 'sqlite, store already open', fixture: sqlite, includesOpen: false },
    { name: 'sqlite via openSqliteStore, opening', fixture: sqliteDefault, includesOpen: true },
    {
      name: 'sqlite, opening, new session at restart',
      fixture: sqlite,
      includesOpen: true,
      continueSessionOnRestart: false,
    },
    { name: 'electron-store (conf), opening', fixture: conf, includesOpen: true },
    { name: 'electron-store (conf), already open', fixture: conf, includesOpen: false },
    { name: 'memory', fixture: memory, includesOpen: false },
  ];

  const results: StartupVariant[] = [];
  for (const variant of variants) {
    const firstMs = timeOnce(variant) / 1e6;
    for (let i = 0; i < options.warmups; i++) timeOnce(variant);
    const samples: number[] = [];
    for (let i = 0; i < options.repetitions; i++) samples.push(timeOnce(variant) / 1e6);
    results.push({
      name: variant.name,
      includesOpen: variant.includesOpen,
      medianMs: median(samples),
      maxMs: max(samples),
      firstMs,
      samples: samples.length,
    });
  }

  if (options.coldProcesses > 0) {
    for (const mode of COLD_MODES) results.push(coldVariant(sqlite, mode, options.coldProcesses));
  }
  return { variants: results };
}

function timeOnce(variant: Variant): number {
  const extra =
    variant.continueSessionOnRestart === undefined
      ? {}
      : { continueSessionOnRestart: variant.continueSessionOnRestart };
  let session: ClientSession;
  let start: bigint;
  if (variant.includesOpen) {
    start = process.hrtime.bigint();
    session = openSession(variant.fixture.open(), extra);
  } else {
    const store: SessionStore = variant.fixture.open();
    start = process.hrtime.bigint();
    session = openSession(store, extra);
  }
  session.stamp(EVENT_ID, Date.now());
  const ns = nsSince(start);
  session.close();
  return ns;
}

/** The first entity in fresh Node processes (native addon loading and cold code included). */
function coldVariant(fixture: StoreFixture, mode: ColdMode, processes: number): StartupVariant {
  const path = fixture.path;
  if (path === undefined) throw new Error('a cold start needs a store file');
  const script = join(__dirname, '..', 'coldStart.ts');
  const samples: number[] = [];
  for (let i = 0; i < processes; i++) {
    // From the repository, where `--import tsx` resolves, wherever the run was started.
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, path, mode], {
      cwd: join(__dirname, '..', '..'),
      encoding: 'utf8',
    });
    samples.push((JSON.parse(out) as { ns: number }).ns / 1e6);
  }
  return {
    name: `sqlite, fresh process, ${COLD_LABELS[mode]}`,
    includesOpen: mode !== 'exclude-open',
    medianMs: median(samples),
    maxMs: max(samples),
    firstMs: samples[0]!,
    samples: samples.length,
  };
}
