/**
 * The request path, top to bottom, one step per line; each failure is one code of the error table:
 * method allowed -> target -> service -> session -> session queue -> filters -> router/upstream dispatch.
 */
import { GatewayError, type ErrorCode } from '../errors.js';
import type { ExchangeLog } from '../exchange/exchange-log.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { runFilters } from '../filter/index.js';
import { hostWithoutPort, normalizePath, type Service, type ServiceTable } from '../service/index.js';
import { scrubReferer, takeCookie, takeParam, type SessionTable } from '../session/index.js';
import { forward } from './forward.js';
import type { RequestContext } from './request-context.js';
import { respondError } from './respond.js';
import { resolveSession, takeTurn } from './session-step.js';

export interface ProxyPolicy {
  /** Services of the listener. */
  services: ServiceTable;
  /** Methods answered 405. */
  denyMethods: ReadonlySet<string>;
  sessions: SessionTable;
  log: ExchangeLog;
  metrics: GatewayMetrics | null;
}

export async function handleRequest(policy: ProxyPolicy, ctx: RequestContext): Promise<void> {
  if (policy.denyMethods.has(ctx.request.method)) return refuse(ctx, policy, 'SG_ERR_METHOD_NOT_ALLOWED');
  if (!parseTarget(ctx)) return refuse(ctx, policy, 'SG_ERR_BAD_REQUEST');
  if (ctx.host) ctx.headers.push('x-forwarded-host', ctx.host);
  const service = policy.services.match(hostWithoutPort(ctx.host), ctx.path);
  scrubSessionTokens(ctx, policy.services, service);
  if (service === null) return respondError(ctx, 'SG_ERR_NO_SERVICE');
  ctx.service = service;
  service.counters.requests++;
  try {
    // The session steps answer at once when the store has the session at hand: awaited only when they wait.
    const resolved = resolveSession(ctx, policy.sessions);
    const session = resolved instanceof Promise ? await resolved : resolved;
    if (session === null) return await runFilters(service.filters, ctx, () => forward(ctx, null));
    let turn: Awaited<ReturnType<typeof takeTurn>> = null;
    try {
      const taken = takeTurn(ctx, session, policy.sessions);
      turn = taken instanceof Promise ? await taken : taken;
      if (turn === null) return;
      // Counted once the turn is taken: a shared store has just brought the session up to date.
      session.requests++;
      await runFilters(service.filters, ctx, () => forward(ctx, ctx.session));
    } finally {
      if (turn !== null) {
        session.queue.leave(ctx);
        if (ctx.status >= 400 || ctx.errorCode !== null) session.errors++;
        session.bytesIn += ctx.body?.size ?? 0;
        session.bytesOut += ctx.responseBytes;
        const released = policy.sessions.release(session, turn === 'run' ? null : turn);
        if (released instanceof Promise) await released.catch(() => {});
      }
    }
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    respondError(ctx, err.code);
  } finally {
    policy.metrics?.requestDone(service.name, ctx.server?.name ?? null, ctx.status, (performance.now() - ctx.request.receivedAt) / 1000);
  }
}

/** Answers a request refused before any service was matched (its row has no tokens either). */
function refuse(ctx: RequestContext, policy: ProxyPolicy, code: ErrorCode): void {
  scrubSessionTokens(ctx, policy.services, null);
  respondError(ctx, code);
}

/**
 * Removes the session tokens of the listener's services that this request's own service does not take
 * itself (its own cookie and parameter are taken when its session is resolved): other services' cookies,
 * every token parameter in Referer, and, for a request no service serves, token parameters in its query.
 * Neither a server nor the exchange log ever sees them.
 */
function scrubSessionTokens(ctx: RequestContext, table: ServiceTable, service: Service | null): void {
  const own = service?.config.session;
  for (const name of table.sessionCookies) if (own?.mode !== 'cookie' || own.cookie !== name) takeCookie(ctx.headers, name);
  for (const name of table.sessionParams) {
    scrubReferer(ctx.headers, name);
    if (service === null) ctx.query = takeParam(ctx.query, name).query;
  }
}

/** Splits the request target into host, normalized path and query. False when it is not usable. */
function parseTarget(ctx: RequestContext): boolean {
  let target = ctx.request.url;
  ctx.host = ctx.request.header('host') ?? '';
  if (target[0] !== '/') {
    // absolute-form (RFC 9112 §3.2.2): its authority replaces Host.
    const m = /^https?:\/\/([^/?#]+)([^#]*)$/i.exec(target);
    // Userinfo in the target is refused: it must never travel on as a Host (RFC 9110 §4.2.4).
    if (m === null || m[1]!.includes('@')) return false;
    ctx.host = m[1]!;
    target = m[2] || '/';
    if (target[0] !== '/') target = `/${target}`;
  }
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const path = normalizePath(rawPath);
  if (path === null) return false;
  ctx.path = path;
  ctx.query = q < 0 ? '' : target.slice(q);
  return true;
}
