/**
 * Harness for integration tests of the Connection server API (src/listener): a real Listener on a free port,
 * a recording handler whose behaviour each test supplies, a raw TCP client that keeps everything it receives,
 * and a small HTTP/1.x response parser for the bytes the client saw.
 */
import { connect, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import { Listener, type Connection, type ConnectionHandler, type IncomingRequest, type ListenerOptions, type RequestId } from '../../src/listener/index.js';

export type Limits = ListenerOptions['limits'];
export type Timeouts = ListenerOptions['timeouts'];

export const DEFAULT_LIMITS: Limits = { maxHeaderCount: 100, maxHeaderSize: 16 * 1024, maxUriLength: 4096, maxBodySize: 1024 * 1024, maxInFlight: 16 };
/** Far longer than any test runs, so that timeouts only play a part where a test asks for them. */
export const RELAXED_TIMEOUTS: Timeouts = { headers: 30_000, request: 60_000, keepAlive: 30_000, send: 30_000 };

export interface TestListener {
  listener: Listener;
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface ListenerSetup {
  limits?: Partial<Limits>;
  timeouts?: Partial<Timeouts>;
  maxConnections?: number;
}

export async function startListener(probe: Probe, setup: ListenerSetup = {}): Promise<TestListener> {
  const listener = new Listener(
    {
      name: 'test',
      listen: '127.0.0.1:0',
      maxConnections: setup.maxConnections ?? 100,
      limits: { ...DEFAULT_LIMITS, ...setup.limits },
      timeouts: { ...RELAXED_TIMEOUTS, ...setup.timeouts },
    },
    probe.factory,
  );
  await listener.listen();
  const port = listener.address!.port;
  let closed = false;
  return {
    listener,
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      if (closed) return;
      closed = true;
      await listener.close(1000);
    },
  };
}

export interface Served {
  probe: Probe;
  server: TestListener;
  port: number;
  /** A raw client connected to the listener, destroyed after the test. */
  client(options?: { allowHalfOpen?: boolean }): Promise<RawClient>;
}

/**
 * Registers an afterEach that destroys the test's clients and closes its listeners, and returns `serve`, which
 * starts a listener whose handler records events and follows `behaviour`.
 */
export function useHarness(): { serve(behaviour?: Behaviour, setup?: ListenerSetup): Promise<Served>; onCleanup(fn: () => unknown): void } {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!();
  });
  const onCleanup = (fn: () => unknown): void => {
    cleanup.push(fn);
  };
  const serve = async (behaviour: Behaviour = {}, setup: ListenerSetup = {}): Promise<Served> => {
    const probe = new Probe(behaviour);
    const server = await startListener(probe, setup);
    onCleanup(() => server.close());
    return {
      probe,
      server,
      port: server.port,
      client: async (options) => {
        const c = await RawClient.connect(server.port, options);
        onCleanup(() => c.destroy());
        return c;
      },
    };
  };
  return { serve, onCleanup };
}

// ---------------------------------------------------------------- recording handler

/** One request as the handler saw it. */
export interface Seen {
  connection: Connection;
  request: IncomingRequest;
  body: Buffer[];
  finished: boolean;
}

/** What a test's handler does; every hook is optional. Events are recorded before the hook runs. */
export interface Behaviour {
  request?(seen: Seen, probe: Probe): void;
  chunk?(seen: Seen, data: Buffer, probe: Probe): void;
  /** Default: answer `200 text/plain` with `METHOD url body-length` through the simple API. */
  finished?(seen: Seen, probe: Probe): void;
  failed?(seen: Seen, code: ErrorCode, probe: Probe): void;
  cancelled?(seen: Seen, probe: Probe): void;
  drained?(seen: Seen, probe: Probe): void;
  closed?(connection: Connection, probe: Probe): void;
}

export function defaultAnswer(seen: Seen): void {
  const r = seen.request;
  const body = `${r.method} ${r.url} ${Buffer.concat(seen.body).length}`;
  seen.connection.send(r.id, 200, { 'Content-Type': 'text/plain' }, body);
}

/**
 * A handler factory that records every call, per Connection and overall (`events`, in call order):
 * `request <id> <METHOD> <url>`, `chunk <id> <text>`, `finished <id>`, `failed <id> <code>`,
 * `cancelled <id>`, `drained <id>`, `closed`.
 */
export class Probe {
  readonly events: string[] = [];
  readonly connections: Connection[] = [];
  readonly seen: Seen[] = [];
  /** Per Connection: requests handed out and not yet answered, finished-with-error, or cancelled. */
  active = 0;
  maxActive = 0;
  closedCount = 0;
  readonly #behaviour: Behaviour;
  readonly #logs = new Map<Connection, string[]>();

  constructor(behaviour: Behaviour = {}) {
    this.#behaviour = behaviour;
  }

  /** Events of one Connection (by accept order). */
  log(index = 0): string[] {
    const c = this.connections[index];
    return c ? (this.#logs.get(c) ?? []) : [];
  }

  /** Marks a request answered for the in-flight bookkeeping (`active` / `maxActive`). */
  done(_seen: Seen): void {
    this.active--;
  }

  find(connection: Connection, id: RequestId): Seen {
    const s = this.seen.find((x) => x.connection === connection && x.request.id === id);
    if (!s) throw new Error(`no request ${id} on connection ${connection.id}`);
    return s;
  }

  readonly factory = (connection: Connection): ConnectionHandler => {
    this.connections.push(connection);
    const log: string[] = [];
    this.#logs.set(connection, log);
    const record = (e: string): void => {
      log.push(e);
      this.events.push(e);
    };
    const b = this.#behaviour;
    return {
      request: (request) => {
        const seen: Seen = { connection, request, body: [], finished: false };
        this.seen.push(seen);
        this.active++;
        this.maxActive = Math.max(this.maxActive, this.active);
        record(`request ${request.id} ${request.method} ${request.url}`);
        b.request?.(seen, this);
      },
      chunk: (id, data) => {
        const seen = this.find(connection, id);
        seen.body.push(Buffer.from(data));
        record(`chunk ${id} ${data.toString('latin1')}`);
        b.chunk?.(seen, data, this);
      },
      finished: (id) => {
        const seen = this.find(connection, id);
        seen.finished = true;
        record(`finished ${id}`);
        if (b.finished) b.finished(seen, this);
        else {
          this.done(seen);
          defaultAnswer(seen);
        }
      },
      failed: (id, code) => {
        record(`failed ${id} ${code}`);
        b.failed?.(this.find(connection, id), code, this);
      },
      cancelled: (id) => {
        record(`cancelled ${id}`);
        b.cancelled?.(this.find(connection, id), this);
      },
      drained: (id) => {
        record(`drained ${id}`);
        b.drained?.(this.find(connection, id), this);
      },
      closed: () => {
        this.closedCount++;
        record('closed');
        b.closed?.(connection, this);
      },
    };
  };
}

// ---------------------------------------------------------------- waiting

export async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------- raw TCP client

/** A raw TCP client that keeps every byte it receives and notes when the server ends the connection. */
export class RawClient {
  readonly socket: Socket;
  readonly #chunks: Buffer[] = [];
  /** 'data' events seen. */
  dataEvents = 0;
  /** The server half-closed (FIN). */
  ended = false;
  /** The socket has closed (either side). */
  closed = false;
  error: Error | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.dataEvents++;
      this.#chunks.push(c);
    });
    socket.on('end', () => {
      this.ended = true;
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', (err) => {
      this.error = err;
    });
  }

  static connect(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  get bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  /** Everything received so far, latin1. */
  get text(): string {
    return this.bytes.toString('latin1');
  }

  /** Everything received, parsed as HTTP responses (`headFor`: indices of responses to HEAD requests). */
  responses(headFor: readonly number[] = []): ParsedResponse[] {
    return parseResponses(this.text, { closed: this.ended || this.closed, headFor }).responses;
  }

  async waitForText(fragment: string, timeoutMs = 3000): Promise<string> {
    await until(() => this.text.includes(fragment), `${JSON.stringify(fragment)} in ${JSON.stringify(this.text)}`, timeoutMs);
    return this.text;
  }

  /** Waits for `n` complete responses. */
  async waitForResponses(n: number, timeoutMs = 3000, headFor: readonly number[] = []): Promise<ParsedResponse[]> {
    await until(
      () => this.responses(headFor).filter((r) => r.complete).length >= n,
      `${n} complete responses in ${JSON.stringify(this.text)}`,
      timeoutMs,
    );
    return this.responses(headFor);
  }

  /** Waits until the connection is closed (the server ended or destroyed it). */
  async waitClosed(timeoutMs = 3000): Promise<void> {
    await until(() => this.closed, `the connection to close (received ${JSON.stringify(this.text)})`, timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------- response parser

export interface ParsedResponse {
  statusLine: string;
  status: number;
  /** Header fields in order, names as sent. */
  rawHeaders: [string, string][];
  /** First value of a header field, by lower-case name. */
  header(name: string): string | undefined;
  body: string;
  /** How the body was delimited. */
  framing: 'none' | 'length' | 'chunked' | 'close';
  /** Body complete (and, for chunked, the last chunk seen). */
  complete: boolean;
  /** The exact bytes of this response (latin1). */
  raw: string;
}

/**
 * Splits a byte stream (latin1) into HTTP/1.x responses. `closed`: the stream has ended (a body without
 * length ends there). `headFor`: response indices that answer HEAD requests (no body whatever the headers).
 */
export function parseResponses(text: string, options: { closed?: boolean; headFor?: readonly number[] } = {}): { responses: ParsedResponse[]; rest: string } {
  const responses: ParsedResponse[] = [];
  let pos = 0;
  while (pos < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) break;
    const lines = text.slice(pos, headEnd).split('\r\n');
    const statusLine = lines[0]!;
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!m) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`);
    const status = Number(m[1]);
    const rawHeaders: [string, string][] = lines.slice(1).map((l) => {
      const c = l.indexOf(':');
      return [l.slice(0, c), l.slice(c + 1).trim()];
    });
    const header = (name: string): string | undefined => rawHeaders.find(([k]) => k.toLowerCase() === name)?.[1];
    let bodyStart = headEnd + 4;
    let body = '';
    let framing: ParsedResponse['framing'];
    let complete = true;
    const isHead = options.headFor?.includes(responses.length) ?? false;
    if (isHead || (status >= 100 && status < 200) || status === 204 || status === 304) {
      framing = 'none';
    } else if (header('transfer-encoding')?.toLowerCase() === 'chunked') {
      framing = 'chunked';
      complete = false;
      let p = bodyStart;
      for (;;) {
        const lineEnd = text.indexOf('\r\n', p);
        if (lineEnd < 0) break;
        const size = parseInt(text.slice(p, lineEnd), 16);
        if (Number.isNaN(size)) throw new Error(`bad chunk size at ${p}: ${JSON.stringify(text.slice(p, p + 20))}`);
        if (size === 0) {
          if (text.startsWith('\r\n', lineEnd + 2)) {
            complete = true;
            p = lineEnd + 4;
          }
          break;
        }
        if (text.length < lineEnd + 2 + size + 2) {
          body += text.slice(lineEnd + 2, Math.min(text.length, lineEnd + 2 + size));
          p = text.length;
          break;
        }
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        p = lineEnd + 2 + size + 2;
      }
      bodyStart = p;
      responses.push({ statusLine, status, rawHeaders, header, body, framing, complete, raw: text.slice(pos, p) });
      if (!complete) return { responses, rest: '' };
      pos = p;
      continue;
    } else if (header('content-length') !== undefined) {
      framing = 'length';
      const len = Number(header('content-length'));
      body = text.slice(bodyStart, bodyStart + len);
      complete = body.length === len;
      bodyStart += body.length;
    } else {
      framing = 'close';
      body = text.slice(bodyStart);
      complete = options.closed ?? false;
      bodyStart = text.length;
    }
    responses.push({ statusLine, status, rawHeaders, header, body, framing, complete, raw: text.slice(pos, bodyStart) });
    pos = bodyStart;
    if (!complete) break;
  }
  return { responses, rest: text.slice(pos) };
}

/** The status lines in a stream of responses, in order. */
export function statusLinesOf(text: string): string[] {
  return text.split('\r\n').filter((l) => /^HTTP\/1\.[01] \d{3}/.test(l));
}
