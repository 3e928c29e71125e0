/**
 * The body of a client request on its way upstream. Pieces that arrive before the request is dispatched
 * (while it waits in its session queue, say) are held up to a high-water mark, then the Connection stops
 * reading. A body that is complete at dispatch time goes out as one Buffer, which also makes the request
 * replayable (retry, re-login); otherwise it streams, with back-pressure to the client's socket.
 */
import { Readable } from 'node:stream';
import { BodyCapture } from '../exchange/redact.js';
import type { RequestBodySource } from '../exchange/recorder.js';
import type { Connection } from '../listener/index.js';

const HIGH_WATER = 64 * 1024;

export class RequestBody implements RequestBodySource {
  #connection: Connection;
  /** The first bytes, for the exchange log (null when the log is off). */
  #capture: BodyCapture | null;
  #chunks: Buffer[] = [];
  #size = 0;
  #ended = false;
  #stream: Readable | null = null;
  #paused = false;
  #disposed = false;
  /** Waiting for the body to end (or outgrow a limit): see `settle`. */
  #waiter: { limit: number; resolve: () => void } | null = null;

  constructor(connection: Connection, captureLimit = 0) {
    this.#connection = connection;
    this.#capture = captureLimit > 0 ? new BodyCapture(captureLimit) : null;
  }

  captured(): Buffer | null {
    return this.#capture?.take() ?? null;
  }

  /** Bytes received so far. */
  get size(): number {
    return this.#size;
  }

  get ended(): boolean {
    return this.#ended;
  }

  push(chunk: Buffer): void {
    if (this.#disposed) return;
    this.#size += chunk.length;
    this.#capture?.add(chunk);
    if (this.#stream !== null) {
      if (!this.#stream.push(chunk)) this.#pause();
      return;
    }
    this.#chunks.push(chunk);
    if (this.#size > HIGH_WATER) this.#pause();
    if (this.#waiter !== null && this.#size > this.#waiter.limit) this.#wake();
  }

  end(): void {
    this.#ended = true;
    if (this.#stream !== null) this.#stream.push(null);
    this.#wake();
  }

  /**
   * Resolves when the whole body has arrived, or once it is bigger than `limit` (then it will stream), or
   * when the request fails. Small bodies are thus sent in one piece (and can be replayed), as nginx buffers
   * request bodies by default.
   */
  settle(limit: number): Promise<void> {
    if (this.#ended || this.#disposed || this.#stream !== null || this.#size > limit) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiter = { limit, resolve };
    });
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = null;
    w?.resolve();
  }

  /** The request failed on the client side: the upstream request must fail too. */
  fail(err: Error): void {
    if (this.#stream !== null) this.#stream.destroy(err);
    this.dispose();
  }

  /** Complete and not yet streamed: the whole body, replayable. */
  get buffered(): Buffer | null {
    if (!this.#ended || this.#stream !== null) return null;
    if (this.#chunks.length === 1) return this.#chunks[0]!;
    const whole = Buffer.concat(this.#chunks, this.#size);
    this.#chunks = [whole];
    return whole;
  }

  /** The body for undici: a Buffer when complete, otherwise a stream of what has come and what will. */
  take(): Buffer | Readable {
    const whole = this.buffered;
    if (whole !== null) return whole;
    if (this.#stream !== null) return this.#stream;
    const stream = new Readable({ highWaterMark: HIGH_WATER, read: () => this.#resume() });
    for (const c of this.#chunks) stream.push(c);
    this.#chunks = [];
    if (this.#ended) stream.push(null);
    this.#stream = stream;
    return stream;
  }

  /** Releases the body: resumes the Connection if this body had paused it. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#chunks = [];
    this.#resume();
    this.#wake();
  }

  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#connection.pause();
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#connection.resume();
  }
}
