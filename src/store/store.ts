/**
 * The session store: where Session records live. The in-memory store is the embedded default; the Redis
 * store (many gateways, one session space) implements the same interface. Both return live Session objects:
 * the same object for a session while this instance uses it, so that its local queue is shared.
 */
import type { Session, SessionInit } from '../session/session.js';

export type EndReason = 'killed' | 'expired' | 'closed';

/**
 * A value now, or a promise of it when the store has to ask elsewhere. The memory store (and the Redis
 * store for a session it holds) answers the request path's calls at once: no promise, no microtask hop.
 */
export type Maybe<T> = T | Promise<T>;

export interface SessionPage {
  items: Session[];
  total: number;
}

export interface SessionFilter {
  service?: string;
  user?: string;
}

/** A request's exclusive turn on a session across instances (the Redis store's lease), or null in memory. */
export interface Turn {
  /** Fencing counter: a turn with a lower number may no longer write the session. */
  readonly fence: number;
  /** False once the lease was lost (e.g. the process paused longer than the lease). */
  readonly held: boolean;
}

export interface StoreEvents {
  /** A session ended on its own (expiry) and this instance noticed. */
  expired(session: Session): void;
  /** A session was killed (here or on another instance): end its local requests. */
  killed(id: string): void;
}

export interface SessionStore {
  readonly kind: 'memory' | 'redis';
  /** The store can be used now (the Redis store: connected). */
  readonly ready: boolean;
  /** Creates a session; the store assigns the public id. */
  create(init: Omit<SessionInit, 'id'>): Promise<Session>;
  /** The live session with this secret token, or null (unknown, expired or ended). */
  findByToken(token: string): Maybe<Session | null>;
  findById(id: string): Promise<Session | null>;
  /** Live sessions; `start`..`end` inclusive, counted from 0 (MaxScale's `range`). */
  list(filter: SessionFilter, start: number, end: number): Promise<SessionPage>;
  count(): Promise<number>;
  /**
   * A request of the session may run: waits for the session's turn across instances (the memory store has
   * only one instance: no wait). `cancelled()` is polled while waiting.
   */
  acquire(session: Session, cancelled: () => boolean): Maybe<Turn | null>;
  /** The request ended: activity time and counters are saved, the turn is given back. */
  release(session: Session, turn: Turn | null): Maybe<void>;
  /** Attribute the session to a user (indexed, for "log a user out everywhere"). */
  setUser(session: Session, user: string): Promise<void>;
  /** Ends a session for good, on every instance; its token and id are dead and never come back. */
  remove(session: Session, reason: EndReason): Promise<void>;
  subscribe(events: StoreEvents): void;
  close(): Promise<void>;
}
