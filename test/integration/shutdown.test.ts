import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backend.js';
import { startGateway } from '../helpers/gateway.js';
import { openRaw, rawOn } from '../helpers/raw-client.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function slowBackend(ms: number): Promise<Backend> {
  const b = await startBackend((req, res) => {
    setTimeout(() => res.end(`done ${req.url}`), req.url === '/slow' ? ms : 0);
  });
  cleanup.push(() => b.close());
  return b;
}

const refused = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });

describe('graceful shutdown', () => {
  it('finishes in-flight requests with Connection: close, closes idle connections at once, refuses new ones', async () => {
    const b = await slowBackend(600);
    const g = await startGateway([b.url]);
    // An idle keep-alive connection: one request done.
    const idle = await openRaw(g.port);
    const first = await rawOn(idle, 'GET /quick HTTP/1.1\r\nHost: x\r\n\r\n', { quietMs: 100 });
    expect(first.text).toContain('done /quick');
    let idleClosedAt = 0;
    idle.on('close', () => (idleClosedAt = Date.now()));
    // A busy connection: a slow request in flight.
    const busy = await openRaw(g.port);
    const inflight = rawOn(busy, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n', { quietMs: 2000 });
    await new Promise((r) => setTimeout(r, 100));

    const stopStarted = Date.now();
    const stopped = g.gateway.stop(5000);
    await new Promise((r) => setTimeout(r, 50));
    expect(await refused(g.port)).toBe(true);
    const slow = await inflight;
    await stopped;
    expect(slow.text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(slow.text).toContain('Connection: close');
    expect(slow.text).toContain('done /slow');
    expect(slow.closed).toBe(true);
    expect(idleClosedAt).toBeGreaterThan(0);
    expect(idleClosedAt - stopStarted).toBeLessThan(400); // closed at once, not after the in-flight one (600 ms)
  });

  it('destroys what remains at the deadline', async () => {
    const b = await slowBackend(5000);
    const g = await startGateway([b.url]);
    const busy = await openRaw(g.port);
    const inflight = rawOn(busy, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n', { quietMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    await g.gateway.stop(300);
    const res = await inflight;
    expect(res.closed).toBe(true);
    expect(res.text).toBe('');
  });
});
