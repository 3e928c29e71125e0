/**
 * Exchange: one request/response pair between the gateway and a Server (logins included), one row of the
 * exchange log. A failure is data (`error`, `errorCode`), kept apart from the status: a row exists even when
 * there was no response.
 */
import type { ErrorCode } from '../errors.js';
import type { BodyArena } from './body-arena.js';
import type { Redactor } from './redact.js';

export type ExchangeKind = 'request' | 'login';

/** Monotonic `performance.now()` to wall-clock milliseconds since the epoch. */
export function wallClock(perfNow: number): number {
  return performance.timeOrigin + perfNow;
}

let lastId = 0;

/** Exchange ids: unique and increasing, in the order requests were sent. */
export function nextExchangeId(): number {
  return ++lastId;
}

/**
 * A row keeps its header fields as one string (`name\nvalue\n...`; HTTP forbids LF in names and values)
 * rather than an array of strings: a full log holds a thousand rows that each live through several
 * young-generation collections, and forty-odd small strings per row made those collections copy (and then
 * promote) thousands of objects a second.
 */
export function packHeaders(headers: readonly string[]): string {
  return headers.join('\n');
}

export function unpackHeaders(packed: string | null): string[] | null {
  if (packed === null) return null;
  return packed.length === 0 ? [] : packed.split('\n');
}

/** What a recorded row keeps besides its public fields: its packed heads and where its bodies are. */
export interface KeptParts {
  arena: BodyArena | null;
  requestHeaders: string | null;
  responseHeaders: string | null;
  /** Positions in the arena (-1: none kept) and lengths of the bodies. */
  requestAt: number;
  requestLength: number;
  responseAt: number;
  responseLength: number;
  /** A body was larger than the whole arena. */
  tooLarge: boolean;
}

/** The fields of a row that filters read: the log answers them from its columns, without building the row. */
export type ExchangeFields = Readonly<
  Pick<Exchange, 'id' | 'kind' | 'session' | 'connection' | 'service' | 'server' | 'method' | 'uri' | 'status' | 'requestStart' | 'error' | 'errorCode' | 'lossy'>
>;

export class Exchange {
  readonly id: number;
  kind: ExchangeKind = 'request';
  /** Public id of the client Session, or null. */
  session: string | null = null;
  /** Client Connection id, or null (logins and library calls). */
  connection: number | null = null;
  service: string | null = null;
  server: string | null = null;
  method = '';
  /** Path and query, without scheme or host. */
  uri = '';
  /** Redacted header fields, packed (see {@link packHeaders}); read as `[name, value, ...]`, kept by keepRequestHeaders / keepResponseHeaders. */
  #requestHeaders: string | null = null;
  #requestBody: Buffer | null = null;
  requestBodySize = 0;
  /** When the request was sent, performance.now() ms (0: not sent). */
  requestStart = 0;
  status: number | null = null;
  reason: string | null = null;
  #responseHeaders: string | null = null;
  #responseBody: Buffer | null = null;
  responseBodySize = 0;
  /** When the response head arrived / the exchange ended, performance.now() ms. */
  responseHeadersAt = 0;
  responseEnd = 0;
  /** Milliseconds the request waited in its session queue. */
  queueMs = 0;
  /**
   * The exchange this one sends again, for the same client request: a retry on another server after a failure
   * before any response (refused, reset), or a replay after a re-login. Null for a first attempt.
   */
  retryOf: number | null = null;
  /** Short failure code (`ECONNREFUSED`, `timeout`, `reset`, `incomplete`, `client_aborted`, `cancelled`, ...). */
  error: string | null = null;
  errorCode: ErrorCode | null = null;
  /** Counts as lost data (set when recorded). */
  lossy = false;
  /** Once recorded: the log's arena holds the bodies (positions -1: none kept). */
  #arena: BodyArena | null = null;
  #requestAt = -1;
  #requestLength = 0;
  #responseAt = -1;
  #responseLength = 0;
  #tooLarge = false;

  constructor(id = nextExchangeId()) {
    this.id = id;
  }

  /** The first bytes of the request body (up to the log's `max_body_bytes`), or null (none, or evicted). */
  get requestBody(): Buffer | null {
    return this.#read(this.#requestBody, this.#requestAt, this.#requestLength);
  }
  set requestBody(bytes: Buffer | null) {
    this.#requestBody = bytes !== null && bytes.length > 0 ? bytes : null;
    this.#requestAt = -1;
  }

  /** The first bytes of the response body, or null. */
  get responseBody(): Buffer | null {
    return this.#read(this.#responseBody, this.#responseAt, this.#responseLength);
  }

  set responseBody(bytes: Buffer | null) {
    this.#responseBody = bytes !== null && bytes.length > 0 ? bytes : null;
    this.#responseAt = -1;
  }

  /** At most the first `max` bytes of the kept request body, copying no more (for previews), or null. */
  requestBodyStart(max: number): Buffer | null {
    return this.#read(this.#requestBody, this.#requestAt, this.#requestLength, max);
  }

  /** At most the first `max` bytes of the kept response body, or null. */
  responseBodyStart(max: number): Buffer | null {
    return this.#read(this.#responseBody, this.#responseAt, this.#responseLength, max);
  }

  /** Bytes of the request body kept and still held (0: none kept, or evicted). */
  get requestBodyKept(): number {
    return this.#keptRequestBytes();
  }

  /** Bytes of the response body kept and still held. */
  get responseBodyKept(): number {
    return this.#keptResponseBytes();
  }

  /** Moves the bodies into the log's arena (when the row is recorded): the row keeps only where they are. */
  keepBodiesIn(arena: BodyArena): void {
    this.#arena = arena;
    if (this.#requestBody !== null) {
      this.#requestLength = this.#requestBody.length;
      this.#requestAt = arena.put(this.#requestBody);
      this.#tooLarge ||= this.#requestAt < 0;
      this.#requestBody = null;
    }
    if (this.#responseBody !== null) {
      this.#responseLength = this.#responseBody.length;
      this.#responseAt = arena.put(this.#responseBody);
      this.#tooLarge ||= this.#responseAt < 0;
      this.#responseBody = null;
    }
  }

  /** The body ceiling of the log took this row's bodies away (newer bodies overwrote them). */
  get bodiesEvicted(): boolean {
    return (
      this.#tooLarge ||
      (this.#requestAt >= 0 && this.#keptRequestBytes() === 0) ||
      (this.#responseAt >= 0 && this.#keptResponseBytes() === 0)
    );
  }

  /** One body (at most `max` bytes of it): the bytes before the row is recorded, then what the arena still holds at its position. */
  #read(bytes: Buffer | null, at: number, length: number, max = length): Buffer | null {
    if (this.#arena === null) return bytes !== null && bytes.length > max ? bytes.subarray(0, max) : bytes;
    return at < 0 ? null : this.#arena.get(at, Math.min(length, max));
  }

  #held(bytes: Buffer | null, at: number, length: number): number {
    if (this.#arena === null) return bytes?.length ?? 0;
    return at >= 0 && this.#arena.holds(at, length) ? length : 0;
  }

  #keptRequestBytes(): number {
    return this.#held(this.#requestBody, this.#requestAt, this.#requestLength);
  }

  #keptResponseBytes(): number {
    return this.#held(this.#responseBody, this.#responseAt, this.#responseLength);
  }

  /**
   * @internal Where keepBodiesIn put the bodies, and the packed heads: what the log's row table keeps, written
   * into `into` (the table's own, reused: a row costs no object for this).
   */
  keptInto(into: KeptParts): KeptParts {
    into.arena = this.#arena;
    into.requestHeaders = this.#requestHeaders;
    into.responseHeaders = this.#responseHeaders;
    into.requestAt = this.#requestAt;
    into.requestLength = this.#requestLength;
    into.responseAt = this.#responseAt;
    into.responseLength = this.#responseLength;
    into.tooLarge = this.#tooLarge;
    return into;
  }

  /** @internal A row read back from the log's row table: its heads and where its bodies are. */
  restoreKept(parts: KeptParts): void {
    this.#arena = parts.arena;
    this.#requestHeaders = parts.requestHeaders;
    this.#responseHeaders = parts.responseHeaders;
    this.#requestAt = parts.requestAt;
    this.#requestLength = parts.requestLength;
    this.#responseAt = parts.responseAt;
    this.#responseLength = parts.responseLength;
    this.#tooLarge = parts.tooLarge;
    this.#requestBody = null;
    this.#responseBody = null;
  }

  /** Redacted `[name, value, ...]` as the server received them. */
  get requestHeaders(): string[] {
    return unpackHeaders(this.#requestHeaders) ?? [];
  }

  /** Keeps the fields of the request as the server received them, the values of secret ones replaced. */
  keepRequestHeaders(headers: readonly string[], redactor: Redactor): void {
    this.#requestHeaders = redactor.pack(headers);
  }

  /** Keeps the fields of the response head, the values of secret ones replaced. */
  keepResponseHeaders(headers: readonly string[], redactor: Redactor): void {
    this.#responseHeaders = redactor.pack(headers);
  }

  /** Redacted `[name, value, ...]` of the response, or null when none arrived. */
  get responseHeaders(): string[] | null {
    return unpackHeaders(this.#responseHeaders);
  }

  /** Bodies of logins are never kept (credentials, tokens): they are not "truncated" but withheld. */
  get bodiesWithheld(): boolean {
    return this.kind === 'login';
  }

  get requestBodyTruncated(): boolean {
    return this.#keptRequestBytes() < this.requestBodySize;
  }

  get responseBodyTruncated(): boolean {
    return this.#keptResponseBytes() < this.responseBodySize;
  }

  /** Server time: from the request at the socket to the end of the response (or the failure). */
  get timespanMs(): number | null {
    return this.requestStart > 0 && this.responseEnd > 0 ? this.responseEnd - this.requestStart : null;
  }

  /** Time to the response head. */
  get ttfbMs(): number | null {
    return this.requestStart > 0 && this.responseHeadersAt > 0 ? this.responseHeadersAt - this.requestStart : null;
  }

  /** Bytes kept for bodies (the log's body budget). */
  get keptBytes(): number {
    return this.requestBodyKept + this.responseBodyKept;
  }
}
