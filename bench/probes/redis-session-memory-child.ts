/**
 * Probe child of `redis-session-memory`: the Redis memory of one client Session whose upstream context holds
 * three cookies of the server's. A real Gateway (from dist/) with `store: { type: redis }` on the private
 * redis-server the probe started (BENCH_PROBE_REDIS_URL), cookie sessions and `upstream.reuse: session`, in
 * front of a backend in this process that sets three cookies (`JSESSIONID`, `XSRF-TOKEN`, `route`) on every
 * response. N requests without a cookie through the gateway's listener make N Sessions; the end of each
 * request saves the session's upstream context (its jar: the three cookies) in the session's record, as the
 * upstream-reuse path does. Measured: INFO memory's used_memory before and after, MEMORY USAGE of one
 * session's keys; then every session is killed (as `DELETE /v1/sessions/:id` does) and what is left counted.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { premise, probeChild } from '../lib/probe-child.js';
import { createLoad, gatewayConfig, startBackend, startGateway } from './in-process.js';

export interface RedisSessionMemoryResult {
  sessions: number;
  redisVersion: string;
  /** used_memory after − before, bytes. */
  usedMemoryDelta: number;
  /** MEMORY USAGE (SAMPLES 0) of each key of one session, bytes, by key pattern. */
  keyBytes: Record<string, number>;
  /** Fields of the session's hash, and the bytes of its upstream context's JSON. */
  hashFields: number;
  contextJsonBytes: number;
  cookies: number;
  /** After killing every session: used_memory − before the sessions, and the keys left by pattern. */
  afterKill: { usedMemoryDelta: number; keysLeft: Record<string, number> };
}

const N = Number(process.env.BENCH_PROBE_SESSIONS ?? 1_000);
const WARMUP = 100;
const PREFIX = 'sg:';

/** `sg:fence:12` → `fence:ID`, `sg:t:abc` → `t:TOKENHASH`. */
function pattern(key: string): string {
  const rest = key.slice(PREFIX.length);
  const m = /^([a-z]+):(.+)$/.exec(rest);
  if (m === null) return rest;
  return `${m[1]}:${m[1] === 't' ? 'TOKENHASH' : m[1] === 'u' ? 'USER' : 'ID'}`;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const m = /^used_memory:(\d+)/m.exec(info);
  premise(m !== null, 'INFO memory has no used_memory');
  return Number(m[1]);
}

async function keysByPattern(redis: Redis): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) out[pattern(k)] = (out[pattern(k)] ?? 0) + 1;
  } while (cursor !== '0');
  return out;
}

probeChild<RedisSessionMemoryResult>(async (cleanup) => {
  const redisUrl = process.env.BENCH_PROBE_REDIS_URL;
  premise(redisUrl !== undefined && redisUrl !== '', 'BENCH_PROBE_REDIS_URL is not set');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  cleanup(() => redis.disconnect());
  const redisVersion = /^redis_version:(\S+)/m.exec(await redis.info('server'))?.[1] ?? '?';
  premise((await redis.dbsize()) === 0, 'the probe\'s Redis is not empty');

  const backend = await startBackend((_req, res) => {
    res.setHeader('set-cookie', [
      `JSESSIONID=${randomBytes(16).toString('hex').toUpperCase()}; Path=/; HttpOnly`,
      `XSRF-TOKEN=${randomUUID()}; Path=/`,
      `route=node-${1 + Math.floor(Math.random() * 3)}.${randomBytes(4).toString('hex')}; Path=/`,
    ]);
    res.end('ok');
  });
  cleanup(() => backend.close());
  const { gateway, url } = await startGateway(
    gatewayConfig(backend.url, { session: { mode: 'cookie' }, upstream: { reuse: 'session' } }, {
      store: { type: 'redis', url: redisUrl, key_prefix: PREFIX },
      exchange_log: { enabled: false },
    }),
  );
  cleanup(() => gateway.stop(0));
  const load = createLoad(url, 8);
  cleanup(() => load.close());
  const send = (n: number): Promise<number> =>
    load.run(
      n,
      (i) => ({ method: 'GET', path: `/items/${i}` }),
      (res) => {
        premise(res.statusCode === 200, `the gateway answered ${res.statusCode}`);
        const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
        premise(cookies.some((c) => c.startsWith('sgsid=')), 'a request without a cookie got no sgsid cookie');
      },
    );

  await send(WARMUP);
  await sleep(200);
  const before = await usedMemory(redis);
  await send(N);
  await sleep(200);
  const after = await usedMemory(redis);
  const ids = (await redis.zrange(`${PREFIX}idx`, 0, -1)).sort((a, b) => Number(a) - Number(b));
  premise(ids.length === WARMUP + N, `${ids.length} sessions in Redis's index, expected ${WARMUP + N}`);

  // One session of the measured ones, and its keys.
  const id = ids[WARMUP + Math.floor(N / 2)]!;
  const hash = await redis.hgetall(`${PREFIX}s:${id}`);
  const contextField = Object.keys(hash).find((f) => f.startsWith('up:'));
  premise(contextField !== undefined, `session ${id}'s record has no upstream context (fields: ${Object.keys(hash).join(', ')})`);
  const context = JSON.parse(hash[contextField]!) as { jar: string | { cookies?: unknown[] } };
  const jar = typeof context.jar === 'string' ? (JSON.parse(context.jar) as { cookies?: unknown[] }) : context.jar;
  const cookies = jar.cookies?.length ?? 0;
  premise(cookies === 3, `session ${id}'s upstream context holds ${cookies} cookies, expected 3`);
  const keyBytes: Record<string, number> = {};
  const usage = async (key: string): Promise<number> => Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  for (const key of [`${PREFIX}s:${id}`, `${PREFIX}t:${hash.th ?? ''}`, `${PREFIX}fence:${id}`, `${PREFIX}lease:${id}`]) {
    if ((await redis.exists(key)) === 1) keyBytes[pattern(key)] = await usage(key);
  }
  keyBytes['idx (per session)'] = Math.round((await usage(`${PREFIX}idx`)) / ids.length);

  for (const sid of ids) premise(await gateway.sessions.kill(sid), `session ${sid} could not be killed`);
  await sleep(200);
  const afterKill = { usedMemoryDelta: (await usedMemory(redis)) - before, keysLeft: await keysByPattern(redis) };
  return {
    sessions: N,
    redisVersion,
    usedMemoryDelta: after - before,
    keyBytes,
    hashFields: Object.keys(hash).length,
    contextJsonBytes: Buffer.byteLength(hash[contextField]!),
    cookies,
    afterKill,
  };
});
