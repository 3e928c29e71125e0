/** Command-line flags of `npm run soak`. */
import { parseArgs } from 'node:util';
import { UsageError } from '../lib/command.js';

export interface SoakOptions {
  /** Seconds of open-loop load (the soak itself; the short maximum measurement comes before it). */
  durationS: number;
  /** Seconds between two faults; the first one comes after warm-up and the baseline. */
  faultEveryS: number;
  /** Run a redis-server of its own and use the Redis store. */
  redis: boolean;
  build: boolean;
  write: boolean;
  help: boolean;
  /** The command line as typed, for the docs. */
  command: string;
}

export const USAGE = `Usage: npm run soak -- [options]

Open-loop load at half the measured maximum through sessiongate (from dist/), a fault every minute,
memory, file descriptors and event-loop delay sampled; fails (exit 1) when the live heap drifts more
than 10% after warm-up, file descriptors leak, a fault's own check fails, or the load sees an error
that no fault explains.

  --duration D      how long the open-loop load runs: 90s, 5m, 300 (seconds)   (default 5m, at least 60s)
  --fault-every D   time between two faults                                    (default 1m, at least 15s)
  --redis           run a redis-server of its own (a free port, never 6379) and the Redis store;
                    adds the Redis-restart fault
  --no-build        do not run \`npm run build\` first (sessiongate runs from dist/)
  --no-write        leave docs/benchmarks.md alone (bench/results/soak.json, the raw samples, is
                    written either way)
  --help            this text
`;


/** `90s`, `5m`, `1m30s`, `300` (seconds) → seconds. */
export function parseDurationS(name: string, text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(t); m !== null; m = re.exec(t)) {
    const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    total += Number(m[1]) * unit;
    matched = re.lastIndex;
  }
  if (t === '' || matched !== t.length) throw new UsageError(`${name}: expected a duration such as 90s, 5m or 300, got "${text}"`);
  return total;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): SoakOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string', default: '5m' },
        'fault-every': { type: 'string', default: '1m' },
        redis: { type: 'boolean', default: false },
        'no-build': { type: 'boolean', default: false },
        'no-write': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const durationS = parseDurationS('--duration', values.duration);
  if (durationS < 60) throw new UsageError(`--duration must be at least 60s (warm-up, baseline and one fault), got ${values.duration}`);
  const faultEveryS = parseDurationS('--fault-every', values['fault-every']);
  if (faultEveryS < 15) throw new UsageError(`--fault-every must be at least 15s, got ${values['fault-every']}`);
  const args = argv.join(' ');
  const command = env.npm_lifecycle_event === 'soak' ? `npm run soak${args ? ` -- ${args}` : ''}` : `node --import tsx bench/soak.ts${args ? ` ${args}` : ''}`;
  return {
    durationS,
    faultEveryS,
    redis: values.redis,
    build: !values['no-build'],
    write: !values['no-write'],
    help: values.help,
    command,
  };
}
