/**
 * The end of the handler chain: passes an upstream response on to the client through the Connection API,
 * with back-pressure both ways, and reports how the attempt ended.
 */
import type { Duplex } from 'node:stream';
import type { UpstreamFailure, UpstreamHandler } from '../upstream/dispatch.js';
import type { RequestContext } from './request-context.js';
import { tunnel } from './tunnel.js';

/** null: the response reached the client (or failed after it started); a failure: nothing was sent yet. */
export type AttemptOutcome = UpstreamFailure | null;

export class ClientResponder implements UpstreamHandler {
  #ctx: RequestContext;
  #resume: (() => void) | null = null;
  #done: (outcome: AttemptOutcome) => void;

  constructor(ctx: RequestContext, done: (outcome: AttemptOutcome) => void) {
    this.#ctx = ctx;
    this.#done = done;
  }

  onResponseStart(status: number, headers: string[], reason: string, resume: () => void): boolean {
    const ctx = this.#ctx;
    this.#resume = resume;
    ctx.status = status;
    ctx.connection.sendStart(ctx.id, status, ctx.finalResponseHeaders(headers), reason || undefined);
    return true;
  }

  onResponseData(chunk: Buffer): boolean {
    this.#ctx.responseBytes += chunk.length;
    return this.#ctx.connection.sendChunk(this.#ctx.id, chunk);
  }

  /** The Connection can take more of this response. */
  drained(): void {
    this.#resume?.();
  }

  onResponseEnd(): void {
    this.#ctx.connection.sendFinished(this.#ctx.id);
    this.#done(null);
  }

  onResponseError(failure: UpstreamFailure): void {
    if (failure.responseStarted) {
      // Never fake the end of a response: the client sees it cut off.
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
