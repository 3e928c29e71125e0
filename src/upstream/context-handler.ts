/**
 * The upstream-context decorator of the handler chain: the server's cookies go into the context's jar
 * (and, unless configured otherwise, not to the client), and the server's "your session is gone" is
 * detected (expired statuses, a redirect to the login path, a header or body match). An expired response
 * to a replayable request is swallowed so the request can be replayed after a new login; otherwise the
 * client gets the server's answer and the context logs in again on the next request.
 */
import type { Duplex } from 'node:stream';
import { headerValues } from './buffered.js';
import type { UpstreamFailure, UpstreamHandler } from './dispatch.js';
import type { UpstreamContext } from './upstream-context.js';

/** Responses up to this size are held back when a body pattern must be checked. */
export const EXPIRY_BODY_LIMIT = 64 * 1024;

export interface ExpiryPolicy {
  statuses: ReadonlySet<number>;
  /** A redirect whose Location path starts with this means the session is gone (null: not checked). */
  loginPath: string | null;
  header: { name: string; match: RegExp } | null;
  body: RegExp | null;
}

export interface ContextHandlerOptions {
  /** The URL cookies are scoped against. */
  url: string;
  /** The request can be sent again after a new login. */
  replayable: boolean;
  forwardSetCookie: boolean;
  /** Called instead of passing on an expired response that will be replayed. */
  onExpired(): void;
}

interface Held {
  status: number;
  headers: string[];
  reason: string;
  resume: () => void;
  chunks: Buffer[];
  size: number;
}

export class ContextHandler implements UpstreamHandler {
  readonly #context: UpstreamContext;
  readonly #policy: ExpiryPolicy;
  readonly #next: UpstreamHandler;
  readonly #options: ContextHandlerOptions;
  #swallow = false;
  #held: Held | null = null;

  constructor(context: UpstreamContext, policy: ExpiryPolicy, next: UpstreamHandler, options: ContextHandlerOptions) {
    this.#context = context;
    this.#policy = policy;
    this.#next = next;
    this.#options = options;
  }

  onRequestStart(): void {
    this.#next.onRequestStart?.();
  }

  onInformational(status: number, headers: string[], reason: string): void {
    this.#next.onInformational?.(status, headers, reason);
  }

  onResponseStart(status: number, headers: string[], reason: string, resume: () => void): boolean {
    const ctx = this.#context;
    const setCookies = headerValues(headers, 'set-cookie');
    if (setCookies.length > 0) {
      ctx.jar.absorb(setCookies, this.#options.url);
      if (!this.#options.forwardSetCookie) headers = headers.filter((_, i, a) => (i % 2 === 0 ? a[i]!.toLowerCase() !== 'set-cookie' : a[i - 1]!.toLowerCase() !== 'set-cookie'));
    }
    if (this.#expiredHead(status, headers)) {
      ctx.markExpired();
      if (this.#options.replayable) {
        this.#swallow = true;
        return true;
      }
      return this.#next.onResponseStart(status, headers, reason, resume);
    }
    if (this.#policy.body !== null && status < 400) {
      this.#held = { status, headers, reason, resume, chunks: [], size: 0 };
      return true;
    }
    ctx.markAuthenticated();
    return this.#next.onResponseStart(status, headers, reason, resume);
  }

  onResponseData(chunk: Buffer): boolean {
    if (this.#swallow) return true;
    const held = this.#held;
    if (held !== null) {
      held.chunks.push(chunk);
      held.size += chunk.length;
      if (held.size <= EXPIRY_BODY_LIMIT) return true;
      // Too big to be a "please log in" page: pass it on.
      return this.#release();
    }
    return this.#next.onResponseData(chunk);
  }

  onResponseEnd(): void {
    if (this.#swallow) return this.#options.onExpired();
    const held = this.#held;
    if (held !== null && this.#policy.body!.test(Buffer.concat(held.chunks, held.size).toString('utf8'))) {
      this.#context.markExpired();
      if (this.#options.replayable) return this.#options.onExpired();
    }
    if (held !== null) this.#release();
    this.#next.onResponseEnd();
  }

  onResponseError(failure: UpstreamFailure): void {
    if (this.#swallow) return this.#options.onExpired();
    if (this.#held !== null) failure = { ...failure, responseStarted: false };
    this.#next.onResponseError(failure);
  }

  onUpgrade(status: number, headers: string[], socket: Duplex): void {
    this.#next.onUpgrade?.(status, headers, socket);
  }

  /** Passes a held response on: head, held body, then the rest streams as usual. */
  #release(): boolean {
    const held = this.#held!;
    this.#held = null;
    this.#context.markAuthenticated();
    let ok = this.#next.onResponseStart(held.status, held.headers, held.reason, held.resume);
    for (const c of held.chunks) ok = this.#next.onResponseData(c);
    return ok;
  }

  #expiredHead(status: number, headers: string[]): boolean {
    return expiredHead(this.#policy, status, headers);
  }
}

/** Does a response head say the server's session is gone (status, redirect to the login path, header)? */
export function expiredHead(p: ExpiryPolicy, status: number, headers: readonly string[]): boolean {
  if (p.statuses.has(status)) return true;
  if (p.loginPath !== null && status >= 300 && status < 400) {
    const location = headerValues(headers, 'location')[0];
    if (location !== undefined && pathOf(location).startsWith(p.loginPath)) return true;
  }
  if (p.header !== null) {
    const values = headerValues(headers, p.header.name);
    if (values.some((v) => p.header!.match.test(v))) return true;
  }
  return false;
}

/** The same, for a whole response (the body pattern is checked on bodies up to EXPIRY_BODY_LIMIT). */
export function expiredResponse(p: ExpiryPolicy, status: number, headers: readonly string[], body: Buffer): boolean {
  if (expiredHead(p, status, headers)) return true;
  return p.body !== null && status < 400 && body.length <= EXPIRY_BODY_LIMIT && p.body.test(body.toString('utf8'));
}

function pathOf(location: string): string {
  try {
    return new URL(location, 'http://x').pathname;
  } catch {
    return location;
  }
}
