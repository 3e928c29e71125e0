/**
 * Connection server API: the limits and protocol checks the Connection enforces itself (answering with the
 * error table's status and closing), and the client-side timeouts run by the Listener's sweep.
 * Timeouts are small (300 ms) and the sweep runs every 500 ms: tests assert outcomes, never timing.
 */
import { describe, expect, it } from 'vitest';
import { errorBody, type ErrorCode } from '../../src/errors.js';
import { sleep, until, useHarness, type ParsedResponse, type RawClient } from '../helpers/connection-harness.js';

const { serve } = useHarness();

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;

/** The one response a closing error sent, checked against the error table. */
async function expectErrorAndClose(c: RawClient, statusLine: string, code: ErrorCode): Promise<ParsedResponse> {
  await c.waitClosed();
  const res = c.responses();
  expect(res.map((r) => r.statusLine)).toEqual([statusLine]);
  const r = res[0]!;
  expect(r.header('x-sessiongate-error')).toBe(code);
  expect(r.header('content-type')).toBe('application/json');
  expect(r.header('connection')).toBe('close');
  expect(r.body).toBe(errorBody(code));
  return r;
}

describe('limits', () => {
  it('answers 431 and closes when a request has more header fields than maxHeaderCount', async () => {
    const { client, probe } = await serve({}, { limits: { maxHeaderCount: 4 } });
    const ok = await client();
    ok.write(GET('/ok', 'A: 1\r\nB: 2\r\nC: 3\r\n')); // Host + 3 = 4: at the limit
    expect((await ok.waitForResponses(1))[0]!.status).toBe(200);

    const c = await client();
    c.write(GET('/many', 'A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n') + GET('/never'));
    await expectErrorAndClose(c, 'HTTP/1.1 431 Request Header Fields Too Large', 'SG_ERR_HEADERS_TOO_LARGE');
    expect(probe.seen.map((s) => s.request.url)).toEqual(['/ok']);
  });

  it('answers 431 and closes when the request head exceeds maxHeaderSize', async () => {
    const { client, probe } = await serve({}, { limits: { maxHeaderSize: 1024 } });
    const ok = await client();
    ok.write(GET('/ok', `X-Pad: ${'a'.repeat(500)}\r\n`));
    expect((await ok.waitForResponses(1))[0]!.status).toBe(200);

    const c = await client();
    c.write(GET('/big', `X-Pad: ${'a'.repeat(2000)}\r\n`));
    await expectErrorAndClose(c, 'HTTP/1.1 431 Request Header Fields Too Large', 'SG_ERR_HEADERS_TOO_LARGE');
    expect(probe.seen).toHaveLength(1);
  });

  it('answers 414 and closes when the target is longer than maxUriLength', async () => {
    const { client, probe } = await serve({}, { limits: { maxUriLength: 100 } });
    const ok = await client();
    const atLimit = `/${'u'.repeat(99)}`;
    ok.write(GET(atLimit));
    expect((await ok.waitForResponses(1))[0]!.body).toBe(`GET ${atLimit} 0`);

    const c = await client();
    c.write(GET(`/${'u'.repeat(100)}`));
    await expectErrorAndClose(c, 'HTTP/1.1 414 URI Too Long', 'SG_ERR_URI_TOO_LONG');
    expect(probe.seen).toHaveLength(1);
  });

  it('answers 413 before reading the body when Content-Length exceeds maxBodySize, without calling the handler', async () => {
    const { client, probe } = await serve({}, { limits: { maxBodySize: 100 } });
    const ok = await client();
    ok.write(`POST /ok HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n${'b'.repeat(100)}`);
    expect((await ok.waitForResponses(1))[0]!.body).toBe('POST /ok 100');

    const c = await client();
    c.write('POST /big HTTP/1.1\r\nHost: test\r\nContent-Length: 101\r\n\r\n'); // no body sent at all
    await expectErrorAndClose(c, 'HTTP/1.1 413 Payload Too Large', 'SG_ERR_BODY_TOO_LARGE');
    expect(probe.seen.map((s) => s.request.url)).toEqual(['/ok']);
    expect(probe.events.filter((e) => e.startsWith('failed'))).toEqual([]);
  });

  it('calls failed() and answers 413 when a chunked body grows beyond maxBodySize', async () => {
    const { client, probe } = await serve({}, { limits: { maxBodySize: 10 } });
    const c = await client();
    c.write('POST /grow HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n');
    await until(() => probe.events.length === 2, 'the first chunk');
    c.write('6\r\nghijkl\r\n');
    await expectErrorAndClose(c, 'HTTP/1.1 413 Payload Too Large', 'SG_ERR_BODY_TOO_LARGE');
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['request 1 POST /grow', 'chunk 1 abcdef', 'failed 1 SG_ERR_BODY_TOO_LARGE', 'closed']);
  });

  it('cuts the response short when the body grows too large after the handler started answering', async () => {
    const { client, probe } = await serve(
      {
        request(seen) {
          seen.connection.sendStart(seen.request.id, 200, {});
          seen.connection.sendChunk(seen.request.id, 'early');
        },
      },
      { limits: { maxBodySize: 4 } },
    );
    const c = await client();
    c.write('POST /grow HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n');
    await until(() => probe.events.length === 1, 'the request');
    c.write('5\r\nabcde\r\n');
    await c.waitClosed();
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nearly\r\n');
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['request 1 POST /grow', 'failed 1 SG_ERR_BODY_TOO_LARGE', 'closed']);
  });
});

describe('protocol checks', () => {
  it('answers 501 to a transfer coding other than plain chunked', async () => {
    const { client, probe } = await serve();
    const c = await client();
    c.write('POST /gz HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n');
    await expectErrorAndClose(c, 'HTTP/1.1 501 Not Implemented', 'SG_ERR_UNSUPPORTED_TRANSFER_CODING');
    expect(probe.seen).toHaveLength(0);
  });

  it('answers 400 when chunked is not the final transfer coding of a request (RFC 9112 6.3)', async () => {
    const { client } = await serve();
    const c = await client();
    c.write('POST /gz HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\n\r\n');
    await expectErrorAndClose(c, 'HTTP/1.1 400 Bad Request', 'SG_ERR_BAD_REQUEST');
  });

  it('answers 417 to an expectation other than 100-continue', async () => {
    const { client, probe } = await serve();
    const c = await client();
    c.write('POST /x HTTP/1.1\r\nHost: test\r\nExpect: the-unexpected\r\nContent-Length: 3\r\n\r\n');
    await c.waitClosed();
    const [r] = c.responses();
    expect(r!.statusLine).toBe('HTTP/1.1 417 Expectation Failed');
    expect(r!.header('x-sessiongate-error')).toBe('SG_ERR_EXPECTATION_FAILED');
    expect(r!.body).toBe(errorBody('SG_ERR_EXPECTATION_FAILED'));
    expect(probe.seen).toHaveLength(0);
  });

  it('answers 400 to an HTTP/1.1 request without Host', async () => {
    const { client } = await serve();
    const c = await client();
    c.write('GET / HTTP/1.1\r\n\r\n');
    await expectErrorAndClose(c, 'HTTP/1.1 400 Bad Request', 'SG_ERR_BAD_REQUEST');
  });

  it('answers 400 to a request with two Host fields', async () => {
    const { client } = await serve();
    const c = await client();
    c.write('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
    await expectErrorAndClose(c, 'HTTP/1.1 400 Bad Request', 'SG_ERR_BAD_REQUEST');
  });

  it('accepts an HTTP/1.0 request without Host', async () => {
    const { client } = await serve();
    const c = await client();
    c.write('GET /old HTTP/1.0\r\n\r\n');
    await c.waitClosed();
    expect(c.responses().map((r) => [r.status, r.body])).toEqual([[200, 'GET /old 0']]);
  });

  it('answers 400 to a malformed request line', async () => {
    const { client } = await serve();
    const c = await client();
    c.write('GARBAGE\r\n\r\n');
    await expectErrorAndClose(c, 'HTTP/1.1 400 Bad Request', 'SG_ERR_BAD_REQUEST');
  });

  it('answers the good requests before a malformed pipelined one, in order, then 400 and close', async () => {
    const { client, probe } = await serve({
      finished(seen) {
        setTimeout(() => seen.connection.send(seen.request.id, 200, {}, seen.request.url), 30);
      },
    });
    const c = await client();
    c.write(GET('/1') + GET('/2') + 'NOT HTTP\r\n\r\n' + GET('/3'));
    await c.waitClosed();
    expect(c.responses().map((r) => `${r.status} ${r.body.startsWith('{') ? r.header('x-sessiongate-error') : r.body}`)).toEqual([
      '200 /1',
      '200 /2',
      '400 SG_ERR_BAD_REQUEST',
    ]);
    expect(probe.seen.map((s) => s.request.url)).toEqual(['/1', '/2']);
  });
});

describe('timeouts', () => {
  it('answers 408 and closes when the request head does not arrive within the headers timeout', async () => {
    const { client, probe } = await serve({}, { timeouts: { headers: 300, request: 5000 } });
    const c = await client();
    c.write('GET /slow HTTP/1.1\r\nHost: te');
    await expectErrorAndClose(c, 'HTTP/1.1 408 Request Timeout', 'SG_ERR_REQUEST_TIMEOUT');
    expect(probe.seen).toHaveLength(0);
  });

  it('calls failed() and answers 408 when the body does not arrive within the request timeout', async () => {
    const { client, probe } = await serve({}, { timeouts: { headers: 300, request: 600 } });
    const c = await client();
    c.write('POST /slow HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc');
    await expectErrorAndClose(c, 'HTTP/1.1 408 Request Timeout', 'SG_ERR_REQUEST_TIMEOUT');
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['request 1 POST /slow', 'chunk 1 abc', 'failed 1 SG_ERR_REQUEST_TIMEOUT', 'closed']);
  });

  it('does not time out a request whose handler takes longer than the request timeout to answer', async () => {
    const { client } = await serve(
      {
        finished(seen) {
          setTimeout(() => seen.connection.send(seen.request.id, 200, {}, 'late but fine'), 1200);
        },
      },
      { timeouts: { headers: 300, request: 300, keepAlive: 300 } },
    );
    const c = await client();
    c.write(GET('/slow-handler'));
    const [r] = await c.waitForResponses(1, 4000);
    expect(r!.body).toBe('late but fine');
  });

  it('closes a keep-alive connection left idle longer than the keep-alive timeout, without a response', async () => {
    const { client, probe } = await serve({}, { timeouts: { keepAlive: 300 } });
    const c = await client();
    c.write(GET('/once'));
    await c.waitForResponses(1);
    await c.waitClosed(4000);
    expect(c.responses()).toHaveLength(1);
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['request 1 GET /once', 'finished 1', 'closed']);
  });

  it('closes a connection that never sends a request after the keep-alive timeout', async () => {
    const { client, probe } = await serve({}, { timeouts: { keepAlive: 300 } });
    const c = await client();
    await c.waitClosed(4000);
    expect(c.text).toBe('');
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['closed']);
  });

  it('keeps a connection that is used more often than the keep-alive timeout', async () => {
    const { client } = await serve({}, { timeouts: { keepAlive: 600 } });
    const c = await client();
    for (let i = 0; i < 6; i++) {
      c.write(GET(`/${i}`));
      await c.waitForResponses(i + 1);
      await sleep(200);
    }
    expect(c.closed).toBe(false);
  });

  it('destroys the connection of a client that stopped reading once the send timeout passes', async () => {
    const { client, probe } = await serve(
      {
        finished(seen) {
          const { connection: c, request: r } = seen;
          c.sendStart(r.id, 200, { 'Content-Length': 64 * 1024 * 1024 });
          c.sendChunk(r.id, Buffer.alloc(64 * 1024 * 1024, 0x62));
        },
      },
      { timeouts: { send: 300 } },
    );
    const c = await client();
    c.socket.pause();
    c.write(GET('/huge'));
    await until(() => probe.closedCount === 1, 'the connection to be destroyed', 5000);
    expect(probe.log()).toEqual(['request 1 GET /huge', 'finished 1', 'cancelled 1', 'closed']);
  });

  // The send timeout counts completed writes: a handler that respects back-pressure (writes until sendChunk
  // returns false, then waits for drained) keeps a slow but steady reader alive however long it takes.
  // (One single write bigger than the kernel's buffers completes only at its end: see docs/lifecycle.md.)
  it('keeps a slow client that goes on reading, however long the response takes', { timeout: 15_000 }, async () => {
    const size = 64 * 1024 * 1024;
    let pump = (): void => {};
    const { client, probe } = await serve(
      {
        finished(seen) {
          const { connection: c, request: r } = seen;
          c.sendStart(r.id, 200, { 'Content-Length': size });
          const piece = Buffer.alloc(64 * 1024, 0x62);
          let sent = 0;
          pump = () => {
            while (sent < size) {
              sent += piece.length;
              if (!c.sendChunk(r.id, piece)) return;
            }
            c.sendFinished(r.id);
          };
          pump();
        },
        drained() {
          pump();
        },
      },
      { timeouts: { send: 2500 } },
    );
    const c = await client();
    // Read one piece every 50 ms: slow but steady. (The kernel takes data in bursts: on loopback the gaps between
    // completed writes reach about a second, hence a send timeout of seconds here, and 60 s by default.)
    c.socket.on('data', () => {
      c.socket.pause();
      setTimeout(() => c.socket.resume(), 50);
    });
    c.write(GET('/huge'));
    const start = Date.now();
    const received = (): number => c.bytes.length;
    await until(() => received() > 0, 'the first bytes');
    let last = received();
    while (Date.now() - start < 4000) {
      await sleep(250);
      expect(received()).toBeGreaterThan(last); // the client really is reading all the time
      last = received();
    }
    expect(probe.log().filter((l) => !l.startsWith('drained'))).toEqual(['request 1 GET /huge', 'finished 1']);
    expect(probe.log()).toContain('drained 1');
    expect(c.closed).toBe(false);
  });

  // New writes are not progress: a client that stopped reading is destroyed even while a handler keeps
  // writing small pieces (a heartbeat), so the server never buffers without bound.
  it('destroys a client that stopped reading even while the handler keeps writing small pieces', async () => {
    let timer: NodeJS.Timeout | undefined;
    const { client, probe } = await serve(
      {
        finished(seen) {
          const { connection: c, request: r } = seen;
          c.sendStart(r.id, 200, {});
          c.sendChunk(r.id, Buffer.alloc(32 * 1024 * 1024, 0x62));
          timer = setInterval(() => c.sendChunk(r.id, 'heartbeat\n'), 50);
        },
        cancelled() {
          clearInterval(timer);
        },
      },
      { timeouts: { send: 300 } },
    );
    const c = await client();
    c.socket.pause();
    c.write(GET('/events'));
    try {
      await until(() => probe.closedCount === 1, 'the connection to be destroyed', 2500);
    } finally {
      clearInterval(timer);
    }
    expect(probe.log()).toEqual(['request 1 GET /events', 'finished 1', 'cancelled 1', 'closed']);
  });
});
