import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, startBackend, type Backend } from '../helpers/backend.js';
import { PassThrough } from 'node:stream';
import { validateConfig } from '../../src/config/index.js';
import { Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/log.js';
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

/** A TCP server that does something unusual with each connection. */
async function tcpServer(onSocket: (s: Socket) => void): Promise<{ url: string; connections: number }> {
  const sockets = new Set<Socket>();
  const state = { url: '', connections: 0 };
  const server: NetServer = createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return state;
}

async function expectGatewayError(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('x-sessiongate-error')).toBe(code);
  const text = await res.text();
  expect(text.length).toBeLessThan(200);
  expect(text).not.toMatch(/127\.0\.0\.1|at .*\.ts|Error:/); // no internals in the body
  expect(JSON.parse(text)).toMatchObject({ error: code, status });
}

describe('upstream failures', () => {
  it('answers 502 when the server refuses the connection', async () => {
    const g = await gateway([`http://127.0.0.1:${await closedPort()}`]);
    await expectGatewayError(await fetch(`${g.url}/x`), 502, 'SG_ERR_UPSTREAM_REFUSED');
    expect(g.gateway.servers.get('s1')!.state).toBe('down');
  });

  it('answers 504 when the server does not answer within response_headers', async () => {
    const stalled = await tcpServer(() => {});
    const g = await gateway([stalled.url], { service: { upstream: { timeouts: { response_headers: '300ms' } } } });
    await expectGatewayError(await fetch(`${g.url}/x`), 504, 'SG_ERR_UPSTREAM_TIMEOUT');
  });

  it('answers 502 when the server resets the connection before answering, and retries a GET once', async () => {
    const reset = await tcpServer((s) => s.once('data', () => s.resetAndDestroy()));
    const g = await gateway([reset.url]);
    await expectGatewayError(await fetch(`${g.url}/x`), 502, 'SG_ERR_UPSTREAM_RESET');
    expect(reset.connections).toBe(2); // the first attempt and one retry
  });

  it('never retries a POST', async () => {
    const reset = await tcpServer((s) => s.once('data', () => s.resetAndDestroy()));
    const g = await gateway([reset.url]);
    await expectGatewayError(await fetch(`${g.url}/x`, { method: 'POST', body: 'data' }), 502, 'SG_ERR_UPSTREAM_RESET');
    expect(reset.connections).toBe(1);
  });

  it('answers 502 when the server sends garbage', async () => {
    const garbage = await tcpServer((s) => s.once('data', () => s.end('this is not HTTP at all\r\n\r\n')));
    const g = await gateway([garbage.url]);
    await expectGatewayError(await fetch(`${g.url}/x`, { method: 'POST', body: 'x' }), 502, 'SG_ERR_UPSTREAM_BAD_RESPONSE');
  });

  it('cuts the client response off when the server dies mid-body (no fake end of a chunked stream)', async () => {
    const truncating = await tcpServer((s) =>
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
        setTimeout(() => s.destroy(), 100);
      }),
    );
    const g = await gateway([truncating.url]);
    const res = await rawRequest(g.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { quietMs: 1000 });
    expect(res.text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(res.text).toContain('5\r\nhello\r\n');
    expect(res.text).not.toContain('0\r\n\r\n');
    expect(res.closed).toBe(true);
  });

  it('retries a GET on another server when the first refuses, and routes around it afterwards', async () => {
    const good = await backend();
    const g = await gateway([`http://127.0.0.1:${await closedPort()}`, good.url]);
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${g.url}/r${i}`);
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(good.seen).toHaveLength(4);
    expect(g.gateway.servers.get('s1')!.counters.connectFailures).toBe(1);
    // The exchange log shows both attempts of /r0, the second one pointing at the first.
    const r0 = g.gateway.log.list().filter((x) => x.uri === '/r0');
    expect(r0.map((x) => [x.server, x.error, x.status])).toEqual([['s1', 'ECONNREFUSED', null], ['s2', null, 200]]);
    expect(r0[0]!.retryOf).toBeNull();
    expect(r0[1]!.retryOf).toBe(r0[0]!.id);
  });

  it('logs a warning when a server goes down (once, not per request) and a line when it answers again', async () => {
    const port = await closedPort();
    const lines: { level: number; msg: string; server?: string; error?: string }[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as (typeof lines)[number])));
    const config = validateConfig(
      {
        admin: { enabled: false },
        listeners: [{ name: 'main', listen: '127.0.0.1:0' }],
        servers: [{ name: 'flaky', url: `http://127.0.0.1:${port}`, down_interval: '200ms' }],
        services: [{ name: 'svc', listener: 'main', servers: ['flaky'] }],
      },
      'test',
    );
    const gw = await Gateway.start(config, { logger: createLogger('info', out) });
    cleanup.push(() => gw.stop(1000));
    const url = gw.listeners[0]!.url;
    for (let i = 0; i < 3; i++) expect((await fetch(`${url}/x`)).status).toBe(502);
    const down = lines.filter((l) => l.msg.startsWith('server down'));
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({ level: 40, server: 'flaky', error: 'SG_ERR_UPSTREAM_REFUSED' });
    // The server comes to life on the same port; after the down interval a request reaches it.
    const b = await startBackend(undefined, port);
    cleanup.push(() => b.close());
    await new Promise((r) => setTimeout(r, 250));
    expect((await fetch(`${url}/x`)).status).toBe(200);
    expect(lines.filter((l) => l.msg === 'server up again')).toMatchObject([{ level: 30, server: 'flaky' }]);
  });

  it('answers 503 with Retry-After when every server is draining', async () => {
    const b = await backend();
    const g = await gateway([b.url]);
    g.gateway.servers.get('s1')!.setDraining(true);
    const res = await fetch(`${g.url}/x`);
    expect(res.headers.get('retry-after')).toBe('1');
    await expectGatewayError(res, 503, 'SG_ERR_NO_SERVER_AVAILABLE');
  });

  it('keeps serving after upstream failures (the process never crashes on a request)', async () => {
    const b = await backend();
    const garbage = await tcpServer((s) => s.once('data', () => s.end('garbage')));
    const g = await gateway([b.url], {
      config: {
        servers: [
          { name: 's1', url: b.url },
          { name: 'bad', url: garbage.url },
        ],
        services: [
          { name: 'bad', listener: 'main', match: { path_prefix: '/bad' }, servers: ['bad'] },
          { name: 'svc', listener: 'main', servers: ['s1'] },
        ],
      },
    });
    for (let i = 0; i < 5; i++) expect((await fetch(`${g.url}/bad/${i}`)).status).toBe(502);
    expect((await fetch(`${g.url}/good`)).status).toBe(200);
  });
});
