/**
 * Streaming dispatch of a request to a server of its service, with at most one retry when that is safe:
 * an idempotent request with a replayable body whose bytes could not have been acted on (the connection was
 * refused, timed out, or was reset before any response). Every failure without a response becomes a
 * gateway error from the error table.
 */
import type { ErrorCode } from '../errors.js';
import type { RouterSession } from '../router/index.js';
import { Exchange } from '../exchange/exchange.js';
import { RecordingHandler } from '../exchange/recorder.js';
import { redactHeaders } from '../exchange/redact.js';
import { dispatch, type UpstreamFailure, type UpstreamHandler, type UpstreamRequest } from '../upstream/dispatch.js';
import type { Server } from '../upstream/server.js';
import { ClientResponder, type AttemptOutcome } from './client-response.js';
import type { RequestContext } from './request-context.js';
import { respondError } from './respond.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRYABLE = new Set<ErrorCode>(['SG_ERR_UPSTREAM_REFUSED', 'SG_ERR_UPSTREAM_CONNECT_TIMEOUT', 'SG_ERR_UPSTREAM_UNREACHABLE', 'SG_ERR_UPSTREAM_RESET']);

export async function forward(ctx: RequestContext, routerSession: RouterSession | null): Promise<void> {
  const service = ctx.service!;
  if (ctx.expectContinue && ctx.body !== null && !ctx.body.ended) ctx.connection.sendContinue(ctx.id);
  let exclude: Server | null = null;
  for (let attempt = 1; ; attempt++) {
    // Cancelled before (or between) attempts: the client is answered with the reason, if still there.
    if (ctx.cancelled !== null) return respondError(ctx, ctx.cancelled);
    const server = service.router.pick({ routerSession, exclude });
    if (server === null) return respondError(ctx, 'SG_ERR_NO_SERVER_AVAILABLE');
    const failure = await attemptOn(ctx, server);
    if (failure === null) return;
    if (ctx.cancelled !== null) return respondError(ctx, ctx.cancelled);
    if (attempt === 1 && canRetry(ctx, failure)) {
      exclude = server;
      continue;
    }
    return respondError(ctx, failure.code);
  }
}

function attemptOn(ctx: RequestContext, server: Server): Promise<AttemptOutcome> {
  const service = ctx.service!;
  const upstream = service.config.upstream;
  ctx.server = server;
  const headers = ctx.headers;
  const host = upstream.preserveHost && ctx.host ? ctx.host : server.host;
  // Host is the last pair; a retry on another server replaces it.
  if (headers[headers.length - 2] === 'host') headers[headers.length - 1] = host;
  else headers.push('host', host);
  const request: UpstreamRequest = {
    method: ctx.request.method,
    path: service.upstreamPath(ctx.path, ctx.query),
    headers,
    body: ctx.body === null ? null : ctx.body.take(),
    headersTimeout: upstream.timeouts.responseHeaders,
    bodyTimeout: upstream.timeouts.bodyIdle,
    upgrade: ctx.request.upgrade ? (ctx.request.header('upgrade') ?? null) : null,
  };
  return new Promise<AttemptOutcome>((resolve) => {
    server.active++;
    const responder = new ClientResponder(ctx, (outcome) => {
      server.active--;
      ctx.call = null;
      resolve(outcome);
    });
    ctx.responder = responder;
    const recorder = ctx.log.enabled ? recorderFor(ctx, server, request, responder) : null;
    const handler: UpstreamHandler = recorder ?? responder;
    ctx.call = dispatch(server, request, handler);
    recorder?.attach(ctx.call);
  });
}

/** The exchange-log decorator of one attempt: the row describes the request as this server receives it. */
function recorderFor(ctx: RequestContext, server: Server, request: UpstreamRequest, next: UpstreamHandler): RecordingHandler {
  ctx.recorded = true;
  const ex = new Exchange();
  ex.session = ctx.session?.id ?? null;
  ex.connection = ctx.connection.id;
  ex.service = ctx.service!.name;
  ex.server = server.name;
  ex.method = request.method;
  ex.uri = server.basePath + request.path;
  ex.requestHeaders = redactHeaders(request.headers, ctx.log.redact);
  ex.queueMs = ctx.queueMs;
  return new RecordingHandler(ctx.log, ex, next, ctx.body);
}

function canRetry(ctx: RequestContext, failure: UpstreamFailure): boolean {
  return (
    ctx.service!.config.upstream.retry &&
    !failure.responseStarted &&
    RETRYABLE.has(failure.code) &&
    IDEMPOTENT.has(ctx.request.method) &&
    !ctx.request.upgrade &&
    (ctx.body === null || ctx.body.buffered !== null)
  );
}
