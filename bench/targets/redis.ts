/**
 * Support process `redis`: a private redis-server for the store scenario, on a free loopback port (never
 * the machine's own Redis on 6379), no persistence (`--save "" --appendonly no`), its working directory in
 * the run's temporary directory. Stopped with the scenario (SIGTERM: Redis shuts down without saving).
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../lib/free-port.js';
import type { RunningProcess } from '../lib/processes.js';
import type { ProcessSpec, ScenarioContext } from '../lib/types.js';

export const redis = (ctx: ScenarioContext): ProcessSpec => {
  const port = freePort();
  const dir = mkdtempSync(join(ctx.tmpDir, 'redis-'));
  return {
    name: 'redis',
    command: process.env.BENCH_REDIS_SERVER ?? 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
    // "Running mode=standalone, port=N." comes first, "Ready to accept connections" once it listens.
    ready: /Running mode=\w+, port=(\d+)\.[\s\S]*Ready to accept connections/,
  };
};

/** The support process named `redis` of a scenario. */
export function redisOf(ctx: ScenarioContext): RunningProcess {
  const r = ctx.support.redis;
  if (r === undefined) throw new Error('this target needs a support process named "redis"');
  return r;
}

/** `redis://127.0.0.1:PORT` of the scenario's Redis. */
export const redisUrl = (ctx: ScenarioContext): string => `redis://127.0.0.1:${redisOf(ctx).port}`;
