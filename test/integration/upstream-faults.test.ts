/**
 * Upstream faults not covered by upstream-errors.test.ts (issue 9, section 5): a server that resets or
 * truncates a response it has started, the keep-alive race (a server closing a kept-alive connection just as
 * the gateway sends the next request on it), interim 1xx responses, and bodyless responses (204, 304, HEAD).
 *
 * The servers are raw TCP servers on 127.0.0.1 that write exact bytes; clients are raw sockets, so that what
 * the client sees (a truncated body, the framing of the next response on the same connection) is checked on
 * the bytes. Each case also checks the exchange log's row.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, sleep, type ParsedResponse } from '../helpers/connection-harness.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

interface RawServer {
  url: string;
  /** Connections accepted so far. */
  connections: number;
  /** Every request head received, as `METHOD target` with the number of its connection and its index on it. */
  requests: { line: string; connection: number; index: number }[];
}

/**
 * A raw HTTP/1.1 server: `answer` gets each request (its first line, the connection's number and the
 * request's index on that connection, from 1) and the socket, and writes what it likes. Request bodies are
 * framed by Content-Length only (the tests send no chunked bodies).
 */
async function rawServer(answer: (line: string, socket: Socket, info: { connection: number; index: number }) => void): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const state: RawServer = { url: '', connections: 0, requests: [] };
  const server = createServer((socket) => {
    const connection = ++state.connections;
    let index = 0;
    let pending = Buffer.alloc(0);
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        pending = pending.subarray(end + 4 + length);
        const line = head.split('\r\n')[0]!.split(' ').slice(0, 2).join(' ');
        index++;
        state.requests.push({ line, connection, index });
        answer(line, socket, { connection, index });
        if (socket.destroyed) return;
      }
    });
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

async function gateway(url: string, service: Record<string, unknown> = {}): Promise<TestGateway> {
  const g = await startGateway([url], { service, config: { admin: { listen: '127.0.0.1:0' } } });
  cleanup.push(() => g.stop());
  return g;
}

async function client(g: TestGateway): Promise<RawClient> {
  const c = await RawClient.connect(g.port);
  cleanup.push(async () => c.destroy());
  return c;
}

interface Row {
  uri: string;
  method: string;
  status: number | null;
  error: string | null;
  error_code: string | null;
  response_body_size: number;
}

async function rows(g: TestGateway): Promise<Row[]> {
  await sleep(30);
  return (await (await fetch(`${g.adminUrl}/v1/exchanges`)).json()) as Row[];
}

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: gw.test\r\n${extra}\r\n`;
const withoutDate = (r: ParsedResponse): [string, string][] => r.rawHeaders.filter(([k]) => k.toLowerCase() !== 'date');

describe('a response cut off by the server', () => {
  for (const [framing, head, piece] of [
    ['Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n', 'x'.repeat(100)],
    ['chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', `64\r\n${'x'.repeat(100)}\r\n`],
  ] as const) {
    it(`shows the client a truncated ${framing} response when the server resets the connection after starting it, and logs it incomplete`, async () => {
      const server = await rawServer((_line, s) => {
        s.write(head + piece);
        setTimeout(() => s.resetAndDestroy(), 50);
      });
      const g = await gateway(server.url);
      const c = await client(g);
      c.write(GET('/cut') + GET('/next'));
      await c.waitClosed();
      const [r, ...more] = c.responses();
      expect(r!.status).toBe(200);
      expect(r!.complete).toBe(false); // never a fake end: no last chunk, fewer bytes than announced
      expect(r!.body).toBe('x'.repeat(100));
      // The pipelined request behind it is not answered on that connection: its response would be read as
      // the rest of the cut one. (Its bytes used to follow the cut response when both servers failed.)
      expect(more).toEqual([]);
      if (framing === 'chunked') expect(c.text.endsWith('0\r\n\r\n')).toBe(false);
      // Not retried: part of the response had been passed on already. (The pipelined one ran alongside.)
      expect(server.requests.filter((q) => q.line === 'GET /cut')).toHaveLength(1);
      const [row] = await rows(g);
      expect(row).toMatchObject({ uri: '/cut', status: 200, error: 'incomplete', error_code: 'SG_ERR_UPSTREAM_INCOMPLETE', response_body_size: 100 });
    });
  }

  it('shows the client a truncated Content-Length body when the server closes early, closes that connection, and logs it incomplete', async () => {
    const server = await rawServer((_line, s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly a part');
      setTimeout(() => s.end(), 50);
    });
    const g = await gateway(server.url);
    const c = await client(g);
    c.write(GET('/short') + GET('/next'));
    await c.waitClosed();
    const [r, ...more] = c.responses();
    expect(r!.header('content-length')).toBe('100');
    expect(r!.body).toBe('only a part');
    expect(r!.complete).toBe(false);
    expect(more).toEqual([]);
    const [row] = await rows(g);
    expect(row).toMatchObject({ uri: '/short', status: 200, error: 'incomplete', error_code: 'SG_ERR_UPSTREAM_INCOMPLETE', response_body_size: 11 });
    // It counts as a failed exchange (data loss).
    const failed = (await (await fetch(`${g.adminUrl}/v1/exchanges?failed=true`)).json()) as Row[];
    expect(failed.map((r) => r.uri)).toContain('/short');
  });
});

describe('the keep-alive race', () => {
  /**
   * A server that closes each kept-alive connection as the next request arrives on it (as one whose idle
   * timeout fires at that very moment): the first request of a connection is answered, any later one is
   * read and then the connection closes without an answer.
   */
  const closingOnReuse = () =>
    rawServer((line, s, { index }) => {
      if (index > 1) {
        s.destroy();
        return;
      }
      const body = `answer to ${line}`;
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nKeep-Alive: timeout=60\r\n\r\n${body}`);
    });

  it('retries an idempotent GET once on a new connection, and the client sees 200', async () => {
    const server = await closingOnReuse();
    const g = await gateway(server.url);
    expect(await (await fetch(`${g.url}/first`)).text()).toBe('answer to GET /first');
    const res = await fetch(`${g.url}/second`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('answer to GET /second');
    // Sent on the reused connection (1), which closed, then once more on a new one.
    expect(server.requests).toEqual([
      { line: 'GET /first', connection: 1, index: 1 },
      { line: 'GET /second', connection: 1, index: 2 },
      { line: 'GET /second', connection: 2, index: 1 },
    ]);
    const log = await rows(g);
    expect(log.map((r) => [r.uri, r.status, r.error])).toEqual([
      ['/first', 200, null],
      ['/second', null, 'reset'],
      ['/second', 200, null],
    ]);
  });

  it('never sends a POST twice: the client gets 502 and the server saw it once', async () => {
    const server = await closingOnReuse();
    const g = await gateway(server.url);
    expect(await (await fetch(`${g.url}/first`)).text()).toBe('answer to GET /first');
    const res = await fetch(`${g.url}/order`, { method: 'POST', body: '{"qty":1}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(502);
    expect(res.headers.get('x-sessiongate-error')).toBe('SG_ERR_UPSTREAM_RESET');
    await res.text();
    await sleep(100);
    expect(server.requests.filter((q) => q.line === 'POST /order')).toHaveLength(1);
    // And the next request finds a working connection again.
    expect(await (await fetch(`${g.url}/after`)).text()).toBe('answer to GET /after');
    expect(server.requests.filter((q) => q.line === 'POST /order')).toHaveLength(1);
  });
});

describe('interim (1xx) responses', () => {
  it('passes 103 Early Hints on before the final response, and the connection goes on', async () => {
    const server = await rawServer((line, s) => {
      const body = `final ${line}`;
      s.write(
        'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n' +
          'HTTP/1.1 103 Early Hints\r\nLink: </app.js>; rel=preload; as=script\r\n\r\n' +
          `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
    });
    const g = await gateway(server.url);
    const c = await client(g);
    c.write(GET('/page') + GET('/page2'));
    const responses = await c.waitForResponses(6);
    expect(responses.map((r) => r.status)).toEqual([103, 103, 200, 103, 103, 200]);
    expect(withoutDate(responses[0]!)).toEqual([['Link', '</style.css>; rel=preload; as=style']]);
    expect(responses[1]!.header('link')).toBe('</app.js>; rel=preload; as=script');
    expect(responses[2]!.body).toBe('final GET /page');
    expect(responses[5]!.body).toBe('final GET /page2');
    expect(c.closed).toBe(false);
    const log = await rows(g);
    expect(log.map((r) => [r.uri, r.status, r.error])).toEqual([
      ['/page', 200, null],
      ['/page2', 200, null],
    ]);
  });

  it('sends no 1xx to an HTTP/1.0 client (RFC 9110 §15.2), only the final response', async () => {
    const server = await rawServer((_line, s) => {
      s.write('HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const g = await gateway(server.url);
    const c = await client(g);
    c.write('GET /old HTTP/1.0\r\n\r\n');
    await c.waitClosed();
    const responses = c.responses();
    expect(responses.map((r) => [r.status, r.body])).toEqual([[200, 'ok']]);
  });

  // undici (the gateway's HTTP client) destroys the connection on any 100 Continue it did not ask for
  // (client-h1.js onHeadersComplete: `statusCode === 100` -> SocketError('bad response')), before any
  // handler sees it, so the final response that follows is lost and the client gets 502
  // SG_ERR_UPSTREAM_BAD_RESPONSE. RFC 9110 §15.2 wants a client to skip a 1xx it does not expect. The fix
  // needs undici to accept an unsolicited 100 (or another upstream client); the gateway itself answers its
  // clients' Expect: 100-continue and never forwards Expect, so only servers that send 100 unasked hit it.
  it.fails('passes the final response on after a 100 Continue the server sent unasked', async () => {
    const server = await rawServer((_line, s) => s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'));
    const g = await gateway(server.url);
    const res = await fetch(`${g.url}/x`, { method: 'POST', body: 'data' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
  });

  it('answers 502 bad response, not retried, when a server sends an unasked 100 Continue (as undici refuses it)', async () => {
    const server = await rawServer((_line, s) => s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'));
    const g = await gateway(server.url);
    const res = await fetch(`${g.url}/x`);
    expect(res.status).toBe(502);
    expect(res.headers.get('x-sessiongate-error')).toBe('SG_ERR_UPSTREAM_BAD_RESPONSE');
    await res.text();
    expect(server.requests).toHaveLength(1); // the server answered: sending it again would not help
  });
});

describe('bodyless responses', () => {
  it('passes 204, 304 (with the Content-Length of the representation) and HEAD answers on without a body, and the next response is framed right', async () => {
    const server = await rawServer((line, s) => {
      if (line === 'GET /no-content') s.write('HTTP/1.1 204 No Content\r\nX-Kind: none\r\n\r\n');
      else if (line === 'GET /cached') s.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 1234\r\n\r\n');
      else if (line === 'HEAD /doc') s.write('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5678\r\n\r\n');
      else if (line === 'HEAD /stream') s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      else s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${line.length}\r\n\r\n${line}`);
    });
    const g = await gateway(server.url);
    const c = await client(g);
    c.write(
      GET('/no-content') + GET('/after1') +
        GET('/cached', 'If-None-Match: "v1"\r\n') + GET('/after2') +
        'HEAD /doc HTTP/1.1\r\nHost: gw.test\r\n\r\n' + GET('/after3') +
        'HEAD /stream HTTP/1.1\r\nHost: gw.test\r\n\r\n' + GET('/after4'),
    );
    const responses = await c.waitForResponses(8, 3000, [4, 6]);
    expect(responses.map((r) => [r.status, r.body])).toEqual([
      [204, ''],
      [200, 'GET /after1'],
      [304, ''],
      [200, 'GET /after2'],
      [200, ''],
      [200, 'GET /after3'],
      [200, ''],
      [200, 'GET /after4'],
    ]);
    expect(responses[0]!.header('x-kind')).toBe('none');
    expect(responses[0]!.header('content-length')).toBeUndefined();
    expect(responses[0]!.header('transfer-encoding')).toBeUndefined();
    expect(responses[2]!.header('etag')).toBe('"v1"');
    expect(responses[2]!.header('content-length')).toBe('1234');
    expect(responses[4]!.header('content-length')).toBe('5678');
    await sleep(100);
    expect(c.text.endsWith('GET /after4')).toBe(true); // nothing after the last response
    expect(c.closed).toBe(false);
    const log = await rows(g);
    expect(log.map((r) => [r.method, r.uri, r.status, r.error, r.response_body_size])).toEqual([
      ['GET', '/no-content', 204, null, 0],
      ['GET', '/after1', 200, null, 11],
      ['GET', '/cached', 304, null, 0],
      ['GET', '/after2', 200, null, 11],
      ['HEAD', '/doc', 200, null, 0],
      ['GET', '/after3', 200, null, 11],
      ['HEAD', '/stream', 200, null, 0],
      ['GET', '/after4', 200, null, 11],
    ]);
  });
});


