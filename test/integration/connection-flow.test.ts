/**
 * Connection server API: request bodies, pipelining order, the in-flight cap, back-pressure both ways,
 * cancel / dispose / client disconnects, drain and the Listener's graceful close.
 */
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/listener/index.js';
import { RawClient, sleep, until, useHarness, type Seen } from '../helpers/connection-harness.js';

const { serve } = useHarness();

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;
const POST = (path: string, headers: string): string => `POST ${path} HTTP/1.1\r\nHost: test\r\n${headers}\r\n`;

describe('request bodies', () => {
  it('delivers the body in chunks as it arrives, then finished, then lets the handler answer', async () => {
    const { client, probe } = await serve();
    const c = await client();
    c.write(POST('/up', 'Content-Length: 8\r\n'));
    await until(() => probe.events.length === 1, 'the request');
    c.write('abc');
    await until(() => probe.events.length === 2, 'chunk 1');
    c.write('def');
    await until(() => probe.events.length === 3, 'chunk 2');
    c.write('gh');
    const [res] = await c.waitForResponses(1);
    expect(probe.log()).toEqual(['request 1 POST /up', 'chunk 1 abc', 'chunk 1 def', 'chunk 1 gh', 'finished 1']);
    expect(res!.body).toBe('POST /up 8');
  });

  it('decodes a chunked request body and reports its end', async () => {
    const { client, probe } = await serve();
    const c = await client();
    c.write(POST('/chunked', 'Transfer-Encoding: chunked\r\n') + '4\r\nwiki\r\n');
    await until(() => probe.events.length === 2, 'the first chunk');
    c.write('5\r\npedia\r\n0\r\n\r\n' + GET('/after'));
    const res = await c.waitForResponses(2);
    expect(res.map((r) => r.body)).toEqual(['POST /chunked 9', 'GET /after 0']);
    expect(probe.log()).toEqual(['request 1 POST /chunked', 'chunk 1 wiki', 'chunk 1 pedia', 'finished 1', 'request 2 GET /after', 'finished 2']);
  });

  it('sends 100 Continue on sendContinue, then receives the body', async () => {
    const { client, probe } = await serve({
      request(seen) {
        if (seen.request.header('expect') === '100-continue') seen.connection.sendContinue(seen.request.id);
      },
    });
    const c = await client();
    c.write(POST('/ask', 'Content-Length: 5\r\nExpect: 100-continue\r\n'));
    await c.waitForText('HTTP/1.1 100 Continue\r\n\r\n');
    expect(probe.log()).toEqual(['request 1 POST /ask']);
    c.write('hello');
    await c.waitForText('POST /ask 5');
    expect(c.text).toBe('HTTP/1.1 100 Continue\r\n\r\n' + 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nPOST /ask 5');
  });

  it('stops delivering body chunks while paused and resumes where it stopped', async () => {
    let conn: Connection | null = null;
    const { client, probe } = await serve({
      request(seen) {
        conn = seen.connection;
        seen.connection.pause();
      },
    });
    const c = await client();
    c.write(POST('/slow', 'Content-Length: 6\r\n'));
    await until(() => probe.events.length === 1, 'the request');
    c.write('abcdef');
    await sleep(150);
    expect(probe.log()).toEqual(['request 1 POST /slow']);
    conn!.resume();
    const [res] = await c.waitForResponses(1);
    expect(res!.body).toBe('POST /slow 6');
    expect(probe.log()).toEqual(['request 1 POST /slow', 'chunk 1 abcdef', 'finished 1']);
  });

  it('needs as many resumes as pauses', async () => {
    let conn: Connection | null = null;
    const { client, probe } = await serve({
      request(seen) {
        conn = seen.connection;
        seen.connection.pause();
        seen.connection.pause();
      },
    });
    const c = await client();
    c.write(POST('/slow', 'Content-Length: 3\r\n'));
    await until(() => probe.events.length === 1, 'the request');
    c.write('xyz');
    conn!.resume();
    await sleep(150);
    expect(probe.log()).toEqual(['request 1 POST /slow']);
    conn!.resume();
    await c.waitForResponses(1);
    expect(probe.log()).toEqual(['request 1 POST /slow', 'chunk 1 xyz', 'finished 1']);
  });
});

describe('request heads', () => {
  it('hands over method, target, version and header fields in arrival order', async () => {
    const { client, probe } = await serve();
    const c = await client();
    c.write('PUT /p/a?q=1&r=%20 HTTP/1.1\r\nHost: example.test\r\nX-Twice: one\r\nx-twice: two\r\nContent-Length: 0\r\n\r\n');
    await c.waitForResponses(1);
    const r = probe.seen[0]!.request;
    expect([r.id, r.method, r.url, r.path, r.httpVersion, r.keepAlive, r.upgrade]).toEqual([1, 'PUT', '/p/a?q=1&r=%20', '/p/a', '1.1', true, false]);
    expect(r.headers).toEqual(['Host', 'example.test', 'X-Twice', 'one', 'x-twice', 'two', 'Content-Length', '0']);
    expect(r.header('x-twice')).toBe('one');
    expect(r.headerAll('x-twice')).toEqual(['one', 'two']);
  });

  it('keeps the request target intact when a request has more than 32 header fields', async () => {
    const { client, probe } = await serve();
    const c = await client();
    let extra = '';
    for (let i = 0; i < 40; i++) extra += `X-H${i}: v${i}\r\n`;
    c.write(GET('/many', extra));
    const [res] = await c.waitForResponses(1);
    expect(probe.seen[0]!.request.headers).toHaveLength(2 * 41);
    expect(probe.seen[0]!.request.header('x-h39')).toBe('v39');
    expect(probe.seen[0]!.request.url).toBe('/many');
    expect(res!.body).toBe('GET /many 0');
  });

  it('reports its state: idle, active while a request is out, idle again, closing on drain', async () => {
    const waiting: Seen[] = [];
    const { client, probe } = await serve({ finished: (seen) => waiting.push(seen) });
    const c = await client();
    await until(() => probe.connections.length === 1, 'the connection');
    const conn = probe.connections[0]!;
    expect(conn.state).toBe('idle');
    expect(conn.remoteAddress).toBe('127.0.0.1');
    expect(conn.remotePort).toBe(c.socket.localPort);
    c.write(GET('/1'));
    await until(() => waiting.length === 1, 'the request');
    expect(conn.state).toBe('active');
    expect(conn.inFlight).toBe(1);
    conn.send(1, 200, {}, 'x');
    await c.waitForResponses(1);
    expect(conn.state).toBe('idle');
    expect(conn.inFlight).toBe(0);
    expect(conn.requests).toBe(1);
    expect(conn.bytesIn).toBe(GET('/1').length);
    expect(conn.bytesOut).toBe(c.bytes.length);
    conn.drain();
    await c.waitClosed();
    await until(() => conn.state === 'closed', 'state closed');
  });
});

describe('pipelining', () => {
  it('answers pipelined requests in request order when the first handler finishes last', async () => {
    const delays: Record<string, number> = { '/1': 150, '/2': 0, '/3': 40, '/4': 10 };
    const answered: string[] = [];
    const { client } = await serve({
      finished(seen, probe) {
        setTimeout(() => {
          answered.push(seen.request.url);
          probe.done(seen);
          seen.connection.send(seen.request.id, 200, { 'X-Id': seen.request.id }, `answer ${seen.request.url}`);
        }, delays[seen.request.url]);
      },
    });
    const c = await client();
    c.write(GET('/1') + GET('/2') + GET('/3') + GET('/4'));
    const res = await c.waitForResponses(4);
    expect(answered).toEqual(['/2', '/4', '/3', '/1']);
    expect(res.map((r) => `${r.header('x-id')} ${r.body}`)).toEqual(['1 answer /1', '2 answer /2', '3 answer /3', '4 answer /4']);
    expect(c.responses()).toHaveLength(4);
    expect(c.closed).toBe(false);
  });

  it('holds a later streamed response, chunks and all, until the earlier one is complete', async () => {
    const held: Seen[] = [];
    const { client } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        if (r.id === 1) {
          held.push(seen);
          c.sendStart(r.id, 200, {});
          c.sendChunk(r.id, 'first-a');
          return;
        }
        c.sendStart(r.id, 201, {});
        c.sendChunk(r.id, 'second');
        c.sendFinished(r.id);
      },
    });
    const c = await client();
    c.write(GET('/1') + GET('/2'));
    await c.waitForText('first-a');
    await sleep(50);
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nfirst-a\r\n');
    const first = held[0]!;
    first.connection.sendChunk(first.request.id, 'first-b');
    first.connection.sendFinished(first.request.id);
    await c.waitForResponses(2);
    expect(c.text).toBe(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nfirst-a\r\n7\r\nfirst-b\r\n0\r\n\r\n' + 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n',
    );
  });

  it('hands the handler at most maxInFlight requests at once', async () => {
    const waiting: Seen[] = [];
    const { client, probe } = await serve({ finished: (seen) => waiting.push(seen) }, { limits: { maxInFlight: 2 } });
    const c = await client();
    c.write(GET('/1') + GET('/2') + GET('/3') + GET('/4') + GET('/5'));
    await until(() => waiting.length === 2, 'two requests');
    await sleep(100);
    expect(probe.seen.map((s) => s.request.url)).toEqual(['/1', '/2']);
    expect(probe.connections[0]!.inFlight).toBe(2);
    expect(probe.connections[0]!.requests).toBe(5); // all parsed, three held back
    for (const s of waiting.splice(0)) s.connection.send(s.request.id, 200, {}, s.request.url);
    const res = await c.waitForResponses(2);
    expect(res.map((r) => r.body)).toEqual(['/1', '/2']);
  });

  it('hands out the requests held back by the cap, in order, once earlier ones are answered', async () => {
    const waiting: Seen[] = [];
    const { client, probe } = await serve({ finished: (seen) => waiting.push(seen) }, { limits: { maxInFlight: 2 } });
    const c = await client();
    c.write(GET('/1') + GET('/2') + GET('/3') + GET('/4') + GET('/5'));
    await until(() => waiting.length === 2, 'two requests');
    const answerOldest = (): void => {
      const s = waiting.shift()!;
      probe.done(s);
      s.connection.send(s.request.id, 200, {}, s.request.url);
    };
    answerOldest();
    await until(() => probe.seen.length === 3, 'the third request to be handed out', 1000);
    while (probe.seen.length < 5 || waiting.length > 0) {
      await until(() => waiting.length > 0, 'a request to answer', 1000);
      answerOldest();
    }
    const res = await c.waitForResponses(5);
    expect(res.map((r) => r.body)).toEqual(['/1', '/2', '/3', '/4', '/5']);
    expect(probe.maxActive).toBe(2);
  });
});

describe('cancel, dispose and disconnects', () => {
  it('cuts a started response short on sendCancel: no last chunk, connection closed', async () => {
    const { client, probe } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        c.sendStart(r.id, 200, { 'Content-Type': 'text/plain' });
        c.sendChunk(r.id, 'partial');
        setTimeout(() => {
          c.sendCancel(r.id);
          c.sendChunk(r.id, 'never');
          c.sendFinished(r.id);
        }, 30);
      },
    });
    const c = await client();
    c.write(GET('/cut') + GET('/never-read'));
    await c.waitClosed();
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n7\r\npartial\r\n');
    expect(c.responses()[0]!.complete).toBe(false);
    // The pipelined request behind it will not be answered either, and its handler is told so.
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['request 1 GET /cut', 'finished 1', 'request 2 GET /never-read', 'finished 2', 'cancelled 2', 'closed']);
  });

  it('delivers the responses before a cancelled one, then closes without answering it', async () => {
    const { client, probe } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        if (r.id === 2) c.sendCancel(r.id);
        else setTimeout(() => c.send(r.id, 200, {}, `ok ${r.id}`), 30);
      },
    });
    const c = await client();
    c.write(GET('/1') + GET('/2') + GET('/3'));
    await c.waitClosed();
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok 1');
    // Request 3 was handed out but will never be answered: its handler is told.
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['request 1 GET /1', 'finished 1', 'request 2 GET /2', 'finished 2', 'request 3 GET /3', 'finished 3', 'cancelled 3', 'closed']);
  });

  it('closes the connection at once on dispose and tells the handler its request is cancelled', async () => {
    const { client, probe, server } = await serve({
      finished(seen) {
        seen.connection.dispose();
      },
    });
    const c = await client();
    c.write(GET('/bye'));
    await c.waitClosed();
    expect(c.text).toBe('');
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['request 1 GET /bye', 'finished 1', 'cancelled 1', 'closed']);
    await until(() => server.listener.connections.size === 0, 'the listener to forget the connection');
  });

  it('hands out no further pipelined request after dispose()', async () => {
    const { client, probe } = await serve({
      finished(seen) {
        if (seen.request.id === 1) seen.connection.dispose();
      },
    });
    const c = await client();
    c.write(GET('/1') + GET('/2'));
    await c.waitClosed();
    await until(() => probe.closedCount === 1, 'closed()');
    expect(c.text).toBe('');
    expect(probe.log()).toEqual(['request 1 GET /1', 'finished 1', 'cancelled 1', 'closed']);
  });

  it('calls cancelled() when the client disconnects in the middle of a response, then closed()', async () => {
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const { client, probe } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        c.sendStart(r.id, 200, {});
        timer = setInterval(() => {
          c.sendChunk(r.id, `tick${sent++};`);
        }, 10);
      },
      cancelled() {
        clearInterval(timer);
      },
    });
    const c = await client();
    c.write(GET('/ticks'));
    await c.waitForText('tick1;');
    c.destroy();
    await until(() => probe.closedCount === 1, 'closed()');
    clearInterval(timer);
    expect(probe.log()).toEqual(['request 1 GET /ticks', 'finished 1', 'cancelled 1', 'closed']);
  });

  it('cancels every request still waiting for its answer when the client resets the connection', async () => {
    const { client, probe } = await serve({ finished() {} });
    const c = await client();
    c.write(GET('/1') + GET('/2') + GET('/3'));
    await until(() => probe.events.length === 6, 'three requests');
    c.socket.resetAndDestroy();
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual([
      'request 1 GET /1', 'finished 1', 'request 2 GET /2', 'finished 2', 'request 3 GET /3', 'finished 3',
      'cancelled 1', 'cancelled 2', 'cancelled 3', 'closed',
    ]);
  });

  it('asks the handler to wait when a chunk cannot be written at once, and tells it when to go on (drained)', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const results: boolean[] = [];
    const { client, probe } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        c.sendStart(r.id, 200, { 'Content-Length': big.length + 3 });
        results.push(c.sendChunk(r.id, big));
      },
      drained(seen) {
        seen.connection.sendChunk(seen.request.id, 'end');
        seen.connection.sendFinished(seen.request.id);
      },
    });
    const c = await client();
    c.write(GET('/big'));
    const [res] = await c.waitForResponses(1, 5000);
    expect(results).toEqual([false]);
    expect(res!.body.length).toBe(big.length + 3);
    expect(res!.body.endsWith('aaaend')).toBe(true);
    expect(probe.log()).toEqual(['request 1 GET /big', 'finished 1', 'drained 1']);
  });
});

describe('back-pressure on held responses', () => {
  it('tells a response held behind an earlier one to wait, and calls drained() once it may go on', async () => {
    const big = Buffer.alloc(200 * 1024, 0x63);
    const waiting: Seen[] = [];
    const returned: boolean[] = [];
    const { client, probe } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        if (r.id === 1) {
          waiting.push(seen);
          return;
        }
        c.sendStart(r.id, 200, { 'Content-Length': big.length + 4 });
        returned.push(c.sendChunk(r.id, big));
      },
      drained(seen) {
        seen.connection.sendChunk(seen.request.id, 'tail');
        seen.connection.sendFinished(seen.request.id);
      },
    });
    const c = await client();
    c.write(GET('/1') + GET('/2'));
    await until(() => returned.length === 1, 'the second response to start');
    expect(returned).toEqual([false]);
    expect(c.text).toBe('');
    const first = waiting[0]!;
    first.connection.send(first.request.id, 200, {}, 'one');
    const res = await c.waitForResponses(2);
    expect(res[0]!.body).toBe('one');
    expect(res[1]!.body.length).toBe(big.length + 4);
    expect(res[1]!.body.endsWith('cctail')).toBe(true);
    expect(probe.log()).toEqual(['request 1 GET /1', 'finished 1', 'request 2 GET /2', 'finished 2', 'drained 2']);
  });

  it('turns sendError after the response started into a cancel: truncated response, connection closed', async () => {
    const { client, probe } = await serve({
      finished(seen) {
        const { connection: c, request: r } = seen;
        c.sendStart(r.id, 200, {});
        c.sendChunk(r.id, 'half');
        setTimeout(() => c.sendError(r.id, 'SG_ERR_UPSTREAM_RESET'), 20);
      },
    });
    const c = await client();
    c.write(GET('/x'));
    await c.waitClosed();
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nhalf\r\n');
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['request 1 GET /x', 'finished 1', 'closed']);
  });
});

describe('drain and the Listener', () => {
  it('finishes in-flight requests on drain(), the last response with Connection: close, then closes', async () => {
    const waiting: Seen[] = [];
    const { client, probe } = await serve({ finished: (seen) => waiting.push(seen) });
    const c = await client();
    c.write(GET('/1') + GET('/2'));
    await until(() => waiting.length === 2, 'two requests');
    const conn = probe.connections[0]!;
    conn.drain();
    expect(conn.state).toBe('closing');
    for (const s of waiting) s.connection.send(s.request.id, 200, {}, s.request.url);
    await c.waitClosed();
    const res = c.responses();
    expect(res.map((r) => [r.body, r.header('connection')])).toEqual([
      ['/1', undefined],
      ['/2', 'close'],
    ]);
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log().at(-1)).toBe('closed');
    expect(probe.log()).not.toContain('cancelled 1');
  });

  it('reads no new request after drain()', async () => {
    const waiting: Seen[] = [];
    const { client, probe } = await serve({ finished: (seen) => waiting.push(seen) });
    const c = await client();
    c.write(GET('/1'));
    await until(() => waiting.length === 1, 'the request');
    probe.connections[0]!.drain();
    c.write(GET('/late'));
    await sleep(50);
    const s = waiting[0]!;
    s.connection.send(s.request.id, 200, {}, 'done');
    await c.waitClosed();
    expect(c.text).toBe('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndone');
    expect(probe.seen.map((x) => x.request.url)).toEqual(['/1']);
  });

  it('closes an idle connection at once on drain()', async () => {
    const { client, probe } = await serve();
    const c = await client();
    c.write(GET('/1'));
    await c.waitForResponses(1);
    probe.connections[0]!.drain();
    await c.waitClosed();
    expect(c.responses()).toHaveLength(1);
  });

  it('lets a request already handed out receive the rest of its body after drain()', async () => {
    const { client, probe } = await serve();
    const c = await client();
    c.write(POST('/up', 'Content-Length: 6\r\n') + 'abc');
    await until(() => probe.events.length === 2, 'the request and its first chunk');
    probe.connections[0]!.drain();
    c.write('def');
    await sleep(300);
    expect(probe.log().slice(0, 4)).toEqual(['request 1 POST /up', 'chunk 1 abc', 'chunk 1 def', 'finished 1']);
    const [res] = await c.waitForResponses(1, 1000);
    expect(res!.body).toBe('POST /up 6');
    expect(res!.header('connection')).toBe('close');
    await c.waitClosed();
  });

  it('closes gracefully: in-flight answered with Connection: close, idle ones closed, new ones refused', async () => {
    const waiting: Seen[] = [];
    const { client, probe, server } = await serve({
      finished(seen, p) {
        if (seen.request.url === '/slow') waiting.push(seen);
        else {
          p.done(seen);
          seen.connection.send(seen.request.id, 200, {}, 'quick');
        }
      },
    });
    const busy = await client();
    const idle = await client();
    idle.write(GET('/quick'));
    await idle.waitForResponses(1);
    busy.write(GET('/slow'));
    await until(() => waiting.length === 1, 'the slow request');

    const closing = server.close();
    await idle.waitClosed();
    expect(busy.closed).toBe(false);
    await expect(RawClient.connect(server.port)).rejects.toThrow();

    const s = waiting[0]!;
    s.connection.send(s.request.id, 200, {}, 'slow done');
    await closing;
    await busy.waitClosed();
    expect(busy.text).toBe('HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nslow done');
    expect(probe.closedCount).toBe(2);
    expect(server.listener.connections.size).toBe(0);
  });

  it('destroys connections still busy at the close deadline and cancels their requests', async () => {
    const { client, probe, server } = await serve({ finished() {} });
    const c = await client();
    c.write(GET('/forever'));
    await until(() => probe.events.length === 2, 'the request');
    await server.listener.close(200);
    await c.waitClosed();
    expect(c.text).toBe('');
    await until(() => probe.closedCount === 1, 'closed()');
    expect(probe.log()).toEqual(['request 1 GET /forever', 'finished 1', 'cancelled 1', 'closed']);
  });

  it('refuses connections beyond maxConnections and accepts again once one has closed', async () => {
    const { client, probe, server } = await serve({}, { maxConnections: 1 });
    const first = await client();
    first.write(GET('/1'));
    await first.waitForResponses(1);
    const second = await client();
    second.write(GET('/2'));
    await second.waitClosed();
    expect(second.text).toBe('');
    expect(server.listener.stats).toEqual({ accepted: 1, refused: 1, active: 1 });

    first.destroy();
    await until(() => server.listener.connections.size === 0, 'the first connection to close');
    const third = await client();
    third.write(GET('/3'));
    const [res] = await third.waitForResponses(1);
    expect(res!.body).toBe('GET /3 0');
    expect(probe.seen.map((s) => s.request.url)).toEqual(['/1', '/3']);
  });
});
