/**
 * BodyArena: where the exchange log keeps bodies. One ring of bytes, allocated once: a recorded body is
 * copied in at the write position, which moves on and wraps around, so the newest bytes overwrite the oldest
 * and the ring's size is the body ceiling. A row holds only the position and length of its bodies; reading
 * them back after newer ones overwrote them gives null (the row's bodies were evicted).
 *
 * Why not a Buffer per body: each would be memory outside the JS heap that V8 frees only in a full
 * collection; a busy log (thousands of rows a second, each living through a few young collections) made
 * V8 run one every half second, which cost the gateway a fifth of its throughput and milliseconds of p99.
 */
export class BodyArena {
  readonly capacity: number;
  #ring: Buffer | null = null;
  /** Bytes ever written: the absolute position of the next write. */
  #written = 0;
  /** Positions before this were cleared. */
  #floor = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
  }

  /** Bytes of the ring in use (allocated on the first write, in full). */
  get usedBytes(): number {
    return Math.min(this.#written - this.#floor, this.capacity);
  }

  /** Copies `bytes` in; their position, or -1 when they can never fit (empty, or larger than the ring). */
  put(bytes: Buffer): number {
    const n = bytes.length;
    if (n === 0 || n > this.capacity) return -1;
    const ring = (this.#ring ??= Buffer.allocUnsafeSlow(this.capacity));
    const pos = this.#written;
    const at = pos % this.capacity;
    // TypedArray.set: one memmove, without Buffer.copy's argument handling (a row's bodies go through here).
    if (n <= this.capacity - at) {
      ring.set(bytes, at);
    } else {
      const first = this.capacity - at;
      ring.set(bytes.subarray(0, first), at);
      ring.set(bytes.subarray(first), 0);
    }
    this.#written = pos + n;
    return pos;
  }

  /** The bytes at `pos` are still there (not overwritten by newer ones). */
  holds(pos: number, length: number): boolean {
    return pos >= this.#floor && pos + length <= this.#written && pos >= this.#written - this.capacity;
  }

  /** A copy of `length` bytes at `pos`, or null when they were overwritten. */
  get(pos: number, length: number): Buffer | null {
    if (!this.holds(pos, length) || this.#ring === null) return null;
    const out = Buffer.allocUnsafe(length);
    const at = pos % this.capacity;
    const first = Math.min(length, this.capacity - at);
    this.#ring.copy(out, 0, at, at + first);
    if (first < length) this.#ring.copy(out, first, 0, length - first);
    return out;
  }

  /** Forgets every body (the ring stays allocated). */
  clear(): void {
    this.#floor = this.#written;
  }
}
