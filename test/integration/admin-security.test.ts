import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackend } from '../helpers/backend.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function gateway(admin: Record<string, unknown> = {}): Promise<TestGateway> {
  const b = await startBackend();
  cleanup.push(() => b.close());
  const g = await startGateway([b.url], { service: { session: { mode: 'cookie' } }, config: { admin: { listen: '127.0.0.1:0', ...admin } } });
  cleanup.push(() => g.stop());
  return g;
}

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('admin API security', () => {
  it('requires HTTP Basic when users are configured: API, metrics and UI alike', async () => {
    const g = await gateway({ users: [{ name: 'ops', password: 'correct horse' }] });
    for (const path of ['/v1/sessions', '/metrics', '/', '/v1/openapi.json']) {
      const none = await fetch(`${g.adminUrl}${path}`);
      expect(none.status, path).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="sessiongate"/);
      expect((await fetch(`${g.adminUrl}${path}`, { headers: { authorization: basic('ops', 'wrong') } })).status, path).toBe(401);
      expect((await fetch(`${g.adminUrl}${path}`, { headers: { authorization: basic('eve', 'correct horse') } })).status, path).toBe(401);
      expect((await fetch(`${g.adminUrl}${path}`, { headers: { authorization: basic('ops', 'correct horse') } })).status, path).toBe(200);
    }
  });

  it('refuses cross-site writes from browsers, allows same-origin ones with the header, and non-browser clients', async () => {
    const g = await gateway();
    await (await request(`${g.url}/`)).body.text();
    const del = (headers: Record<string, string>) => request(`${g.adminUrl}/v1/exchanges`, { method: 'DELETE', headers }).then(async (r) => ({ status: r.statusCode, body: await r.body.text() }));
    const host = new URL(g.adminUrl).host;
    expect((await del({ origin: 'http://evil.example' })).status).toBe(403);
    expect((await del({ origin: 'http://evil.example', 'x-requested-by': 'x' })).status).toBe(403);
    expect((await del({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const noHeader = await del({ origin: `http://${host}` });
    expect(noHeader.status).toBe(403);
    expect(JSON.parse(noHeader.body)).toEqual({ errors: [{ detail: expect.stringContaining('X-Requested-By') }] });
    expect((await del({ origin: `http://${host}`, 'x-requested-by': 'sessiongate-ui' })).status).toBe(204);
    expect((await del({})).status).toBe(204); // curl, the CLI
    // Reads are never refused for a missing header.
    expect((await fetch(`${g.adminUrl}/v1/exchange-log`, { headers: { origin: 'http://evil.example' } })).status).toBe(200);
  });

  it('sends security headers on every response, errors and UI included', async () => {
    const g = await gateway();
    for (const path of ['/v1/gateway', '/v1/sessions/nope', '/v1/nothing', '/']) {
      const res = await fetch(`${g.adminUrl}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
    expect((await fetch(`${g.adminUrl}/`)).headers.get('content-security-policy')).toMatch(/default-src 'self'/);
  });

  it('parses bodies strictly: content type, JSON syntax, size, unknown fields, each a precise 400 (or 413)', async () => {
    const g = await gateway({ max_body_size: 64 });
    const patch = (body: string, type = 'application/json') => fetch(`${g.adminUrl}/v1/exchange-log`, { method: 'PATCH', headers: { 'content-type': type }, body });
    const detail = async (r: Response) => ((await r.json()) as { errors: { detail: string }[] }).errors[0]!.detail;
    let r = await patch('{"enabled":true}', 'text/plain');
    expect(r.status).toBe(400);
    expect(await detail(r)).toMatch(/Content-Type: application\/json/);
    r = await patch('{"enabled":tru');
    expect(r.status).toBe(400);
    expect(await detail(r)).toMatch(/not valid JSON/);
    r = await patch(JSON.stringify({ enabled: true, pad: 'x'.repeat(100) }));
    expect(r.status).toBe(413);
    r = await patch('{"enabld":true}');
    expect(r.status).toBe(400);
    expect(await detail(r)).toMatch(/enabld/);
    r = await patch('{"max_entries":0}');
    expect(r.status).toBe(400);
    expect(await detail(r)).toMatch(/max_entries/);
  });

  it('answers unknown routes 404 and wrong methods 405, as JSON', async () => {
    const g = await gateway();
    const a = await fetch(`${g.adminUrl}/v1/nope`);
    expect(a.status).toBe(404);
    expect(await a.json()).toEqual({ errors: [{ detail: 'no such resource: /v1/nope' }] });
    const b = await fetch(`${g.adminUrl}/v1/gateway`, { method: 'DELETE' });
    expect(b.status).toBe(405);
  });

  it('never shows a session token, a cookie value or a credential', async () => {
    const b = await startBackend((req, res) => {
      res.setHeader('set-cookie', 'JSESSIONID=backendsecret; Path=/');
      res.end('ok');
    });
    cleanup.push(() => b.close());
    const g = await startGateway([b.url], {
      service: { session: { mode: 'cookie' }, upstream: { reuse: 'session', auth: { type: 'basic', user: 'svc', password: 'svcpassword' } } },
      config: { admin: { listen: '127.0.0.1:0' } },
    });
    cleanup.push(() => g.stop());
    const first = await request(`${g.url}/`, { headers: { authorization: basic('client', 'clientpassword') } });
    await first.body.text();
    const token = (first.headers['set-cookie'] as string).split(';')[0]!.split('=')[1]!;
    await (await request(`${g.url}/again`, { headers: { cookie: `sgsid=${token}` } })).body.text();
    const id = ((await (await fetch(`${g.adminUrl}/v1/sessions`)).json()) as { id: string }[])[0]!.id;
    let all = '';
    for (const path of ['/v1/sessions', `/v1/sessions/${id}`, `/v1/sessions/${id}/connections`, '/v1/exchanges', '/v1/exchanges.har', '/v1/services', '/v1/connections', '/metrics']) {
      all += await (await fetch(`${g.adminUrl}${path}`)).text();
    }
    const exchanges = (await (await fetch(`${g.adminUrl}/v1/exchanges`)).json()) as { id: number }[];
    for (const e of exchanges) all += await (await fetch(`${g.adminUrl}/v1/exchanges/${e.id}`)).text();
    for (const secret of [token, 'backendsecret', 'svcpassword', 'clientpassword', Buffer.from('svc:svcpassword').toString('base64')]) {
      expect(all, secret).not.toContain(secret);
    }
  });
});

describe('admin passwords as scrypt hashes', () => {
  it('accepts the password whose hash the config holds, and nothing else', async () => {
    const { hashPassword } = await import('../../src/admin/password.js');
    const hash = await hashPassword('s3cret words');
    const g = await gateway({ users: [{ name: 'ops', password: hash }, { name: 'plain', password: 'other' }] });
    expect((await fetch(`${g.adminUrl}/v1/gateway`, { headers: { authorization: basic('ops', 's3cret words') } })).status).toBe(200);
    expect((await fetch(`${g.adminUrl}/v1/gateway`, { headers: { authorization: basic('ops', 's3cret word') } })).status).toBe(401);
    expect((await fetch(`${g.adminUrl}/v1/gateway`, { headers: { authorization: basic('ops', hash) } })).status).toBe(401);
    expect((await fetch(`${g.adminUrl}/v1/gateway`, { headers: { authorization: basic('plain', 'other') } })).status).toBe(200);
  });

  it('refuses a malformed hash in the config, naming the field', async () => {
    const { validateConfig } = await import('../../src/config/index.js');
    expect(() =>
      validateConfig({ admin: { users: [{ name: 'x', password: 'scrypt$16384$8$1$bad' }] }, listeners: [{ name: 'm', listen: '127.0.0.1:0' }], servers: [{ name: 'a', url: 'http://127.0.0.1:1' }], services: [{ name: 's', listener: 'm', servers: ['a'] }] }),
    ).toThrow(/admin\.users\[0\]\.password: malformed scrypt hash/);
  });
});
