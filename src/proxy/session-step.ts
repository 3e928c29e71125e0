/**
 * The session steps of the request path: identify the request's Session (cookie, URL parameter or
 * Connection), then take its turn in the session queue.
 */
import { basicAuthUser, scrubReferer, takeCookie, takeParam, sessionCookie, type QueueTurn, type Resolution, type Session, type SessionTable } from '../session/index.js';
import type { Maybe, Turn } from '../store/store.js';
import type { RequestContext } from './request-context.js';

/**
 * The request's Session, created when it names none or a dead one; null for services without sessions. A
 * promise only when the store has to ask elsewhere (see Maybe).
 */
export function resolveSession(ctx: RequestContext, sessions: SessionTable): Maybe<Session | null> {
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
  const resolution = sessions.resolve(policy, {
    service: service.name,
    token,
    connectionId: ctx.connection.id,
    address: ctx.connection.remoteAddress,
    user,
  });
  return resolution instanceof Promise ? resolution.then((r) => adopt(ctx, r)) : adopt(ctx, resolution);
}

/** The request carries its session from now on; a new one is announced to the client. */
function adopt(ctx: RequestContext, { session, created }: Resolution): Session {
  const policy = ctx.service!.config.session;
  ctx.session = session;
  ctx.connection.noteSession(session.id);
  if (policy.mode === 'cookie' && created) {
    const secure = policy.cookieSecure === 'always' || (policy.cookieSecure === 'auto' && ctx.connection.secure);
    ctx.responseHeaders.push('Set-Cookie', sessionCookie(policy.cookie, session.token, secure));
  }
  if (policy.mode === 'param') ctx.responseHeaders.push('Session-Id', session.token);
  return session;
}

/**
 * Takes the request's turn: first in its session's local queue, then (with a shared store) across
 * instances. Gives the turn to give back, 'run' when the request runs without a cluster turn (the memory
 * store, or the session ended while it waited), or null when it was withdrawn (its client left). A promise
 * only when the request had to wait (its session busy here, or the store asking elsewhere).
 */
export function takeTurn(ctx: RequestContext, session: Session, sessions: SessionTable): Maybe<Turn | 'run' | null> {
  const wait = session.queue.enter(ctx);
  if (wait === null) return acquire(ctx, session, sessions);
  return waitInQueue(ctx, session, sessions, wait).then((inLine) => (inLine ? acquire(ctx, session, sessions) : null));
}

function acquire(ctx: RequestContext, session: Session, sessions: SessionTable): Maybe<Turn | 'run'> {
  if (ctx.session === null) return 'run';
  const leave = (err: unknown): never => {
    session.queue.leave(ctx); // the next request in line may try its luck
    throw err;
  };
  let turn: Maybe<Turn | null>;
  try {
    turn = sessions.acquire(session, () => ctx.cancelled !== null);
  } catch (err) {
    return leave(err);
  }
  return turn instanceof Promise ? turn.then((t) => t ?? 'run', leave) : (turn ?? 'run');
}

/** Waits for the request's turn in the local queue; false when it was withdrawn. */
async function waitInQueue(ctx: RequestContext, session: Session, sessions: SessionTable, wait: Promise<QueueTurn>): Promise<boolean> {
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
