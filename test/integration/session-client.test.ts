import { afterEach, describe, expect, it } from 'vitest';
import { createSessionClient, ExchangeLog, type SessionClient } from '../../src/index.js';
import { runSessionClientExample } from '../../examples/session-client.js';
import { startLoginBackend, type LoginBackend } from '../helpers/login-backend.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const LOGIN = { type: 'login', path: '/login', body: '{"user":"lib","password":"lib-pw"}' };

async function setup(reuse: 'none' | 'exchange' | 'shared', extra: Record<string, unknown> = {}): Promise<{ b: LoginBackend; client: SessionClient }> {
  const b = await startLoginBackend();
  cleanup.push(() => b.close());
  const client = createSessionClient({ baseUrl: b.url, reuse, auth: LOGIN, ...extra });
  cleanup.push(() => client.close());
  return { b, client };
}

describe('the session client library', () => {
  it('reuse none: a login with every request', async () => {
    const { b, client } = await setup('none');
    for (let i = 0; i < 3; i++) expect((await client.request(`/data/${i}`)).status).toBe(200);
    await client.exchange(async (http) => {
      await http.request('/data/x');
      await http.request('/data/y');
    });
    expect(b.logins).toBe(5);
    expect(client.stats.logins).toBe(5);
  });

  it('reuse exchange: the requests of one exchange share one upstream session, two exchanges do not', async () => {
    const { b, client } = await setup('exchange');
    const seen: string[][] = [];
    for (let e = 0; e < 2; e++) {
      await client.exchange(async (http) => {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push((await http.request(`/data/${e}-${i}`)).json<{ session: string }>().session);
        seen.push(ids);
        expect(http.context.state).toBe('authenticated');
        expect(http.context.jar.names(http.context.url('/'))).toContain('JSESSIONID');
      });
    }
    expect(b.logins).toBe(2);
    expect(new Set(seen[0]).size).toBe(1);
    expect(new Set(seen[1]).size).toBe(1);
    expect(seen[0]![0]).not.toBe(seen[1]![0]);
  });

  it('reuse shared: one login for every request and exchange, even 20 at once', async () => {
    const { b, client } = await setup('shared');
    b.loginDelay = 50;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => client.request(`/data/${i}`)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    await client.exchange((http) => http.request('/data/in-exchange'));
    expect(b.logins).toBe(1);
  });

  it('logs in again when the server expires the session and replays the request, a POST body included', async () => {
    const { b, client } = await setup('shared');
    expect((await client.request('/data/1')).status).toBe(200);
    b.expireAll();
    const r = await client.request({ method: 'POST', path: '/data/2', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ received: 5 });
    expect(b.logins).toBe(2);
    expect(client.stats.relogins).toBe(1);
  });

  it('records its exchanges, logins included, into an exchange log', async () => {
    const log = new ExchangeLog({ enabled: true, maxEntries: 50, maxBodyBytes: 256, maxTotalBodyBytes: 65536, redactHeaders: ['cookie', 'set-cookie'], thresholdPercent: 10, lossStatuses: ['4xx', '5xx'], subscriberQueue: 10 });
    const { b, client } = await setup('exchange', { exchangeLog: log });
    await client.exchange(async (http) => {
      await http.request('/data/a');
      b.expireAll();
      await http.request('/data/b');
    });
    const rows = log.list();
    expect(rows.map((r) => [r.kind, r.uri, r.status])).toEqual([
      ['login', '/login', 200],
      ['request', '/data/a', 200],
      // The backend forgot the session: 401, one re-login, the request replayed.
      ['request', '/data/b', 401],
      ['login', '/login', 200],
      ['request', '/data/b', 200],
    ]);
    expect(JSON.stringify(rows.map((r) => r.requestHeaders))).not.toMatch(/JSESSIONID=[0-9a-f]/);
  });

  it('runs the example in examples/', async () => {
    const { logins, rows } = await runSessionClientExample();
    expect(logins).toBe(1);
    expect(rows[0]).toEqual({ kind: 'login', uri: '/login', status: 200 });
    expect(rows.slice(1).every((r) => r.status === 200)).toBe(true);
  });

  it('rejects an invalid auth option with the field path', () => {
    expect(() => createSessionClient({ baseUrl: 'http://127.0.0.1:1', auth: { type: 'login' } })).toThrow(/path/);
  });
});
