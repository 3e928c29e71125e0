/**
 * SessionTable: the gateway's sessions. Resolves the session of a request (or creates one: never with an id
 * the client chose), keeps `connection`-mode sessions tied to their Connection, kills sessions (one, or all
 * of a user's), and reports expiry. Records live in the SessionStore.
 */
import type { SessionConfig } from '../config/session.js';
import { GatewayError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Maybe, SessionPage, SessionStore, Turn } from '../store/store.js';
import type { Session, SessionMode } from './session.js';
import { isWellFormedToken, newToken } from './token.js';

export interface SessionRequest {
  service: string;
  /** The token the client presented (cookie or parameter), or null. */
  token: string | null;
  connectionId: number;
  address: string;
  user: string | null;
}

export interface Resolution {
  session: Session;
  /** A new session: the client must be told its token. */
  created: boolean;
}

export class SessionTable {
  readonly #store: SessionStore;
  readonly #events: EventBus;
  /** Requests waiting in session queues right now (kept by the request path). */
  waiting = 0;
  /** `connection`-mode sessions by Connection id and service (promises: pipelined requests share one). */
  readonly #byConnection = new Map<number, Map<string, Promise<Session>>>();

  constructor(store: SessionStore, events: EventBus) {
    this.#store = store;
    this.#events = events;
    store.subscribe({
      expired: (s) => {
        this.#forgetConnection(s);
        events.emit('session:expired', s);
      },
      // A kill here or on another instance: this instance's requests of the session end too.
      killed: (id) => this.#live.get(id)?.end('killed'),
    });
  }

  get store(): SessionStore {
    return this.#store;
  }

  /** Live sessions (all instances, with a shared store). */
  count(): Promise<number> {
    return this.#store.count();
  }

  /** Sessions with requests on this instance, by public id (for kills from other instances). */
  readonly #live = new Map<string, Session>();

  /**
   * The request's session: at once when the store has it at hand (no promise), else a promise. Throws (or
   * rejects with) SG_ERR_SESSION_ADDRESS_MISMATCH (403) for a token used from elsewhere.
   */
  resolve(policy: SessionConfig, req: SessionRequest): Maybe<Resolution> {
    const mode = policy.mode as SessionMode;
    if (mode === 'connection') return this.#resolveForConnection(policy, req);
    if (req.token !== null && isWellFormedToken(req.token)) {
      const found = storeCall(() => this.#store.findByToken(req.token!));
      return found instanceof Promise ? found.then((s) => this.#resolved(policy, req, s)) : this.#resolved(policy, req, found);
    }
    return this.#created(policy, req, mode);
  }

  #resolved(policy: SessionConfig, req: SessionRequest, found: Session | null): Maybe<Resolution> {
    // A token of another service is as unknown as a made-up one.
    if (found === null || found.service !== req.service) return this.#created(policy, req, policy.mode as SessionMode);
    if (policy.bindAddress && found.address !== req.address) throw new GatewayError('SG_ERR_SESSION_ADDRESS_MISMATCH');
    return this.#found(found, req);
  }

  async #created(policy: SessionConfig, req: SessionRequest, mode: SessionMode): Promise<Resolution> {
    return { session: await this.#create(policy, req, mode), created: true };
  }

  /** One session per Connection and service; pipelined first requests share the one being created. */
  async #resolveForConnection(policy: SessionConfig, req: SessionRequest): Promise<Resolution> {
    let own = this.#byConnection.get(req.connectionId);
    const existing = own?.get(req.service);
    if (existing !== undefined) {
      const session = await existing;
      if (session.ended === null) return this.#found(session, req);
    }
    const creating = this.#create(policy, req, 'connection');
    if (own === undefined) this.#byConnection.set(req.connectionId, (own = new Map()));
    own.set(req.service, creating);
    return { session: await creating, created: true };
  }

  async #create(policy: SessionConfig, req: SessionRequest, mode: SessionMode): Promise<Session> {
    const session = await guard(this.#store.create({
      token: newToken(),
      service: req.service,
      mode,
      address: req.address,
      user: req.user,
      idleTimeout: policy.idleTimeout,
      absoluteTimeout: policy.absoluteTimeout,
      maxQueue: policy.maxQueue,
      queueTimeout: policy.queueTimeout,
      connectionId: mode === 'connection' ? req.connectionId : null,
      now: Date.now(),
    }));
    this.#events.emit('session:created', session);
    return session;
  }

  #found(session: Session, req: SessionRequest): Maybe<Resolution> {
    if (req.user !== null && session.user === null) return guard(this.#store.setUser(session, req.user)).then(() => ({ session, created: false }));
    return { session, created: false };
  }

  /**
   * A request may run now (after its turn in the local queue): with a shared store, waits for the session's
   * turn across instances (a promise; at once for the memory store). Fails with SG_ERR_STORE_UNAVAILABLE when
   * the store cannot be reached.
   */
  acquire(session: Session, cancelled: () => boolean): Maybe<Turn | null> {
    this.#live.set(session.id, session);
    const failed = (err: unknown): never => {
      if (!session.busy) this.#live.delete(session.id);
      throw err;
    };
    try {
      const turn = storeCall(() => this.#store.acquire(session, cancelled));
      return turn instanceof Promise ? turn.catch(failed) : turn;
    } catch (err) {
      return failed(err);
    }
  }

  /**
   * The request ended: its idle time starts now; counters and upstream contexts are saved. Never throws: a
   * failure is a rejected promise.
   */
  release(session: Session, turn: Turn | null): Maybe<void> {
    const done = (): void => {
      if (!session.busy) this.#live.delete(session.id);
    };
    if (session.ended !== null) return done();
    let saved: Maybe<void>;
    try {
      saved = storeCall(() => this.#store.release(session, turn));
    } catch (err) {
      done();
      return Promise.reject(err);
    }
    return saved instanceof Promise ? saved.finally(done) : done();
  }

  get(id: string): Promise<Session | null> {
    return guard(this.#store.findById(id));
  }

  list(filter: { service?: string; user?: string }, start: number, end: number): Promise<SessionPage> {
    return guard(this.#store.list(filter, start, end));
  }

  /**
   * Ends a session for good: its running request is cancelled, its waiting requests run without it, its
   * id and token are dead. False when there is no such live session.
   */
  async kill(id: string): Promise<boolean> {
    const session = await guard(this.#store.findById(id));
    if (session === null) return false;
    await guard(this.#store.remove(session, 'killed'));
    this.#forgetConnection(session);
    this.#events.emit('session:killed', session);
    return true;
  }

  /** Ends every session of a user (log a user out everywhere); returns how many. */
  async killUser(user: string): Promise<number> {
    const { items } = await guard(this.#store.list({ user }, 0, Number.MAX_SAFE_INTEGER));
    let n = 0;
    for (const s of items) if (await this.kill(s.id)) n++;
    return n;
  }

  /** A Connection closed: its `connection`-mode sessions end with it. */
  async connectionClosed(connectionId: number): Promise<void> {
    const own = this.#byConnection.get(connectionId);
    if (!own) return;
    this.#byConnection.delete(connectionId);
    for (const pending of own.values()) {
      const s = await pending;
      if (s.ended !== null) continue;
      await this.#store.remove(s, 'closed').catch(() => {});
      this.#events.emit('session:closed', s);
    }
  }

  #forgetConnection(session: Session): void {
    if (session.connectionId === null) return;
    const own = this.#byConnection.get(session.connectionId);
    if (own === undefined) return;
    own.delete(session.service);
    if (own.size === 0) this.#byConnection.delete(session.connectionId);
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}

/**
 * Store failures become SG_ERR_STORE_UNAVAILABLE (503 + Retry-After): requests that need session state fail
 * fast and clearly while the store is away, instead of hanging or crashing.
 */
function storeError(err: unknown): GatewayError {
  return err instanceof GatewayError ? err : new GatewayError('SG_ERR_STORE_UNAVAILABLE', undefined, { cause: err });
}

async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw storeError(err);
  }
}

/** A store call that may answer at once: its failure, thrown or rejected, is SG_ERR_STORE_UNAVAILABLE. */
function storeCall<T>(call: () => Maybe<T>): Maybe<T> {
  let result: Maybe<T>;
  try {
    result = call();
  } catch (err) {
    throw storeError(err);
  }
  return result instanceof Promise ? guard(result) : result;
}
