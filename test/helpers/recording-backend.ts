/**
 * A recording origin server on raw TCP (127.0.0.1, free port), for request-smuggling and header-hygiene
 * tests: it keeps the exact bytes each connection received and the sequence of requests it parsed out of
 * them, and answers each request with a small 200 (or with what `respond` returns).
 *
 * Its parser is deliberately simple and strict, as an origin server behind the gateway would be: a request is
 * the request line, header lines ending in CRLF, an empty line, then a body framed by `Transfer-Encoding:
 * chunked` or `Content-Length` (RFC 9112 §6.3). Anything it cannot parse, or any framing that is ambiguous
 * (two Content-Length, Content-Length and Transfer-Encoding, a transfer coding other than chunked), is
 * recorded in `errors` and ends the connection: a gateway that forwards such bytes desynchronises its
 * servers. Requests are therefore counted exactly as a server would count them, so "the backend saw one
 * request" really means that no second request was smuggled inside the first.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface RecordedRequest {
  /** Which backend (its `name`) and which of its connections (from 1) carried the request. */
  backend: string;
  connection: number;
  method: string;
  /** The request target as received. */
  target: string;
  /** The path part of the target (no query). */
  path: string;
  version: string;
  /** Header fields as received, names as sent, values without surrounding whitespace. */
  headers: [string, string][];
  /** The decoded body. */
  body: Buffer;
  /** Trailer fields of a chunked body. */
  trailers: [string, string][];
  /** The request's exact bytes. */
  raw: Buffer;
}

export interface BackendResponder {
  (request: RecordedRequest): string | Buffer;
}

export interface RecordingBackend {
  name: string;
  url: string;
  port: number;
  /** Requests parsed, in arrival order (all connections). */
  readonly requests: RecordedRequest[];
  /** Parse errors and ambiguous framing, as `connection N: reason`. */
  readonly errors: string[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** Every byte received, per connection (index 0 is connection 1). */
  readonly received: Buffer[];
  /** The first value of a header of a recorded request (`name` in lower case). */
  header(request: RecordedRequest, name: string): string | undefined;
  /** Every value of a header of a recorded request (`name` in lower case). */
  headerAll(request: RecordedRequest, name: string): string[];
  /** Forgets the requests and errors recorded so far (connections stay open). */
  reset(): void;
  /** Answers the next requests with this function instead of the default 200. */
  respond: BackendResponder;
  close(): Promise<void>;
}

/** The default answer: 200 with a short JSON body naming the backend and what it parsed. */
export function defaultResponse(request: RecordedRequest): string {
  const body = JSON.stringify({ backend: request.backend, method: request.method, target: request.target, body: request.body.length });
  const head = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  return request.method === 'HEAD' ? head : head + body;
}

class ParseFailure extends Error {}

/** Parses as many complete requests as `buf` holds from `start`; returns them and where parsing stopped. */
function parseRequests(buf: Buffer, start: number, backend: string, connection: number): { requests: RecordedRequest[]; next: number } {
  const requests: RecordedRequest[] = [];
  let pos = start;
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n', pos, 'latin1');
    if (headEnd < 0) {
      if (buf.length - pos > 64 * 1024) throw new ParseFailure('request head larger than 64 KiB');
      return { requests, next: pos };
    }
    const head = buf.subarray(pos, headEnd).toString('latin1');
    const lines = head.split('\r\n');
    for (const line of lines) if (/[\r\n\0]/.test(line)) throw new ParseFailure(`bare CR, LF or NUL in the head: ${JSON.stringify(line)}`);
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0]!);
    if (m === null) throw new ParseFailure(`bad request line ${JSON.stringify(lines[0])}`);
    const headers: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = colon < 0 ? '' : line.slice(0, colon);
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new ParseFailure(`bad header line ${JSON.stringify(line)}`);
      headers.push([name, owsTrim(line.slice(colon + 1))]);
    }
    const values = (n: string): string[] => headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
    const te = values('transfer-encoding');
    const cl = values('content-length');
    if (te.length > 0 && cl.length > 0) throw new ParseFailure('both Transfer-Encoding and Content-Length');
    if (cl.length > 1) throw new ParseFailure(`${cl.length} Content-Length fields`);
    let p = headEnd + 4;
    let body: Buffer = Buffer.alloc(0);
    const trailers: [string, string][] = [];
    if (te.length > 0) {
      if (te.length > 1 || te[0]!.toLowerCase() !== 'chunked') throw new ParseFailure(`Transfer-Encoding ${JSON.stringify(te)}`);
      const pieces: Buffer[] = [];
      let complete = false;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p, 'latin1');
        if (lineEnd < 0) break;
        const sizeLine = buf.subarray(p, lineEnd).toString('latin1');
        const sm = /^([0-9a-fA-F]{1,8})(;.*)?$/.exec(sizeLine);
        if (sm === null) throw new ParseFailure(`bad chunk size line ${JSON.stringify(sizeLine)}`);
        const size = parseInt(sm[1]!, 16);
        if (size === 0) {
          // Trailer section, then the empty line.
          let q = lineEnd + 2;
          for (;;) {
            const tEnd = buf.indexOf('\r\n', q, 'latin1');
            if (tEnd < 0) break;
            if (tEnd === q) {
              complete = true;
              p = tEnd + 2;
              break;
            }
            const line = buf.subarray(q, tEnd).toString('latin1');
            const colon = line.indexOf(':');
            if (colon <= 0) throw new ParseFailure(`bad trailer line ${JSON.stringify(line)}`);
            trailers.push([line.slice(0, colon), owsTrim(line.slice(colon + 1))]);
            q = tEnd + 2;
          }
          break;
        }
        if (buf.length < lineEnd + 2 + size + 2) break;
        if (buf.toString('latin1', lineEnd + 2 + size, lineEnd + 4 + size) !== '\r\n') throw new ParseFailure('chunk data not followed by CRLF');
        pieces.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 4 + size;
      }
      if (!complete) return { requests, next: pos };
      body = Buffer.concat(pieces);
    } else if (cl.length === 1) {
      if (!/^\d+$/.test(cl[0]!)) throw new ParseFailure(`bad Content-Length ${JSON.stringify(cl[0])}`);
      const len = Number(cl[0]);
      if (buf.length < p + len) return { requests, next: pos };
      body = buf.subarray(p, p + len);
      p += len;
    }
    const target = m[2]!;
    const q = target.indexOf('?');
    requests.push({
      backend,
      connection,
      method: m[1]!,
      target,
      path: q < 0 ? target : target.slice(0, q),
      version: m[3]!,
      headers,
      body: Buffer.from(body),
      trailers,
      raw: Buffer.from(buf.subarray(pos, p)),
    });
    pos = p;
  }
}

export async function startRecordingBackend(name = 'backend'): Promise<RecordingBackend> {
  const sockets = new Set<Socket>();
  const received: Buffer[] = [];
  const requests: RecordedRequest[] = [];
  const errors: string[] = [];
  let connections = 0;
  const state = { respond: defaultResponse as BackendResponder };

  const server: Server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    received.push(Buffer.alloc(0));
    let pending = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      received[connection - 1] = Buffer.concat([received[connection - 1]!, chunk]);
      pending = Buffer.concat([pending, chunk]);
      let parsed: { requests: RecordedRequest[]; next: number };
      try {
        parsed = parseRequests(pending, 0, name, connection);
      } catch (err) {
        errors.push(`connection ${connection}: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      pending = pending.subarray(parsed.next);
      for (const request of parsed.requests) {
        requests.push(request);
        socket.write(state.respond(request));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const headerAll = (request: RecordedRequest, lower: string): string[] => request.headers.filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v);
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    errors,
    get connections() {
      return connections;
    },
    received,
    header: (request, lower) => headerAll(request, lower)[0],
    headerAll,
    reset() {
      requests.length = 0;
      errors.length = 0;
      state.respond = defaultResponse;
    },
    get respond() {
      return state.respond;
    },
    set respond(fn: BackendResponder) {
      state.respond = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Removes optional whitespace (SP and HTAB only, RFC 9110 §5.6.3) around a field value. */
function owsTrim(value: string): string {
  return value.replace(/^[ \t]+|[ \t]+$/g, '');
}
