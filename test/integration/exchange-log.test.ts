import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, readAll, startBackend, type Backend } from '../helpers/backend.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const require = createRequire(import.meta.url);
const harValidator = require('har-validator') as { har(data: unknown): Promise<unknown> };

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function backend(handler?: Parameters<typeof startBackend>[0]): Promise<Backend> {
  const b = await startBackend(handler);
  cleanup.push(() => b.close());
  return b;
}

async function gateway(servers: string[], log: Record<string, unknown> = {}, service: Record<string, unknown> = {}): Promise<TestGateway> {
  const g = await startGateway(servers, { service, config: { admin: { listen: '127.0.0.1:0' }, exchange_log: log } });
  cleanup.push(() => g.stop());
  return g;
}

interface Row {
  id: number;
  method: string;
  uri: string;
  status: number | null;
  reason: string | null;
  request_time: string;
  response_time: string | null;
  timespan_ms: number | null;
  ttfb_ms: number | null;
  queue_ms: number;
  error: string | null;
  error_code: string | null;
  session: string | null;
  server: string | null;
  service: string | null;
  request_body_size: number;
  response_body_size: number;
  request_data: string | null;
  response_data: string | null;
}

interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

/**
 * Opens the SSE stream (with `headers`), runs `then` once the stream is open, and gives the events read
 * until `done` accepts them (or after 2 s, whatever came).
 */
async function sse(g: TestGateway, headers: Record<string, string>, done: (events: SseEvent[]) => boolean, then?: () => Promise<unknown>, query = ''): Promise<SseEvent[]> {
  const res = await request(`${g.adminUrl}/v1/exchanges/stream${query}`, { headers });
  const events: SseEvent[] = [];
  let text = '';
  const finished = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2000);
    res.body.on('data', (c: Buffer) => {
      text += c.toString();
      let end: number;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
        const event = field('event');
        if (event !== null) events.push({ event, data: field('data') ?? '', id: field('id') });
      }
      if (done(events)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await then?.();
  await finished;
  res.body.destroy();
  return events;
}

const get = async (g: TestGateway, path: string): Promise<string> => (await request(`${g.url}${path}`)).body.text();

const api = async <T>(g: TestGateway, path: string, init?: RequestInit): Promise<T> => (await (await fetch(`${g.adminUrl}${path}`, init)).json()) as T;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the exchange log', () => {
  it('records every field, consistently: ids increase, response after request, timespan within the wall time', async () => {
    const b = await backend(async (req, res) => {
      const body = await readAll(req);
      setTimeout(() => {
        res.writeHead(201, 'Created Nicely', { 'content-type': 'application/json' });
        res.end(JSON.stringify({ got: body.length }));
      }, 30);
    });
    const g = await gateway([b.url], {}, { session: { mode: 'cookie' } });
    const started = Date.now();
    for (let i = 0; i < 3; i++) {
      const r = await request(`${g.url}/api/items?n=${i}`, { method: 'POST', body: `{"n":${i}}`, headers: { 'content-type': 'application/json' } });
      await r.body.text();
    }
    const wall = Date.now() - started;
    const rows = await api<Row[]>(g, '/v1/exchanges');
    expect(rows).toHaveLength(3);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (i > 0) expect(r.id).toBeGreaterThan(rows[i - 1]!.id);
      expect(r).toMatchObject({ method: 'POST', uri: `/api/items?n=${i}`, status: 201, reason: 'Created Nicely', server: 's1', service: 'svc', error: null });
      expect(r.session).toMatch(/^\d+$/);
      expect(r.request_body_size).toBe(7);
      expect(r.request_data).toBe(`{"n":${i}}`);
      expect(r.response_data).toBe('{"got":7}');
      expect(Date.parse(r.response_time!)).toBeGreaterThanOrEqual(Date.parse(r.request_time));
      expect(r.timespan_ms!).toBeGreaterThan(0);
      expect(r.timespan_ms!).toBeLessThanOrEqual(wall);
      expect(r.ttfb_ms!).toBeLessThanOrEqual(r.timespan_ms!);
      expect(r.queue_ms).toBeGreaterThanOrEqual(0);
    }
    const detail = await api<{ request_headers: [string, string][]; response_headers: [string, string][]; response_body: { text: string } }>(g, `/v1/exchanges/${rows[0]!.id}`);
    expect(detail.response_body.text).toBe('{"got":7}');
    expect(detail.request_headers.map(([n]) => n)).toContain('x-forwarded-for');
    expect(detail.response_headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1]).toBe('application/json');
  });

  it('keeps the first max_body_bytes of a 1 MiB body with its full size', async () => {
    const big = randomBytes(1024 * 1024);
    const b = await backend(async (req, res) => {
      await readAll(req);
      res.end(big);
    });
    const g = await gateway([b.url], { max_body_bytes: '4kb' });
    const r = await request(`${g.url}/upload`, { method: 'PUT', body: big });
    expect(Buffer.from(await r.body.arrayBuffer()).equals(big)).toBe(true);
    const [row] = await api<Row[]>(g, '/v1/exchanges');
    expect(row).toMatchObject({ request_body_size: big.length, response_body_size: big.length });
    const detail = await api<{ request_body: { text: string; encoding: string }; request_body_truncated: boolean; response_body: { text: string; encoding: string }; response_body_truncated: boolean }>(
      g,
      `/v1/exchanges/${row!.id}`,
    );
    expect(detail.request_body.encoding).toBe('base64');
    expect(Buffer.from(detail.request_body.text, 'base64').equals(big.subarray(0, 4096))).toBe(true);
    expect(Buffer.from(detail.response_body.text, 'base64').equals(big.subarray(0, 4096))).toBe(true);
    expect(detail.request_body_truncated).toBe(true);
    expect(detail.response_body_truncated).toBe(true);
  });

  it('redacts secrets in the API and in HAR, and the HAR is valid HAR 1.2', async () => {
    const b = await backend((req, res) => {
      res.setHeader('set-cookie', 'JSESSIONID=supersecret; Path=/');
      res.end('ok');
    });
    const g = await gateway([b.url]);
    await (await request(`${g.url}/secret?x=1`, { headers: { authorization: 'Bearer tok3n', cookie: 'a=b', 'x-fine': 'visible' } })).body.text();
    const [row] = await api<Row[]>(g, '/v1/exchanges');
    const detailText = await (await fetch(`${g.adminUrl}/v1/exchanges/${row!.id}`)).text();
    const harText = await (await fetch(`${g.adminUrl}/v1/exchanges.har`)).text();
    for (const text of [detailText, harText]) {
      expect(text).not.toContain('tok3n');
      expect(text).not.toContain('supersecret');
      expect(text).not.toContain('a=b');
      expect(text).toContain('[redacted]');
      expect(text).toContain('visible');
    }
    const har = JSON.parse(harText) as { log: { entries: { request: { url: string }; response: { status: number } }[] } };
    await expect(harValidator.har(har)).resolves.toBeDefined();
    // The validator does reject broken HAR (so the line above can fail).
    await expect(harValidator.har({ log: { ...har.log, entries: [{ request: {} }] } })).rejects.toBeDefined();
    expect(har.log.entries[0]!.request.url).toBe(`${b.url}/secret?x=1`);
  });

  it('holds at most max_entries under three times as much traffic, dropping the oldest', async () => {
    const b = await backend();
    const g = await gateway([b.url], { max_entries: 10 });
    for (let i = 0; i < 30; i++) await (await request(`${g.url}/r${i}`)).body.text();
    const res = await fetch(`${g.adminUrl}/v1/exchanges`);
    const rows = (await res.json()) as Row[];
    expect(rows).toHaveLength(10);
    expect(res.headers.get('x-total-count')).toBe('10');
    expect(rows.map((r) => r.uri)).toEqual(Array.from({ length: 10 }, (_, i) => `/r${20 + i}`));
    const state = await api<{ entries: number; max_entries: number; recorded: number }>(g, '/v1/exchange-log');
    expect(state).toMatchObject({ entries: 10, max_entries: 10, recorded: 30 });
  });

  it('stops recording when disabled and resumes when enabled again, at run time', async () => {
    const b = await backend();
    const g = await gateway([b.url]);
    const patch = (body: unknown) => fetch(`${g.adminUrl}/v1/exchange-log`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await (await request(`${g.url}/on1`)).body.text();
    expect((await patch({ enabled: false })).status).toBe(200);
    await (await request(`${g.url}/off`)).body.text();
    expect((await patch({ enabled: true, max_entries: 50 })).status).toBe(200);
    await (await request(`${g.url}/on2`)).body.text();
    const rows = await api<Row[]>(g, '/v1/exchanges');
    expect(rows.map((r) => r.uri)).toEqual(['/on1', '/on2']);
    // All or none: one bad field rejects the whole change.
    const bad = await patch({ enabled: false, max_entries: -5 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { detail: string }[] }).errors[0]!.detail).toMatch(/max_entries/);
    expect(await api<{ enabled: boolean; max_entries: number }>(g, '/v1/exchange-log')).toMatchObject({ enabled: true, max_entries: 50 });
    expect((await patch({ colour: 'red' })).status).toBe(400);
    expect((await fetch(`${g.adminUrl}/v1/exchange-log`, { method: 'PATCH', body: '{"enabled":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
  });

  it('computes data loss as DataMiner does: 7 failing of 16 is 43.75%, error at threshold 10, ok when cleared', async () => {
    let n = 0;
    const b = await backend((_req, res) => {
      n++;
      // Requests 3, 5, 7, 9, 11, 13, 15 answer Too Many Requests.
      if (n % 2 === 1 && n > 1) {
        res.writeHead(429);
        res.end('slow down');
      } else res.end('data');
    });
    const g = await gateway([b.url], { data_loss: { threshold_percent: 10 } });
    const changes: unknown[] = [];
    g.gateway.log.subscribe((events) => {
      for (const e of events) if (e.type === 'log:data-loss-changed' && e.scope === 'all') changes.push(e.dataLoss.state);
      return true;
    });
    for (let i = 0; i < 16; i++) await (await request(`${g.url}/poll/${i}`)).body.text();
    const state = await api<{ data_loss_percent: number; data_loss_state: string; entries: number; threshold_percent: number }>(g, '/v1/exchange-log');
    expect(state).toMatchObject({ data_loss_percent: 43.75, data_loss_state: 'error', entries: 16, threshold_percent: 10 });
    const errors = await api<Row[]>(g, '/v1/exchanges?status=429');
    expect(errors).toHaveLength(7);
    expect((await fetch(`${g.adminUrl}/v1/exchanges`, { method: 'DELETE' })).status).toBe(204);
    expect(await api<{ data_loss_percent: number; data_loss_state: string; entries: number }>(g, '/v1/exchange-log')).toMatchObject({
      data_loss_percent: 0,
      data_loss_state: 'ok',
      entries: 0,
    });
    await sleep(20);
    expect(changes).toEqual(['error', 'ok']);
    // Per server and per service, too.
    expect(g.gateway.log.dataLossOf('server', 's1').total).toBe(0);
  });

  it('records failed exchanges with their codes: refused, timeout, reset, truncated', async () => {
    const sockets = new Set<Socket>();
    const tcp = async (onSocket: (s: Socket) => void): Promise<string> => {
      const server = createServer((s) => {
        sockets.add(s);
        s.on('error', () => {});
        onSocket(s);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      cleanup.push(
        () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      );
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    const refused = `http://127.0.0.1:${await closedPort()}`;
    const stalled = await tcp(() => {});
    const reset = await tcp((s) => s.once('data', () => s.resetAndDestroy()));
    const truncated = await tcp((s) =>
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part');
        setTimeout(() => s.destroy(), 50);
      }),
    );
    const { startGatewayFromConfig } = await import('../helpers/gateway.js');
    const g = await startGatewayFromConfig({
      admin: { listen: '127.0.0.1:0' },
      listeners: [{ name: 'main', listen: '127.0.0.1:0' }],
      servers: [
        { name: 'refused', url: refused },
        { name: 'stalled', url: stalled },
        { name: 'reset', url: reset },
        { name: 'truncated', url: truncated },
      ],
      services: ['refused', 'stalled', 'reset', 'truncated'].map((n) => ({
        name: n,
        listener: 'main',
        match: { path_prefix: `/${n}` },
        servers: [n],
        upstream: { retry: false, timeouts: { response_headers: '300ms' } },
      })),
    });
    cleanup.push(() => g.stop());
    for (const n of ['refused', 'stalled', 'reset', 'truncated']) {
      const r = await request(`${g.url}/${n}/x`).catch(() => null);
      await r?.body.text().catch(() => '');
    }
    await sleep(100);
    const rows = await api<Row[]>(g, '/v1/exchanges');
    const byServer = Object.fromEntries(rows.map((r) => [r.server, r]));
    expect(byServer.refused).toMatchObject({ error: 'ECONNREFUSED', error_code: 'SG_ERR_UPSTREAM_REFUSED', status: null });
    expect(byServer.stalled).toMatchObject({ error: 'timeout', error_code: 'SG_ERR_UPSTREAM_TIMEOUT', status: null });
    expect(byServer.reset).toMatchObject({ error: 'reset', error_code: 'SG_ERR_UPSTREAM_RESET', status: null });
    expect(byServer.truncated).toMatchObject({ error: 'incomplete', error_code: 'SG_ERR_UPSTREAM_INCOMPLETE', status: 200 });
    expect(byServer.truncated!.response_body_size).toBe('only a part'.length);
    const state = await api<{ data_loss_percent: number }>(g, '/v1/exchange-log');
    expect(state.data_loss_percent).toBe(100);
  });

  it('records a row for a request the gateway answered itself, and client aborts as 499', async () => {
    const b = await backend((_req, res) => setTimeout(() => res.end('late'), 500));
    const g = await gateway([b.url], {}, { match: { path_prefix: '/api' } });
    await (await request(`${g.url}/elsewhere`)).body.text();
    const { connect } = await import('node:net');
    const s = connect(g.port, '127.0.0.1');
    s.write('GET /api/slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(100);
    s.destroy();
    await sleep(100);
    const rows = await api<Row[]>(g, '/v1/exchanges');
    expect(rows[0]).toMatchObject({ uri: '/elsewhere', status: 404, error_code: 'SG_ERR_NO_SERVICE', server: null });
    expect(rows[1]).toMatchObject({ uri: '/api/slow', status: 499, error: 'client_aborted', server: 's1' });
  });

  it('streams new exchanges over SSE within a second', async () => {
    const b = await backend();
    const g = await gateway([b.url]);
    const res = await request(`${g.adminUrl}/v1/exchanges/stream`);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    let text = '';
    const got = new Promise<string>((resolve) => {
      res.body.on('data', (c: Buffer) => {
        text += c.toString();
        if (text.includes('event: exchange')) resolve(text);
      });
    });
    await sleep(50);
    const sentAt = Date.now();
    await (await request(`${g.url}/live`)).body.text();
    const received = await Promise.race([got, sleep(1000).then(() => 'timeout')]);
    expect(received).not.toBe('timeout');
    expect(Date.now() - sentAt).toBeLessThan(1000);
    const data = /event: exchange\ndata: (.*)\n/.exec(text)![1]!;
    expect(JSON.parse(data)).toMatchObject({ uri: '/live', status: 200 });
    res.body.destroy();
  });

  it('sends a client that reconnects with Last-Event-ID the rows recorded while it was away, then live ones', async () => {
    const b = await backend();
    const g = await gateway([b.url], { max_entries: 4 });
    const first = await sse(g, {}, (evs) => evs.some((e) => e.event === 'exchange'), () => get(g, '/seen'));
    const seen = first.find((e) => e.event === 'exchange')!;
    expect(seen.id).toMatch(/^[0-9a-z]+-1$/);
    for (const p of ['/away1', '/away2']) await get(g, p);
    // Reconnecting: the two rows it missed, in order, then a new one as it happens.
    const again = await sse(g, { 'last-event-id': seen.id! }, (evs) => evs.filter((e) => e.event === 'exchange').length === 3, () => get(g, '/live'));
    const rows = again.filter((e) => e.event === 'exchange');
    expect(rows.map((e) => (JSON.parse(e.data) as Row).uri)).toEqual(['/away1', '/away2', '/live']);
    expect(rows.map((e) => e.id!.split('-')[1])).toEqual(['2', '3', '4']);
    expect(again.some((e) => e.event === 'lost')).toBe(false);
    // The same as a query parameter (for a new EventSource, which cannot set the header).
    const byQuery = await sse(g, {}, (evs) => evs.filter((e) => e.event === 'exchange').length === 2, undefined, `?last_event_id=${rows[0]!.id!}`);
    expect(byQuery.filter((e) => e.event === 'exchange').map((e) => (JSON.parse(e.data) as Row).uri)).toEqual(['/away2', '/live']);
    // Away for longer than the table holds (4 rows): told how many rows it cannot get back.
    for (let i = 0; i < 6; i++) await get(g, `/gone${i}`);
    const late = await sse(g, { 'last-event-id': rows[2]!.id! }, (evs) => evs.filter((e) => e.event === 'exchange').length === 4);
    expect(JSON.parse(late.find((e) => e.event === 'lost')!.data)).toEqual({ count: 2 });
    expect(late.filter((e) => e.event === 'exchange').map((e) => (JSON.parse(e.data) as Row).uri)).toEqual(['/gone2', '/gone3', '/gone4', '/gone5']);
    // An id from another gateway process: the whole table is new to it.
    const other = await sse(g, { 'last-event-id': 'zzzz-3' }, (evs) => evs.filter((e) => e.event === 'exchange').length === 4);
    expect(other.filter((e) => e.event === 'exchange').map((e) => (JSON.parse(e.data) as Row).uri)).toEqual(['/gone2', '/gone3', '/gone4', '/gone5']);
  });

  it('tells a subscriber that fell behind how many events it lost, and never queues more than its limit', async () => {
    const b = await backend();
    const g = await gateway([b.url], { subscriber_queue: 10 });
    const batches: { type: string; count?: number }[][] = [];
    let paused = true;
    const sub = g.gateway.log.subscribe((events) => {
      batches.push(events.map((e) => ({ type: e.type, ...(e.type === 'log:events-lost' ? { count: e.count } : {}) })));
      const keepGoing = !paused;
      paused = false;
      return keepGoing; // pause after the first batch
    });
    await (await request(`${g.url}/first`)).body.text();
    await sleep(20);
    for (let i = 0; i < 25; i++) await (await request(`${g.url}/burst${i}`)).body.text();
    expect(sub.lost).toBe(15);
    sub.resume();
    await sleep(20);
    const last = batches[batches.length - 1]!;
    expect(last[0]).toEqual({ type: 'log:events-lost', count: 15 });
    expect(last.filter((e) => e.type === 'exchange:recorded')).toHaveLength(10);
    sub.close();
  });

  it('rejects malformed filters and unknown ids with JSON errors', async () => {
    const b = await backend();
    const g = await gateway([b.url]);
    for (const q of ['status=abc', 'since=yesterday', 'range=5-1', 'range=x', 'fields=a,,b', 'bogus=1']) {
      const res = await fetch(`${g.adminUrl}/v1/exchanges?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { errors: { detail: string }[] }).errors[0]!.detail.length).toBeGreaterThan(5);
    }
    expect((await fetch(`${g.adminUrl}/v1/exchanges/999999`)).status).toBe(404);
    expect((await fetch(`${g.adminUrl}/v1/exchanges/abc`)).status).toBe(404);
  });
});

describe('exchange log privacy and filters', () => {
  it('never keeps the bodies of logins (credentials, tokens), only their sizes', async () => {
    const { startLoginBackend } = await import('../helpers/login-backend.js');
    const b = await startLoginBackend();
    cleanup.push(() => b.close());
    const g = await gateway([b.url], {}, { session: { mode: 'cookie' }, upstream: { reuse: 'session', auth: { type: 'login', path: '/login', body: '{"user":"svc","password":"svc-pw"}' } } });
    await (await request(`${g.url}/data/x`)).body.text();
    const [login] = await api<(Row & { kind: string })[]>(g, '/v1/exchanges?kind=login');
    const text = await (await fetch(`${g.adminUrl}/v1/exchanges/${login!.id}`)).text();
    const har = await (await fetch(`${g.adminUrl}/v1/exchanges.har`)).text();
    for (const t of [text, har, JSON.stringify(login)]) expect(t).not.toContain('svc-pw');
    expect(JSON.parse(text)).toMatchObject({ request_body: null, request_body_size: 34, bodies_withheld: true });
  });

  it('filters by text in the URI and by failure', async () => {
    const b = await backend((req, res) => {
      if (req.url?.includes('boom')) res.destroy();
      else res.end('ok');
    });
    const g = await gateway([b.url], {}, { upstream: { retry: false } });
    for (const p of ['/Items/1', '/items/2', '/other', '/boom']) await request(`${g.url}${p}`).then((r) => r.body.text()).catch(() => '');
    expect((await api<Row[]>(g, '/v1/exchanges?uri=ITEMS')).map((r) => r.uri)).toEqual(['/Items/1', '/items/2']);
    expect((await api<Row[]>(g, '/v1/exchanges?failed=true')).map((r) => r.uri)).toEqual(['/boom']);
    expect((await api<Row[]>(g, '/v1/exchanges?failed=false')).length).toBe(3);
  });
});
