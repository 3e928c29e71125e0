import { afterEach, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backend.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function backends(n: number, handler?: Parameters<typeof startBackend>[0]): Promise<Backend[]> {
  const out: Backend[] = [];
  for (let i = 0; i < n; i++) {
    const b = await startBackend(handler);
    cleanup.push(() => b.close());
    out.push(b);
  }
  return out;
}

async function gateway(...args: Parameters<typeof startGateway>): Promise<TestGateway> {
  const g = await startGateway(...args);
  cleanup.push(() => g.stop());
  return g;
}

describe('routers', () => {
  it('round-robin spreads requests evenly over the servers, in turn', async () => {
    const bs = await backends(3);
    const g = await gateway(bs.map((b) => b.url), { service: { router: 'round-robin' } });
    const order: number[] = [];
    for (let i = 0; i < 30; i++) order.push(((await (await fetch(`${g.url}/`)).json()) as { port: number }).port);
    expect(bs.map((b) => b.seen.length)).toEqual([10, 10, 10]);
    // In turn: no server twice in a row.
    for (let i = 1; i < order.length; i++) expect(order[i]).not.toBe(order[i - 1]);
  });

  it('round-robin respects weights', async () => {
    const bs = await backends(2);
    const g = await gateway([], {
      config: {
        servers: [
          { name: 'heavy', url: bs[0]!.url, weight: 3 },
          { name: 'light', url: bs[1]!.url, weight: 1 },
        ],
        services: [{ name: 'svc', listener: 'main', servers: ['heavy', 'light'] }],
      },
    });
    for (let i = 0; i < 40; i++) await (await fetch(`${g.url}/`)).text();
    expect(bs.map((b) => b.seen.length)).toEqual([30, 10]);
  });

  it('least-connections sends new requests to the server with fewer requests in progress', async () => {
    // Both servers hold /hold for 400 ms and answer anything else at once.
    const bs = await backends(2, (req, res, b) => {
      if (req.url === '/hold') setTimeout(() => res.end(String(b.port)), 400);
      else res.end(String(b.port));
    });
    const g = await gateway(bs.map((b) => b.url), { service: { router: 'least-connections' } });
    const held = fetch(`${g.url}/hold`).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 100)); // /hold is now in progress on one server
    const busy = bs.find((b) => b.active === 1)!;
    const idle = bs.find((b) => b !== busy)!;
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) answers.push(await (await fetch(`${g.url}/quick${i}`)).text());
    expect(answers).toEqual(Array(5).fill(String(idle.port)));
    expect(await held).toBe(String(busy.port));
  });

  it('least-connections balances concurrent load toward the faster server', async () => {
    const [slow] = await backends(1, (_req, res) => {
      setTimeout(() => res.end('slow'), 200);
    });
    const [fast] = await backends(1, (_req, res) => {
      setTimeout(() => res.end('fast'), 5);
    });
    const g = await gateway([slow!.url, fast!.url], { service: { router: 'least-connections' } });
    // 4 concurrent clients, each sending 10 requests one after another.
    await Promise.all(
      Array.from({ length: 4 }, async (_, c) => {
        for (let i = 0; i < 10; i++) await (await fetch(`${g.url}/c${c}/${i}`)).text();
      }),
    );
    expect(fast!.seen.length).toBeGreaterThan(slow!.seen.length * 3);
    expect(slow!.maxActive).toBeLessThanOrEqual(2);
  });
});
