import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startLoginBackend, type LoginBackend } from '../helpers/login-backend.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function loginBackend(): Promise<LoginBackend> {
  const b = await startLoginBackend();
  cleanup.push(() => b.close());
  return b;
}

const LOGIN = { type: 'login', method: 'POST', path: '/login', body: '{"user":"svc","password":"svc-pw"}' };

async function gateway(b: LoginBackend, upstream: Record<string, unknown>, session: Record<string, unknown> = { mode: 'cookie' }): Promise<TestGateway> {
  const g = await startGateway([b.url], { service: { session, upstream }, config: { admin: { listen: '127.0.0.1:0' } } });
  cleanup.push(() => g.stop());
  return g;
}

const cookieOf = (h: string | string[] | undefined): string => (Array.isArray(h) ? h[0]! : h!).split(';')[0]!;

async function get(g: TestGateway, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const r = await request(`${g.url}${path}`, { headers });
  return { status: r.statusCode, body: await r.body.text(), headers: r.headers };
}

/** A new client session: the cookie the gateway gives it. */
async function newSession(g: TestGateway): Promise<string> {
  const r = await get(g, '/data/start');
  return cookieOf(r.headers['set-cookie'] as string);
}

describe('upstream session reuse', () => {
  it('reuse none: every request logs in (N requests -> N logins)', async () => {
    const b = await loginBackend();
    const g = await gateway(b, { reuse: 'none', auth: LOGIN }, { mode: 'none' });
    for (let i = 0; i < 5; i++) expect((await get(g, `/data/${i}`)).status).toBe(200);
    expect(b.logins).toBe(5);
    expect(new Set(b.dataRequests.map((d) => d.cookie)).size).toBe(5);
  });

  it('reuse session: one login per client session, each session carrying only its own cookie', async () => {
    const b = await loginBackend();
    const g = await gateway(b, { reuse: 'session', auth: LOGIN });
    const a = await newSession(g);
    const c = await newSession(g);
    for (let i = 0; i < 3; i++) {
      expect((await get(g, `/data/a${i}`, { cookie: a })).status).toBe(200);
      expect((await get(g, `/data/c${i}`, { cookie: c })).status).toBe(200);
    }
    expect(b.logins).toBe(2);
    const cookiesOf = (prefix: string) => new Set(b.dataRequests.filter((d) => d.path.startsWith(`/data/${prefix}`)).map((d) => d.cookie));
    expect(cookiesOf('a').size).toBe(1);
    expect(cookiesOf('c').size).toBe(1);
    expect([...cookiesOf('a')][0]).not.toBe([...cookiesOf('c')][0]);
  });

  it('reuse service: one login for every client', async () => {
    const b = await loginBackend();
    const g = await gateway(b, { reuse: 'service', auth: LOGIN });
    for (let i = 0; i < 4; i++) {
      const s = await newSession(g);
      expect((await get(g, `/data/${i}`, { cookie: s })).status).toBe(200);
    }
    expect(b.logins).toBe(1);
    const ctx = (await (await fetch(`${g.adminUrl}/v1/services/svc/connections`)).json()) as { logins: number; requests: number; cookies: string[]; state: string }[];
    expect(ctx).toHaveLength(1);
    expect(ctx[0]).toMatchObject({ state: 'authenticated', logins: 1, requests: 9 }); // 8 requests and the login
    expect(ctx[0]!.cookies.sort()).toEqual(['JSESSIONID', 'LB']);
  });

  it('20 concurrent first requests trigger exactly one login', async () => {
    const b = await loginBackend();
    b.loginDelay = 100;
    const g = await gateway(b, { reuse: 'service', auth: LOGIN }, { mode: 'none' });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => get(g, `/data/${i}`)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(b.logins).toBe(1);
  });

  it('logs in again once when the backend expires the session, replays the GET, and the client sees 200', async () => {
    const b = await loginBackend();
    const g = await gateway(b, { reuse: 'session', auth: LOGIN });
    const s = await newSession(g);
    expect((await get(g, '/data/1', { cookie: s })).status).toBe(200);
    b.expireAll();
    const r = await get(g, '/data/2', { cookie: s });
    expect(r.status).toBe(200);
    expect(b.logins).toBe(2);
    // The backend saw the expired attempt (401) and the replay.
    expect(b.dataRequests.filter((d) => d.path === '/data/2').map((d) => d.user === null)).toEqual([true, false]);
    const id = ((await (await fetch(`${g.adminUrl}/v1/sessions`)).json()) as { id: string }[])[0]!.id;
    const [ctx] = (await (await fetch(`${g.adminUrl}/v1/sessions/${id}/connections`)).json()) as { logins: number; relogins: number; state: string }[];
    expect(ctx).toMatchObject({ logins: 2, relogins: 1, state: 'authenticated' });
    // Both logins are exchanges of kind login in the log.
    const logins = (await (await fetch(`${g.adminUrl}/v1/exchanges?kind=login`)).json()) as { uri: string; status: number }[];
    expect(logins.map((l) => [l.uri, l.status])).toEqual([
      ['/login', 200],
      ['/login', 200],
    ]);
    // The replay's row says which row it sends again (the expired attempt).
    const rows = (await (await fetch(`${g.adminUrl}/v1/exchanges?kind=request&uri=/data/2`)).json()) as { id: number; status: number; retry_of: number | null }[];
    const [expired, replay] = [...rows].sort((x, y) => x.id - y.id);
    expect([expired!.status, expired!.retry_of, replay!.status, replay!.retry_of]).toEqual([401, null, 200, expired!.id]);
  });

  it('gives a POST too big to have been kept the backend\'s 401, and the next request logs in first', async () => {
    const b = await loginBackend();
    const g = await gateway(b, { reuse: 'session', auth: LOGIN, replay_max_body: 16 });
    const s = await newSession(g);
    b.expireAll();
    const r = await request(`${g.url}/data/post`, { method: 'POST', body: 'x'.repeat(100), headers: { cookie: s } });
    expect(r.statusCode).toBe(401);
    await r.body.text();
    expect(b.logins).toBe(1);
    expect((await get(g, '/data/after', { cookie: s })).status).toBe(200);
    expect(b.logins).toBe(2);
    // A small POST is replayed.
    b.expireAll();
    const small = await request(`${g.url}/data/small`, { method: 'POST', body: 'tiny', headers: { cookie: s } });
    expect(small.statusCode).toBe(200);
    expect(JSON.parse(await small.body.text())).toMatchObject({ received: 4 });
  });

  it('answers 502 with a clear code when the login endpoint fails, backs off, then recovers', async () => {
    const b = await loginBackend();
    b.failLogins = 503;
    const g = await gateway(b, { reuse: 'service', auth: LOGIN, login_backoff: { initial: '300ms', max: '2s' } }, { mode: 'none' });
    const first = await get(g, '/data/1');
    expect(first.status).toBe(502);
    expect(first.headers['x-sessiongate-error']).toBe('SG_ERR_LOGIN_FAILED');
    // Within the back-off: no new login attempt reaches the backend.
    const during = await get(g, '/data/2');
    expect(during.headers['x-sessiongate-error']).toBe('SG_ERR_LOGIN_BACKOFF');
    const loginRows = (await (await fetch(`${g.adminUrl}/v1/exchanges?kind=login`)).json()) as unknown[];
    expect(loginRows).toHaveLength(1);
    b.failLogins = null;
    await new Promise((r) => setTimeout(r, 350));
    expect((await get(g, '/data/3')).status).toBe(200);
    expect(b.logins).toBe(1);
  });

  it('does not pass the backend\'s session cookie to the client (it stays in the gateway\'s jar)', async () => {
    const b = await loginBackend();
    const g = await gateway(b, { reuse: 'session', auth: { type: 'none' } });
    const s = await newSession(g);
    // The backend sets cookies on this path: the gateway keeps them.
    const r = await request(`${g.url}/login`, { method: 'POST', body: '{"user":"ann","password":"ann-pw"}', headers: { cookie: s } });
    expect(r.headers['set-cookie']).toBeUndefined();
    await r.body.text();
    const d = await get(g, '/data/x', { cookie: s });
    expect(d.status).toBe(200);
    expect(JSON.parse(d.body)).toMatchObject({ user: 'ann' });
  });
});

describe('upstream context statistics', () => {
  it('counts high- and low-water events and buffered writes when the client reads slowly', async () => {
    const { startBackend } = await import('../helpers/backend.js');
    const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
    const b = await startBackend((_req, res) => res.end(big));
    cleanup.push(() => b.close());
    const g = await startGateway([b.url], { service: { session: { mode: 'connection' }, upstream: { reuse: 'session' } }, config: { admin: { listen: '127.0.0.1:0' } } });
    cleanup.push(() => g.stop());
    const { connect } = await import('node:net');
    const socket = connect(g.port, '127.0.0.1');
    let received = 0;
    await new Promise<void>((resolve) => {
      socket.on('data', (c: Buffer) => {
        received += c.length;
        socket.pause();
        setTimeout(() => socket.resume(), 2);
        if (received >= big.length) resolve();
      });
      socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    const id = ((await (await fetch(`${g.adminUrl}/v1/sessions`)).json()) as { id: string }[])[0]!.id;
    const [ctx] = (await (await fetch(`${g.adminUrl}/v1/sessions/${id}/connections`)).json()) as { statistics: Record<string, number> }[];
    socket.destroy();
    expect(ctx!.statistics.high_water_events).toBeGreaterThan(0);
    expect(ctx!.statistics.low_water_events).toBeGreaterThan(0);
    expect(ctx!.statistics.buffered_writes).toBeGreaterThan(0);
    expect(ctx!.statistics.body_bytes_received).toBe(big.length);
  });
});

describe('authentication to servers', () => {
  it('basic with config credentials: every request carries them, the client\'s Authorization is replaced', async () => {
    const b = await loginBackend();
    b.sessions.set('fixed', 'x');
    const g = await gateway(b, { reuse: 'none', auth: { type: 'basic', user: 'svc', password: 's3cret' } }, { mode: 'none' });
    await get(g, '/data/a', { authorization: 'Basic Y2xpZW50OnB3', cookie: 'JSESSIONID=fixed' });
    expect(b.dataRequests[0]!.authorization).toBe(`Basic ${Buffer.from('svc:s3cret').toString('base64')}`);
  });

  it('login with client credentials: each user gets their own upstream session, never another user\'s', async () => {
    const b = await loginBackend();
    const g = await gateway(b, {
      reuse: 'service',
      auth: { type: 'login', credentials: 'client', path: '/login', body: '{"user":"{{user}}","password":"{{password}}"}' },
    }, { mode: 'none' });
    const basic = (u: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${u}-pw`).toString('base64')}` });
    for (const user of ['ann', 'bob', 'ann', 'bob', 'ann']) {
      const r = await get(g, '/data/who', basic(user));
      expect(JSON.parse(r.body)).toMatchObject({ user });
    }
    expect(b.logins).toBe(2);
    // The client's own Authorization never goes to the data endpoint (the gateway logged in with it).
    expect(b.dataRequests.every((d) => d.authorization === null)).toBe(true);
    const ctxs = (await (await fetch(`${g.adminUrl}/v1/services/svc/connections`)).json()) as { user: string }[];
    expect(ctxs.map((c) => c.user).sort()).toEqual(['ann', 'bob']);
    // A wrong password is a failed login for that user only.
    const wrong = await get(g, '/data/who', { authorization: `Basic ${Buffer.from('eve:nope').toString('base64')}` });
    expect(wrong.headers['x-sessiongate-error']).toBe('SG_ERR_LOGIN_FAILED');
    expect((await get(g, '/data/who', basic('ann'))).status).toBe(200);
  });

  it('custom: a module function logs in with the context\'s client', async () => {
    const b = await loginBackend();
    const dir = mkdtempSync(join(tmpdir(), 'sg-custom-'));
    const module = join(dir, 'login.mjs');
    writeFileSync(
      module,
      `export async function login(client, info) {
         const res = await client.request({ method: 'POST', path: '/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'custom', password: 'custom-pw' }) });
         if (res.status !== 200) throw new Error('login refused: ' + res.status + ' for ' + info.server);
       }`,
    );
    const g = await gateway(b, { reuse: 'service', auth: { type: 'custom', module } }, { mode: 'none' });
    const r = await get(g, '/data/c');
    expect(JSON.parse(r.body)).toMatchObject({ user: 'custom' });
    expect(b.logins).toBe(1);
  });

  it('reports each upstream context\'s statistics with real counts and never a cookie value', async () => {
    const b = await loginBackend();
    const g = await gateway(b, { reuse: 'session', auth: LOGIN });
    const s = await newSession(g);
    for (let i = 0; i < 3; i++) await get(g, `/data/${i}`, { cookie: s });
    const id = ((await (await fetch(`${g.adminUrl}/v1/sessions`)).json()) as { id: string }[])[0]!.id;
    const text = await (await fetch(`${g.adminUrl}/v1/sessions/${id}/connections`)).text();
    for (const value of b.sessions.keys()) expect(text).not.toContain(value);
    const [ctx] = JSON.parse(text) as { server: string; service: string; role: string; requests: number; statistics: Record<string, number> }[];
    expect(ctx).toMatchObject({ server: '/servers/s1', service: '/services/svc', role: 'Upstream context' });
    expect(ctx!.requests).toBe(5); // the first request, the login and 3 more
    expect(ctx!.statistics.reads).toBeGreaterThanOrEqual(4);
    expect(ctx!.statistics.writes).toBeGreaterThanOrEqual(4);
    expect(ctx!.statistics.body_bytes_received).toBeGreaterThan(0);
    expect(ctx!.statistics.buffered_writes).toBe(0); // small responses to an idle client never wait
    const fields = (await (await fetch(`${g.adminUrl}/v1/sessions/${id}/connections?fields=statistics/reads,server`)).json()) as unknown[];
    expect(fields).toEqual([{ server: '/servers/s1', statistics: { reads: ctx!.statistics.reads } }]);
  });
});
