import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackend } from '../helpers/backend.js';
import { startGateway } from '../helpers/gateway.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('filters', () => {
  it('headers: sets and removes request fields upstream and response fields for the client', async () => {
    const b = await startBackend((req, res) => {
      res.setHeader('x-powered-by', 'backend-framework');
      res.setHeader('x-kept', 'yes');
      res.end(JSON.stringify({ added: req.headers['x-added'] ?? null, removed: req.headers['x-drop-me'] ?? null }));
    });
    cleanup.push(() => b.close());
    const g = await startGateway([b.url], {
      service: {
        filters: [{ type: 'headers', request: { set: { 'X-Added': 'by-gateway' }, remove: ['X-Drop-Me'] }, response: { set: { 'X-Frame-Options': 'DENY' }, remove: ['X-Powered-By'] } }],
      },
    });
    cleanup.push(() => g.stop());
    const res = await request(`${g.url}/`, { headers: { 'x-drop-me': 'secret' } });
    expect(await res.body.json()).toEqual({ added: 'by-gateway', removed: null });
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-kept']).toBe('yes');
  });

  it('throttle: caps each session\'s request rate with 429 + Retry-After, independently per session', async () => {
    const b = await startBackend();
    cleanup.push(() => b.close());
    const g = await startGateway([b.url], {
      service: { session: { mode: 'cookie' }, filters: [{ type: 'throttle', rate: 3, per: '10s' }] },
    });
    cleanup.push(() => g.stop());
    const first = await request(`${g.url}/`);
    await first.body.text();
    const cookie = (first.headers['set-cookie'] as string).split(';')[0]!;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await request(`${g.url}/`, { headers: { cookie } });
      await r.body.text();
      statuses.push(r.statusCode);
      if (r.statusCode === 429) expect(r.headers['retry-after']).toBe('1');
    }
    expect(statuses).toEqual([200, 200, 429, 429]); // burst of 3, the first request used one
    const other = await request(`${g.url}/`);
    await other.body.text();
    expect(other.statusCode).toBe(200); // a new session has its own bucket
    expect(b.seen).toHaveLength(4);
  });
});
