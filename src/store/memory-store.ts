/**
 * The embedded session store: sessions in maps (by token, by public id, by user), expiry on the
 * TimeoutQueue. Public ids count up from 1 and are never reused.
 */
import { Session, type SessionInit } from '../session/session.js';
import { TimeoutQueue, type TimeoutEntry } from '../session/timeout-queue.js';
import type { EndReason, SessionFilter, SessionPage, SessionStore, StoreEvents, Turn } from './store.js';

export class MemoryStore implements SessionStore {
  readonly kind = 'memory' as const;
  readonly ready = true;
  #byToken = new Map<string, Session>();
  #byId = new Map<string, Session>();
  #byUser = new Map<string, Set<Session>>();
  #nextId = 1;
  #listeners: StoreEvents[] = [];
  #timeouts: TimeoutQueue<Session>;

  constructor(options: { resolutionMs?: number } = {}) {
    this.#timeouts = new TimeoutQueue<Session>({
      deadlineOf: (s) => (s.busy ? null : s.deadline),
      expire: (s) => this.#expire(s),
      resolutionMs: options.resolutionMs ?? 50,
    });
  }

  /** Live sessions (the memory store can count synchronously). */
  get size(): number {
    return this.#byId.size;
  }

  async count(): Promise<number> {
    return this.#byId.size;
  }

  /** One instance: the local session queue is all the exclusion there is. */
  acquire(): Turn | null {
    return null;
  }

  release(session: Session): void {
    session.lastActivity = Date.now();
  }

  async create(init: Omit<SessionInit, 'id'>): Promise<Session> {
    return this.createSync(init);
  }

  /** Synchronous creation (the memory store needs no I/O). */
  createSync(init: Omit<SessionInit, 'id'>): Session {
    const session = new Session({ ...init, id: String(this.#nextId++) });
    this.#byToken.set(session.token, session);
    this.#byId.set(session.id, session);
    if (session.user !== null) this.#indexUser(session, session.user);
    session.timeoutEntry = this.#timeouts.add(session, session.deadline);
    return session;
  }

  findByToken(token: string): Session | null {
    const s = this.#byToken.get(token);
    if (s === undefined || s.ended !== null) return null;
    if (!s.busy && s.deadline <= Date.now()) {
      // Past its deadline but not yet reached by the timeout queue: it is dead all the same.
      this.#expire(s);
      return null;
    }
    return s;
  }

  async findById(id: string): Promise<Session | null> {
    const s = this.#byId.get(id);
    return s === undefined || s.ended !== null ? null : s;
  }

  async list(filter: SessionFilter, start: number, end: number): Promise<SessionPage> {
    const source: Iterable<Session> = filter.user !== undefined ? (this.#byUser.get(filter.user) ?? []) : this.#byId.values();
    const items: Session[] = [];
    let total = 0;
    for (const s of source) {
      if (s.ended !== null || (filter.service !== undefined && s.service !== filter.service)) continue;
      if (total >= start && total <= end) items.push(s);
      total++;
    }
    return { items, total };
  }

  async setUser(session: Session, user: string): Promise<void> {
    if (session.user === user) return;
    if (session.user !== null) this.#byUser.get(session.user)?.delete(session);
    session.user = user;
    this.#indexUser(session, user);
  }

  async remove(session: Session, reason: EndReason): Promise<void> {
    this.#drop(session, reason);
    if (reason === 'killed') for (const l of this.#listeners) l.killed(session.id);
  }

  subscribe(events: StoreEvents): void {
    this.#listeners.push(events);
  }

  async close(): Promise<void> {
    this.#timeouts.close();
  }

  #indexUser(session: Session, user: string): void {
    let set = this.#byUser.get(user);
    if (!set) this.#byUser.set(user, (set = new Set()));
    set.add(session);
  }

  #expire(session: Session): void {
    if (session.ended !== null) return;
    this.#drop(session, 'expired');
    for (const l of this.#listeners) l.expired(session);
  }

  #drop(session: Session, reason: EndReason): void {
    session.end(reason);
    this.#byToken.delete(session.token);
    this.#byId.delete(session.id);
    if (session.user !== null) {
      const set = this.#byUser.get(session.user);
      set?.delete(session);
      if (set && set.size === 0) this.#byUser.delete(session.user);
    }
    const entry = session.timeoutEntry as TimeoutEntry<Session> | null;
    if (entry) this.#timeouts.remove(entry);
    session.timeoutEntry = null;
  }
}
