/** Secrets stay out of the exchange log: redacted header values, and a body capture that copies at most N bytes. */

import { packHeaders } from './exchange.js';

export const REDACTED = '[redacted]';

/** Which header fields are secret (case-insensitive names), and a head packed with their values replaced. */
export class Redactor {
  readonly #names: ReadonlySet<string>;
  /**
   * 1 at the length of each secret name: a field whose name has another length is neither lower-cased nor
   * looked up (an array read, where a Set lookup per field was most of what redaction cost).
   */
  readonly #lengths: Uint8Array;

  constructor(names: readonly string[]) {
    this.#names = new Set(names.map((n) => n.toLowerCase()));
    this.#lengths = new Uint8Array(Math.max(0, ...names.map((n) => n.length)) + 1);
    for (const n of names) this.#lengths[n.length] = 1;
  }

  isSecret(name: string): boolean {
    return this.#lengths[name.length] === 1 && this.#names.has(name.toLowerCase());
  }

  /** `[name, value, ...]` packed as a row keeps them (see packHeaders), the values of secret fields replaced. */
  pack(headers: readonly string[]): string {
    for (let i = 0; i < headers.length; i += 2) {
      if (this.isSecret(headers[i]!)) return packHeaders(headers.map((v, j) => (j % 2 === 1 && this.isSecret(headers[j - 1]!) ? REDACTED : v)));
    }
    return packHeaders(headers);
  }
}

/**
 * Keeps the first `limit` bytes of a body that streams through in pieces. A body that comes in one piece
 * is kept as a view of that piece, with no copy (the log copies it once, into its body ring, when the row
 * is recorded; pieces of a socket read are never reused by Node or undici); a second piece makes it copy
 * what it keeps into a buffer of its own.
 */
export class BodyCapture {
  /** The first piece itself, or (`#own`) a buffer of its own with room to grow. */
  #buf: Buffer | null = null;
  #own = false;
  #kept = 0;
  #size = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(chunk: Buffer): void {
    this.#size += chunk.length;
    const n = Math.min(this.#limit - this.#kept, chunk.length);
    if (n <= 0) return;
    if (this.#buf === null) {
      this.#buf = chunk;
      this.#kept = n;
      return;
    }
    if (!this.#own || this.#kept + n > this.#buf.length) {
      const bigger = Buffer.allocUnsafe(Math.min(this.#limit, Math.max(2 * (this.#kept + n), 256)));
      this.#buf.copy(bigger, 0, 0, this.#kept);
      this.#buf = bigger;
      this.#own = true;
    }
    chunk.copy(this.#buf, this.#kept, 0, n);
    this.#kept += n;
  }

  get size(): number {
    return this.#size;
  }

  /** The kept bytes (a view, not a copy), or null when the body was empty or nothing may be kept. */
  take(): Buffer | null {
    if (this.#buf === null) return null;
    return this.#kept === this.#buf.length ? this.#buf : this.#buf.subarray(0, this.#kept);
  }
}
