/**
 * A tiny HTTP server built directly on sessiongate's Connection server API (the Pony-style per-connection
 * send API the gateway itself is built on), using each way of answering once:
 *
 *   GET  /hello?name=you   simple API    connection.send(...)
 *   GET  /stream           verbose API   sendStart, sendChunk (x5, one every 50 ms), sendFinished
 *   POST /raw              raw API       sendRaw(Responses.builder()...build()) + sendFinished
 *   anything else          sendError     404 from the error table
 *
 * Run it with `npx tsx examples/connection-server.ts [port]` (default 8080; 0 picks a free port).
 */
import { pathToFileURL } from 'node:url';
import { Listener, Responses, type Connection, type ConnectionHandler, type IncomingRequest, type RequestId } from '../src/listener/index.js';

interface Pending {
  request: IncomingRequest;
  bodyBytes: number;
}

/** One per accepted connection: collects each request's body, then answers in `finished`. */
class ExampleHandler implements ConnectionHandler {
  readonly #connection: Connection;
  readonly #pending = new Map<RequestId, Pending>();
  readonly #streams = new Map<RequestId, NodeJS.Timeout>();

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  request(request: IncomingRequest): void {
    this.#pending.set(request.id, { request, bodyBytes: 0 });
  }

  chunk(requestId: RequestId, data: Buffer): void {
    const p = this.#pending.get(requestId);
    if (p) p.bodyBytes += data.length;
  }

  finished(requestId: RequestId): void {
    const p = this.#pending.get(requestId);
    if (!p) return;
    this.#pending.delete(requestId);
    this.#answer(p);
  }

  failed(requestId: RequestId): void {
    // The Connection has answered (413, 408, ...) and will close.
    this.#pending.delete(requestId);
  }

  cancelled(requestId: RequestId): void {
    this.#pending.delete(requestId);
    clearInterval(this.#streams.get(requestId));
    this.#streams.delete(requestId);
  }

  closed(): void {
    for (const t of this.#streams.values()) clearInterval(t);
    this.#streams.clear();
  }

  #answer({ request, bodyBytes }: Pending): void {
    const c = this.#connection;
    const id = request.id;
    switch (request.path) {
      case '/hello': {
        // Simple API: status, headers and the whole body in one call (Content-Length is added).
        const name = new URL(request.url, 'http://example').searchParams.get('name') ?? 'world';
        c.send(id, 200, { 'Content-Type': 'text/plain; charset=utf-8' }, `Hello, ${name}!\n`);
        return;
      }
      case '/stream': {
        // Verbose API: the head, then the body piece by piece (chunked on HTTP/1.1), then the end.
        c.sendStart(id, 200, { 'Content-Type': 'text/plain; charset=utf-8' });
        let line = 0;
        const timer = setInterval(() => {
          c.sendChunk(id, `line ${++line}\n`);
          if (line === 5) {
            clearInterval(timer);
            this.#streams.delete(id);
            c.sendFinished(id);
          }
        }, 50);
        this.#streams.set(id, timer);
        return;
      }
      case '/raw': {
        // Raw API: a prebuilt response written with one vectored write; sendFinished wraps it up.
        const body = `You sent ${bodyBytes} bytes.\n`;
        c.sendRaw(
          id,
          Responses.builder()
            .setStatus(200)
            .addHeader('Content-Type', 'text/plain; charset=utf-8')
            .addHeader('Content-Length', Buffer.byteLength(body))
            .finishHeaders()
            .addChunk(body)
            .build(),
        );
        c.sendFinished(id);
        return;
      }
      default:
        c.sendError(id, 'SG_ERR_NO_SERVICE');
    }
  }
}

export interface ExampleServer {
  listener: Listener;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** Starts the example server on 127.0.0.1 (`port` 0: a free port). */
export async function startExampleServer(port = 0): Promise<ExampleServer> {
  const listener = new Listener(
    {
      name: 'example',
      listen: `127.0.0.1:${port}`,
      maxConnections: 100,
      limits: { maxHeaderCount: 100, maxHeaderSize: 16 * 1024, maxUriLength: 8 * 1024, maxBodySize: 1024 * 1024, maxInFlight: 8 },
      timeouts: { headers: 10_000, request: 60_000, keepAlive: 5_000, send: 30_000 },
    },
    (connection) => new ExampleHandler(connection),
  );
  await listener.listen();
  return { listener, url: listener.url, close: () => listener.close(2_000) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startExampleServer(Number(process.argv[2] ?? 8080));
  console.log(`Connection server API example listening on ${server.url}`);
  console.log(`  try: curl ${server.url}/hello?name=you   curl -N ${server.url}/stream   curl --data abc ${server.url}/raw`);
  const stop = (): void => {
    void server.close().then(() => console.log('closed'));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
