/** Secrets stay out of the exchange log: redacted header values, and a body capture that copies at most N bytes. */

export const REDACTED = '[redacted]';

/** A copy of `[name, value, ...]` with the values of `secret` fields (lower-case names) replaced. */
export function redactHeaders(headers: readonly string[], secret: ReadonlySet<string>): string[] {
  const out = headers.slice();
  for (let i = 0; i < out.length; i += 2) {
    if (secret.has(out[i]!.toLowerCase())) out[i + 1] = REDACTED;
  }
  return out;
}

/** Keeps the first `limit` bytes of a body that streams through in pieces, copying only those. */
export class BodyCapture {
  #buf: Buffer | null = null;
  #kept = 0;
  #size = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(chunk: Buffer): void {
    this.#size += chunk.length;
    const room = this.#limit - this.#kept;
    if (room <= 0) return;
    this.#buf ??= Buffer.allocUnsafe(Math.min(this.#limit, Math.max(chunk.length, 256)));
    const n = Math.min(room, chunk.length);
    if (this.#kept + n > this.#buf.length) {
      const bigger = Buffer.allocUnsafe(Math.min(this.#limit, Math.max(this.#buf.length * 2, this.#kept + n)));
      this.#buf.copy(bigger, 0, 0, this.#kept);
      this.#buf = bigger;
    }
    chunk.copy(this.#buf, this.#kept, 0, n);
    this.#kept += n;
  }

  get size(): number {
    return this.#size;
  }

  /**
   * The kept bytes (a view, not a copy), or null when the body was empty or nothing may be kept.
   * Short-lived: the log copies them into its body ring when the row is recorded.
   */
  take(): Buffer | null {
    if (this.#buf === null || this.#kept === 0) return null;
    return this.#buf.subarray(0, this.#kept);
  }
}
