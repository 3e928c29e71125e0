/**
 * SessionQueue: the requests of one Session run one at a time, in arrival order (SQL Anywhere's session
 * request queue). Up to `maxQueue` wait; one more is refused (503 + Retry-After). A waiting request can time
 * out (503) or be cancelled (its client went away) without ever reaching a server.
 */
import { GatewayError } from '../errors.js';

/** What the queue needs from a request. */
export interface QueuedRequest {
  /** Ends the request with an error code (e.g. the session was killed while it ran). */
  cancel(code: 'SG_ERR_SESSION_KILLED'): void;
}

/**
 * How a wait ended: the request's turn came; the session ended and the request runs without it; or the
 * request was withdrawn (its client went away) and must not run.
 */
export type QueueTurn = 'run' | 'sessionless' | 'withdrawn';

interface Waiter {
  request: QueuedRequest;
  resolve(turn: QueueTurn): void;
  reject(err: GatewayError): void;
  timer: NodeJS.Timeout | null;
  enqueuedAt: number;
}

export class SessionQueue {
  readonly #maxQueue: number;
  readonly #queueTimeout: number;
  #running: QueuedRequest | null = null;
  #waiting: Waiter[] = [];
  #closed = false;

  constructor(maxQueue: number, queueTimeout: number) {
    this.#maxQueue = maxQueue;
    this.#queueTimeout = queueTimeout;
  }

  get running(): QueuedRequest | null {
    return this.#running;
  }

  /** Requests waiting (not counting the running one). */
  get length(): number {
    return this.#waiting.length;
  }

  get busy(): boolean {
    return this.#running !== null || this.#waiting.length > 0;
  }

  /**
   * Takes a request's turn. Returns null when it may run now (no promise on the fast path), otherwise a
   * promise of its turn. Throws SG_ERR_SESSION_QUEUE_FULL when `maxQueue` requests already wait.
   */
  enter(request: QueuedRequest): Promise<QueueTurn> | null {
    if (this.#closed) return Promise.resolve('sessionless');
    if (this.#running === null) {
      this.#running = request;
      return null;
    }
    if (this.#waiting.length >= this.#maxQueue) throw new GatewayError('SG_ERR_SESSION_QUEUE_FULL');
    return new Promise<QueueTurn>((resolve, reject) => {
      const waiter: Waiter = { request, resolve, reject, timer: null, enqueuedAt: performance.now() };
      if (this.#queueTimeout > 0) {
        waiter.timer = setTimeout(() => {
          this.#drop(waiter);
          reject(new GatewayError('SG_ERR_SESSION_QUEUE_TIMEOUT'));
        }, this.#queueTimeout);
      }
      this.#waiting.push(waiter);
    });
  }

  /** The running request is done: the next one in line runs. */
  leave(request: QueuedRequest): void {
    if (this.#running !== request) return;
    const next = this.#waiting.shift();
    if (next === undefined) {
      this.#running = null;
      return;
    }
    if (next.timer) clearTimeout(next.timer);
    this.#running = next.request;
    next.resolve('run');
  }

  /** A waiting request's client went away: it leaves the line without running. */
  withdraw(request: QueuedRequest): boolean {
    const waiter = this.#waiting.find((w) => w.request === request);
    if (!waiter) return false;
    this.#drop(waiter);
    waiter.resolve('withdrawn');
    return true;
  }

  /**
   * The session is ending: the running request is cancelled and the waiting ones are released to run
   * without the session (SQL Anywhere re-queues them). The queue accepts nothing afterwards.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const running = this.#running;
    const waiting = this.#waiting;
    this.#running = null;
    this.#waiting = [];
    for (const w of waiting) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve('sessionless');
    }
    running?.cancel('SG_ERR_SESSION_KILLED');
  }

  #drop(waiter: Waiter): void {
    const i = this.#waiting.indexOf(waiter);
    if (i >= 0) this.#waiting.splice(i, 1);
    if (waiter.timer) clearTimeout(waiter.timer);
  }
}
