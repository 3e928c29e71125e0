/**
 * Connection server API: the three ways of answering (verbose, simple, raw), HEAD, and the Connection's
 * keep-alive handling, against a real Listener with raw TCP clients and undici.
 */
import { Socket } from 'node:net';
import { Agent, fetch as undiciFetch, request as undiciRequest } from 'undici';
import { describe, expect, it } from 'vitest';
import { errorBody } from '../../src/errors.js';
import { Responses } from '../../src/listener/index.js';
import { sleep, until, useHarness, type Seen } from '../helpers/connection-harness.js';

const { serve, onCleanup } = useHarness();

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;

function agent(): Agent {
  const a = new Agent({ keepAliveTimeout: 10_000 });
  onCleanup(() => a.close());
  return a;
}

describe('verbose API (sendStart / sendChunk / sendFinished)', () => {
  it('frames a body of unknown length with chunked encoding on HTTP/1.1 and keeps the connection open', async () => {
    const returned: boolean[] = [];
    const { client, probe } = await serve({
      finished(seen) {
        const c = seen.connection;
        const id = seen.request.id;
        c.sendStart(id, 200, { 'Content-Type': 'text/plain' });
        returned.push(c.sendChunk(id, 'hello'));
        setTimeout(() => {
          returned.push(c.sendChunk(id, Buffer.from(' world')));
          c.sendChunk(id, ''); // an empty piece must not end the chunked body
          c.sendFinished(id);
        }, 20);
      },
    });
    const c = await client();
    c.write(GET('/stream'));
    await c.waitForResponses(1);
    expect(c.text).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n' + '5\r\nhello\r\n' + '6\r\n world\r\n' + '0\r\n\r\n',
    );
    expect(returned).toEqual([true, true]);

    // Same connection, next request: still open and answered.
    c.write(GET('/again'));
    const all = await c.waitForResponses(2);
    expect(all[1]!.body).toBe('hello world');
    expect(c.closed).toBe(false);
    expect(probe.events).toEqual(['request 1 GET /stream', 'finished 1', 'request 2 GET /again', 'finished 2']);
  });

  it('delimits the body by closing the connection on HTTP/1.0 (no chunked encoding there)', async () => {
    const { client } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        c.sendStart(r.id, 200, { 'Content-Type': 'text/plain' });
        c.sendChunk(r.id, 'hello');
        c.sendChunk(r.id, ' world');
        c.sendFinished(r.id);
      },
    });
    // Even with keep-alive asked for: without a length, only the close can end the body.
    const c = await client();
    c.write('GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await c.waitClosed();
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nhello world');
  });

  it('sends the body as is when the handler gives a Content-Length', async () => {
    const { client } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        c.sendStart(r.id, 200, ['Content-Length', '11']);
        c.sendChunk(r.id, 'hello');
        c.sendChunk(r.id, ' world');
        c.sendFinished(r.id);
      },
    });
    const c = await client();
    c.write(GET('/fixed'));
    await c.waitForResponses(1);
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world');
    c.write(GET('/fixed2'));
    await c.waitForResponses(2);
    expect(c.closed).toBe(false);
  });

  it('streams a response that fetch reads in full', async () => {
    const { server } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        c.sendStart(r.id, 200, { 'Content-Type': 'text/plain', 'X-Pieces': '3' });
        let i = 0;
        const t = setInterval(() => {
          c.sendChunk(r.id, `piece${i};`);
          if (++i === 3) {
            clearInterval(t);
            c.sendFinished(r.id);
          }
        }, 10);
      },
    });
    const res = await undiciFetch(`${server.url}/stream`, { dispatcher: agent() });
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('x-pieces')).toBe('3');
    expect(await res.text()).toBe('piece0;piece1;piece2;');
  });
});

describe('simple API (send / sendNoBody / sendError)', () => {
  it('sends status, header pairs, Content-Length and body in one call', async () => {
    const { client } = await serve({
      finished(seen) {
        seen.connection.send(seen.request.id, 201, ['Content-Type', 'text/plain', 'X-Two', 'a', 'X-Two', 'b'], Buffer.from('héllo'));
      },
    });
    const c = await client();
    c.write(GET('/create'));
    await c.waitForResponses(1);
    expect(c.bytes.equals(Buffer.concat([Buffer.from('HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-Two: a\r\nX-Two: b\r\nContent-Length: 6\r\n\r\n'), Buffer.from('héllo')]))).toBe(true);
  });

  it('counts Content-Length in bytes for a string body and uses a given reason phrase', async () => {
    const { client } = await serve({
      finished(seen) {
        seen.connection.send(seen.request.id, 200, { 'X-Multi': ['1', '2'], 'X-Skipped': undefined }, 'ünïcode', 'Fine');
      },
    });
    const c = await client();
    c.write(GET('/u'));
    await c.waitForResponses(1);
    expect(c.bytes.toString('utf8')).toBe('HTTP/1.1 200 Fine\r\nX-Multi: 1\r\nX-Multi: 2\r\nContent-Length: 9\r\n\r\nünïcode');
  });

  it('sends Content-Length: 0 with sendNoBody, and no length at all for 204 and 304', async () => {
    const statuses = [200, 204, 304];
    const { client } = await serve({
      finished(seen) {
        seen.connection.sendNoBody(seen.request.id, statuses[seen.request.id - 1]!, { 'X-N': seen.request.id });
      },
    });
    const c = await client();
    c.write(GET('/1') + GET('/2') + GET('/3'));
    await c.waitForResponses(3);
    expect(c.text).toBe(
      'HTTP/1.1 200 OK\r\nX-N: 1\r\nContent-Length: 0\r\n\r\n' + 'HTTP/1.1 204 No Content\r\nX-N: 2\r\n\r\n' + 'HTTP/1.1 304 Not Modified\r\nX-N: 3\r\n\r\n',
    );
    expect(c.closed).toBe(false);
  });

  it('answers with an error from the error table: status, code header, JSON body, connection kept for non-closing errors', async () => {
    const { client, probe } = await serve({
      finished(seen) {
        seen.connection.sendError(seen.request.id, 'SG_ERR_NO_SERVICE');
      },
    });
    const c = await client();
    c.write(GET('/nowhere'));
    const [res] = await c.waitForResponses(1);
    expect(res!.statusLine).toBe('HTTP/1.1 404 Not Found');
    expect(res!.header('x-sessiongate-error')).toBe('SG_ERR_NO_SERVICE');
    expect(res!.header('content-type')).toBe('application/json');
    expect(res!.header('date')).toMatch(/GMT$/);
    expect(res!.body).toBe(errorBody('SG_ERR_NO_SERVICE'));
    expect(res!.header('connection')).toBeUndefined();
    c.write(GET('/next'));
    await c.waitForResponses(2);
    expect(probe.events).toEqual(['request 1 GET /nowhere', 'finished 1', 'request 2 GET /next', 'finished 2']);
  });

  it('closes the connection after an error whose table entry says close, with Connection: close', async () => {
    const { client } = await serve({
      finished(seen) {
        seen.connection.sendError(seen.request.id, 'SG_ERR_DRAINING');
      },
    });
    const c = await client();
    c.write(GET('/a') + GET('/b'));
    await c.waitClosed();
    const res = c.responses();
    expect(res.map((r) => r.statusLine)).toEqual(['HTTP/1.1 503 Service Unavailable']);
    expect(res[0]!.header('connection')).toBe('close');
    expect(res[0]!.header('retry-after')).toBe('1');
    expect(res[0]!.body).toBe(errorBody('SG_ERR_DRAINING'));
  });

  it('ignores a second answer to the same request', async () => {
    const { client } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        c.send(r.id, 200, {}, 'first');
        c.send(r.id, 500, {}, 'second');
        c.sendNoBody(r.id, 204);
        c.sendStart(r.id, 202);
      },
    });
    const c = await client();
    c.write(GET('/once'));
    await c.waitForResponses(1);
    await sleep(50);
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst');
  });

  it('honours Connection: close from the handler and answers no later pipelined request', async () => {
    const { client, probe } = await serve({
      finished(seen) {
        seen.connection.send(seen.request.id, 200, { Connection: 'close' }, 'bye');
      },
    });
    const c = await client();
    c.write(GET('/1') + GET('/2'));
    await c.waitClosed();
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbye');
    // The first answer went out while the pipelined bytes were being parsed: the second request is never read.
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['request 1 GET /1', 'finished 1', 'closed']);
  });

  it('answers sequential undici requests on kept-alive connections', async () => {
    const { server, probe } = await serve();
    const dispatcher = agent();
    const a = await undiciRequest(`${server.url}/one?x=1`, { dispatcher });
    expect(a.statusCode).toBe(200);
    expect(a.headers['content-type']).toBe('text/plain');
    expect(await a.body.text()).toBe('GET /one?x=1 0');
    const b = await undiciRequest(`${server.url}/two`, { dispatcher });
    expect(await b.body.text()).toBe('GET /two 0');
    const c = await undiciRequest(`${server.url}/three`, { dispatcher, method: 'DELETE' });
    expect(await c.body.text()).toBe('DELETE /three 0');
    // (undici may open a second connection; how many it opens is its business.) None was closed by the server.
    expect(probe.events.filter((e) => e.startsWith('request')).map((e) => e.slice(10))).toEqual(['GET /one?x=1', 'GET /two', 'DELETE /three']);
    expect(probe.events).not.toContain('closed');
    expect(probe.connections.reduce((n, c) => n + c.requests, 0)).toBe(3);
  });

  it('receives a POST body from fetch before answering', async () => {
    const { server, probe } = await serve();
    const res = await undiciFetch(`${server.url}/upload`, { dispatcher: agent(), method: 'POST', body: 'x'.repeat(100_000) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('POST /upload 100000');
    expect(probe.seen[0]!.request.header('content-length')).toBe('100000');
    expect(probe.seen[0]!.finished).toBe(true);
  });
});

describe('raw API (sendRaw + sendFinished)', () => {
  function rawAnswer(closeConnection: boolean) {
    return (seen: Seen): void => {
      const { connection: c, request: r } = seen;
      const body = `raw ${r.url}`;
      const builder = Responses.builder().setStatus(200).addHeader('Content-Type', 'text/plain').addHeader('Content-Length', body.length);
      if (closeConnection) builder.addHeader('Connection', 'close');
      c.sendRaw(r.id, builder.finishHeaders().addChunk(body).build(), closeConnection);
      c.sendFinished(r.id);
    };
  }

  it('writes a built response with one vectored write and keeps the connection open', async () => {
    const { client, probe } = await serve({ finished: rawAnswer(false) });
    const c = await client();
    const clientPort = c.socket.localPort; // the server-side socket's remote port
    const writes: { kind: string; bytes: number }[] = [];
    const proto = Socket.prototype as unknown as {
      _writev(this: Socket, chunks: { chunk: Buffer | string }[], cb: unknown): void;
      _write(this: Socket, chunk: Buffer | string, enc: unknown, cb: unknown): void;
    };
    // Wrap the real methods to record which ones the server-side socket uses.
    const realWritev = proto._writev;
    const realWrite = proto._write;
    proto._writev = function (this: Socket, chunks, cb) {
      if (this.remotePort === clientPort) writes.push({ kind: 'writev', bytes: chunks.reduce((n, x) => n + Buffer.byteLength(x.chunk), 0) });
      return realWritev.call(this, chunks, cb);
    };
    proto._write = function (this: Socket, chunk, enc, cb) {
      if (this.remotePort === clientPort) writes.push({ kind: 'write', bytes: Buffer.byteLength(chunk) });
      return realWrite.call(this, chunk, enc, cb);
    };
    try {
      c.write(GET('/r'));
      await c.waitForResponses(1);
    } finally {
      proto._writev = realWritev;
      proto._write = realWrite;
    }
    const expected = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nraw /r';
    expect(c.text).toBe(expected);
    expect(writes).toEqual([{ kind: 'writev', bytes: expected.length }]);

    c.write(GET('/s'));
    await c.waitForResponses(2);
    expect(c.closed).toBe(false);
    expect(probe.events).toEqual(['request 1 GET /r', 'finished 1', 'request 2 GET /s', 'finished 2']);
  });

  it('closes the connection after the response when closeConnection is set, whatever the request asked', async () => {
    const { client, probe } = await serve({ finished: rawAnswer(true) });
    const c = await client();
    c.write(GET('/first') + GET('/second'));
    await c.waitClosed();
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n\r\nraw /first');
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['request 1 GET /first', 'finished 1', 'closed']);
  });

  it('closes after a raw response to an HTTP/1.0 request without keep-alive', async () => {
    const { client } = await serve({ finished: rawAnswer(false) });
    const c = await client();
    c.write('GET /old HTTP/1.0\r\n\r\n');
    await c.waitClosed();
    expect(c.responses().map((r) => r.body)).toEqual(['raw /old']);
  });

  it('keeps the connection open after a raw answer given synchronously from request(), as in the seed example', async () => {
    const { client, probe } = await serve({
      request(seen, p) {
        p.done(seen);
        rawAnswer(false)(seen);
      },
      finished() {},
    });
    const c = await client();
    c.write(GET('/1'));
    await c.waitForResponses(1);
    c.write(GET('/2'));
    const res = await c.waitForResponses(2);
    expect(res.map((r) => r.body)).toEqual(['raw /1', 'raw /2']);
    expect(c.closed).toBe(false);
    expect(probe.log()).toEqual(['request 1 GET /1', 'finished 1', 'request 2 GET /2', 'finished 2']);
  });

  it('lets the body follow a raw head through sendChunk', async () => {
    const { client } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        c.sendRaw(r.id, Responses.builder().setStatus(200, 'Streamed').addHeader('Content-Length', 6).finishHeaders().build());
        c.sendChunk(r.id, 'abc');
        setTimeout(() => {
          c.sendChunk(r.id, 'def');
          c.sendFinished(r.id);
        }, 10);
      },
    });
    const c = await client();
    c.write(GET('/x'));
    await c.waitForResponses(1);
    expect(c.text).toBe('HTTP/1.1 200 Streamed\r\nContent-Length: 6\r\n\r\nabcdef');
  });
});

describe('HEAD responses', () => {
  it('sends Content-Length but no body for HEAD with the simple API', async () => {
    const { client } = await serve({
      finished(seen) {
        seen.connection.send(seen.request.id, 200, { 'Content-Type': 'text/plain' }, 'hello world');
      },
    });
    const c = await client();
    c.write(`HEAD /h HTTP/1.1\r\nHost: test\r\n\r\n` + GET('/g'));
    await c.waitForResponses(2, 3000, [0]);
    // The GET's response follows the HEAD's head immediately: not one body byte in between.
    expect(c.text).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n' + 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world',
    );
  });

  it('sends neither chunked framing nor body for HEAD with the verbose API', async () => {
    const { client } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        c.sendStart(r.id, 200, { 'Content-Type': 'text/plain' });
        c.sendChunk(r.id, 'body');
        c.sendFinished(r.id);
      },
    });
    const c = await client();
    c.write(`HEAD /h HTTP/1.1\r\nHost: test\r\n\r\n` + GET('/g'));
    await c.waitForResponses(2, 3000, [0]);
    expect(c.text).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n' + 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n',
    );
    expect(c.closed).toBe(false);
  });

  it('sends no error body for HEAD', async () => {
    const { client } = await serve({
      finished(seen) {
        seen.connection.sendError(seen.request.id, 'SG_ERR_NO_SERVICE');
      },
    });
    const c = await client();
    c.write(`HEAD /h HTTP/1.1\r\nHost: test\r\n\r\n` + GET('/g'));
    const res = await c.waitForResponses(2, 3000, [0]);
    expect(res.map((r) => r.status)).toEqual([404, 404]);
    expect(res[0]!.raw.endsWith('\r\n\r\n')).toBe(true);
    expect(res[0]!.header('content-length')).toBe(String(errorBody('SG_ERR_NO_SERVICE').length));
    expect(res[1]!.body).toBe(errorBody('SG_ERR_NO_SERVICE'));
  });
});

describe('keep-alive and Connection handling', () => {
  it('closes after answering a client that sent Connection: close, ignoring requests behind it', async () => {
    const { client, probe } = await serve();
    const c = await client();
    c.write(GET('/last', 'Connection: close\r\n') + GET('/ignored'));
    await c.waitClosed();
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nGET /last 0');
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['request 1 GET /last', 'finished 1', 'closed']);
  });

  it('keeps an HTTP/1.0 connection open when the client asks for keep-alive', async () => {
    const { client } = await serve();
    const c = await client();
    c.write('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await c.waitForResponses(1);
    c.write('GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await c.waitForResponses(2);
    expect(c.text).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nConnection: keep-alive\r\n\r\nGET /a 0' +
        'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nConnection: keep-alive\r\n\r\nGET /b 0',
    );
    await sleep(50);
    expect(c.closed).toBe(false);
    // And a final HTTP/1.0 request without keep-alive ends it.
    c.write('GET /c HTTP/1.0\r\n\r\n');
    await c.waitClosed();
    expect(c.responses().map((r) => [r.body, r.header('connection')])).toEqual([
      ['GET /a 0', 'keep-alive'],
      ['GET /b 0', 'keep-alive'],
      ['GET /c 0', 'close'],
    ]);
  });

  it('treats a half-close from the client as going away: requests in flight cancelled, connection closed', async () => {
    const { client, probe } = await serve({
      finished(seen) {
        setTimeout(() => seen.connection.send(seen.request.id, 200, {}, seen.request.url), 30);
      },
    });
    const c = await client({ allowHalfOpen: true });
    c.write(GET('/1') + GET('/2'));
    await until(() => probe.events.length === 4, 'both requests');
    c.socket.end();
    await until(() => c.ended, 'the server to end the connection');
    await until(() => probe.closedCount === 1, 'closed()');
    await sleep(60); // the handler's late answers go nowhere
    expect(c.text).toBe('');
    expect(probe.log()).toEqual(['request 1 GET /1', 'finished 1', 'request 2 GET /2', 'finished 2', 'cancelled 1', 'cancelled 2', 'closed']);
  });

  it('keeps the connection open after a bodyless GET answered synchronously from request()', async () => {
    const { client } = await serve({
      request(seen, probe) {
        probe.done(seen);
        seen.connection.send(seen.request.id, 200, {}, 'sync');
      },
      finished() {},
    });
    const c = await client();
    c.write(GET('/1'));
    await c.waitForResponses(1);
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nsync');
    c.write(GET('/2'));
    await c.waitForResponses(2, 1000);
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nsync'.repeat(2));
    expect(c.closed).toBe(false);
  });
});
