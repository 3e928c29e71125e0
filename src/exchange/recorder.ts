/**
 * The recorder: fills an Exchange while a request streams through, as a decorator of the upstream handler
 * chain (as undici decorates its own handlers). It copies at most `maxBodyBytes` of the response body,
 * never holds the stream back, and records the row when the exchange ends, failures included.
 */
import { ERRORS, type ErrorCode, type ErrorSpec } from '../errors.js';
import type { Duplex } from 'node:stream';
import type { UpstreamCall, UpstreamFailure, UpstreamHandler } from '../upstream/dispatch.js';
import type { Exchange } from './exchange.js';
import type { ExchangeLog } from './exchange-log.js';
import { BodyCapture } from './redact.js';

/** Where a row gets the request body it reports: what was captured and the full size. */
export interface RequestBodySource {
  readonly size: number;
  captured(): Buffer | null;
}

export class RecordingHandler implements UpstreamHandler {
  readonly #log: ExchangeLog;
  readonly #ex: Exchange;
  readonly #next: UpstreamHandler;
  readonly #body: RequestBodySource | null;
  #call: UpstreamCall | null = null;
  #capture: BodyCapture | null = null;
  #done = false;

  constructor(log: ExchangeLog, ex: Exchange, next: UpstreamHandler, body: RequestBodySource | null) {
    this.#log = log;
    this.#ex = ex;
    this.#next = next;
    this.#body = body;
  }

  /** The call whose timings the row reports (set right after dispatch). */
  attach(call: UpstreamCall): void {
    this.#call = call;
  }

  get exchange(): Exchange {
    return this.#ex;
  }

  onRequestStart(): void {
    this.#next.onRequestStart?.();
  }

  onInformational(status: number, headers: string[], reason: string): void {
    this.#next.onInformational?.(status, headers, reason);
  }

  onResponseStart(status: number, headers: string[], reason: string, resume: () => void): boolean {
    const ex = this.#ex;
    ex.status = status;
    ex.reason = reason;
    ex.keepResponseHeaders(headers, this.#log.redactor);
    // Login exchanges carry credentials and session tokens: their bodies are counted, never kept.
    this.#capture = new BodyCapture(this.#ex.kind === 'login' ? 0 : this.#log.maxBodyBytes);
    return this.#next.onResponseStart(status, headers, reason, resume);
  }

  onResponseData(chunk: Buffer): boolean {
    this.#capture?.add(chunk);
    return this.#next.onResponseData(chunk);
  }

  onResponseEnd(): void {
    // The client gets the end of its response first; the row is written after, in the same tick.
    try {
      this.#next.onResponseEnd();
    } finally {
      this.#finish();
    }
  }

  onResponseError(failure: UpstreamFailure): void {
    const spec: ErrorSpec = ERRORS[failure.code];
    this.#ex.error = spec.exchangeError ?? failure.code;
    this.#ex.errorCode = failure.code;
    if (failure.code === 'SG_ERR_CLIENT_ABORTED' && this.#ex.status === null) this.#ex.status = 499;
    this.#finish();
    this.#next.onResponseError(failure);
  }

  onUpgrade(status: number, headers: string[], socket: Duplex): void {
    this.#ex.status = status;
    this.#ex.reason = 'Switching Protocols';
    this.#ex.keepResponseHeaders(headers, this.#log.redactor);
    this.#finish();
    this.#next.onUpgrade?.(status, headers, socket);
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    const ex = this.#ex;
    const t = this.#call?.timings;
    if (t !== undefined) {
      ex.requestStart = t.requestStart || t.dispatched;
      ex.responseHeadersAt = t.responseHeaders;
      ex.responseEnd = t.responseEnd > 0 ? t.responseEnd : performance.now();
    } else {
      ex.requestStart = ex.responseEnd = performance.now();
    }
    if (this.#capture !== null) {
      ex.responseBody = this.#capture.take();
      ex.responseBodySize = this.#capture.size;
    }
    if (this.#body !== null) {
      ex.requestBody = ex.kind === 'login' ? null : this.#body.captured();
      ex.requestBodySize = this.#body.size;
    }
    this.#log.record(ex);
  }
}

/** A row for a request the gateway answered itself before any server saw it (queue full, no server, ...). */
export function recordGatewayError(log: ExchangeLog, ex: Exchange, code: ErrorCode, at: number): void {
  const spec: ErrorSpec = ERRORS[code];
  ex.status = code === 'SG_ERR_CLIENT_ABORTED' ? 499 : spec.status;
  ex.reason = spec.message;
  ex.error = spec.exchangeError ?? code;
  ex.errorCode = code;
  ex.requestStart = at;
  ex.responseEnd = performance.now();
  log.record(ex);
}
