/**
 * One streaming request to a Server, through undici's dispatch API, translated to sessiongate's
 * {@link UpstreamHandler}: response head (hop-by-hop fields removed), body pieces with back-pressure, end,
 * or a failure with its code from the error table. Handlers can be stacked as decorators (the exchange
 * recorder, the cookie jar and the expiry check each wrap the next one), as undici stacks its own.
 */
import type { Duplex, Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { errors, type Dispatcher } from 'undici';
import { GatewayError, type ErrorCode } from '../errors.js';
import { forwardResponseHeaders } from './forward-headers.js';
import type { Server } from './server.js';

export interface UpstreamRequest {
  method: string;
  /** Path and query, as the server should see them. */
  path: string;
  /** Flat `[name, value, ...]`. */
  headers: string[];
  body: Buffer | Readable | null;
  /** Milliseconds; 0 disables. */
  headersTimeout: number;
  bodyTimeout: number;
  /** Protocol to upgrade to (the `Upgrade` header value), e.g. `websocket`. */
  upgrade?: string | null;
}

/** What became of an upstream request that did not end with a complete response. */
export interface UpstreamFailure {
  code: ErrorCode;
  /** The underlying error (never shown to clients). */
  cause: Error;
  /** Part of the response had already been passed on when it failed. */
  responseStarted: boolean;
  /** Some of the request had been handed to a connection to the server. */
  requestStarted: boolean;
}

/** Times of one exchange, `performance.now()` milliseconds; 0 when it did not happen. */
export interface UpstreamTimings {
  dispatched: number;
  /** The request was handed to a connection of the pool (bytes about to be written). */
  requestStart: number;
  requestSent: number;
  responseStart: number;
  responseHeaders: number;
  responseEnd: number;
}

export interface UpstreamStats {
  /** Response body pieces received. */
  reads: number;
  /** Request pieces written (head and body chunks). */
  writes: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface UpstreamHandler {
  /** The request is about to go out on a connection. */
  onRequestStart?(): void;
  /** An interim (1xx) response before the final one, e.g. `103 Early Hints`. */
  onInformational?(status: number, headers: string[], reason: string): void;
  /** The response head. Return false to pause the body until `resume` is called. */
  onResponseStart(status: number, headers: string[], reason: string, resume: () => void): boolean;
  /** A piece of the response body. Return false to pause until `resume` is called. */
  onResponseData(chunk: Buffer): boolean;
  onResponseEnd(): void;
  onResponseError(failure: UpstreamFailure): void;
  /** The server switched protocols (101); the handler owns the socket now. */
  onUpgrade?(status: number, headers: string[], socket: Duplex): void;
}

/** An in-flight upstream request. */
export interface UpstreamCall {
  readonly timings: UpstreamTimings;
  readonly stats: UpstreamStats;
  readonly server: Server;
  /** Aborts the request; the handler gets `onResponseError` with this code. */
  abort(code: ErrorCode): void;
}

class UndiciAdapter implements Dispatcher.DispatchHandler, UpstreamCall {
  readonly timings: UpstreamTimings = { dispatched: performance.now(), requestStart: 0, requestSent: 0, responseStart: 0, responseHeaders: 0, responseEnd: 0 };
  readonly stats: UpstreamStats = { reads: 0, writes: 0, bytesSent: 0, bytesReceived: 0 };
  readonly server: Server;
  #handler: UpstreamHandler;
  #abort: ((err: Error) => void) | null = null;
  #pendingAbort: GatewayError | null = null;
  #started = false;
  #status = 0;
  #done = false;

  constructor(server: Server, handler: UpstreamHandler) {
    this.server = server;
    this.#handler = handler;
  }

  abort(code: ErrorCode): void {
    if (this.#done) return;
    const err = new GatewayError(code);
    if (this.#abort) this.#abort(err);
    else this.#pendingAbort = err;
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.#pendingAbort) {
      abort(this.#pendingAbort);
      return;
    }
    this.#abort = abort;
    this.timings.requestStart = performance.now();
    this.stats.writes++;
    this.#handler.onRequestStart?.();
  }

  // undici 7 passes the chunk itself (its type declarations say a size): accept both.
  onBodySent(chunk: unknown): void {
    this.stats.writes++;
    this.stats.bytesSent += typeof chunk === 'number' ? chunk : (chunk as Buffer).length;
  }

  onRequestSent(): void {
    this.timings.requestSent = performance.now();
  }

  onResponseStarted(): void {
    this.timings.responseStart = performance.now();
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // An interim response (1xx; undici itself refuses 100 and 101 without an upgrade): the final one follows.
    if (status < 200) {
      this.#handler.onInformational?.(status, forwardResponseHeaders(rawHeaders), statusText);
      return true;
    }
    this.#started = true;
    this.#status = status;
    this.timings.responseHeaders = performance.now();
    if (this.timings.responseStart === 0) this.timings.responseStart = this.timings.responseHeaders;
    this.server.markUp();
    return this.#handler.onResponseStart(status, forwardResponseHeaders(rawHeaders), statusText, resume);
  }

  onData(chunk: Buffer): boolean {
    this.stats.reads++;
    this.stats.bytesReceived += chunk.length;
    return this.#handler.onResponseData(chunk);
  }

  onComplete(): void {
    this.#done = true;
    this.timings.responseEnd = performance.now();
    this.#handler.onResponseEnd();
  }

  onError(err: Error): void {
    if (this.#done) return;
    // A 304 may carry the Content-Length of the representation it stands for (RFC 9110 §8.6), never a body;
    // undici takes the missing body for a truncated one. The response is complete.
    if (this.#status === 304 && this.stats.bytesReceived === 0 && (err as NodeJS.ErrnoException).code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
      this.onComplete();
      return;
    }
    this.#done = true;
    this.timings.responseEnd = performance.now();
    const code = classify(err, this.#started);
    if (code !== 'SG_ERR_CLIENT_ABORTED' && code !== 'SG_ERR_SESSION_KILLED') this.server.counters.failures++;
    if (code === 'SG_ERR_UPSTREAM_REFUSED' || code === 'SG_ERR_UPSTREAM_CONNECT_TIMEOUT' || code === 'SG_ERR_UPSTREAM_UNREACHABLE') {
      this.server.markDown(code);
    }
    this.#handler.onResponseError({ code, cause: err, responseStarted: this.#started, requestStarted: this.timings.requestStart !== 0 });
  }

  onUpgrade(status: number, rawHeaders: Buffer[] | string[] | null, socket: Duplex): void {
    this.#done = true;
    this.#started = true;
    this.timings.responseHeaders = this.timings.responseEnd = performance.now();
    this.server.markUp();
    if (!this.#handler.onUpgrade) {
      socket.destroy();
      return;
    }
    this.#handler.onUpgrade(status, forwardResponseHeaders(rawHeaders ?? []), socket);
  }
}

/** Maps an undici or socket error to a row of the error table. */
export function classify(err: Error, responseStarted: boolean): ErrorCode {
  if (err instanceof GatewayError) return err.code;
  if (err instanceof errors.HTTPParserError) return responseStarted ? 'SG_ERR_UPSTREAM_INCOMPLETE' : 'SG_ERR_UPSTREAM_BAD_RESPONSE';
  const code = (err as NodeJS.ErrnoException).code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'SG_ERR_UPSTREAM_REFUSED';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'SG_ERR_UPSTREAM_CONNECT_TIMEOUT';
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'SG_ERR_UPSTREAM_TIMEOUT';
    case 'UND_ERR_BODY_TIMEOUT':
      return 'SG_ERR_UPSTREAM_BODY_TIMEOUT';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'SG_ERR_UPSTREAM_UNREACHABLE';
    case 'UND_ERR_SOCKET':
      // undici's name for a response it cannot accept (an unsolicited 100 Continue, a response to nothing).
      if (err.message === 'bad response') return responseStarted ? 'SG_ERR_UPSTREAM_INCOMPLETE' : 'SG_ERR_UPSTREAM_BAD_RESPONSE';
      return responseStarted ? 'SG_ERR_UPSTREAM_INCOMPLETE' : 'SG_ERR_UPSTREAM_RESET';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return responseStarted ? 'SG_ERR_UPSTREAM_INCOMPLETE' : 'SG_ERR_UPSTREAM_RESET';
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return responseStarted ? 'SG_ERR_UPSTREAM_INCOMPLETE' : 'SG_ERR_UPSTREAM_BAD_RESPONSE';
    default:
      if (code.startsWith('HPE_') || code === 'UND_ERR_HEADERS_OVERFLOW' || code === 'UND_ERR_INFO') {
        return responseStarted ? 'SG_ERR_UPSTREAM_INCOMPLETE' : 'SG_ERR_UPSTREAM_BAD_RESPONSE';
      }
      if (err.message === 'bad upgrade') return 'SG_ERR_UPSTREAM_BAD_RESPONSE';
      return responseStarted ? 'SG_ERR_UPSTREAM_INCOMPLETE' : 'SG_ERR_UPSTREAM_RESET';
  }
}

/** Sends a request to a server; events go to `handler`. */
export function dispatch(server: Server, request: UpstreamRequest, handler: UpstreamHandler): UpstreamCall {
  const adapter = new UndiciAdapter(server, handler);
  server.counters.requests++;
  server.dispatch(
    {
      path: server.basePath ? server.basePath + request.path : request.path,
      method: request.method,
      headers: request.headers,
      body: request.body,
      headersTimeout: request.headersTimeout,
      bodyTimeout: request.bodyTimeout,
      upgrade: request.upgrade ?? null,
    },
    adapter,
  );
  return adapter;
}
