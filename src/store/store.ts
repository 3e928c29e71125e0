/**
 * The session store: where Session records live. The in-memory store is the embedded default; the Redis
 * store (many gateways, one session space) implements the same interface.
 */
import type { Session, SessionInit } from '../session/session.js';

export type EndReason = 'killed' | 'expired' | 'closed';

export interface SessionPage {
  items: Session[];
  total: number;
}

export interface SessionFilter {
  service?: string;
  user?: string;
}

export interface SessionStore {
  readonly kind: 'memory' | 'redis';
  /** Creates a session; the store assigns the public id. */
  create(init: Omit<SessionInit, 'id'>): Promise<Session>;
  /** The live session with this secret token, or null (unknown, expired or ended). */
  findByToken(token: string): Promise<Session | null>;
  findById(id: string): Promise<Session | null>;
  /** Sessions in creation order; `start`..`end` inclusive, counted from 0 (MaxScale's `range`). */
  list(filter: SessionFilter, start: number, end: number): Promise<SessionPage>;
  /** Activity on the session: its idle timeout starts again. */
  touch(session: Session): Promise<void>;
  /** Attribute the session to a user (indexed, for "log a user out everywhere"). */
  setUser(session: Session, user: string): Promise<void>;
  /** Ends a session for good; its token and id are dead and never come back. */
  remove(session: Session, reason: EndReason): Promise<void>;
  /** Live sessions. */
  readonly size: number;
  /** Told of every session the store ends on its own (expiry). */
  onExpired(listener: (session: Session) => void): void;
  close(): Promise<void>;
}
