/**
 * Exchange: one request/response pair between the gateway and a Server (logins included), one row of the
 * exchange log. A failure is data (`error`, `errorCode`), kept apart from the status: a row exists even when
 * there was no response.
 */
import type { ErrorCode } from '../errors.js';

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
  /** Redacted `[name, value, ...]`. */
  requestHeaders: string[] = [];
  requestBody: Buffer | null = null;
  requestBodySize = 0;
  /** When the request was sent, performance.now() ms (0: not sent). */
  requestStart = 0;
  status: number | null = null;
  reason: string | null = null;
  responseHeaders: string[] | null = null;
  responseBody: Buffer | null = null;
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
  /** The body ceiling of the log took this row's bodies away. */
  bodiesEvicted = false;

  constructor(id = nextExchangeId()) {
    this.id = id;
  }

  /** Bodies of logins are never kept (credentials, tokens): they are not "truncated" but withheld. */
  get bodiesWithheld(): boolean {
    return this.kind === 'login';
  }

  get requestBodyTruncated(): boolean {
    return this.requestBody !== null ? this.requestBody.length < this.requestBodySize : this.requestBodySize > 0;
  }

  get responseBodyTruncated(): boolean {
    return this.responseBody !== null ? this.responseBody.length < this.responseBodySize : this.responseBodySize > 0;
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
    return (this.requestBody?.length ?? 0) + (this.responseBody?.length ?? 0);
  }
}
