/** Command-line flags and environment variables of `npm run bench`; a flag wins over its variable. */
import { parseArgs } from 'node:util';
import { UsageError } from './command.js';

export interface BenchOptions {
  /** Measured seconds per target per round. */
  duration: number;
  /** Warm-up seconds per target per round (same load, not counted). */
  warmup: number;
  connections: number;
  /** Each target is measured this many times; the round with the highest req/s is reported. */
  rounds: number;
  /** Scenario or probe ids or groups to run (`scenarios`, `probes`: all of either kind); empty: all. */
  only: string[];
  /** Compile src/ to dist/ before measuring (sessiongate runs from dist/). */
  build: boolean;
  /** Write docs/benchmarks.md and bench/results/latest.json. */
  write: boolean;
  list: boolean;
  help: boolean;
  /** The command line as typed, for the docs. */
  command: string;
}

export const USAGE = `Usage: npm run bench -- [options]

  --duration S      measured seconds per target per round      (BENCH_DURATION, default 10)
  --warmup S        warm-up seconds before each measurement    (BENCH_WARMUP, default 3)
  --connections N   concurrent keep-alive connections          (BENCH_CONNECTIONS, default 50)
  --rounds N        measurements per target, order reversed    (BENCH_ROUNDS, default 3)
                    every other round; the best round is shown
                    (also the rounds of the sessions-expiry probe)
  --only LIST       comma-separated scenario or probe ids or   (BENCH_ONLY, default: all)
                    groups; \`scenarios\` or \`probes\`: all of one kind
  --no-build        do not run \`npm run build\` first           (BENCH_BUILD=0)
  --no-write        print only: leave docs/benchmarks.md and bench/results/ alone
  --list            list the scenarios and probes and exit
  --help            this text
`;


function positive(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`${name} must be a number >= ${min}, got "${text}"`);
  return n;
}

const FLAGS = {
  duration: { type: 'string' },
  warmup: { type: 'string' },
  connections: { type: 'string' },
  rounds: { type: 'string' },
  only: { type: 'string' },
  'no-build': { type: 'boolean', default: false },
  'no-write': { type: 'boolean', default: false },
  list: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options: FLAGS });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parse(argv);
  const only = (values.only ?? env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const viaNpm = env.npm_lifecycle_event === 'bench';
  const benchEnv = Object.entries(env)
    .filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${v} `)
    .join('');
  const args = argv.join(' ');
  const command = viaNpm
    ? `${benchEnv}npm run bench${args ? ` -- ${args}` : ''}`
    : `${benchEnv}node --import tsx bench/run.ts${args ? ` ${args}` : ''}`;
  return {
    duration: positive('--duration', values.duration ?? env.BENCH_DURATION, 10, 1),
    warmup: positive('--warmup', values.warmup ?? env.BENCH_WARMUP, 3, 0),
    connections: Math.round(positive('--connections', values.connections ?? env.BENCH_CONNECTIONS, 50, 1)),
    rounds: Math.round(positive('--rounds', values.rounds ?? env.BENCH_ROUNDS, 3, 1)),
    only,
    build: !values['no-build'] && env.BENCH_BUILD !== '0',
    write: !values['no-write'],
    list: values.list,
    help: values.help,
    command,
  };
}
