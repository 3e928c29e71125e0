/**
 * The session steps of the request path: identify the request's Session (cookie, URL parameter or
 * Connection), then take its turn in the session queue.
 */
import { basicAuthUser, scrubReferer, takeCookie, takeParam, sessionCookie, type Session, type SessionTable } from '../session/index.js';
import type { Turn } from '../store/store.js';
import type { RequestContext } from './request-context.js';

/** The request's Session, created when it names none or a dead one; null for services without sessions. */
export async function resolveSession(ctx: RequestContext, sessions: SessionTable): Promise<Session | null> {
  const service = ctx.service!;
  const policy = service.config.session;
  if (policy.mode === 'none') return null;
  let token: string | null = null;
  if (policy.mode === 'cookie') {
    token = takeCookie(ctx.headers, policy.cookie);
  } else if (policy.mode === 'param') {
    const taken = takeParam(ctx.query, policy.param);
    token = taken.value;
    ctx.query = taken.query;
    scrubReferer(ctx.headers, policy.param);
  }
  const user =
    policy.userFrom === 'basic' ? basicAuthUser(ctx.request.header('authorization'))
    : policy.userFrom === 'header' ? (ctx.request.header(policy.userHeader.toLowerCase()) ?? null)
    : null;
  const { session, created } = await sessions.resolve(policy, {
    service: service.name,
    token,
    connectionId: ctx.connection.id,
    address: ctx.connection.remoteAddress,
    user,
  });
  ctx.session = session;
  ctx.connection.noteSession(session.id);
  if (policy.mode === 'cookie' && created) ctx.responseHeaders.push('Set-Cookie', sessionCookie(policy.cookie, session.token, ctx.connection.secure));
  if (policy.mode === 'param') ctx.responseHeaders.push('Session-Id', session.token);
  return session;
}

/**
 * Takes the request's turn: first in its session's local queue, then (with a shared store) across
 * instances. Returns the turn to give back, 'run' when the request runs without a cluster turn (the memory
 * store, or the session ended while it waited), or null when it was withdrawn (its client left).
 */
export async function takeTurn(ctx: RequestContext, session: Session, sessions: SessionTable): Promise<Turn | 'run' | null> {
  if (!(await enterQueue(ctx, session, sessions))) return null;
  if (ctx.session === null) return 'run';
  try {
    return (await sessions.acquire(session, () => ctx.cancelled !== null)) ?? 'run';
  } catch (err) {
    session.queue.leave(ctx); // the next request in line may try its luck
    throw err;
  }
}

async function enterQueue(ctx: RequestContext, session: Session, sessions: SessionTable): Promise<boolean> {
  const wait = session.queue.enter(ctx);
  if (wait === null) return true;
  const started = performance.now();
  ctx.onCancel = () => session.queue.withdraw(ctx);
  sessions.waiting++;
  try {
    const turn = await wait;
    if (turn === 'withdrawn') return false;
    if (turn === 'sessionless') ctx.session = null;
    return true;
  } finally {
    sessions.waiting--;
    ctx.onCancel = null;
    ctx.queueMs = performance.now() - started;
  }
}
