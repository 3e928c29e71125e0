/**
 * Group `store`: sessions in Redis vs in memory. The issue: "sessions in Redis vs in memory, same run — at
 * most 25% fewer req/s".
 *
 * A private redis-server (bench/targets/redis.ts: a free loopback port, no persistence) runs for the whole
 * scenario. Both targets have cookie sessions and get the load of `sessions-cookie`: each request carries one
 * of 1,000 session cookies made by `prepare` (checked distinct and kept). `prepare` also counts the sessions
 * in Redis (its `sg:idx` index) before and after making them: the Redis target must have added 1,000, the
 * memory target none. After each measurement, Redis's command counts per request are read (`collect`):
 * Lua scripts run, and all commands executed (those inside the scripts included).
 */
import { Redis } from 'ioredis';
import { keepsUp } from '../lib/goals.js';
import type { Collected, MeasurementContext, Scenario } from '../lib/types.js';
import { backend } from '../targets/backend.js';
import { redis, redisUrl } from '../targets/redis.js';
import { sessiongate } from '../targets/sessiongate.js';
import { SESSION_COUNT, createCookieSessions, rotatingCookies, smallBodyCheck } from './sessions.js';

const PATH = '/small';
const KEY_PREFIX = 'sg:';
const MEMORY = 'memory store';
const REDIS = 'redis store';

/** Runs `f` with a connection to the scenario's Redis, closed afterwards. */
async function withRedis<T>(ctx: MeasurementContext, f: (r: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(redisUrl(ctx), { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  await client.connect();
  try {
    return await f(client);
  } finally {
    client.disconnect();
  }
}

/** Sessions in the Redis store's index. */
const sessionsInRedis = (ctx: MeasurementContext): Promise<number> => withRedis(ctx, (r) => r.zcard(`${KEY_PREFIX}idx`));

/** Calls per Redis command since it started (INFO commandstats), without the INFO calls of these checks. */
async function commandCalls(ctx: MeasurementContext): Promise<Map<string, number>> {
  const info = await withRedis(ctx, (r) => r.info('commandstats'));
  const calls = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'info') calls.set(m[1]!, Number(m[2]));
  return calls;
}

/** Command calls before the current measurement. */
let callsBefore = new Map<string, number>();

/**
 * Per request: Lua scripts run (`EVALSHA`/`EVAL`), other commands sent by the gateway (each of these is a
 * round trip), and every command Redis executed (those inside the scripts included).
 */
function perRequest(before: Map<string, number>, after: Map<string, number>, requests: number): Collected {
  let scripts = 0;
  let all = 0;
  for (const [cmd, n] of after) {
    const d = n - (before.get(cmd) ?? 0);
    all += d;
    if (cmd === 'evalsha' || cmd === 'eval') scripts += d;
  }
  const per = (v: number): number => (requests > 0 ? v / requests : 0);
  return { 'Redis scripts/req': per(scripts), 'Redis cmds/req': per(all) };
}

export const storeRedis: Scenario = {
  id: 'store-redis',
  group: 'store',
  title: 'Sessions in Redis vs in memory, 1,000 cookie sessions',
  description:
    'What sharing sessions between gateways costs, against the embedded memory store: a session\'s first ' +
    'request looks it up and takes its lease in Redis; the gateway keeps the lease while the session\'s ' +
    'requests keep coming (`lease_linger`, 250 ms) and saves the session once a second. The Redis server is ' +
    'local (loopback). ' +
    '"Redis scripts/req": Lua scripts run per request; "Redis cmds/req": commands Redis executed per request, ' +
    'those inside the scripts included (from INFO commandstats).',
  support: { backend, redis },
  targets: [
    sessiongate({
      name: MEMORY,
      role: 'reference',
      description: 'sessiongate, `session.mode: cookie`, `store: { type: memory }` (the default)',
      service: { session: { mode: 'cookie' } },
      config: { store: { type: 'memory' } },
    }),
    sessiongate({
      name: REDIS,
      role: 'subject',
      description:
        `sessiongate, \`session.mode: cookie\`, \`store: { type: redis, url: redis://127.0.0.1:PORT, key_prefix: "${KEY_PREFIX}" }\` ` +
        '(a private redis-server on loopback, `--save "" --appendonly no`), other store settings at their defaults',
      service: { session: { mode: 'cookie' } },
      config: (ctx) => ({ store: { type: 'redis', url: redisUrl(ctx), key_prefix: KEY_PREFIX } }),
    }),
  ],
  subject: REDIS,
  load: {
    description:
      `GET ${PATH} (100-byte body), each request with one of ${SESSION_COUNT.toLocaleString('en-US')} session cookies in turn ` +
      '(made by `prepare` on each target, checked distinct and kept, and checked to be in Redis, or not, as configured)',
    method: 'GET',
    path: PATH,
    check: smallBodyCheck,
    prepare: async (url: string, ctx: MeasurementContext) => {
      const before = await sessionsInRedis(ctx);
      const cookies = await createCookieSessions(url, PATH);
      const added = (await sessionsInRedis(ctx)) - before;
      const expected = ctx.target.name === REDIS ? SESSION_COUNT : 0;
      if (added !== expected) throw new Error(`${added} sessions were added to Redis while ${SESSION_COUNT} were made, expected ${expected}`);
      return { requests: rotatingCookies(PATH, cookies) };
    },
    beforeMeasurement: async (_url: string, ctx: MeasurementContext) => {
      callsBefore = await commandCalls(ctx);
    },
    collect: async (_url: string, ctx: MeasurementContext, measured): Promise<Collected> =>
      perRequest(callsBefore, await commandCalls(ctx), measured.requests),
  },
  goal: keepsUp([{ target: REDIS, of: MEMORY, atLeast: 0.75 }]),
};
