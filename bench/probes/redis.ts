/**
 * Probe of the Redis store (issue 8): the Redis memory of a client Session whose upstream context holds three
 * cookies, with INFO memory and MEMORY USAGE, on a private redis-server.
 */
import { redis } from '../targets/redis.js';
import { startProcess } from '../lib/processes.js';
import type { Probe, ProbeContext, ProbeFigure } from '../lib/probe-types.js';
import { info, runProbeChild } from '../lib/probes.js';
import type { RedisSessionMemoryResult } from './redis-session-memory-child.js';

const SESSIONS = 1_000;
const int = (v: number): string => Math.round(v).toLocaleString('en-US');

export const redisSessionMemory: Probe = {
  id: 'redis-session-memory',
  group: 'store',
  title: 'Redis memory per session with three upstream cookies',
  description:
    'The Redis memory of one client Session whose upstream context holds three of the server\'s cookies. A ' +
    'private redis-server (`--port N --save "" --appendonly no`, a free loopback port, stopped after the ' +
    'probe; `BENCH_REDIS_SERVER` names another binary) and, in a child process, a real Gateway from dist/ with ' +
    '`store: { type: redis }`, cookie sessions and `upstream.reuse: session`, in front of a backend that sets ' +
    '`JSESSIONID`, `XSRF-TOKEN` and `route` cookies on every response. 1,000 requests without a cookie make ' +
    '1,000 Sessions; the end of each request saves the session\'s upstream context (its cookie jar) in the ' +
    'session\'s record, as the upstream-reuse path does. Checked: Redis\'s index holds every session and the ' +
    'record of one holds a context with three cookies. Measured: INFO memory\'s `used_memory` before and ' +
    'after (÷ 1,000), MEMORY USAGE (SAMPLES 0) of one session\'s keys; then every session is killed (as ' +
    '`DELETE /v1/sessions/:id` does) and the keys left are counted.',
  seconds: () => 15,
  async run(ctx: ProbeContext) {
    const server = await startProcess(redis({ options: ctx.options, support: {}, tmpDir: ctx.tmpDir }), ctx.cwd);
    let r: RedisSessionMemoryResult;
    try {
      r = await runProbeChild<RedisSessionMemoryResult>(
        {
          name: 'redis-session-memory',
          file: 'redis-session-memory-child.ts',
          env: { BENCH_PROBE_REDIS_URL: `redis://127.0.0.1:${server.port}`, BENCH_PROBE_SESSIONS: String(SESSIONS) },
          timeoutMs: 120_000,
        },
        ctx,
      );
    } finally {
      await server.stop();
    }
    const left = Object.entries(r.afterKill.keysLeft).filter(([k]) => k !== 'seq');
    const figures: ProbeFigure[] = [
      info('used_memory per session', r.usedMemoryDelta / r.sessions, 'B', `INFO memory, ÷ ${int(r.sessions)}`),
      ...Object.entries(r.keyBytes).map(([key, bytes]) => info(`MEMORY USAGE ${key}`, bytes, 'B')),
      info('upstream context in the record', r.contextJsonBytes, 'B', 'JSON, three cookies'),
      info('keys left after every session was killed', left.reduce((n, [, c]) => n + c, 0), ''),
    ];
    const details = [
      `Redis ${r.redisVersion}; ${int(r.sessions)} sessions: used_memory +${int(r.usedMemoryDelta)} B. The session's hash has ` +
        `${r.hashFields} fields, one of them its upstream context (${int(r.contextJsonBytes)} B of JSON with ${r.cookies} cookies).`,
      `After every session (the warm-up's too) was killed: used_memory ${r.afterKill.usedMemoryDelta >= 0 ? '+' : ''}${int(r.afterKill.usedMemoryDelta)} B ` +
        `against before the ${int(r.sessions)} sessions; keys left: ${left.length === 0 ? 'none' : left.map(([k, c]) => `${int(c)} × ${k}`).join(', ')} ` +
        '(besides the id sequence).',
    ];
    return { figures, details };
  },
};
