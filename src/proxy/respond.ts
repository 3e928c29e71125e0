/**
 * Gateway-generated answers: a code from the error table, counted on the service, and an exchange row
 * (with no server) when no attempt of this request was recorded.
 */
import type { ErrorCode } from '../errors.js';
import { countError, ERRORS } from '../errors.js';
import { Exchange } from '../exchange/exchange.js';
import { recordGatewayError } from '../exchange/recorder.js';
import type { RequestContext } from './request-context.js';

export function respondError(ctx: RequestContext, code: ErrorCode): void {
  ctx.status = ERRORS[code].status;
  ctx.errorCode = code;
  countError(code);
  if (!ctx.recorded && ctx.log.enabled) {
    ctx.recorded = true;
    const ex = new Exchange();
    ex.session = ctx.session?.id ?? null;
    ex.connection = ctx.connection.id;
    ex.service = ctx.service?.name ?? null;
    ex.method = ctx.request.method;
    // Before the target is parsed its query may hold a session token: keep the path only.
    ex.uri = ctx.path ? ctx.path + ctx.query : ctx.request.url.split('?')[0]!;
    ex.keepRequestHeaders(ctx.headers, ctx.log.redactor);
    ex.queueMs = ctx.queueMs;
    recordGatewayError(ctx.log, ex, code, ctx.request.receivedAt);
  }
  if (ctx.service) ctx.service.counters.gatewayErrors++;
  ctx.connection.sendError(ctx.id, code, ctx.responseHeaders);
}
