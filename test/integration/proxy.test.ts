import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { readAll, startBackend, type Backend } from '../helpers/backend.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw-client.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function backend(handler?: Parameters<typeof startBackend>[0]): Promise<Backend> {
  const b = await startBackend(handler);
  cleanup.push(() => b.close());
  return b;
}

async function gateway(...args: Parameters<typeof startGateway>): Promise<TestGateway> {
  const g = await startGateway(...args);
  cleanup.push(() => g.stop());
  return g;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('proxying', () => {
  it('passes a GET through with the backend status, headers and body', async () => {
    const b = await backend();
    const g = await gateway([b.url]);
    const res = await fetch(`${g.url}/some/path?x=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ port: b.port, method: 'GET', url: '/some/path?x=1' });
  });

  it('streams an 8 MiB POST to the backend and an 8 MiB response back, byte-identical', async () => {
    const payload = randomBytes(8 * 1024 * 1024);
    const b = await backend(async (req, res) => {
      const body = await readAll(req);
      res.writeHead(200, { 'x-received-sha256': sha256(body), 'x-received-bytes': String(body.length) });
      // Echo in pieces, chunked: the gateway must stream it back unchanged.
      for (let i = 0; i < body.length; i += 256 * 1024) res.write(body.subarray(i, i + 256 * 1024));
      res.end();
    });
    const g = await gateway([b.url]);
    const res = await fetch(`${g.url}/upload`, { method: 'POST', body: payload, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-received-bytes')).toBe(String(payload.length));
    expect(res.headers.get('x-received-sha256')).toBe(sha256(payload));
    const echoed = Buffer.from(await res.arrayBuffer());
    expect(echoed.length).toBe(payload.length);
    expect(sha256(echoed)).toBe(sha256(payload));
  });

  it('streams a chunked request body of unknown length', async () => {
    const b = await backend(async (req, res) => {
      const body = await readAll(req);
      res.end(`${req.headers['transfer-encoding'] ?? 'none'} ${body.length} ${sha256(body)}`);
    });
    const g = await gateway([b.url]);
    const pieces = [randomBytes(70_000), randomBytes(10), randomBytes(300_000)];
    const result = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${g.url}/chunked`, { method: 'PUT' }, (res) => {
        readAll(res).then((b) => resolve(b.toString()), reject);
      });
      req.on('error', reject);
      let i = 0;
      const next = (): void => {
        if (i === pieces.length) {
          req.end();
          return;
        }
        req.write(pieces[i++]);
        setTimeout(next, 20);
      };
      next();
    });
    const whole = Buffer.concat(pieces);
    expect(result).toBe(`chunked ${whole.length} ${sha256(whole)}`);
  });

  it('strips hop-by-hop request fields and those named by Connection, and sets X-Forwarded-*', async () => {
    const b = await backend();
    const g = await gateway([b.url]);
    const res = await rawRequest(
      g.port,
      'GET /hop HTTP/1.1\r\nHost: client.example:8080\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s3cret\r\n' +
        'Keep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nProxy-Connection: keep-alive\r\n' +
        'X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\nX-Kept: yes\r\n\r\n',
    );
    expect(res.text).toMatch(/^HTTP\/1\.1 200 OK/);
    const seen = b.seen[0]!.headers;
    for (const h of ['x-secret', 'keep-alive', 'te', 'proxy-authorization', 'proxy-connection', 'upgrade', 'trailer']) {
      expect(seen[h], h).toBeUndefined();
    }
    expect(seen.connection).not.toMatch(/x-secret/i);
    expect(seen['x-kept']).toBe('yes');
    expect(seen['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('client.example:8080');
    expect(seen.host).toBe(`127.0.0.1:${b.port}`);
  });

  it('strips hop-by-hop response fields and those named by Connection', async () => {
    const b = await backend((req) => {
      // Written raw: node:http would refuse some of these fields.
      req.socket.end(
        'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nX-Internal: backend-only\r\nKeep-Alive: timeout=5\r\n' +
          'Proxy-Authenticate: Basic\r\nTrailer: X-Checksum\r\nUpgrade: h2c\r\nX-Public: yes\r\nContent-Length: 2\r\n\r\nok',
      );
    });
    const g = await gateway([b.url]);
    const res = await rawRequest(g.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const head = res.text.split('\r\n\r\n')[0]!.toLowerCase();
    expect(head).toMatch(/^http\/1\.1 200 ok/);
    expect(head).toContain('x-public: yes');
    for (const h of ['x-internal', 'keep-alive:', 'proxy-authenticate', 'trailer', 'upgrade']) expect(head, h).not.toContain(h);
    expect(res.text.endsWith('\r\n\r\nok')).toBe(true);
  });

  it('keeps the client Host with preserve_host', async () => {
    const b = await backend();
    const g = await gateway([b.url], { service: { upstream: { preserve_host: true } } });
    await (await request(`${g.url}/`, { headers: { host: 'api.example.com' } })).body.text();
    expect(b.seen[0]!.headers.host).toBe('api.example.com');
    expect(b.seen[0]!.headers['x-forwarded-host']).toBe('api.example.com');
  });

  it('answers Expect: 100-continue and then forwards the body', async () => {
    const b = await backend(async (req, res) => {
      const body = await readAll(req);
      res.end(`got ${body.length} expect=${req.headers.expect ?? 'none'}`);
    });
    const g = await gateway([b.url]);
    const res = await rawRequest(g.port, ['POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n', 'hello'], { pauseMs: 150 });
    expect(res.text.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK')).toBe(true);
    expect(res.text).toContain('got 5 expect=none');
  });

  it('answers an unknown expectation with 417 without reaching the backend', async () => {
    const b = await backend();
    const g = await gateway([b.url]);
    const res = await rawRequest(g.port, 'GET / HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n\r\n');
    expect(res.text).toMatch(/^HTTP\/1\.1 417 /);
    expect(b.seen).toHaveLength(0);
  });

  it('strips the service prefix when strip_prefix is set and prepends the server base path', async () => {
    const b = await backend();
    const g = await gateway([`${b.url}/base`], { service: { match: { path_prefix: '/api' }, strip_prefix: true } });
    const res = await fetch(`${g.url}/api/items?page=2`);
    expect((await res.json()) as unknown).toMatchObject({ url: '/base/items?page=2' });
    const root = await fetch(`${g.url}/api`);
    expect((await root.json()) as unknown).toMatchObject({ url: '/base/' });
  });

  it('resolves dot segments before matching so a path cannot escape the service prefix', async () => {
    const b = await backend();
    const g = await gateway([b.url], { service: { match: { path_prefix: '/api' } } });
    for (const path of ['/api/../admin', '/api/%2e%2e/admin', '/api/./../admin']) {
      const res = await rawRequest(g.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(res.text, path).toMatch(/^HTTP\/1\.1 404 /);
    }
    const inside = await rawRequest(g.port, 'GET /api/a/../b HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(inside.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(b.seen.map((s) => s.url)).toEqual(['/api/b']);
  });

  it('answers 405 for CONNECT and TRACE by default', async () => {
    const b = await backend();
    const g = await gateway([b.url]);
    const trace = await rawRequest(g.port, 'TRACE / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(trace.text).toMatch(/^HTTP\/1\.1 405 /);
    expect(b.seen).toHaveLength(0);
  });
});

describe('service matching', () => {
  it('routes by the longest path prefix, at segment boundaries, and host-specific services first', async () => {
    const a = await backend();
    const bApi = await backend();
    const cHost = await backend();
    const { startGatewayFromConfig } = await import('../helpers/gateway.js');
    const g = await startGatewayFromConfig({
      admin: { enabled: false },
      listeners: [{ name: 'main', listen: '127.0.0.1:0' }],
      servers: [
        { name: 'root', url: a.url },
        { name: 'api', url: bApi.url },
        { name: 'host', url: cHost.url },
      ],
      services: [
        { name: 'root', listener: 'main', match: { path_prefix: '/' }, servers: ['root'] },
        { name: 'api', listener: 'main', match: { path_prefix: '/api' }, servers: ['api'] },
        { name: 'tenant', listener: 'main', match: { path_prefix: '/', host: '*.tenant.test' }, servers: ['host'] },
      ],
    });
    cleanup.push(() => g.stop());
    const port = async (path: string, host?: string): Promise<number> =>
      ((await (await request(`${g.url}${path}`, host ? { headers: { host } } : {})).body.json()) as { port: number }).port;
    expect(await port('/api/x')).toBe(bApi.port);
    expect(await port('/api')).toBe(bApi.port);
    expect(await port('/apix')).toBe(a.port);
    expect(await port('/other')).toBe(a.port);
    expect(await port('/api/x', 'one.tenant.test')).toBe(cHost.port);
    expect(await port('/api/x', 'tenant.test')).toBe(bApi.port);
  });

  it('answers 404 with a stable code when no service matches', async () => {
    const b = await backend();
    const g = await gateway([b.url], { service: { match: { path_prefix: '/only' } } });
    const res = await fetch(`${g.url}/elsewhere`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-sessiongate-error')).toBe('SG_ERR_NO_SERVICE');
    const body = (await res.json()) as { error: string };
    expect(body.error).toBe('SG_ERR_NO_SERVICE');
  });
});

describe('pipelining through the gateway', () => {
  it('answers pipelined requests in order while running them concurrently upstream', async () => {
    const b = await backend((req, res) => {
      const delay = req.url === '/slow' ? 300 : 0;
      setTimeout(() => res.end(`body of ${req.url}`), delay);
    });
    const g = await gateway([b.url]);
    const res = await rawRequest(g.port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast1 HTTP/1.1\r\nHost: x\r\n\r\nGET /fast2 HTTP/1.1\r\nHost: x\r\n\r\n', { quietMs: 600 });
    const order = [...res.text.matchAll(/body of (\/(?:slow|fast1|fast2))/g)].map((m) => m[1]);
    expect(order).toEqual(['/slow', '/fast1', '/fast2']);
    expect(b.maxActive).toBeGreaterThanOrEqual(2);
  });
});

describe('request bodies', () => {
  it('gathers a small body that arrives in pieces and sends it whole, with its Content-Length', async () => {
    const b = await backend(async (req, res) => {
      const body = await readAll(req);
      res.end(`${req.headers['content-length'] ?? 'none'} ${req.headers['transfer-encoding'] ?? 'none'} ${body.toString()}`);
    });
    const g = await gateway([b.url]);
    const res = await rawRequest(g.port, ['POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n', 'hello', ' world'], { pauseMs: 50 });
    expect(res.text).toContain('11 none hello world');
  });

  it('retries a PUT whose small body came in pieces when the first server resets the connection', async () => {
    const { createServer } = await import('node:net');
    type AddressInfo = { port: number };
    const resetter = createServer((s) => s.once('data', () => s.resetAndDestroy()));
    await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => resetter.close(() => r())));
    const good = await backend(async (req, res) => res.end(`got ${(await readAll(req)).toString()}`));
    const port = (resetter.address() as AddressInfo).port;
    const g = await gateway([`http://127.0.0.1:${port}`, good.url]);
    const res = await rawRequest(g.port, ['PUT /p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n', 'da', 'ta'], { pauseMs: 40 });
    expect(res.text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(res.text).toContain('got data');
  });
});
