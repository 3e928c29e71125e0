/**
 * TimeoutQueue: the one timer of the session table (SQL Anywhere's "session timeout queue").
 *
 * A binary min-heap of deadlines with a single timer armed for the earliest one, so the cost of a tick
 * depends on how many entries are due, never on how many are alive. Activity does not touch the heap:
 * the owner keeps its real deadline and, when an entry comes due early, re-arms it (lazy re-arm, O(log n)).
 * Due entries are handled in slices (a time budget per slice, the rest after `setImmediate`) so that
 * expiring 100,000 sessions at once never stalls the event loop for long.
 */

export interface TimeoutEntry<T> {
  deadline: number;
  item: T;
  /** Position in the heap; -1 when not queued. */
  index: number;
}

export interface TimeoutQueueOptions<T> {
  /** The item's current deadline (ms since epoch), or null when it must not expire now (busy). */
  deadlineOf(item: T): number | null;
  /** How long to look again at an item that was busy when it came due. */
  busyRecheckMs?: number;
  /** Called for each item whose deadline has passed. */
  expire(item: T): void;
  /** Longest time spent expiring in one go before yielding to the event loop (ms). */
  sliceBudgetMs?: number;
  /** Timer granularity: entries due within this many ms are handled together. */
  resolutionMs?: number;
  now?: () => number;
}

export class TimeoutQueue<T> {
  #heap: TimeoutEntry<T>[] = [];
  #options: Required<TimeoutQueueOptions<T>>;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #running = false;
  #closed = false;

  constructor(options: TimeoutQueueOptions<T>) {
    this.#options = { busyRecheckMs: 1000, sliceBudgetMs: 5, resolutionMs: 50, now: Date.now, ...options };
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Queues `item` to come due at `deadline`; returns its entry (keep it to remove the item later). */
  add(item: T, deadline: number): TimeoutEntry<T> {
    const entry: TimeoutEntry<T> = { deadline, item, index: this.#heap.length };
    this.#heap.push(entry);
    this.#up(entry.index);
    this.#arm();
    return entry;
  }

  remove(entry: TimeoutEntry<T>): void {
    const i = entry.index;
    if (i < 0) return;
    const last = this.#heap.pop()!;
    entry.index = -1;
    if (last !== entry) {
      this.#heap[i] = last;
      last.index = i;
      this.#down(i);
      this.#up(last.index);
    }
  }

  /** Moves an entry to an earlier (or later) deadline. */
  reschedule(entry: TimeoutEntry<T>, deadline: number): void {
    if (entry.index < 0) {
      entry.deadline = deadline;
      entry.index = this.#heap.length;
      this.#heap.push(entry);
      this.#up(entry.index);
    } else {
      const earlier = deadline < entry.deadline;
      entry.deadline = deadline;
      if (earlier) this.#up(entry.index);
      else this.#down(entry.index);
    }
    this.#arm();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const e of this.#heap) e.index = -1;
    this.#heap = [];
  }

  /** Handles what is due now (the timer calls this; tests may too). */
  run(): void {
    if (this.#closed || this.#running) return;
    this.#running = true;
    const o = this.#options;
    const started = performance.now();
    try {
      while (this.#heap.length > 0) {
        const now = o.now();
        const top = this.#heap[0]!;
        if (top.deadline > now) break;
        const real = o.deadlineOf(top.item);
        if (real === null) {
          this.reschedule(top, now + o.busyRecheckMs);
        } else if (real > now) {
          this.reschedule(top, real);
        } else {
          this.remove(top);
          o.expire(top.item);
        }
        if (performance.now() - started > o.sliceBudgetMs) {
          // Yield to the event loop, go on right after.
          setImmediate(() => this.run());
          return;
        }
      }
    } finally {
      this.#running = false;
    }
    this.#arm(true);
  }

  #arm(force = false): void {
    if (this.#closed || this.#heap.length === 0) return;
    const at = this.#heap[0]!.deadline + this.#options.resolutionMs;
    if (!force && at >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      this.run();
    }, Math.max(0, at - this.#options.now()));
    this.#timer.unref();
  }

  #up(i: number): void {
    const h = this.#heap;
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (parent.deadline <= e.deadline) break;
      h[i] = parent;
      parent.index = i;
      i = p;
    }
    h[i] = e;
    e.index = i;
  }

  #down(i: number): void {
    const h = this.#heap;
    const n = h.length;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]!.deadline < h[l]!.deadline ? r : l;
      const child = h[c]!;
      if (child.deadline >= e.deadline) break;
      h[i] = child;
      child.index = i;
      i = c;
    }
    h[i] = e;
    e.index = i;
  }
}
