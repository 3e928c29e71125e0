/**
 * Streaming dispatch of a request to a server of its service:
 * router picks a server -> upstream context (cookies, login once, re-auth on expiry) -> dispatch through the
 * handler chain (exchange recorder -> upstream context -> client responder).
 *
 * At most one retry when it is safe: an idempotent request with a replayable body whose bytes could not have
 * been acted on (refused, connect timeout, reset before any response). At most one replay after the server
 * says its session is gone, when the request can be sent again. Every failure without a response becomes a
 * gateway error from the error table.
 */
import type { ErrorCode } from '../errors.js';
import { Exchange } from '../exchange/exchange.js';
import { RecordingHandler } from '../exchange/recorder.js';
import type { RouterSession } from '../router/index.js';
import { ContextHandler } from '../upstream/context-handler.js';
import { mergeCookies } from '../upstream/cookie-jar.js';
import { credentialsFrom, NO_CREDENTIALS, type ClientCredentials } from '../upstream/credentials.js';
import { dispatch, type UpstreamCall, type UpstreamFailure, type UpstreamHandler, type UpstreamRequest } from '../upstream/dispatch.js';
import type { Server } from '../upstream/server.js';
import type { UpstreamContext } from '../upstream/upstream-context.js';
import { ClientResponder, type AttemptOutcome } from './client-response.js';
import type { RequestContext } from './request-context.js';
import { respondError } from './respond.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRYABLE = new Set<ErrorCode>(['SG_ERR_UPSTREAM_REFUSED', 'SG_ERR_UPSTREAM_CONNECT_TIMEOUT', 'SG_ERR_UPSTREAM_UNREACHABLE', 'SG_ERR_UPSTREAM_RESET']);

export async function forward(ctx: RequestContext, routerSession: RouterSession | null): Promise<void> {
  const service = ctx.service!;
  const policy = service.upstream;
  if (ctx.expectContinue && ctx.body !== null && !ctx.body.ended) ctx.connection.sendContinue(ctx.id);
  // A small body is gathered whole first: one write upstream, and a request that can be retried or replayed.
  if (ctx.body !== null && !ctx.body.ended) await ctx.body.settle(policy.config.replayMaxBody);
  const creds = policy.auth.perClient || policy.auth.type !== 'none' ? credentialsFrom(ctx.request.header('authorization')) : NO_CREDENTIALS;
  let exclude: Server | null = null;
  let pinned: Server | null = null;
  let replays = 0;
  for (let attempt = 1; ; attempt++) {
    // Cancelled before (or between) attempts: the client is answered with the reason, if still there.
    if (ctx.cancelled !== null) return respondError(ctx, ctx.cancelled);
    const server: Server | null = pinned ?? service.router.pick({ routerSession, exclude });
    if (server === null) return respondError(ctx, 'SG_ERR_NO_SERVER_AVAILABLE');
    const context = policy.contextFor(server, ctx.session, creds);
    if (context !== null && policy.auth.needsLogin) await logIn(ctx, context, creds);
    if (ctx.cancelled !== null) return respondError(ctx, ctx.cancelled);
    const outcome = await attemptOn(ctx, server, context, creds, replays === 0 && replayable(ctx));
    if (outcome === null) return;
    if (outcome === 'expired') {
      // The server's session is gone: log in again and replay, once, on the same server.
      replays++;
      pinned = server;
      attempt--;
      continue;
    }
    if (ctx.cancelled !== null) return respondError(ctx, ctx.cancelled);
    if (attempt === 1 && canRetry(ctx, outcome)) {
      exclude = server;
      continue;
    }
    return respondError(ctx, outcome.code);
  }
}

/** One login for the context, shared by concurrent requests; failures throw SG_ERR_LOGIN_* (502). */
async function logIn(ctx: RequestContext, context: UpstreamContext, creds: ClientCredentials): Promise<void> {
  const policy = ctx.service!.upstream;
  const timeouts = policy.config.timeouts;
  const pending = context.ensureLoggedIn(
    (c) =>
      policy.loginOnce(c, () =>
        policy.auth.login(c, creds, { log: ctx.log.enabled ? ctx.log : null, session: ctx.session?.id ?? null, headersTimeout: timeouts.responseHeaders, bodyTimeout: timeouts.bodyIdle }),
      ),
    policy.config.loginBackoff,
  );
  if (pending !== null) await pending;
}

function attemptOn(ctx: RequestContext, server: Server, context: UpstreamContext | null, creds: ClientCredentials, canReplay: boolean): Promise<AttemptOutcome> {
  const service = ctx.service!;
  const policy = service.upstream;
  const upstream = policy.config;
  ctx.server = server;
  const path = service.upstreamPath(ctx.path, ctx.query);
  const headers = upstreamHeaders(ctx, server, context, creds, path);
  const request: UpstreamRequest = {
    method: ctx.request.method,
    path,
    headers,
    body: ctx.body === null ? null : ctx.body.take(),
    headersTimeout: upstream.timeouts.responseHeaders,
    bodyTimeout: upstream.timeouts.bodyIdle,
    upgrade: allowedUpgrade(ctx),
  };
  return new Promise<AttemptOutcome>((resolve) => {
    server.active++;
    let settled = false;
    let call: UpstreamCall | null = null;
    const finish = (outcome: AttemptOutcome): void => {
      if (settled) return;
      settled = true;
      server.active--;
      if (context !== null && call !== null) {
        context.stats.writes += call.stats.writes;
        context.stats.bytesSent += call.stats.bytesSent;
        context.stats.bytesReceived += call.stats.bytesReceived;
      }
      ctx.call = null;
      resolve(outcome);
    };
    const responder = new ClientResponder(ctx, finish, context?.stats ?? null);
    ctx.responder = responder;
    let handler: UpstreamHandler = responder;
    if (context !== null) {
      context.stats.requests++;
      context.lastUsed = Date.now();
      handler = new ContextHandler(context, policy.expiry, handler, {
        url: server.origin + server.basePath + path,
        replayable: canReplay,
        forwardSetCookie: upstream.reuse === 'none' || upstream.forwardSetCookie,
        onExpired: () => finish('expired'),
      });
    }
    const recorder = ctx.log.enabled ? recorderFor(ctx, server, request, handler) : null;
    call = dispatch(server, request, recorder ?? handler);
    if (!settled) ctx.call = call;
    recorder?.attach(call);
  });
}

/**
 * The request's fields for this server. Without an upstream context or credentials to add, the shared list
 * is used in place (Host is its last pair); otherwise a copy gets the jar's cookies and the service's
 * Authorization instead of the client's.
 */
function upstreamHeaders(ctx: RequestContext, server: Server, context: UpstreamContext | null, creds: ClientCredentials, path: string): string[] {
  const policy = ctx.service!.upstream;
  const host = policy.config.preserveHost && ctx.host ? ctx.host : server.host;
  if (context === null && policy.auth.type === 'none') {
    const headers = ctx.headers;
    if (headers[headers.length - 2] === 'host') headers[headers.length - 1] = host;
    else headers.push('host', host);
    return headers;
  }
  const headers = ctx.headers.filter((_, i, a) => {
    const name = (i % 2 === 0 ? a[i] : a[i - 1])!.toLowerCase();
    return name !== 'host' && (policy.auth.type === 'none' || name !== 'authorization');
  });
  const authorization = policy.auth.authorization(creds);
  if (authorization !== null) headers.push('authorization', authorization);
  if (context !== null) mergeCookies(headers, context.jar.cookieHeader(server.origin + server.basePath + path));
  headers.push('host', host);
  return headers;
}

/** The protocol a request may upgrade to, or null (not an upgrade, or a protocol the service does not allow). */
function allowedUpgrade(ctx: RequestContext): string | null {
  if (!ctx.request.upgrade) return null;
  const wanted = ctx.request.header('upgrade');
  if (wanted === undefined) return null;
  const allowed = ctx.service!.upstream.config.upgrades;
  return allowed.some((p) => p.toLowerCase() === wanted.trim().toLowerCase()) ? wanted : null;
}

/** A request can be sent again after a re-login when its whole body was kept (and is small enough). */
function replayable(ctx: RequestContext): boolean {
  if (ctx.request.upgrade) return false;
  if (ctx.body === null) return true;
  return ctx.body.buffered !== null && ctx.body.size <= ctx.service!.upstream.config.replayMaxBody;
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
  ex.keepRequestHeaders(request.headers, ctx.log.redactor);
  ex.queueMs = ctx.queueMs;
  ex.retryOf = ctx.lastExchangeId;
  ctx.lastExchangeId = ex.id;
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
