/**
 * The end of the handler chain: passes an upstream response on to the client through the Connection API,
 * with back-pressure both ways, and reports how the attempt ended.
 */
import type { Duplex } from 'node:stream';
import { countCut } from '../errors.js';
import type { UpstreamFailure, UpstreamHandler } from '../upstream/dispatch.js';
import type { ContextStats } from '../upstream/upstream-context.js';
import type { RequestContext } from './request-context.js';
import { tunnel } from './tunnel.js';

/**
 * null: the response reached the client (or failed after it started); a failure: nothing was sent yet;
 * 'expired': the server said its session is gone and the request may be replayed after a new login.
 */
export type AttemptOutcome = UpstreamFailure | 'expired' | null;

export class ClientResponder implements UpstreamHandler {
  #ctx: RequestContext;
  #resume: (() => void) | null = null;
  #done: (outcome: AttemptOutcome) => void;
  /** The upstream context's statistics: reads, buffered writes, high/low water events on the client side. */
  #stats: ContextStats | null;

  constructor(ctx: RequestContext, done: (outcome: AttemptOutcome) => void, stats: ContextStats | null = null) {
    this.#ctx = ctx;
    this.#done = done;
    this.#stats = stats;
  }

  /** A server's interim response (103 Early Hints, ...) goes on to the client ahead of the final one. */
  onInformational(status: number, headers: string[], reason: string): void {
    this.#ctx.connection.sendInformational(this.#ctx.id, status, headers, reason || undefined);
  }

  onResponseStart(status: number, headers: string[], reason: string, resume: () => void): boolean {
    const ctx = this.#ctx;
    this.#resume = resume;
    ctx.status = status;
    ctx.connection.sendStart(ctx.id, status, ctx.finalResponseHeaders(headers), reason || undefined);
    return true;
  }

  onResponseData(chunk: Buffer): boolean {
    const ctx = this.#ctx;
    ctx.responseBytes += chunk.length;
    const stats = this.#stats;
    if (stats === null) return ctx.connection.sendChunk(ctx.id, chunk);
    stats.reads++;
    const ok = ctx.connection.sendChunk(ctx.id, chunk);
    // Held in the connection's buffer rather than taken at once: past the high-water mark, or queued
    // behind an earlier pipelined response.
    if (!ok || ctx.connection.congested(ctx.id)) stats.bufferedWrites++;
    if (!ok) stats.highWaterEvents++;
    return ok;
  }

  /** The Connection can take more of this response. */
  drained(): void {
    if (this.#stats !== null) this.#stats.lowWaterEvents++;
    this.#resume?.();
  }

  onResponseEnd(): void {
    this.#ctx.connection.sendFinished(this.#ctx.id);
    this.#done(null);
  }

  onResponseError(failure: UpstreamFailure): void {
    if (failure.responseStarted) {
      // Never fake the end of a response: the client sees it cut off.
      countCut(failure.code);
      this.#ctx.connection.sendCancel(this.#ctx.id);
      this.#done(null);
      return;
    }
    this.#done(failure);
  }

  onUpgrade(status: number, headers: string[], socket: Duplex): void {
    const ctx = this.#ctx;
    ctx.status = status;
    tunnel(ctx, headers, socket);
    this.#done(null);
  }
}
