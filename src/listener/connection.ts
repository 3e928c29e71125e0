/**
 * Connection: one accepted TCP connection and the external API to it (the seed's Pony `Session`).
 *
 * Requests are parsed with Node's llhttp and handed to a {@link ConnectionHandler} with their request id;
 * the handler answers through the Connection with the verbose API (`sendStart` / `sendChunk` /
 * `sendFinished`), the simple API (`send`, `sendNoBody`) or the raw API (`sendRaw` + `sendFinished`), can
 * `sendCancel` an in-flight response, `dispose` the Connection, or take the socket over after a 101
 * (`upgradeProtocol`). Pipelined requests are answered in request order whatever order their handlers finish
 * in; at most `maxInFlight` are handed out at once, beyond that the Connection stops reading.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { countError, ERRORS, errorBody, type ErrorCode } from '../errors.js';
import { httpDate } from './http-date.js';
import { createRequestParser, isParseError, METHODS, releaseParser, type NativeParser, type ParseError } from './http-parser.js';
import { IncomingRequest, type RequestId } from './request.js';

/** Told of everything that happens on one Connection. Only `request` is required. */
export interface ConnectionHandler {
  /** A request head has been parsed. Answer it through the Connection, once, using `request.id`. */
  request(request: IncomingRequest): void;
  /** A piece of the request body. */
  chunk?(requestId: RequestId, data: Buffer): void;
  /** The request, body included, has been received completely. */
  finished?(requestId: RequestId): void;
  /** The request could not be received (body too large, timeout, malformed body); the Connection answered it. */
  failed?(requestId: RequestId, code: ErrorCode): void;
  /** The request's response will not be delivered: the client went away or the Connection is being torn down. */
  cancelled?(requestId: RequestId): void;
  /** `sendChunk` returned false for this request; it may send again now. */
  drained?(requestId: RequestId): void;
  /** The Connection has closed; nothing more will be called. */
  closed?(): void;
}

/** Builds the handler of each accepted Connection (the seed's HandlerFactory). */
export type HandlerFactory = (connection: Connection) => ConnectionHandler;

export interface ConnectionOptions {
  maxHeaderCount: number;
  maxHeaderSize: number;
  maxUriLength: number;
  maxBodySize: number;
  maxInFlight: number;
  /** Milliseconds. */
  timeouts: { headers: number; request: number; keepAlive: number; send: number };
  /** TLS listener. */
  secure: boolean;
  /** Name of the listener that accepted the Connection. */
  listener: string;
}

/** Response header fields: an object, or `[name, value, ...]` pairs. */
export type OutgoingHeaders = Readonly<Record<string, string | number | readonly string[] | undefined>> | readonly string[];

export type ConnectionState = 'idle' | 'reading' | 'active' | 'closing' | 'upgraded' | 'closed';

const WRITE_HIGH_WATER = 64 * 1024;
/** RFC 9112 §3.2 / RFC 3986: `host[:port]`, an IP literal in brackets; no userinfo, path or whitespace. */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::\d{0,5})?$/;
const INVALID_HEADER_CHAR = /[\r\n\0]/;
const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

let connectionIds = 0;

/** One request and its response on the pipeline. */
class Slot {
  readonly request: IncomingRequest;
  /** Handed to the handler (requests beyond the in-flight cap wait in the backlog). */
  delivered = false;
  /** Body pieces and end of a request still in the backlog. */
  backlog: Buffer[] | null = null;
  requestEnded = false;
  /** The request does not keep the Connection alive (`Connection: close`, HTTP/1.0): nothing is read after it. */
  lastRequest = false;
  /** The request announced a body (Content-Length > 0 or chunked). */
  hasBody = false;
  bodyBytes = 0;
  /** The Connection answered this request itself (an error); the handler's sends are ignored. */
  ownedByConnection = false;
  started = false;
  finished = false;
  cancelled = false;
  chunked = false;
  noBody = false;
  closeAfter = false;
  wantsDrain = false;
  status = 0;
  /** Output written while an earlier response is still being sent. */
  queue: (Buffer | string)[] | null = null;
  queued = 0;

  constructor(request: IncomingRequest) {
    this.request = request;
  }

  /** Body bytes may still arrive: answering now means the Connection cannot be reused. */
  get bodyPending(): boolean {
    return this.hasBody && !this.requestEnded;
  }
}

/** How many of the sessions a Connection carried it remembers (the most recent ones). */
export const NOTED_SESSIONS = 16;

export class Connection {
  /** Unique per process, increasing. */
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly secure: boolean;
  readonly listener: string;
  /** `Date.now()` at accept. */
  readonly connectedAt: number;

  #socket: Socket;
  #parser: NativeParser;
  #handler: ConnectionHandler;
  #options: ConnectionOptions;
  #slots: Slot[] = [];
  #byId = new Map<RequestId, Slot>();
  /** The request being parsed. */
  #current: Slot | null = null;
  #partialHeaders: string[] = [];
  #partialUrl = '';
  #nextId = 1;
  #inFlight = 0;
  #paused = 0;
  #capPaused = false;
  #closing = false;
  #parsing = true;
  #upgrade: Slot | null = null;
  #upgradeHead: Buffer | null = null;
  #state: ConnectionState = 'idle';
  #upgraded = false;
  #corked = false;
  #destroyed = false;
  /** Deadline bookkeeping, read by the Listener's sweep. */
  #headStartedAt = 0;
  #idleSince: number;
  #lastWriteProgressAt = Date.now();
  /** Write completion: the client is taking data (the send timeout's measure of progress). */
  readonly #onWritten = (): void => {
    this.#lastWriteProgressAt = Date.now();
  };
  #requests = 0;
  #bytesIn = 0;
  #sessions: Set<string> | null = null;
  #onClose: (() => void) | null = null;

  constructor(socket: Socket, factory: HandlerFactory, options: ConnectionOptions) {
    this.id = ++connectionIds;
    this.#socket = socket;
    this.#options = options;
    this.secure = options.secure;
    this.listener = options.listener;
    this.remoteAddress = normalizeAddress(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
    this.connectedAt = Date.now();
    this.#idleSince = this.connectedAt;
    this.#parser = createRequestParser(options.maxHeaderSize + options.maxUriLength, {
      messageBegin: () => this.#onMessageBegin(),
      headers: (headers, url) => this.#onHeaders(headers, url),
      headersComplete: (maj, min, headers, method, url, _s, _m, upgrade, keepAlive) =>
        this.#onHeadersComplete(maj, min, headers, method, url, upgrade, keepAlive),
      body: (chunk) => this.#onBody(chunk),
      messageComplete: () => this.#onMessageComplete(),
    });
    socket.setNoDelay(true);
    this.#handler = factory(this);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#onDrain());
    socket.on('end', () => this.#onEnd());
    socket.on('error', () => this.#teardown());
    socket.on('close', () => this.#teardown());
  }

  // ---------------------------------------------------------------- state, for the admin API and the Listener

  get state(): ConnectionState {
    return this.#state;
  }
  get inFlight(): number {
    return this.#inFlight;
  }
  get requests(): number {
    return this.#requests;
  }
  get bytesIn(): number {
    return this.#bytesIn;
  }
  get bytesOut(): number {
    return this.#socket.bytesWritten;
  }
  get upgraded(): boolean {
    return this.#upgraded;
  }
  /**
   * A write for this request would have to wait: the socket is past its high-water mark, or the response
   * is queued behind earlier pipelined ones.
   */
  congested(requestId: RequestId): boolean {
    const slot = this.#byId.get(requestId);
    return this.#socket.writableNeedDrain || (slot !== undefined && this.#slots[0] !== slot);
  }
  /**
   * Public ids of the last sessions (at most {@link NOTED_SESSIONS}) whose requests this Connection carried,
   * least recent first (noted by the gateway). Bounded: a load balancer's connection may carry millions.
   */
  get sessions(): readonly string[] {
    return this.#sessions ? [...this.#sessions] : [];
  }
  noteSession(publicId: string): void {
    const noted = (this.#sessions ??= new Set());
    if (noted.delete(publicId) || noted.size < NOTED_SESSIONS) {
      noted.add(publicId);
      return;
    }
    noted.delete(noted.values().next().value!);
    noted.add(publicId);
  }
  /** Called once when the Connection has closed (used by the Listener). */
  set onClose(fn: () => void) {
    this.#onClose = fn;
  }

  // ---------------------------------------------------------------- verbose API

  /** Starts the response of `requestId`: status and header fields. Framing headers are added when missing. */
  sendStart(requestId: RequestId, status: number, headers: OutgoingHeaders = [], reason?: string): void {
    const slot = this.#slotFor(requestId);
    if (!slot || slot.started) return;
    this.#write(slot, this.#head(slot, status, headers, reason));
  }

  /** Sends a piece of the response body. Returns false when the caller should wait for `drained`. */
  sendChunk(requestId: RequestId, data: Buffer | string): boolean {
    const slot = this.#slotFor(requestId);
    if (!slot || !slot.started || slot.finished) return true;
    const len = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (slot.noBody || len === 0) return true;
    let ok: boolean;
    if (slot.chunked) {
      this.#write(slot, len.toString(16) + CRLF);
      this.#write(slot, data);
      ok = this.#write(slot, CRLF);
    } else {
      ok = this.#write(slot, data);
    }
    if (!ok) slot.wantsDrain = true;
    return ok;
  }

  /** Completes the response of `requestId`; the next pipelined response may then go out. */
  sendFinished(requestId: RequestId): void {
    const slot = this.#slotFor(requestId);
    if (!slot || !slot.started || slot.finished) return;
    if (slot.chunked) this.#write(slot, LAST_CHUNK);
    slot.finished = true;
    this.#advance();
  }

  // ---------------------------------------------------------------- simple API

  /** Sends a whole response with a body in one call (adds Content-Length). */
  send(requestId: RequestId, status: number, headers: OutgoingHeaders, body: Buffer | string, reason?: string): void {
    const slot = this.#slotFor(requestId);
    if (!slot || slot.started) return;
    const len = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    const head = this.#head(slot, status, headers, reason, len);
    if (typeof body === 'string' && !slot.noBody) {
      this.#write(slot, head + body);
    } else {
      this.#write(slot, head);
      if (!slot.noBody && len > 0) this.#write(slot, body);
    }
    slot.finished = true;
    this.#advance();
  }

  /** Sends a bodyless response in one call (Content-Length: 0 unless the status forbids a body). */
  sendNoBody(requestId: RequestId, status: number, headers: OutgoingHeaders = [], reason?: string): void {
    this.send(requestId, status, headers, '', reason);
  }

  /**
   * Answers with a gateway error from the error table: short JSON body, stable code, no internals.
   * `extraHeaders` (`[name, value, ...]`) are added, e.g. the cookie of a session just created.
   */
  sendError(requestId: RequestId, code: ErrorCode, extraHeaders?: readonly string[]): void {
    const slot = this.#slotFor(requestId);
    if (!slot) return;
    if (slot.started) {
      this.sendCancel(requestId);
      return;
    }
    this.#sendErrorOn(slot, code, extraHeaders);
  }

  /** Sends `100 Continue` for a request that asked for it (`Expect: 100-continue`). */
  sendContinue(requestId: RequestId): void {
    const slot = this.#slotFor(requestId);
    if (!slot || slot.started || slot.requestEnded) return;
    this.#write(slot, CONTINUE);
  }

  /**
   * Sends an interim (1xx) response for `requestId` ahead of its final response, e.g. a server's
   * `103 Early Hints` passed on (`headers`: `[name, value, ...]`). Ignored once the final response has started, for 100 (see `sendContinue`)
   * and 101 (an upgrade is a final response here), and for HTTP/1.0 clients, which must not get one
   * (RFC 9110 §15.2).
   */
  sendInformational(requestId: RequestId, status: number, headers: readonly string[] = [], reason?: string): void {
    const slot = this.#slotFor(requestId);
    if (!slot || slot.started || status < 102 || status > 199 || slot.request.versionMinor === 0) return;
    let out = `HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || 'Informational'}\r\n`;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      if (INVALID_HEADER_CHAR.test(name) || INVALID_HEADER_CHAR.test(value)) throw new TypeError(`invalid response header ${JSON.stringify(name)}`);
      out += `${name}: ${value}\r\n`;
    }
    this.#write(slot, `${out}\r\n`);
  }

  // ---------------------------------------------------------------- raw API

  /**
   * Writes a pre-built response (from {@link ResponseBuilder}) with one vectored write. Call `sendFinished`
   * afterwards. `closeConnection`: close the Connection after this response whatever the request asked
   * (include `Connection: close` in the response to tell the client).
   */
  sendRaw(requestId: RequestId, raw: readonly (Buffer | string)[], closeConnection = false): void {
    const slot = this.#slotFor(requestId);
    if (!slot || slot.started) return;
    slot.started = true;
    slot.closeAfter = closeConnection || !slot.request.keepAlive || this.#closing;
    const first = raw[0];
    if (first !== undefined) slot.status = Number(first.slice(9, 12).toString());
    for (const piece of raw) this.#write(slot, piece);
  }

  // ---------------------------------------------------------------- cancel, dispose, upgrade

  /**
   * Aborts the response of `requestId`. A response already started cannot be completed, so the Connection
   * closes once the responses before it are out (the client sees a truncated response, never a fake end).
   */
  sendCancel(requestId: RequestId): void {
    const slot = this.#byId.get(requestId);
    if (!slot || slot.finished) return;
    slot.cancelled = true;
    slot.finished = true;
    slot.closeAfter = true;
    this.#advance();
  }

  /** Closes the Connection from this end, now. */
  dispose(): void {
    this.#parsing = false;
    this.#closing = true;
    this.#socket.destroy();
  }

  /**
   * Hands the socket to another protocol after a `101 Switching Protocols` has been sent for `requestId`.
   * Returns the socket and the bytes already received after the request. The handler is not called again.
   */
  upgradeProtocol(requestId: RequestId): { socket: Socket; head: Buffer } {
    const slot = this.#byId.get(requestId);
    if (!slot || slot !== this.#upgrade || slot.status !== 101) throw new Error('upgradeProtocol: send the 101 response for this upgrade request first');
    if (this.#slots[0] !== slot) throw new Error('upgradeProtocol: earlier responses are still pending');
    this.#flushCork();
    const socket = this.#socket;
    socket.removeAllListeners('data');
    socket.removeAllListeners('drain');
    socket.removeAllListeners('end');
    socket.removeAllListeners('error');
    socket.removeAllListeners('close');
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#teardown());
    this.#state = 'upgraded';
    this.#upgraded = true;
    this.#slots.length = 0;
    this.#byId.clear();
    this.#inFlight = 0;
    releaseParser(this.#parser);
    const head = this.#upgradeHead ?? Buffer.alloc(0);
    this.#upgradeHead = null;
    socket.resume();
    return { socket, head };
  }

  /** Pauses reading from the client (request-body back-pressure). Counted: each pause needs a resume. */
  pause(): void {
    if (this.#paused++ === 0) this.#socket.pause();
  }

  resume(): void {
    if (this.#paused > 0 && --this.#paused === 0 && !this.#capPaused && !this.#upgrade) this.#socket.resume();
  }

  /**
   * Graceful close: no new requests are read; the requests already handed out finish (the last response
   * carries `Connection: close`); an idle Connection closes at once.
   */
  drain(): void {
    if (this.#closing || this.#destroyed || this.#upgraded) return;
    this.#closing = true;
    // A request whose body is arriving is read to its end; no new request is read after it.
    this.#parsing = this.#current !== null && this.#current.delivered;
    // Requests still in the backlog were never handed out: drop them.
    for (let i = this.#slots.length - 1; i >= 0; i--) {
      const s = this.#slots[i]!;
      if (s.delivered || s.ownedByConnection) break;
      this.#slots.pop();
      this.#byId.delete(s.request.id);
    }
    if (this.#slots.length === 0) this.#endSocket();
    else this.#state = 'closing';
  }

  /** Checks the client-side timeouts; called periodically by the Listener. */
  checkTimeouts(now: number): void {
    if (this.#destroyed || this.#upgraded) return;
    const t = this.#options.timeouts;
    if (this.#headStartedAt > 0) {
      // Receiving a request: its head within `headers`, all of it within `request`.
      const limit = this.#current !== null ? t.request : t.headers;
      if (now - this.#headStartedAt > limit) {
        this.#failCurrent('SG_ERR_REQUEST_TIMEOUT');
        return;
      }
    } else if (this.#slots.length === 0 && now - this.#idleSince > t.keepAlive) {
      this.#endSocket();
      return;
    }
    // Slow reader: with bytes waiting to go out, some write must complete within `send`. (Each completed
    // write stamps #lastWriteProgressAt; a client that stopped reading completes none.)
    if (this.#socket.writableLength > 0) {
      if (now - this.#lastWriteProgressAt > t.send) this.#socket.destroy();
    } else {
      this.#lastWriteProgressAt = now;
    }
  }

  // ---------------------------------------------------------------- parsing

  #onData(chunk: Buffer): void {
    this.#bytesIn += chunk.length;
    if (!this.#parsing) {
      if (this.#upgrade) this.#upgradeHead = this.#upgradeHead ? Buffer.concat([this.#upgradeHead, chunk]) : chunk;
      return;
    }
    let ret: number | ParseError;
    try {
      ret = this.#parser.execute(chunk);
    } catch {
      // A handler threw inside a parser callback: this Connection cannot be trusted any more.
      this.#socket.destroy();
      return;
    }
    if (isParseError(ret)) {
      this.#onParseError(ret);
    } else if (this.#upgrade && ret < chunk.length) {
      const rest = chunk.subarray(ret);
      // Upgraded during this read: the new protocol reads these bytes from the socket itself.
      if (this.#upgraded) this.#socket.unshift(rest);
      else this.#upgradeHead = rest;
    }
  }

  #onMessageBegin(): void {
    this.#headStartedAt = Date.now();
    if (this.#state === 'idle') this.#state = 'reading';
  }

  #onHeaders(headers: string[], url: string): void {
    for (const h of headers) this.#partialHeaders.push(h);
    this.#partialUrl += url;
  }

  #onHeadersComplete(
    versionMajor: number,
    versionMinor: number,
    headers: string[] | undefined,
    methodIndex: number,
    url: string | undefined,
    upgrade: boolean,
    keepAlive: boolean,
  ): number {
    if (headers === undefined) {
      headers = this.#partialHeaders;
      this.#partialHeaders = [];
    } else if (this.#partialHeaders.length > 0) {
      headers = this.#partialHeaders.concat(headers);
      this.#partialHeaders = [];
    }
    if (this.#partialUrl) {
      url = this.#partialUrl + (url ?? '');
      this.#partialUrl = '';
    }
    url ??= '';
    if (!this.#parsing || this.#closing) {
      // More pipelined requests in the same read after one that ends the Connection: ignored.
      this.#current = null;
      return 0;
    }
    const id = this.#nextId++;
    const request = new IncomingRequest(id, METHODS[methodIndex] ?? 'UNKNOWN', url, versionMajor, versionMinor, headers, keepAlive, upgrade, performance.now());
    const slot = new Slot(request);
    this.#current = slot;
    this.#slots.push(slot);
    this.#byId.set(id, slot);
    this.#requests++;
    this.#state = 'active';

    const problem = this.#checkHead(request);
    if (problem !== null) {
      countError(problem);
      this.#sendErrorOn(slot, problem);
      return 0;
    }
    if (upgrade) {
      this.#upgrade = slot;
      this.#parsing = false;
    }
    // The last request of the Connection: its body is still read (it may come in later reads), nothing after it.
    if (!keepAlive) slot.lastRequest = true;
    this.#deliverOrHold(slot);
    return 0;
  }

  /** Protocol checks the parser leaves to its user; an error code, or null when the head is acceptable. */
  #checkHead(request: IncomingRequest): ErrorCode | null {
    const o = this.#options;
    if (request.versionMajor !== 1) return 'SG_ERR_HTTP_VERSION';
    if (request.url.length > o.maxUriLength) return 'SG_ERR_URI_TOO_LONG';
    if (request.headers.length / 2 > o.maxHeaderCount) return 'SG_ERR_HEADERS_TOO_LARGE';
    // The parser's own limit leaves room for a long target (so that one gets 414); the header section is
    // held to max_header_size here: field names and values, and 4 bytes of ": " and CRLF each.
    let headBytes = 0;
    for (const f of request.headers) headBytes += f.length + 2;
    if (headBytes > o.maxHeaderSize) return 'SG_ERR_HEADERS_TOO_LARGE';
    let hosts = 0;
    let contentLength = -1;
    let hasBody = false;
    const h = request.headers;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]!;
      const len = name.length;
      if (len === 4 && name.toLowerCase() === 'host') {
        hosts++;
        if (!VALID_HOST.test(h[i + 1]!)) return 'SG_ERR_BAD_REQUEST';
      }
      else if (len === 14 && name.toLowerCase() === 'content-length') {
        contentLength = Number(h[i + 1]);
        if (contentLength > 0) hasBody = true;
      }
      else if (len === 17 && name.toLowerCase() === 'transfer-encoding') {
        // RFC 9112 §6.3: chunked must be the final coding (else 400); other codings we cannot forward (501).
        // Transfer-Encoding on HTTP/1.0 cannot be trusted (RFC 9112 §6.1): a smuggling vector, refused.
        if (request.versionMinor === 0) return 'SG_ERR_BAD_REQUEST';
        const codings = h[i + 1]!.toLowerCase().split(',').map((c) => c.trim());
        if (codings[codings.length - 1] !== 'chunked') return 'SG_ERR_BAD_REQUEST';
        if (codings.length > 1) return 'SG_ERR_UNSUPPORTED_TRANSFER_CODING';
        hasBody = true;
      } else if (len === 6 && name.toLowerCase() === 'expect') {
        if (h[i + 1]!.trim().toLowerCase() !== '100-continue') return 'SG_ERR_EXPECTATION_FAILED';
      }
    }
    if (hosts > 1 || (hosts === 0 && request.versionMajor === 1 && request.versionMinor >= 1)) return 'SG_ERR_BAD_REQUEST';
    if (contentLength > o.maxBodySize) return 'SG_ERR_BODY_TOO_LARGE';
    this.#current!.hasBody = hasBody;
    return null;
  }

  #onBody(chunk: Buffer): void {
    const slot = this.#current;
    if (!slot || slot.ownedByConnection) return;
    slot.bodyBytes += chunk.length;
    if (slot.bodyBytes > this.#options.maxBodySize) {
      this.#failCurrent('SG_ERR_BODY_TOO_LARGE');
      return;
    }
    if (slot.delivered) this.#handler.chunk?.(slot.request.id, chunk);
    else (slot.backlog ??= []).push(chunk);
  }

  #onMessageComplete(): void {
    const slot = this.#current;
    this.#current = null;
    this.#headStartedAt = 0;
    // Trailer fields arrive through the headers callback at the end of a chunked body: they end here, with
    // their message, and never become fields (or a target) of the next request.
    this.#partialHeaders = [];
    this.#partialUrl = '';
    if (!slot) return;
    slot.requestEnded = true;
    if (this.#closing || slot.lastRequest) this.#parsing = false;
    if (slot.ownedByConnection) return;
    if (slot.delivered) this.#handler.finished?.(slot.request.id);
  }

  #onParseError(err: ParseError): void {
    // Bytes after a request that ended the Connection (`Connection: close`, HTTP/1.0): ignored, not an error.
    if (err.code === 'HPE_CLOSED_CONNECTION' && !this.#parsing) return;
    this.#parsing = false;
    const code: ErrorCode =
      err.code === 'HPE_HEADER_OVERFLOW' ? 'SG_ERR_HEADERS_TOO_LARGE'
      : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 'SG_ERR_BODY_TOO_LARGE'
      : 'SG_ERR_BAD_REQUEST';
    this.#failCurrent(code);
  }

  /** Ends the request being received with an error; the Connection answers it (when it still can) and closes. */
  #failCurrent(code: ErrorCode): void {
    countError(code);
    this.#parsing = false;
    this.#closing = true;
    let slot = this.#current;
    this.#current = null;
    this.#headStartedAt = 0;
    if (slot === null) {
      // The error is in a request head: answer in pipeline order with a placeholder request.
      const request = new IncomingRequest(this.#nextId++, 'UNKNOWN', '', 1, 1, [], false, false, performance.now());
      slot = new Slot(request);
      this.#slots.push(slot);
      this.#byId.set(request.id, slot);
    }
    if (slot.delivered && !slot.ownedByConnection) this.#handler.failed?.(slot.request.id, code);
    if (slot.started) this.sendCancel(slot.request.id);
    else this.#sendErrorOn(slot, code);
  }

  #sendErrorOn(slot: Slot, code: ErrorCode, extraHeaders?: readonly string[]): void {
    slot.ownedByConnection = true;
    const spec = ERRORS[code] as (typeof ERRORS)[ErrorCode] & { retryAfter?: number; close?: boolean };
    if (spec.close || slot.bodyPending || !slot.delivered && !slot.requestEnded) {
      slot.closeAfter = true;
      this.#closing = true;
      this.#parsing = false;
    }
    const headers = ['Date', httpDate(), 'Content-Type', 'application/json', 'X-Sessiongate-Error', code];
    if (spec.retryAfter !== undefined) headers.push('Retry-After', String(spec.retryAfter));
    if (extraHeaders) for (const h of extraHeaders) headers.push(h);
    const body = errorBody(code);
    const head = this.#head(slot, spec.status, headers, undefined, Buffer.byteLength(body));
    this.#write(slot, slot.noBody ? head : head + body);
    slot.finished = true;
    this.#advance();
  }

  // ---------------------------------------------------------------- in-flight cap and backlog

  #deliverOrHold(slot: Slot): void {
    if (this.#inFlight < this.#options.maxInFlight) {
      this.#deliver(slot);
    } else if (!this.#capPaused) {
      this.#capPaused = true;
      this.#socket.pause();
    }
  }

  #deliver(slot: Slot): void {
    slot.delivered = true;
    this.#inFlight++;
    const id = slot.request.id;
    this.#handler.request(slot.request);
    const backlog = slot.backlog;
    if (backlog !== null) {
      slot.backlog = null;
      for (const piece of backlog) this.#handler.chunk?.(id, piece);
    }
    if (slot.requestEnded && this.#byId.has(id)) this.#handler.finished?.(id);
  }

  #releaseBacklog(): void {
    for (const slot of this.#slots) {
      if (this.#inFlight >= this.#options.maxInFlight) return;
      if (!slot.delivered && !slot.ownedByConnection) this.#deliver(slot);
    }
    if (this.#capPaused) {
      this.#capPaused = false;
      if (this.#paused === 0 && !this.#upgrade && !this.#destroyed) this.#socket.resume();
    }
  }

  // ---------------------------------------------------------------- writing, in pipeline order

  #slotFor(requestId: RequestId): Slot | undefined {
    const slot = this.#byId.get(requestId);
    if (!slot || slot.ownedByConnection || slot.cancelled || this.#destroyed) return undefined;
    return slot;
  }

  #head(slot: Slot, status: number, headers: OutgoingHeaders, reason: string | undefined, contentLength?: number): string {
    const request = slot.request;
    slot.started = true;
    slot.status = status;
    slot.noBody = request.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
    let out = `HTTP/1.1 ${status} ${reason ?? STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    let hasLength = false;
    let chunkedGiven = false;
    let closeAsked = false;
    let connectionValue: string | null = null;
    const add = (name: string, value: string): void => {
      if (INVALID_HEADER_CHAR.test(name) || INVALID_HEADER_CHAR.test(value)) throw new TypeError(`invalid response header ${JSON.stringify(name)}`);
      const len = name.length;
      if (len === 10 && name.toLowerCase() === 'connection') {
        if (value.toLowerCase().includes('close')) closeAsked = true;
        connectionValue = value;
        return;
      }
      if (len === 14 && name.toLowerCase() === 'content-length') {
        if (contentLength !== undefined) return;
        hasLength = true;
      } else if (len === 17 && name.toLowerCase() === 'transfer-encoding') {
        chunkedGiven = true;
      }
      out += `${name}: ${value}\r\n`;
    };
    if (Array.isArray(headers)) {
      const list = headers as readonly string[];
      for (let i = 0; i < list.length; i += 2) add(list[i]!, list[i + 1]!);
    } else {
      for (const [name, value] of Object.entries(headers as Record<string, string | number | readonly string[] | undefined>)) {
        if (value === undefined) continue;
        if (Array.isArray(value)) for (const v of value) add(name, String(v));
        else add(name, String(value));
      }
    }
    const isInterim = status >= 100 && status < 200;
    if (contentLength !== undefined) {
      if (!(status === 204 || status === 304 || isInterim)) out += `Content-Length: ${contentLength}\r\n`;
    } else if (!slot.noBody && !hasLength) {
      if (chunkedGiven || request.versionMinor >= 1) {
        if (!chunkedGiven) out += 'Transfer-Encoding: chunked\r\n';
        slot.chunked = true;
      } else {
        slot.closeAfter = true; // HTTP/1.0 and no length: the end of the connection ends the body.
      }
    }
    // A 101 keeps (or gets) `Connection: Upgrade` (RFC 9110 §7.8).
    if (status === 101) return `${out}Connection: ${connectionValue ?? 'Upgrade'}\r\n\r\n`;
    // A refused upgrade: the client may already send the new protocol, so the Connection closes (and says so).
    const refusedUpgrade = slot === this.#upgrade;
    const last = this.#closing && this.#slots[this.#slots.length - 1] === slot;
    if (closeAsked || !request.keepAlive || last || slot.bodyPending || slot.closeAfter || refusedUpgrade) {
      slot.closeAfter = true;
      out += 'Connection: close\r\n';
    } else if (request.versionMinor === 0) {
      out += 'Connection: keep-alive\r\n';
    }
    return `${out}\r\n`;
  }

  #write(slot: Slot, data: Buffer | string): boolean {
    if (this.#slots[0] !== slot) {
      (slot.queue ??= []).push(data);
      slot.queued += data.length;
      return slot.queued < WRITE_HIGH_WATER;
    }
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(uncork, this);
    }
    return this.#socket.write(data, this.#onWritten);
  }

  #flushCork(): void {
    if (this.#corked) {
      this.#corked = false;
      this.#socket.uncork();
    }
  }

  /** Retires finished responses at the head of the pipeline and lets the next ones out. */
  #advance(): void {
    let retired = false;
    while (this.#slots.length > 0) {
      const head = this.#slots[0]!;
      if (head.queue !== null) {
        const queue = head.queue;
        head.queue = null;
        head.queued = 0;
        for (const piece of queue) this.#write(head, piece);
        if (head.wantsDrain && !this.#socket.writableNeedDrain) {
          head.wantsDrain = false;
          if (!head.finished) this.#handler.drained?.(head.request.id);
        }
      }
      if (head === this.#upgrade && head.status === 101) return; // waiting for upgradeProtocol()
      if (!head.finished) break;
      this.#slots.shift();
      this.#byId.delete(head.request.id);
      if (head.delivered) this.#inFlight--;
      retired = true;
      if (head.closeAfter || head === this.#upgrade) {
        // (A refused upgrade closes too: the client may already send the new protocol.)
        this.#closeAfterResponse(head.cancelled);
        return;
      }
    }
    if (this.#slots.length === 0) {
      this.#idleSince = Date.now();
      if (this.#closing) {
        this.#endSocket();
        return;
      }
      this.#state = this.#current ? 'reading' : 'idle';
    }
    // Responses went out: requests held back by the in-flight cap may be handed out now.
    if (retired && !this.#closing) this.#releaseBacklog();
  }

  #closeAfterResponse(abort: boolean): void {
    this.#parsing = false;
    this.#closing = true;
    // Later pipelined requests will not be answered. Their slots go first, with what they queued: a handler
    // told of the cancel may call back (sendCancel), and must find nothing left to write on this Connection.
    const unanswered = this.#takeUnanswered();
    if (abort) {
      this.#flushCork();
      this.#socket.destroy();
    } else {
      this.#endSocket();
    }
    for (const id of unanswered) this.#handler.cancelled?.(id);
  }

  /** Empties the pipeline; returns the ids of the requests handed out and not yet answered. */
  #takeUnanswered(): RequestId[] {
    const ids: RequestId[] = [];
    for (const s of this.#slots) if (s.delivered && !s.finished && !s.ownedByConnection) ids.push(s.request.id);
    this.#slots.length = 0;
    this.#byId.clear();
    this.#inFlight = 0;
    return ids;
  }

  #endSocket(): void {
    this.#state = 'closing';
    this.#flushCork();
    this.#socket.end();
  }

  #onDrain(): void {
    const head = this.#slots[0];
    if (head && head.wantsDrain) {
      head.wantsDrain = false;
      if (!head.finished) this.#handler.drained?.(head.request.id);
    }
  }

  #onEnd(): void {
    // The client closed its side. As Node's HTTP server does by default, that ends its requests: the ones
    // in flight are cancelled (logged as client aborts), and the Connection closes.
    this.#socket.destroy();
  }

  #teardown(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#state = 'closed';
    if (!this.#socket.destroyed) this.#socket.destroy();
    // An upgraded Connection released its parser when it handed the socket over.
    if (!this.#upgraded) releaseParser(this.#parser);
    for (const id of this.#takeUnanswered()) this.#handler.cancelled?.(id);
    if (!this.#upgraded) this.#handler.closed?.();
    this.#onClose?.();
  }

  /** Called on the next tick after the first write of a tick: one vectored write for the whole tick. */
  static uncork(conn: Connection): void {
    conn.#flushCork();
  }
}

function uncork(conn: Connection): void {
  Connection.uncork(conn);
}

function normalizeAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
