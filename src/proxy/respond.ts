/** Gateway-generated answers: a code from the error table, counted on the service. */
import type { ErrorCode } from '../errors.js';
import { ERRORS } from '../errors.js';
import type { RequestContext } from './request-context.js';

export function respondError(ctx: RequestContext, code: ErrorCode): void {
  ctx.status = ERRORS[code].status;
  ctx.errorCode = code;
  if (ctx.service) ctx.service.counters.gatewayErrors++;
  ctx.connection.sendError(ctx.id, code, ctx.responseHeaders);
}
