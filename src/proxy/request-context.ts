/** Everything the gateway knows about one client request while it is being handled. */
import type { ErrorCode } from '../errors.js';
import type { ExchangeLog } from '../exchange/exchange-log.js';
import type { Connection, IncomingRequest, RequestId } from '../listener/index.js';
import type { Service } from '../service/index.js';
import type { Session } from '../session/index.js';
import type { UpstreamCall } from '../upstream/dispatch.js';
import type { Server } from '../upstream/server.js';
import type { ClientResponder } from './client-response.js';
import type { RequestBody } from './request-body.js';

export class RequestContext {
  readonly connection: Connection;
  readonly request: IncomingRequest;
  readonly id: RequestId;
  /** Request fields for the server (hop-by-hop removed, X-Forwarded-* set); `host` is added per attempt. */
  readonly headers: string[];
  /** The client's Host (or the authority of an absolute-form target). */
  host = '';
  /** Normalized path and the query (with its `?`), as matched and forwarded. */
  path = '';
  query = '';
  readonly expectContinue: boolean;
  readonly body: RequestBody | null;
  /** The exchange log rows of this request go to. */
  readonly log: ExchangeLog;
  service: Service | null = null;
  /** The client's Session (null: the service has none, or it ended while the request waited). */
  session: Session | null = null;
  server: Server | null = null;
  /** Milliseconds spent waiting in the session queue. */
  queueMs = 0;
  /** Header fields the gateway adds to the response (Set-Cookie of a new session, Session-Id). */
  readonly responseHeaders: string[] = [];
  /** Changes filters make to the response head, in order. */
  responseTransforms: ((headers: string[]) => string[])[] | null = null;
  /** The upstream request in progress, to abort it on cancel. */
  call: UpstreamCall | null = null;
  /** Passes the current attempt's response to the client. */
  responder: ClientResponder | null = null;
  /** Response body bytes passed to the client. */
  responseBytes = 0;
  /** Status sent to the client (0 until a response starts). */
  status = 0;
  /** The gateway error this request was answered with, if any. */
  errorCode: ErrorCode | null = null;
  /** An exchange row was recorded for this request (an attempt, or a gateway error). */
  recorded = false;
  /** The id of the last attempt's exchange row: the next attempt's row says it repeats that one. */
  lastExchangeId: number | null = null;
  /** Why the request was cancelled (client gone, session killed), or null. */
  cancelled: ErrorCode | null = null;
  #onCancel: (() => void) | null = null;

  constructor(connection: Connection, request: IncomingRequest, headers: string[], expectContinue: boolean, body: RequestBody | null, log: ExchangeLog) {
    this.connection = connection;
    this.log = log;
    this.request = request;
    this.id = request.id;
    this.headers = headers;
    this.expectContinue = expectContinue;
    this.body = body;
  }

  /** Registers what to undo when the request is cancelled while waiting (e.g. leave a session queue). */
  set onCancel(fn: (() => void) | null) {
    this.#onCancel = fn;
  }

  onResponseHead(transform: (headers: string[]) => string[]): void {
    (this.responseTransforms ??= []).push(transform);
  }

  /** The response head as it goes to the client: filters' changes, then the gateway's own fields. */
  finalResponseHeaders(headers: string[]): string[] {
    let out = headers;
    if (this.responseTransforms !== null) for (const t of this.responseTransforms) out = t(out);
    if (this.responseHeaders.length > 0) out = out.concat(this.responseHeaders);
    return out;
  }

  cancel(code: ErrorCode): void {
    if (this.cancelled !== null) return;
    this.cancelled = code;
    this.call?.abort(code);
    this.body?.fail(new Error(code));
    const fn = this.#onCancel;
    this.#onCancel = null;
    fn?.();
  }
}
