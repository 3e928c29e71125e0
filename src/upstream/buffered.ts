/** An UpstreamHandler that collects a whole (bounded) response: for logins and the session client library. */
import { GatewayError } from '../errors.js';
import type { UpstreamFailure, UpstreamHandler } from './dispatch.js';

export interface BufferedResponse {
  status: number;
  reason: string;
  /** `[name, value, ...]` (hop-by-hop fields removed). */
  headers: string[];
  body: Buffer;
}

export class BufferingHandler implements UpstreamHandler {
  readonly #resolve: (r: BufferedResponse) => void;
  readonly #reject: (err: Error) => void;
  readonly #limit: number;
  #status = 0;
  #reason = '';
  #headers: string[] = [];
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(limit: number, resolve: (r: BufferedResponse) => void, reject: (err: Error) => void) {
    this.#limit = limit;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  onResponseStart(status: number, headers: string[], reason: string): boolean {
    this.#status = status;
    this.#reason = reason;
    this.#headers = headers;
    return true;
  }

  onResponseData(chunk: Buffer): boolean {
    this.#size += chunk.length;
    if (this.#size > this.#limit) throw new Error(`response body larger than ${this.#limit} bytes`);
    this.#chunks.push(chunk);
    return true;
  }

  onResponseEnd(): void {
    this.#resolve({ status: this.#status, reason: this.#reason, headers: this.#headers, body: Buffer.concat(this.#chunks, this.#size) });
  }

  onResponseError(failure: UpstreamFailure): void {
    this.#reject(new GatewayError(failure.code, undefined, { cause: failure.cause }));
  }
}

/** All values of a header field in a flat list (`name` lower case). */
export function headerValues(headers: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) out.push(headers[i + 1]!);
  return out;
}
