/**
 * Slow and greedy clients against a real gateway (issue 9, section 4): slowloris, connection floods beyond
 * a listener's max_connections, pipelining floods, huge bodies and slow readers of large responses.
 *
 * The gateway runs in its own process (`sessiongate start`, the compiled dist/) so that its memory can be
 * measured alone: its RSS, sampled from /proc while the traffic runs. The bounds are generous (tens of MiB
 * for hundreds of MiB moved): they tell streaming from buffering, not one allocator from another. The
 * backend and the clients run in the test process, on 127.0.0.1.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readAll, startBackend, type Backend } from '../helpers/backend.js';
import { parseResponses, sleep, until } from '../helpers/connection-harness.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';

const MiB = 1024 * 1024;
const IN_FLIGHT = 8;
const MAX_CONNECTIONS = 20;

/** What the backend's download handler is doing right now (for the slow-reader test). */
const download = { written: 0, blocked: false, done: false };
let backend: Backend;
let gw: GatewayProcess;

/** A deterministic, non-repeating byte stream: 1 MiB blocks of random bytes, each stamped with its index. */
const BLOCK = randomBytes(MiB);
function block(i: number, size = MiB): Buffer {
  const b = Buffer.from(BLOCK.subarray(0, size));
  b.writeUInt32BE(i, 0);
  return b;
}

/** Streams `size` bytes of the block pattern into `res`, respecting back-pressure; resolves with its SHA-256. */
async function sendPattern(res: ServerResponse, size: number): Promise<string> {
  const hash = createHash('sha256');
  download.written = 0;
  download.done = false;
  for (let i = 0; download.written < size; i++) {
    const piece = block(i, Math.min(MiB, size - download.written));
    hash.update(piece);
    download.written += piece.length;
    if (!res.write(piece)) {
      download.blocked = true;
      await new Promise<void>((resolve, reject) => {
        const closed = (): void => reject(new Error('closed'));
        res.once('close', closed);
        res.once('drain', () => {
          res.off('close', closed);
          resolve();
        });
      });
      download.blocked = false;
    }
  }
  res.end();
  download.done = true;
  return hash.digest('hex');
}

beforeAll(async () => {
  backend = await startBackend(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/upload') {
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const c of req as AsyncIterable<Buffer>) {
        hash.update(c);
        bytes += c.length;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') }));
    } else if (url.pathname === '/download') {
      const size = Number(url.searchParams.get('size'));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      await sendPattern(res, size).catch(() => undefined);
    } else if (url.pathname.startsWith('/p/')) {
      // Pipelined requests: a little work each, so that concurrency shows at the backend if it is not capped.
      const size = Number(url.searchParams.get('size') ?? 256);
      await readAll(req);
      setTimeout(() => {
        const body = Buffer.alloc(size, 0x2e);
        body.write(`${url.pathname};`);
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': size });
        res.end(body);
      }, 2);
    } else {
      res.end(`ok ${url.pathname}`);
    }
  });
  const service = (name: string, listener: string) => ({ name, listener, servers: ['backend'] });
  gw = await startGatewayProcess({
    admin: { listen: '127.0.0.1:0' },
    listeners: [
      { name: 'main', listen: '127.0.0.1:0', limits: { max_in_flight: IN_FLIGHT, max_body_size: '512mb' } },
      { name: 'slow', listen: '127.0.0.1:0', timeouts: { headers: '1s', request: '5s' } },
      { name: 'limited', listen: '127.0.0.1:0', max_connections: MAX_CONNECTIONS, timeouts: { keep_alive: '60s' } },
    ],
    servers: [{ name: 'backend', url: backend.url }],
    services: [service('main', 'main'), service('slow', 'slow'), service('limited', 'limited')],
  });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await backend?.close();
});

const samplers = new Set<NodeJS.Timeout>();
afterEach(() => {
  for (const t of samplers) clearInterval(t);
  samplers.clear();
});

/** Samples the gateway's RSS every 20 ms until stopped; reports the largest value. */
function watchRss(): { stop(): number; peak(): number } {
  let peak = gw.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, gw.rss());
  }, 20);
  samplers.add(timer);
  return {
    peak: () => Math.max(peak, gw.rss()),
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, gw.rss());
    },
  };
}

/** The gateway's RSS once it has settled after earlier traffic: the smallest of a few samples. */
async function settledRss(): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < 5; i++) {
    min = Math.min(min, gw.rss());
    await sleep(40);
  }
  return min;
}

const admin = async <T>(path: string): Promise<T> => (await (await fetch(`${gw.adminUrl}${path}`)).json()) as T;

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

describe('slowloris', () => {
  it('answers 100 connections dribbling their headers with 408 and closes them, while a normal client is served', { timeout: 20_000 }, async () => {
    const port = gw.ports.slow!;
    const before = backend.seen.length;
    const attackers = await Promise.all(Array.from({ length: 100 }, () => openSocket(port)));
    const received = attackers.map(() => '');
    const closed = attackers.map(() => false);
    attackers.forEach((s, i) => {
      s.on('data', (c: Buffer) => (received[i] += c.toString('latin1')));
      s.on('close', () => (closed[i] = true));
      s.on('error', () => {});
      s.write('GET /slowloris HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    });
    // One more header byte every 100 ms from every attacker: never the end of the head.
    const dribble = setInterval(() => {
      for (const s of attackers) if (!s.destroyed) s.write('a');
    }, 100);
    try {
      // Meanwhile, an ordinary client is served, again and again.
      let served = 0;
      while (closed.some((c) => !c)) {
        const res = await fetch(`${gw.urls.slow}/normal/${served}`);
        expect(res.status).toBe(200);
        expect(await res.text()).toBe(`ok /normal/${served}`);
        served++;
        if (served > 400) throw new Error('the slowloris connections were never closed');
        await sleep(20);
      }
      expect(served).toBeGreaterThan(3);
    } finally {
      clearInterval(dribble);
      for (const s of attackers) s.destroy();
    }
    // Every attacker got a 408 with the stable code, then the close (or, at worst, just the close).
    const answered = received.filter((r) => r.length > 0);
    for (const r of answered) {
      const [res] = parseResponses(r, { closed: true }).responses;
      expect(res!.status).toBe(408);
      expect(res!.header('x-sessiongate-error')).toBe('SG_ERR_REQUEST_TIMEOUT');
      expect(res!.header('connection')).toBe('close');
    }
    expect(answered.length).toBeGreaterThanOrEqual(95);
    // None of them reached the backend.
    expect(backend.seen.slice(before).filter((s) => s.url === '/slowloris')).toEqual([]);
  });
});

describe('connection flood beyond max_connections', () => {
  interface ListenerJson {
    connections: number;
    accepted: number;
    refused: number;
    max_connections: number;
  }

  it('refuses the connections beyond the limit at once, serves the accepted ones, accepts again once some close; the counters agree', { timeout: 20_000 }, async () => {
    const port = gw.ports.limited!;
    const start = await admin<ListenerJson>('/v1/listeners/limited');
    expect(start).toMatchObject({ connections: 0, max_connections: MAX_CONNECTIONS });
    // 60 connections at once: exactly MAX_CONNECTIONS stay open, the others are closed by the gateway.
    const flood = await Promise.all(Array.from({ length: 60 }, () => openSocket(port)));
    const closed = new Set<Socket>();
    for (const s of flood) {
      s.on('error', () => {});
      s.on('close', () => closed.add(s));
    }
    await until(() => closed.size === 60 - MAX_CONNECTIONS, `${60 - MAX_CONNECTIONS} refused connections to close`, 5000);
    await sleep(200); // and no more than that
    expect(closed.size).toBe(60 - MAX_CONNECTIONS);
    const open = flood.filter((s) => !closed.has(s));

    // The accepted ones are served (all at once, on their own connections).
    const serve = async (s: Socket, path: string): Promise<number> => {
      let text = '';
      s.on('data', (c: Buffer) => (text += c.toString('latin1')));
      s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await until(() => parseResponses(text).responses.some((r) => r.complete), `a response to ${path}`, 5000);
      const [r] = parseResponses(text).responses;
      expect(r!.body).toBe(`ok ${path}`);
      return r!.status;
    };
    expect(await Promise.all(open.map((s, i) => serve(s, `/accepted/${i}`)))).toEqual(open.map(() => 200));

    // The admin API and the metrics count the same.
    let state = await admin<ListenerJson>('/v1/listeners/limited');
    expect(state.connections).toBe(MAX_CONNECTIONS);
    expect(state.accepted - start.accepted).toBe(MAX_CONNECTIONS);
    expect(state.refused - start.refused).toBe(60 - MAX_CONNECTIONS);
    const listed = await fetch(`${gw.adminUrl}/v1/connections?listener=limited`);
    expect(listed.headers.get('x-total-count')).toBe(String(MAX_CONNECTIONS));
    expect(((await listed.json()) as { requests: number }[]).every((c) => c.requests === 1)).toBe(true);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^sessiongate_client_connections\\{listener="limited"\\} ${MAX_CONNECTIONS}$`, 'm'));

    // Half of them close; as many new connections are accepted and served, and one more is refused.
    for (const s of open.slice(0, 10)) s.destroy();
    const deadline = Date.now() + 3000;
    while ((state = await admin<ListenerJson>('/v1/listeners/limited')).connections !== MAX_CONNECTIONS - 10) {
      if (Date.now() > deadline) throw new Error(`still ${state.connections} connections`);
      await sleep(20);
    }
    const again = await Promise.all(Array.from({ length: 10 }, () => openSocket(port)));
    expect(await Promise.all(again.map((s, i) => serve(s, `/again/${i}`)))).toEqual(again.map(() => 200));
    const extra = await openSocket(port);
    extra.on('error', () => {});
    await new Promise<void>((resolve) => extra.on('close', () => resolve()));
    state = await admin<ListenerJson>('/v1/listeners/limited');
    expect(state.connections).toBe(MAX_CONNECTIONS);
    expect(state.accepted - start.accepted).toBe(MAX_CONNECTIONS + 10);
    expect(state.refused - start.refused).toBe(60 - MAX_CONNECTIONS + 1);
    for (const s of [...open, ...again]) s.destroy();
  });
});

describe('pipelining flood', () => {
  it('runs at most max_in_flight of 1,000 pipelined requests at the backend at once and answers all of them in order', { timeout: 20_000 }, async () => {
    const socket = await openSocket(gw.ports.main!);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    backend.maxActive = 0;
    const first = backend.seen.length;
    const N = 1000;
    socket.write(Array.from({ length: N }, (_, i) => `GET /p/${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    const text = (): string => Buffer.concat(chunks).toString('latin1');
    await until(() => (text().match(/HTTP\/1\.1 /g) ?? []).length >= N && parseResponses(text()).responses.filter((r) => r.complete).length === N, `${N} responses`, 15_000);
    socket.destroy();
    const responses = parseResponses(text()).responses;
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: N }, () => 200));
    expect(responses.map((r) => r.body.split(';')[0])).toEqual(Array.from({ length: N }, (_, i) => `/p/${i}`));
    expect(backend.seen.length - first).toBe(N);
    expect(backend.maxActive).toBeLessThanOrEqual(IN_FLIGHT);
    expect(backend.maxActive).toBeGreaterThan(1); // they did run concurrently
  });

  it('stops taking pipelined requests from a client that does not read its responses: bounded backend work, bounded memory', { timeout: 20_000 }, async () => {
    const socket = await openSocket(gw.ports.main!);
    socket.pause();
    const before = await settledRss();
    const rss = watchRss();
    const first = backend.seen.length;
    const N = 1000;
    const size = 64 * 1024; // 64 MB of responses in all
    socket.write(Array.from({ length: N }, (_, i) => `GET /p/${i}?size=${size} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    // While the client reads nothing, the gateway asks the backend for only as much as the buffers between
    // them hold, and stops.
    let seen = -1;
    await until(
      () => {
        const now = backend.seen.length - first;
        const stable = now === seen;
        seen = now;
        return stable && now > 0;
      },
      'the backend to stop receiving requests',
      5000,
    ).catch(() => undefined);
    await sleep(500);
    const whilePaused = backend.seen.length - first;
    expect(whilePaused).toBeLessThan(N / 4);
    const peakPaused = rss.peak() - before;
    // Then the client reads: every response arrives, in order.
    let received = 0;
    let buffered = '';
    let count = 0;
    const order: string[] = [];
    const done = new Promise<void>((resolve) => {
      socket.on('data', (c: Buffer) => {
        received += c.length;
        buffered += c.toString('latin1');
        const { responses, rest } = parseResponses(buffered);
        for (const r of responses.filter((x) => x.complete)) {
          count++;
          order.push(r.body.split(';')[0]!);
        }
        buffered = responses.length > 0 && !responses[responses.length - 1]!.complete ? responses[responses.length - 1]!.raw + rest : rest;
        if (count === N) resolve();
      });
    });
    socket.resume();
    await done;
    socket.destroy();
    rss.stop();
    expect(received).toBeGreaterThan(N * size);
    expect(order).toEqual(Array.from({ length: N }, (_, i) => `/p/${i}`));
    // Had it read the pipeline ahead and buffered the responses, it would hold most of 64 MB by then.
    expect(peakPaused, `RSS growth while the client was paused: ${(peakPaused / MiB).toFixed(1)} MiB`).toBeLessThan(32 * MiB);
  });
});

describe('huge bodies, flat memory', () => {
  const SIZE = 256 * MiB;

  // The body of a request that ends its Connection (Connection: close, HTTP/1.0) must be read to its end
  // too: it used to be read only as far as the head's own read went, then the request hung until its 408.
  it('reads the whole body of a Connection: close or HTTP/1.0 request that arrives after the head', async () => {
    for (const head of ['POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n', 'POST /upload HTTP/1.0\r\n']) {
      const socket = await openSocket(gw.ports.main!);
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      const body = block(7, 300_000);
      socket.write(`${head}Content-Length: ${body.length}\r\n\r\n`);
      for (let i = 0; i < body.length; i += 100_000) {
        await sleep(30);
        socket.write(body.subarray(i, i + 100_000));
      }
      await Promise.race([closed, sleep(5000)]);
      socket.destroy();
      const [res] = parseResponses(text, { closed: true }).responses;
      expect(res?.status, `${head}: ${text}`).toBe(200);
      expect(JSON.parse(res!.body)).toEqual({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
      expect(res!.header('connection')).toBe('close');
    }
  });

  it('streams a 256 MiB upload to the backend byte-identical without holding it', { timeout: 30_000 }, async () => {
    const before = await settledRss();
    const rss = watchRss();
    const sent = createHash('sha256');
    let i = 0;
    const source = new Readable({
      read() {
        if (i * MiB >= SIZE) return void this.push(null);
        const piece = block(i++);
        sent.update(piece);
        this.push(piece);
      },
    });
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${gw.urls.main}/upload`, { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': SIZE } }, (res) => {
        readAll(res).then((b) => resolve({ status: res.statusCode!, body: b.toString() }), reject);
      });
      req.on('error', reject);
      source.pipe(req);
    });
    const growth = rss.stop() - before;
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ bytes: SIZE, sha256: sent.digest('hex') });
    expect(growth, `RSS growth: ${(growth / MiB).toFixed(1)} MiB`).toBeLessThan(64 * MiB);
  });

  it('streams a 256 MiB download to a client that reads it, byte-identical, without holding it', { timeout: 30_000 }, async () => {
    const before = await settledRss();
    const rss = watchRss();
    const { status, bytes, hash } = await new Promise<{ status: number; bytes: number; hash: string }>((resolve, reject) => {
      httpRequest(`${gw.urls.main}/download?size=${SIZE}`, { agent: false }, (res) => {
        const h = createHash('sha256');
        let n = 0;
        res.on('data', (c: Buffer) => {
          h.update(c);
          n += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode!, bytes: n, hash: h.digest('hex') }));
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    const growth = rss.stop() - before;
    expect(status).toBe(200);
    expect(bytes).toBe(SIZE);
    const expected = createHash('sha256');
    for (let k = 0; k * MiB < SIZE; k++) expected.update(block(k));
    expect(hash).toBe(expected.digest('hex'));
    expect(growth, `RSS growth: ${(growth / MiB).toFixed(1)} MiB`).toBeLessThan(64 * MiB);
  });
});

describe('slow reader of a large response', () => {
  it('pauses the backend while the client does not read, holds little, and delivers every byte once it reads again', { timeout: 30_000 }, async () => {
    const SIZE = 128 * MiB;
    const before = await settledRss();
    const rss = watchRss();
    const h = createHash('sha256');
    let bytes = 0;
    let response: IncomingMessage | null = null;
    const ended = new Promise<void>((resolve, reject) => {
      httpRequest(`${gw.urls.main}/download?size=${SIZE}`, { agent: false }, (res) => {
        response = res;
        res.on('data', (c: Buffer) => {
          h.update(c);
          bytes += c.length;
        });
        res.on('end', resolve);
        res.on('error', reject);
        res.pause(); // read nothing for now
      })
        .on('error', reject)
        .end();
    });
    await until(() => response !== null, 'the response head', 5000);
    // The backend writes until the buffers between it and the client are full (the kernel's socket buffers
    // on both legs, and the gateway's own), then its writes block, and stay blocked.
    let last = -1;
    let since = Date.now();
    await until(
      () => {
        if (download.written !== last || !download.blocked) {
          last = download.written;
          since = Date.now();
        }
        return Date.now() - since > 300;
      },
      'the backend to stay blocked',
      10_000,
    );
    const writtenAt = download.written;
    await sleep(1500);
    expect(download.blocked).toBe(true);
    expect(download.written).toBe(writtenAt);
    // (Kernel buffers can grow to tens of MiB on loopback; what matters is that the rest waits at the backend.)
    expect(download.written).toBeLessThan(SIZE / 2);
    const pausedGrowth = rss.peak() - before;
    // The client reads again, a little at a time at first, then all of it.
    for (let i = 0; i < 5; i++) {
      response!.resume();
      await sleep(20);
      response!.pause();
      await sleep(100);
    }
    response!.resume();
    await ended;
    const growth = rss.stop() - before;
    expect(bytes).toBe(SIZE);
    const expected = createHash('sha256');
    for (let k = 0; k * MiB < SIZE; k++) expected.update(block(k, Math.min(MiB, SIZE - k * MiB)));
    expect(h.digest('hex')).toBe(expected.digest('hex'));
    expect(download.done).toBe(true);
    expect(pausedGrowth, `RSS growth while paused: ${(pausedGrowth / MiB).toFixed(1)} MiB`).toBeLessThan(32 * MiB);
    expect(growth, `RSS growth: ${(growth / MiB).toFixed(1)} MiB`).toBeLessThan(64 * MiB);
  });
});
