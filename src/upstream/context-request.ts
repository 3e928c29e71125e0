/**
 * A whole (buffered) request through an upstream context: the jar's cookies go out, the server's cookies
 * come back into the jar, and the exchange is recorded (kind `login` for logins). Used for logins, custom
 * login functions and the session client library; the gateway's streaming path uses the same jar through
 * the context handler.
 */
import { Exchange, type ExchangeKind } from '../exchange/exchange.js';
import type { ExchangeLog } from '../exchange/exchange-log.js';
import { RecordingHandler } from '../exchange/recorder.js';
import { BufferingHandler, headerValues, type BufferedResponse } from './buffered.js';
import { mergeCookies } from './cookie-jar.js';
import { dispatch, type UpstreamHandler } from './dispatch.js';
import type { UpstreamContext } from './upstream-context.js';

export interface ContextRequest {
  method?: string;
  /** Path and query on the server. */
  path: string;
  /** `[name, value, ...]` or an object. */
  headers?: readonly string[] | Record<string, string>;
  body?: string | Buffer | null;
}

export interface ContextRequestOptions {
  kind?: ExchangeKind;
  log?: ExchangeLog | null;
  /** Public id of the client session the exchange belongs to (for the log). */
  session?: string | null;
  headersTimeout?: number;
  bodyTimeout?: number;
  /** Largest response body accepted (bytes). */
  maxBody?: number;
}

export function flatHeaders(h: ContextRequest['headers']): string[] {
  if (h === undefined) return [];
  if (Array.isArray(h)) return [...(h as readonly string[])];
  const out: string[] = [];
  for (const [k, v] of Object.entries(h as Record<string, string>)) out.push(k, v);
  return out;
}

export function contextRequest(context: UpstreamContext, req: ContextRequest, options: ContextRequestOptions = {}): Promise<BufferedResponse> {
  const server = context.server;
  const headers = flatHeaders(req.headers);
  const url = context.url(server.basePath + req.path);
  mergeCookies(headers, context.jar.cookieHeader(url));
  headers.push('host', server.host);
  const body = req.body === undefined || req.body === null ? null : typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
  context.stats.requests++;
  context.lastUsed = Date.now();
  return new Promise<BufferedResponse>((resolve, reject) => {
    const buffering = new BufferingHandler(
      options.maxBody ?? 16 * 1024 * 1024,
      (res) => {
        context.jar.absorb(headerValues(res.headers, 'set-cookie'), url);
        resolve(res);
      },
      reject,
    );
    const log = options.log;
    let recorder: RecordingHandler | null = null;
    if (log?.enabled) {
      const ex = new Exchange();
      ex.kind = options.kind ?? 'request';
      ex.session = options.session ?? null;
      ex.service = context.service;
      ex.server = server.name;
      ex.method = req.method ?? 'GET';
      ex.uri = server.basePath + req.path;
      ex.keepRequestHeaders(headers, log.redactor);
      const captured = body;
      recorder = new RecordingHandler(log, ex, buffering, captured && { size: captured.length, captured: () => captured.subarray(0, log.maxBodyBytes) });
    }
    const handler: UpstreamHandler = recorder ?? buffering;
    const call = dispatch(
      server,
      { method: req.method ?? 'GET', path: req.path, headers, body, headersTimeout: options.headersTimeout ?? 30_000, bodyTimeout: options.bodyTimeout ?? 30_000 },
      handler,
    );
    recorder?.attach(call);
  });
}
