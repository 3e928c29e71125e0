/**
 * Session security through a real gateway (issue 9, section 6), beyond sessions.test.ts (fixation,
 * bind_address, the basic parameter stripping) and admin-security.test.ts (the admin API's own output):
 * the tokens' format and randomness, the cookie's attributes on plain and TLS listeners, tokens kept out of
 * the gateway's log, the exchange log, its detail, HAR and live stream, `param` mode's token never reaching a
 * server however it is spelled, and kill and expiry taking effect on the very next request.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig, type GatewayConfigInput } from '../../src/config/index.js';
import { Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/log.js';
import { closedPort, startBackend, type Backend } from '../helpers/backend.js';
import { RawClient, sleep } from '../helpers/connection-harness.js';
import { startGateway, startGatewayFromConfig, type TestGateway } from '../helpers/gateway.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function backend(handler?: Parameters<typeof startBackend>[0]): Promise<Backend> {
  const b = await startBackend(handler);
  cleanup.push(() => b.close());
  return b;
}

async function gateway(servers: string[], session: Record<string, unknown>, config: Partial<GatewayConfigInput> = {}): Promise<TestGateway> {
  const g = await startGateway(servers, { service: { session }, config: { admin: { listen: '127.0.0.1:0' }, ...config } });
  cleanup.push(() => g.stop());
  return g;
}

const TOKEN = /^[A-Za-z0-9_-]{24}$/;
const tokenOf = (setCookie: string | string[] | undefined, name = 'sgsid'): string => {
  const first = Array.isArray(setCookie) ? setCookie[0]! : setCookie!;
  const pair = first.split(';')[0]!;
  expect(pair.startsWith(`${name}=`)).toBe(true);
  return pair.slice(name.length + 1);
};

describe('tokens', () => {
  it('are unique, 24 base64url characters holding 144 random bits, with no pattern across 1,000 of them', { timeout: 20_000 }, async () => {
    const b = await backend();
    const g = await gateway([b.url], { mode: 'cookie' });
    const tokens: string[] = [];
    // 1,000 new sessions, 20 at a time.
    for (let i = 0; i < 50; i++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const r = await request(`${g.url}/`);
          await r.body.text();
          tokens.push(tokenOf(r.headers['set-cookie']));
        }),
      );
    }
    expect(new Set(tokens).size).toBe(1000);
    for (const t of tokens) expect(t).toMatch(TOKEN);
    const bits = tokens.map((t) => {
      const bytes = Buffer.from(t, 'base64url');
      expect(bytes.length).toBe(18); // 144 bits, no padding, nothing else in the token
      expect(bytes.toString('base64url')).toBe(t);
      return [...bytes].flatMap((byte) => Array.from({ length: 8 }, (_, k) => (byte >> (7 - k)) & 1));
    });
    // Every bit position is set in about half of the tokens (mean 500, sd 16: 400..600 is > 6 sd).
    for (let k = 0; k < 144; k++) {
      const ones = bits.reduce((n, b) => n + b[k]!, 0);
      expect(ones, `bit ${k}`).toBeGreaterThan(400);
      expect(ones, `bit ${k}`).toBeLessThan(600);
    }
    // Consecutive tokens (in issue order) differ in about half their bits (mean 72, sd 6): no counter, no
    // shared prefix or suffix, no small increments.
    for (let i = 1; i < bits.length; i++) {
      const distance = bits[i]!.reduce((n, bit, k) => n + (bit ^ bits[i - 1]![k]!), 0);
      expect(distance, `tokens ${i - 1} and ${i}`).toBeGreaterThan(36);
      expect(distance, `tokens ${i - 1} and ${i}`).toBeLessThan(108);
    }
    // No two tokens share their first or last 6 characters (36 bits: a chance of about 1 in 140,000 here).
    expect(new Set(tokens.map((t) => t.slice(0, 6))).size).toBe(1000);
    expect(new Set(tokens.map((t) => t.slice(-6))).size).toBe(1000);
    // And none holds the session's public id.
    const ids = ((await (await fetch(`${g.adminUrl}/v1/sessions?fields=id&range=0-999`)).json()) as { id: string }[]).map((s) => s.id);
    expect(ids).toHaveLength(1000);
    for (const id of ids) expect(tokens).not.toContain(id);
  });

  it('are the same kind in param mode (Session-Id)', async () => {
    const b = await backend();
    const g = await gateway([b.url], { mode: 'param' });
    const tokens = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await request(`${g.url}/x`);
      await r.body.text();
      expect(r.headers['session-id']).toMatch(TOKEN);
      tokens.add(r.headers['session-id'] as string);
    }
    expect(tokens.size).toBe(20);
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/, host-only and ends with the browser session; Secure on a TLS listener, or as cookie_secure says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-tls-'));
    const f = (n: string): string => join(dir, n);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', f('key.pem'), '-out', f('cert.pem')], { stdio: 'ignore' });
    const b = await backend();
    const g = await startGatewayFromConfig({
      admin: { enabled: false },
      listeners: [
        { name: 'plain', listen: '127.0.0.1:0' },
        { name: 'tls', listen: '127.0.0.1:0', tls: { cert: f('cert.pem'), key: f('key.pem') } },
      ],
      servers: [{ name: 'b', url: b.url }],
      services: [
        { name: 'plain', listener: 'plain', servers: ['b'], session: { mode: 'cookie', cookie: 'app_session' } },
        { name: 'tls', listener: 'tls', servers: ['b'], session: { mode: 'cookie', cookie: 'app_session' } },
        // Behind a TLS-terminating proxy: a plain listener whose clients use https.
        { name: 'behind-tls', listener: 'plain', servers: ['b'], match: { path_prefix: '/behind' }, session: { mode: 'cookie', cookie: 'app_session2', cookie_secure: 'always' } },
        { name: 'never', listener: 'tls', servers: ['b'], match: { path_prefix: '/never' }, session: { mode: 'cookie', cookie: 'app_session2', cookie_secure: 'never' } },
      ],
    } as GatewayConfigInput);
    cleanup.push(() => g.stop());
    const tlsUrl = g.gateway.listener('tls')!.url;
    expect(tlsUrl).toMatch(/^https:/);
    const dispatcher = new Agent({ connect: { ca: readFileSync(f('cert.pem')) } });
    cleanup.push(() => dispatcher.close());
    const attributes = (setCookie: unknown): string[] => {
      const value = setCookie as string;
      expect(typeof value).toBe('string'); // exactly one Set-Cookie
      const [pair, ...attrs] = value.split(';').map((s) => s.trim());
      expect(pair).toMatch(/^app_session2?=[A-Za-z0-9_-]{24}$/);
      return attrs.sort();
    };
    const plain = await request(`${g.url}/`);
    await plain.body.text();
    expect(attributes(plain.headers['set-cookie'])).toEqual(['HttpOnly', 'Path=/', 'SameSite=Lax']);
    const secure = await request(`${tlsUrl}/`, { dispatcher });
    await secure.body.text();
    expect(secure.statusCode).toBe(200);
    expect(attributes(secure.headers['set-cookie'])).toEqual(['HttpOnly', 'Path=/', 'SameSite=Lax', 'Secure']);
    // No Domain (host-only), no Expires or Max-Age (gone with the browser session): the gateway decides when
    // the session ends, not the cookie.
    // cookie_secure overrides what the listener says.
    const behind = await request(`${g.url}/behind/x`);
    await behind.body.text();
    expect(attributes(behind.headers['set-cookie'])).toEqual(['HttpOnly', 'Path=/', 'SameSite=Lax', 'Secure']);
    const never = await request(`${tlsUrl}/never/x`, { dispatcher });
    await never.body.text();
    expect(attributes(never.headers['set-cookie'])).toEqual(['HttpOnly', 'Path=/', 'SameSite=Lax']);
    // And the backend saw no cookie of the gateway's.
    expect(b.seen.map((s) => s.headers.cookie)).toEqual([undefined, undefined, undefined, undefined]);
  });
});

/** Collects what a logger writes. */
function logSink(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
    text: () => chunks.join(''),
  };
}

describe('tokens never written down', () => {
  it('are not in the gateway\'s log at debug level, whatever happens to their sessions', async () => {
    const b = await backend((req, res) => {
      if (req.url!.includes('/slow')) setTimeout(() => res.end('late'), 300);
      else res.end(`ok ${req.url}`);
    });
    const refused = `http://127.0.0.1:${await closedPort()}`;
    const sink = logSink();
    const gw = await Gateway.start(
      validateConfig(
        {
          admin: { listen: '127.0.0.1:0' },
          logging: { level: 'debug', access_log: true },
          listeners: [{ name: 'main', listen: '127.0.0.1:0' }],
          servers: [
            { name: 'b', url: b.url },
            { name: 'gone', url: refused },
          ],
          services: [
            { name: 'cookie', listener: 'main', match: { path_prefix: '/c' }, servers: ['b'], session: { mode: 'cookie', max_queue: 0, bind_address: true } },
            { name: 'param', listener: 'main', match: { path_prefix: '/p' }, servers: ['b'], session: { mode: 'param', idle_timeout: '200ms' } },
            { name: 'down', listener: 'main', match: { path_prefix: '/down' }, servers: ['gone'], session: { mode: 'param' } },
          ],
        } as GatewayConfigInput,
        'test',
      ),
      { logger: createLogger('debug', sink.stream) },
    );
    cleanup.push(() => gw.stop(2000));
    const url = gw.listeners[0]!.url;
    const admin = gw.admin!.url;
    const tokens: string[] = [];
    // Cookie mode: a session, a queue overflow (max_queue 0), a kill while a request runs.
    const first = await request(`${url}/c/1`);
    await first.body.text();
    const cookieToken = tokenOf(first.headers['set-cookie']);
    tokens.push(cookieToken);
    const running = request(`${url}/c/slow`, { headers: { cookie: `sgsid=${cookieToken}` } });
    await sleep(50);
    const overflow = await request(`${url}/c/2`, { headers: { cookie: `sgsid=${cookieToken}` } });
    expect(overflow.statusCode).toBe(503);
    await overflow.body.text();
    const id = ((await (await fetch(`${admin}/v1/sessions?fields=id`)).json()) as { id: string }[])[0]!.id;
    expect((await fetch(`${admin}/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(204);
    await (await running).body.text();
    const dead = await request(`${url}/c/3`, { headers: { cookie: `sgsid=${cookieToken}` } });
    await dead.body.text();
    tokens.push(tokenOf(dead.headers['set-cookie']));
    // Param mode: a session, its expiry, an upstream failure with the token in the URL and in Referer.
    const p = await request(`${url}/p/1`);
    await p.body.text();
    const paramToken = p.headers['session-id'] as string;
    tokens.push(paramToken);
    await sleep(400);
    const again = await request(`${url}/p/2?sessionid=${paramToken}`, { headers: { referer: `http://app.test/p?sessionid=${paramToken}` } });
    await again.body.text();
    tokens.push(again.headers['session-id'] as string);
    const down = await request(`${url}/down/x?sessionid=${paramToken}`, { headers: { referer: `http://app.test/?sessionid=${paramToken}` } });
    expect(down.statusCode).toBe(502);
    await down.body.text();
    // A path no service serves, with a token in its query; a malformed request carrying one.
    await (await request(`${url}/nowhere?sessionid=${paramToken}`)).body.text();
    const raw = await RawClient.connect(gw.listeners[0]!.address!.port);
    raw.write(`GET /p/3?sessionid=${paramToken} HTTP/1.1\r\nHost: x\r\nCookie: sgsid=${cookieToken}\r\nBad Header\r\n\r\n`);
    await raw.waitClosed();
    await sleep(100);
    const log = sink.text();
    expect(log).toContain('listener started'); // the sink does get the log
    for (const t of tokens) expect(log, t).not.toContain(t);
    // access_log is on: a line per answered request, with the target as forwarded (the token taken out).
    const access = log
      .split('\n')
      .filter((l) => l.includes('"msg":"request"'))
      .map((l) => JSON.parse(l) as { target: string | null; method: string; status: number; service: string | null; session: string | null; error: string | null });
    expect(access.find((a) => a.target?.startsWith('/p/2'))).toMatchObject({ method: 'GET', status: 200, service: 'param', target: '/p/2' });
    expect(access.find((a) => a.target?.startsWith('/down/x'))).toMatchObject({ status: 502, error: 'SG_ERR_UPSTREAM_REFUSED', target: '/down/x' });
    expect(access.find((a) => a.target === '/c/2')).toMatchObject({ status: 503, service: 'cookie' });
  });

  it('are not in the exchange log, its detail, HAR or the live stream, even with nothing redacted', async () => {
    const b = await backend((req, res) => {
      if (req.url!.startsWith('/c/slow')) setTimeout(() => res.end('late'), 300);
      else res.end(`ok ${req.url}`);
    });
    const g = await startGatewayFromConfig({
      admin: { listen: '127.0.0.1:0' },
      // Nothing redacted: what keeps the tokens out is that they never reach the rows at all.
      exchange_log: { redact_headers: [] },
      listeners: [{ name: 'main', listen: '127.0.0.1:0' }],
      servers: [{ name: 'b', url: b.url }],
      services: [
        { name: 'cookie', listener: 'main', match: { path_prefix: '/c' }, servers: ['b'], session: { mode: 'cookie', max_queue: 0 } },
        { name: 'param', listener: 'main', match: { path_prefix: '/p' }, servers: ['b'], session: { mode: 'param', max_queue: 0 } },
      ],
    } as GatewayConfigInput);
    cleanup.push(() => g.stop());
    const stream = await request(`${g.adminUrl}/v1/exchanges/stream`);
    let live = '';
    stream.body.on('data', (c: Buffer) => (live += c.toString()));
    cleanup.push(async () => {
      stream.body.destroy();
    });

    const first = await request(`${g.url}/c/1`);
    await first.body.text();
    const cookieToken = tokenOf(first.headers['set-cookie']);
    const p = await request(`${g.url}/p/1`);
    await p.body.text();
    const paramToken = p.headers['session-id'] as string;
    const withTokens = { cookie: `theme=dark; sgsid=${cookieToken}`, referer: `http://app.test/page?x=1&sessionid=${paramToken}` };
    // Answered by the server, by the gateway (queue full, no service), while one runs.
    // (A cookie-mode service's own query is the client's to choose: no `sessionid` in it here.)
    const running = request(`${g.url}/c/slow?a=1`, { headers: withTokens });
    const runningParam = request(`${g.url}/p/slow?sessionid=${paramToken}`, { headers: withTokens });
    await sleep(50);
    for (const path of [`/c/2`, `/p/2?sessionid=${paramToken}&a=b`, `/nowhere?sessionid=${paramToken}`, `/p/x/../3?sessionid=${paramToken}`]) {
      await (await request(`${g.url}${path}`, { headers: withTokens })).body.text();
    }
    const trace = await request(`${g.url}/p/4?sessionid=${paramToken}`, { method: 'TRACE', headers: withTokens });
    expect(trace.statusCode).toBe(405);
    await trace.body.text();
    await (await running).body.text();
    await (await runningParam).body.text();
    await sleep(100);

    const rows = (await (await fetch(`${g.adminUrl}/v1/exchanges`)).json()) as { id: number; uri: string; status: number }[];
    expect(rows.length).toBeGreaterThanOrEqual(7);
    expect(rows.map((r) => r.status)).toContain(503);
    expect(rows.map((r) => r.status)).toContain(404);
    let all = JSON.stringify(rows) + live;
    for (const r of rows) all += await (await fetch(`${g.adminUrl}/v1/exchanges/${r.id}`)).text();
    all += await (await fetch(`${g.adminUrl}/v1/exchanges.har`)).text();
    expect(all).toContain('theme=dark'); // the client's own cookie is there, unredacted
    expect(live).toContain('/nowhere');
    for (const t of [cookieToken, paramToken]) expect(all, t).not.toContain(t);
  });
});

describe('param mode', () => {
  let server: RecordingBackend;

  async function paramGateway(): Promise<TestGateway> {
    server = await startRecordingBackend('app');
    cleanup.push(() => server.close());
    return gateway([server.url], { mode: 'param' });
  }

  it('never lets the token reach the server, in the target or in Referer, however the request spells it', async () => {
    const g = await paramGateway();
    const first = await request(`${g.url}/start`);
    await first.body.text();
    const t = first.headers['session-id'] as string;
    const cases: [string, string | null, string][] = [
      // [request target, Referer, the target the server must see]
      [`/a?sessionid=${t}`, null, '/a'],
      [`/a?x=1&sessionid=${t}&y=2`, `http://app.test/list?sessionid=${t}`, '/a?x=1&y=2'],
      [`/a?sessionid=${t}&sessionid=${t}`, `http://app.test/p?q=1&sessionid=${t}#frag`, '/a'],
      [`/a?session%69d=${t}`, `http://app.test/p?session%69d=${t}&k=v`, '/a'],
      [`/a?sessionid=${encodeURIComponent(t)}&z`, `http://app.test/p?a=b&sessionid=${t}`, '/a?z'],
      [`http://gw.test/a?sessionid=${t}`, null, '/a'],
    ];
    for (const [target, referer, expected] of cases) {
      server.reset();
      const c = await RawClient.connect(g.port);
      cleanup.push(async () => c.destroy());
      c.write(`GET ${target} HTTP/1.1\r\nHost: gw.test\r\n${referer ? `Referer: ${referer}\r\n` : ''}\r\n`);
      const [res] = await c.waitForResponses(1);
      expect(res!.status, target).toBe(200);
      expect(res!.header('session-id'), target).toBe(t); // it was recognised: the same session
      const seen = server.requests[0]!;
      expect(seen.target, target).toBe(expected);
      expect(seen.raw.toString('latin1'), target).not.toContain(t);
      if (referer) expect(server.header(seen, 'referer'), target).not.toMatch(/session(id|%69d)=/);
    }
    expect(await g.gateway.sessions.count()).toBe(1);
  });
});

describe('other services on the same listener', () => {
  // The session cookie is set for the whole host (Path=/), so a browser sends it with requests for every
  // service of the listener; a page URL with a param-mode token goes out as Referer with links to them.
  it('never pass another service\'s session cookie or Referer token on to their servers', async () => {
    const app = await startBackend();
    cleanup.push(() => app.close());
    const other = await startRecordingBackend('other');
    cleanup.push(() => other.close());
    const g = await startGatewayFromConfig({
      admin: { enabled: false },
      listeners: [{ name: 'main', listen: '127.0.0.1:0' }],
      servers: [
        { name: 'app', url: app.url },
        { name: 'other', url: other.url },
      ],
      services: [
        { name: 'web', listener: 'main', match: { path_prefix: '/web' }, servers: ['app'], session: { mode: 'cookie' } },
        { name: 'portal', listener: 'main', match: { path_prefix: '/portal' }, servers: ['app'], session: { mode: 'param', param: 'sid' } },
        { name: 'api', listener: 'main', match: { path_prefix: '/api' }, servers: ['other'] },
        { name: 'files', listener: 'main', match: { path_prefix: '/files' }, servers: ['other'], session: { mode: 'cookie', cookie: 'files_session' } },
      ],
    } as GatewayConfigInput);
    cleanup.push(() => g.stop());
    const web = await request(`${g.url}/web/`);
    await web.body.text();
    const cookieToken = tokenOf(web.headers['set-cookie']);
    const portal = await request(`${g.url}/portal/`);
    await portal.body.text();
    const paramToken = portal.headers['session-id'] as string;
    const headers = { cookie: `lang=en; sgsid=${cookieToken}`, referer: `http://gw.test/portal/page?sid=${paramToken}&tab=2` };
    for (const path of ['/api/items?sid=mine', '/files/report.pdf']) {
      const r = await request(`${g.url}${path}`, { headers });
      expect(r.statusCode).toBe(200);
      await r.body.text();
    }
    expect(other.requests.map((q) => q.target)).toEqual(['/api/items?sid=mine', '/files/report.pdf']); // its own query is its own
    for (const q of other.requests) {
      const raw = q.raw.toString('latin1');
      expect(raw).not.toContain(cookieToken);
      expect(raw).not.toContain(paramToken);
      expect(other.header(q, 'cookie')).toBe('lang=en');
      expect(other.header(q, 'referer')).toBe('http://gw.test/portal/page?tab=2');
    }
  });
});

describe('kill and expiry take effect at once', () => {
  it('param mode: after a kill, the very next request with the old token gets a new session, on the same connection too', async () => {
    const b = await backend();
    const g = await gateway([b.url], { mode: 'param' });
    const c = await RawClient.connect(g.port);
    cleanup.push(async () => c.destroy());
    c.write('GET /one HTTP/1.1\r\nHost: x\r\n\r\n');
    const token = (await c.waitForResponses(1))[0]!.header('session-id')!;
    const id = ((await (await fetch(`${g.adminUrl}/v1/sessions?fields=id`)).json()) as { id: string }[])[0]!.id;
    expect((await fetch(`${g.adminUrl}/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(204);
    c.write(`GET /two?sessionid=${token} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const fresh = (await c.waitForResponses(2))[1]!.header('session-id')!;
    expect(fresh).toMatch(TOKEN);
    expect(fresh).not.toBe(token);
    // The old token never comes back, from anywhere.
    const r = await request(`${g.url}/three?sessionid=${token}`);
    await r.body.text();
    expect(r.headers['session-id']).not.toBe(token);
    expect((await fetch(`${g.adminUrl}/v1/sessions/${id}`)).status).toBe(404);
  });

  it('an idle token past idle_timeout, and a busy one past absolute_timeout, gets a new session on its next request', async () => {
    const b = await backend();
    const g = await gateway([b.url], { mode: 'cookie', idle_timeout: '250ms', absolute_timeout: '700ms' });
    const get = async (cookie?: string): Promise<string | undefined> => {
      const r = await request(`${g.url}/`, cookie ? { headers: { cookie } } : {});
      await r.body.text();
      return r.headers['set-cookie'] as string | undefined;
    };
    // Idle: just past the idle timeout, the next request starts over.
    const idle = `sgsid=${tokenOf(await get())}`;
    expect(await get(idle)).toBeUndefined(); // still alive
    await sleep(300);
    const renewed = await get(idle);
    expect(renewed).toBeDefined();
    expect(tokenOf(renewed)).not.toBe(idle.slice(6));
    // Absolute: kept busy (a request every 100 ms, well within the idle timeout), it still ends.
    const started = Date.now();
    const busy = `sgsid=${tokenOf(await get())}`;
    let ended: number | null = null;
    while (Date.now() - started < 2000) {
      await sleep(100);
      const answer = await get(busy);
      if (answer !== undefined) {
        ended = Date.now() - started;
        break;
      }
    }
    expect(ended).not.toBeNull();
    expect(ended!).toBeGreaterThanOrEqual(700);
  });
});


