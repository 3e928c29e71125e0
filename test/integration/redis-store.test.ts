import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../helpers/backend.js';
import { startCli, type LongRunning } from '../helpers/cli.js';
import { startLoginBackend, type LoginBackend } from '../helpers/login-backend.js';
import { redisAvailable, startRedis, type TestRedis } from '../helpers/redis-server.js';

/**
 * Two gateway processes (the real `sessiongate start`, compiled) sharing one real redis-server that the test
 * starts on a free port.
 */

const dir = mkdtempSync(join(tmpdir(), 'sg-redis-test-'));
const cleanup: (() => Promise<void>)[] = [];

interface Instance {
  name: string;
  url: string;
  admin: string;
  proc: LongRunning;
  config: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

let redis: TestRedis;
let backend: LoginBackend;

async function instance(name: string, extra: { store?: Record<string, unknown>; session?: Record<string, unknown> } = {}): Promise<Instance> {
  const port = await closedPort();
  const adminPort = await closedPort();
  const config = join(dir, `${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      admin: { listen: `127.0.0.1:${adminPort}` },
      listeners: [{ name: 'main', listen: `127.0.0.1:${port}` }],
      servers: [{ name: 'backend', url: backend.url }],
      services: [
        {
          name: 'api',
          listener: 'main',
          servers: ['backend'],
          session: { mode: 'cookie', user_from: 'header', ...extra.session },
          upstream: { reuse: 'session', auth: { type: 'login', path: '/login', body: '{"user":"cluster","password":"cluster-pw"}' } },
        },
        {
          name: 'shared',
          listener: 'main',
          match: { path_prefix: '/svc' },
          strip_prefix: true,
          servers: ['backend'],
          upstream: { reuse: 'service', auth: { type: 'login', path: '/login', body: '{"user":"svc","password":"svc-pw"}' } },
        },
      ],
      store: { type: 'redis', url: redis.url, key_prefix: 'sgtest:', command_timeout: '1s', lease_ttl: '3s', stream: { enabled: true, max_len: 1000 }, ...extra.store },
      logging: { level: 'warn' },
    }),
  );
  const launch = async (): Promise<LongRunning> => {
    const proc = startCli(['start', '--config', config, '--log-level', 'info']);
    await proc.waitFor('admin server started');
    return proc;
  };
  const inst: Instance = {
    name,
    url: `http://127.0.0.1:${port}`,
    admin: `http://127.0.0.1:${adminPort}`,
    config,
    proc: await launch(),
    stop: async () => {
      inst.proc.kill('SIGTERM');
      await inst.proc.exited;
    },
    restart: async () => {
      await inst.stop();
      inst.proc = await launch();
    },
  };
  cleanup.push(() => inst.stop());
  return inst;
}

const cookieOf = (h: unknown): string => (Array.isArray(h) ? (h[0] as string) : (h as string)).split(';')[0]!;
const get = async (base: string, path: string, headers: Record<string, string> = {}) => {
  const r = await request(`${base}${path}`, { headers });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const available = redisAvailable();

describe.skipIf(!available)('the Redis store: two gateways, one session space', () => {
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    redis = await startRedis();
    backend = await startLoginBackend();
    cleanup.push(() => backend.close());
    [a, b] = await Promise.all([instance('a'), instance('b')]);
  }, 30_000);

  afterAll(async () => {
    while (cleanup.length) await cleanup.pop()!();
    await redis?.stop();
  });

  it('a cookie issued by A works on B, with one upstream login for both', async () => {
    const before = backend.logins;
    const first = await get(a.url, '/data/1', { 'x-user': 'ann' });
    expect(first.status).toBe(200);
    const cookie = cookieOf(first.headers['set-cookie']);
    for (let i = 0; i < 4; i++) {
      const r = await get(i % 2 ? a.url : b.url, `/data/${i + 2}`, { cookie });
      expect(r.status).toBe(200);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    expect(backend.logins - before).toBe(1);
    // A's counters reach Redis with its next save (within a tick, 250 ms): B's admin shows them then.
    const annSessions = async () => (await (await fetch(`${b.admin}/v1/sessions?user=ann`)).json()) as { id: string; requests: number; user: string }[];
    await expect.poll(annSessions, { timeout: 2000, interval: 50 }).toEqual([expect.objectContaining({ user: 'ann', requests: 5 })]);
    const sessions = await annSessions();
    // The user's index expires with its sessions (expired ids never pile up in it).
    const pttl = Number(redis.cli('PTTL', 'sgtest:u:ann'));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(Number(redis.cli('PTTL', `sgtest:s:${sessions[0]!.id}`)) + 1000);
    const [ctx] = (await (await fetch(`${a.admin}/v1/sessions/${sessions[0]!.id}/connections`)).json()) as { logins: number; cookies: string[] }[];
    expect(ctx).toMatchObject({ logins: 1 });
    expect(ctx!.cookies).toContain('JSESSIONID');
  });

  it('serialises the requests of one session across A and B: 6 concurrent never overlap at the backend', async () => {
    const first = await get(a.url, '/data/start', { 'x-user': 'serial' });
    const cookie = cookieOf(first.headers['set-cookie']);
    backend.maxActive = 0;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => get(i % 2 ? a.url : b.url, `/data/slow?i=${i}`, { cookie, 'x-delay': '80' })));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(backend.maxActive).toBe(1);
    // Each turn started from what the other instance saved: no request lost from the count.
    const requests = async () => ((await (await fetch(`${b.admin}/v1/sessions?user=serial`)).json()) as { requests: number }[])[0]?.requests;
    await expect.poll(requests, { timeout: 2000, interval: 50 }).toBe(7);
  });

  it("B's admin lists A's sessions and its kill cancels a request running on A", async () => {
    const first = await get(a.url, '/data/k', { 'x-user': 'kim' });
    const cookie = cookieOf(first.headers['set-cookie']);
    const [session] = (await (await fetch(`${b.admin}/v1/sessions?user=kim`)).json()) as { id: string }[];
    const running = get(a.url, '/data/slow', { cookie, 'x-delay': '2000' });
    await sleep(300);
    const del = await fetch(`${b.admin}/v1/sessions/${session!.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    const r = await running;
    expect(r.status).toBe(503);
    expect(r.headers['x-sessiongate-error']).toBe('SG_ERR_SESSION_KILLED');
    expect((await fetch(`${a.admin}/v1/sessions/${session!.id}`)).status).toBe(404);
    const again = await get(b.url, '/data/after', { cookie });
    expect(again.headers['set-cookie']).toBeDefined(); // the old token is dead: a new session
  });

  it('logs a service-scope context in once across instances, even with concurrent first requests', async () => {
    const before = backend.logins;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => get(i % 2 ? a.url : b.url, `/svc/data/${i}`)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(backend.logins - before).toBe(1);
    const users = new Set(backend.dataRequests.slice(-10).map((d) => d.user));
    expect([...users]).toEqual(['svc']);
  });

  it("one instance's admin shows the cluster's traffic from the Redis stream", async () => {
    await get(a.url, '/data/from-a');
    await get(b.url, '/data/from-b');
    await sleep(200);
    const rows = (await (await fetch(`${a.admin}/v1/exchanges?cluster=true&method=GET`)).json()) as { uri: string; instance: string }[];
    const fromA = rows.find((r) => r.uri === '/data/from-a');
    const fromB = rows.find((r) => r.uri === '/data/from-b');
    expect(fromA).toBeDefined();
    expect(fromB).toBeDefined();
    expect(fromA!.instance).not.toBe(fromB!.instance);
    const gwA = (await (await fetch(`${a.admin}/v1/gateway`)).json()) as { instance: string };
    expect([fromA!.instance, fromB!.instance]).toContain(gwA.instance);
  });

  it('keeps every session and upstream login across a gateway restart', async () => {
    const first = await get(a.url, '/data/r1', { 'x-user': 'rex' });
    const cookie = cookieOf(first.headers['set-cookie']);
    const logins = backend.logins;
    await a.restart();
    const r = await get(a.url, '/data/r2', { cookie });
    expect(r.status).toBe(200);
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(backend.logins).toBe(logins);
  });

  it('serves a session it holds without a Redis round trip; lease_linger 0 takes and gives back a lease per request', async () => {
    const c = await instance('c', { store: { lease_linger: 0 } });
    const scripts = (): number => {
      const m = /^cmdstat_evalsha:calls=(\d+)/m.exec(redis.cli('INFO', 'commandstats'));
      return m ? Number(m[1]) : 0;
    };
    // Every instance also runs its expiry sweep (a script) each second, and gives back idle holds: the
    // bounds leave room for those, far from what a script per request would cost.
    const n = 50;
    for (const inst of [a, c]) {
      const first = await get(inst.url, '/data/h0');
      const cookie = cookieOf(first.headers['set-cookie']);
      const before = scripts();
      for (let i = 0; i < n; i++) expect((await get(inst.url, `/data/h${i + 1}`, { cookie })).status).toBe(200);
      const used = scripts() - before;
      // A (lease_linger 250 ms): the requests come faster than that, a save a second at most.
      // C (lease_linger 0): a lease taken and a save for each request.
      if (inst === a) expect(used).toBeLessThan(n / 4);
      else expect(used).toBeGreaterThanOrEqual(2 * n);
    }
  });

  it('hands a held session over at once when another instance asks for it', async () => {
    const d = await instance('d', { store: { lease_linger: '30s' } });
    const first = await get(d.url, '/data/w0');
    const cookie = cookieOf(first.headers['set-cookie']);
    // D keeps the lease for 30 s unless asked: B asks on pub/sub and gets it within a round trip or two
    // (the bound is loose for a loaded CI machine, and far below the 30 s it would wait unheard).
    const t0 = Date.now();
    const onB = await get(b.url, '/data/w1', { cookie });
    expect(onB.status).toBe(200);
    expect(onB.headers['set-cookie']).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(5000);
    const back = await get(d.url, '/data/w2', { cookie });
    expect(back.status).toBe(200);
    expect(back.headers['set-cookie']).toBeUndefined();
  });

  it('answers 503 within the command timeout while Redis is paused or down, with flat memory, then recovers', async () => {
    const first = await get(b.url, '/data/f1');
    const cookie = cookieOf(first.headers['set-cookie']);
    redis.pause();
    // B holds the session's lease (lease_linger) and may serve it from memory for up to two ticks (0.5 s)
    // after Redis last answered (a reply already on its way when Redis stopped counts); past that, every
    // request that needs session state asks Redis.
    await sleep(700);
    const started = Date.now();
    const paused = await get(b.url, '/data/f2', { cookie });
    expect(paused.status).toBe(503);
    expect(paused.headers['retry-after']).toBeDefined();
    expect(paused.headers['x-sessiongate-error']).toBe('SG_ERR_STORE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(2500);
    redis.resume();
    await redis.stop();
    const rss = () => Number(execFileSync('ps', ['-o', 'rss=', '-p', String(b.proc.child.pid)]).toString().trim());
    // Warm-up: past the exchange log's 1,000 rows and the stream publisher's bounded queue, both of which
    // legitimately fill up first; after that, nothing may keep growing.
    for (let i = 0; i < 1500; i++) await get(b.url, '/data/down', { cookie });
    const before = rss();
    const t0 = Date.now();
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const r = await get(b.url, '/data/down', { cookie });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    const perRequest = (Date.now() - t0) / 1000;
    expect(statuses.get(503)).toBe(1000);
    expect(perRequest).toBeLessThan(2000);
    expect(rss() - before).toBeLessThan(20_000); // kB: flat, nothing piles up
    const gw = (await (await fetch(`${b.admin}/v1/gateway`)).json()) as { store: { ready: boolean } };
    expect(gw.store.ready).toBe(false);
    expect(await (await fetch(`${b.admin}/metrics`)).text()).toContain('sessiongate_store_ready 0');
    await redis.start();
    const back = Date.now();
    let ok = false;
    while (Date.now() - back < 5000) {
      if ((await get(b.url, '/data/back')).status === 200) {
        ok = true;
        break;
      }
      await sleep(100);
    }
    expect(ok).toBe(true);
  }, 60_000);
});
