/**
 * The one error table of sessiongate: every error the gateway generates has a stable code, an HTTP status,
 * a short message for the client, and whether it is transient (worth retrying later) or permanent.
 * `docs/errors.md` is generated from this table (`npm run docs`) and a test keeps them in step.
 */

export interface ErrorSpec {
  /** HTTP status sent to the client when this error ends a request. */
  readonly status: number;
  /** Short, client-safe description: no addresses, no stack traces. */
  readonly message: string;
  /** Transient: the same request may succeed later. Permanent: it will not. */
  readonly transient: boolean;
  /** The short failure code recorded in `exchange.error`, when the error concerns an exchange. */
  readonly exchangeError?: string;
  /** Send `Retry-After` (seconds) with the response. */
  readonly retryAfter?: number;
  /** Close the client connection after answering. */
  readonly close?: boolean;
}

export const ERRORS = {
  // Client side: the request itself is wrong.
  SG_ERR_BAD_REQUEST: { status: 400, message: 'Malformed HTTP request', transient: false, close: true },
  SG_ERR_URI_TOO_LONG: { status: 414, message: 'Request target too long', transient: false, close: true },
  SG_ERR_HEADERS_TOO_LARGE: { status: 431, message: 'Request header fields too large or too many', transient: false, close: true },
  SG_ERR_BODY_TOO_LARGE: { status: 413, message: 'Request body too large', transient: false, close: true },
  SG_ERR_REQUEST_TIMEOUT: { status: 408, message: 'Request not received in time', transient: true, close: true },
  SG_ERR_UNSUPPORTED_TRANSFER_CODING: { status: 501, message: 'Transfer coding not implemented', transient: false, close: true },
  SG_ERR_EXPECTATION_FAILED: { status: 417, message: 'Expectation not supported', transient: false },
  SG_ERR_HTTP_VERSION: { status: 505, message: 'HTTP version not supported', transient: false, close: true },
  SG_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed', transient: false },
  SG_ERR_NO_SERVICE: { status: 404, message: 'No service matches this request', transient: false },
  SG_ERR_CLIENT_ABORTED: { status: 499, message: 'Client closed the request', transient: true, exchangeError: 'client_aborted' },

  // Sessions.
  SG_ERR_SESSION_QUEUE_FULL: { status: 503, message: 'Too many requests waiting in this session', transient: true, retryAfter: 1 },
  SG_ERR_SESSION_QUEUE_TIMEOUT: { status: 503, message: 'Request waited too long in the session queue', transient: true, retryAfter: 1 },
  SG_ERR_SESSION_KILLED: { status: 503, message: 'The session was ended', transient: true, exchangeError: 'cancelled', retryAfter: 1 },
  SG_ERR_SESSION_ADDRESS_MISMATCH: { status: 403, message: 'Session used from another address', transient: false },
  SG_ERR_THROTTLED: { status: 429, message: 'Request rate limit of this session exceeded', transient: true, retryAfter: 1 },
  SG_ERR_STORE_UNAVAILABLE: { status: 503, message: 'Session store unavailable', transient: true, retryAfter: 2 },

  // Upstream side: the server or the way to it failed.
  SG_ERR_NO_SERVER_AVAILABLE: { status: 503, message: 'No server available for this service', transient: true, exchangeError: 'no_server', retryAfter: 1 },
  SG_ERR_UPSTREAM_REFUSED: { status: 502, message: 'Upstream server refused the connection', transient: true, exchangeError: 'ECONNREFUSED' },
  SG_ERR_UPSTREAM_UNREACHABLE: { status: 502, message: 'Upstream server unreachable', transient: true, exchangeError: 'unreachable' },
  SG_ERR_UPSTREAM_CONNECT_TIMEOUT: { status: 504, message: 'Upstream server did not accept the connection in time', transient: true, exchangeError: 'connect_timeout' },
  SG_ERR_UPSTREAM_TIMEOUT: { status: 504, message: 'Upstream server did not answer in time', transient: true, exchangeError: 'timeout' },
  SG_ERR_UPSTREAM_BODY_TIMEOUT: { status: 504, message: 'Upstream server stalled while sending the response', transient: true, exchangeError: 'body_timeout' },
  SG_ERR_UPSTREAM_RESET: { status: 502, message: 'Upstream connection reset', transient: true, exchangeError: 'reset' },
  SG_ERR_UPSTREAM_BAD_RESPONSE: { status: 502, message: 'Upstream server sent an invalid response', transient: false, exchangeError: 'bad_response' },
  SG_ERR_UPSTREAM_INCOMPLETE: { status: 502, message: 'Upstream response ended early', transient: true, exchangeError: 'incomplete' },
  SG_ERR_LOGIN_FAILED: { status: 502, message: 'Login to the upstream server failed', transient: true, exchangeError: 'login_failed' },
  SG_ERR_LOGIN_BACKOFF: { status: 502, message: 'Login to the upstream server failed recently; waiting before the next attempt', transient: true, exchangeError: 'login_backoff', retryAfter: 1 },

  // The gateway itself.
  SG_ERR_DRAINING: { status: 503, message: 'Gateway is shutting down', transient: true, retryAfter: 1, close: true },
  SG_ERR_INTERNAL: { status: 500, message: 'Internal gateway error', transient: false, exchangeError: 'internal' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * When each error happens: the decision table of docs/errors.md (a condition per code, so a reader can go
 * from "what did the client do / what did the server do" to the status). Config fields are named as in a file.
 */
export const ERROR_CONDITIONS = {
  SG_ERR_BAD_REQUEST:
    'Malformed request line, header syntax or framing: Content-Length with Transfer-Encoding, a duplicate or invalid Content-Length, chunked not last, a bad chunk size or extension, obs-fold, bare CR, NUL, two Host fields, no Host on HTTP/1.1, userinfo in an absolute-form target, a path that leaves the root once normalized. Answered after the good pipelined requests before it.',
  SG_ERR_URI_TOO_LONG: 'The request target is longer than `listeners[].limits.max_uri_length`.',
  SG_ERR_HEADERS_TOO_LARGE:
    'More header fields than `listeners[].limits.max_header_count`, or a request head larger than `max_header_size` (fields are never dropped silently).',
  SG_ERR_BODY_TOO_LARGE:
    'Content-Length above `listeners[].limits.max_body_size` (answered before reading the body), or a chunked body that grows beyond it.',
  SG_ERR_REQUEST_TIMEOUT:
    'The request head did not arrive within `listeners[].timeouts.headers` (slowloris), or its body within `timeouts.request`.',
  SG_ERR_UNSUPPORTED_TRANSFER_CODING: 'A Transfer-Encoding other than plain `chunked` (gzip, deflate, …).',
  SG_ERR_EXPECTATION_FAILED: 'An `Expect` other than `100-continue`.',
  SG_ERR_HTTP_VERSION: 'An HTTP version other than 1.0 and 1.1.',
  SG_ERR_METHOD_NOT_ALLOWED: 'A method in `listeners[].deny_methods` (CONNECT and TRACE by default).',
  SG_ERR_NO_SERVICE: 'No service of the listener matches the request\'s host and path.',
  SG_ERR_CLIENT_ABORTED:
    'The client closed (or half-closed) its connection before its response was complete: nothing is sent, the upstream request is aborted, the row says 499.',
  SG_ERR_SESSION_QUEUE_FULL: '`services[].session.max_queue` requests of the session already wait behind the running one.',
  SG_ERR_SESSION_QUEUE_TIMEOUT: 'The request waited longer than `services[].session.queue_timeout` in its session\'s queue.',
  SG_ERR_SESSION_KILLED: 'The session was killed (admin API, CLI, web UI) while this request ran; the requests waiting behind it go on without the session.',
  SG_ERR_SESSION_ADDRESS_MISMATCH: '`services[].session.bind_address` is on and the token comes from another client address.',
  SG_ERR_THROTTLED: 'A `throttle` filter: the session made more than `rate` requests per `per`.',
  SG_ERR_STORE_UNAVAILABLE: 'The session store (Redis) did not answer within `store.command_timeout`, or is disconnected.',
  SG_ERR_NO_SERVER_AVAILABLE:
    'Every server of the service is draining, or down with a probe request already in progress (see `servers[].down_interval`).',
  SG_ERR_UPSTREAM_REFUSED: 'The server refused the connection (a GET, HEAD, OPTIONS, PUT or DELETE is first retried once on another server).',
  SG_ERR_UPSTREAM_UNREACHABLE: 'The server\'s host could not be resolved or reached (retried once like a refusal).',
  SG_ERR_UPSTREAM_CONNECT_TIMEOUT: 'No connection within `services[].upstream.timeouts.connect` (retried once like a refusal).',
  SG_ERR_UPSTREAM_TIMEOUT: 'No response head within `services[].upstream.timeouts.response_headers`.',
  SG_ERR_UPSTREAM_BODY_TIMEOUT:
    'The response body was silent longer than `services[].upstream.timeouts.body_idle` (after the head: the client\'s response is cut off).',
  SG_ERR_UPSTREAM_RESET:
    'The connection closed or reset before any response (an idempotent request with a replayable body is retried once; a POST never is).',
  SG_ERR_UPSTREAM_BAD_RESPONSE: 'The server sent something that is not a valid HTTP/1.1 response (garbage, bad framing, an unsolicited 100 Continue).',
  SG_ERR_UPSTREAM_INCOMPLETE:
    'The response ended early (reset, closed or a short body after the head was sent): the client\'s response is cut off, never completed with a fake end.',
  SG_ERR_LOGIN_FAILED: 'The upstream login request failed or its answer did not pass `auth.success` (the next request tries again after the back-off).',
  SG_ERR_LOGIN_BACKOFF: 'A login of this upstream context failed moments ago: until `upstream.login_backoff` has passed, requests fail without trying.',
  SG_ERR_DRAINING: 'The gateway is shutting down: a request arriving during a graceful stop.',
  SG_ERR_INTERNAL: 'A bug: an unexpected exception while handling the request (logged at error level with its stack).',
} as const satisfies Record<ErrorCode, string>;

/** An error the gateway raises on purpose; `code` names its row in {@link ERRORS}. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly transient: boolean;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const spec: ErrorSpec = ERRORS[code];
    super(detail ?? spec.message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.status = spec.status;
    this.transient = spec.transient;
  }
}

/** How often each error ended a request (read by the metrics). */
export const ERROR_COUNTS: Partial<Record<ErrorCode, number>> = {};

export function countError(code: ErrorCode): void {
  ERROR_COUNTS[code] = (ERROR_COUNTS[code] ?? 0) + 1;
}

/** How often a response was cut off after it began (the client had its status), by cause (read by the metrics). */
export const CUT_COUNTS: Partial<Record<ErrorCode, number>> = {};

export function countCut(code: ErrorCode): void {
  CUT_COUNTS[code] = (CUT_COUNTS[code] ?? 0) + 1;
}

export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERRORS[code];
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

/** The body of a gateway-generated error response: short, stable, no internals. */
export function errorBody(code: ErrorCode): string {
  const spec: ErrorSpec = ERRORS[code];
  return `{"error":"${code}","status":${spec.status},"detail":"${spec.message}"}\n`;
}
