/**
 * ExchangeLog: DataMiner's HTTP Sessions table. A bounded, volatile ring of the latest exchanges
 * (`maxEntries`), switched on and off at run time, with a ceiling on the bodies it keeps, data loss
 * overall / per server / per service, and live subscribers that can never slow the proxy down: each has a
 * bounded queue, a slow one loses events and is told how many.
 *
 * It knows nothing about HTTP servers or the UI: the recorder feeds it, the admin SSE layer subscribes.
 *
 * Memory ceiling: the bodies live in one ring (body-arena.ts) of min(`maxTotalBodyBytes`, `maxEntries` × 2 ×
 * `maxBodyBytes`) bytes, allocated once; the rows live in columns (row-table.ts), allocated by the first
 * record, and one string per row holding its uri, reason and both heads: at most 320 bytes per row + 1 per
 * header field + 1 per character of those (the bench's `exchange-log-memory` probe measured about 610 bytes for
 * rows of 13 fields and 348 characters). With the defaults (1,000 rows, 8 KiB, 32 MiB: a 16 MiB ring) and
 * heads of a dozen fields, under 17 MiB; with 10,000 rows of 8 KiB bodies (a 32 MiB ring), under 39 MiB.
 * A row costs the garbage collector one flat string and nothing else: a busy log holds thousands of rows
 * that each live through a few young collections, and everything a row holds is copied by them and then
 * promoted (see row-table.ts); a Buffer per body was memory outside the heap that only full collections free.
 */
import { randomBytes } from 'node:crypto';
import { LossScope, LossTable, percent, statusMatcher, type DataLossState } from './data-loss.js';
import { BodyArena } from './body-arena.js';
import { Redactor } from './redact.js';
import type { Exchange, ExchangeFields } from './exchange.js';
import { RowTable } from './row-table.js';

export interface ExchangeLogOptions {
  enabled: boolean;
  maxEntries: number;
  maxBodyBytes: number;
  maxTotalBodyBytes: number;
  /** Header names whose values are redacted (any case). */
  redactHeaders: readonly string[];
  thresholdPercent: number;
  /** Status patterns that count as data loss (`4xx`, `429`, `500-503`). */
  lossStatuses: readonly string[];
  /** Events a subscriber may fall behind by before it loses some. */
  subscriberQueue: number;
}

export interface DataLoss {
  percent: number;
  state: DataLossState;
  /** Exchanges in the table, and those counting as lost. */
  total: number;
  lost: number;
  /** When the state last changed (ms since epoch). */
  changedAt: number;
  /** Exchanges ever recorded in this scope, and those of them that lost data (a clear does not reset these). */
  recordedTotal: number;
  lostTotal: number;
}

/** Events of the log (declared names, `<noun>:<past-verb>`). */
export type ExchangeLogEvent =
  /** `seq`: the row's place in the order of recording (1, 2, …: see {@link ExchangeLog.recordedAfter}). */
  | { type: 'exchange:recorded'; exchange: Exchange; seq: number }
  | { type: 'log:data-loss-changed'; scope: 'all' | 'server' | 'service'; name: string | null; dataLoss: DataLoss }
  | { type: 'log:cleared' }
  | { type: 'log:configured' }
  /** Sent to a subscriber that fell behind: `count` events were dropped for it. */
  | { type: 'log:events-lost'; count: number };

/** Receives batches of events; returns false to be paused until it calls `resume()`. */
export type SubscriberFn = (events: ExchangeLogEvent[]) => boolean;

export interface Subscription {
  resume(): void;
  close(): void;
  /** Events dropped for this subscriber so far. */
  readonly lost: number;
}

class Subscriber implements Subscription {
  queue: ExchangeLogEvent[] = [];
  paused = false;
  pendingLost = 0;
  lost = 0;
  closed = false;
  constructor(
    readonly fn: SubscriberFn,
    readonly limit: number,
    readonly owner: ExchangeLog,
  ) {}

  push(e: ExchangeLogEvent): void {
    if (this.queue.length >= this.limit) {
      this.pendingLost++;
      this.lost++;
      return;
    }
    this.queue.push(e);
  }

  flush(): void {
    if (this.paused || this.closed || (this.queue.length === 0 && this.pendingLost === 0)) return;
    const batch = this.queue;
    this.queue = [];
    if (this.pendingLost > 0) {
      batch.unshift({ type: 'log:events-lost', count: this.pendingLost });
      this.pendingLost = 0;
    }
    if (this.fn(batch) === false) this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.owner.scheduleFlush();
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.owner.unsubscribe(this);
  }
}

export class ExchangeLog {
  #enabled: boolean;
  #maxEntries: number;
  #thresholdPercent: number;
  readonly maxBodyBytes: number;
  readonly maxTotalBodyBytes: number;
  /** The header fields whose values rows never keep. */
  readonly redactor: Redactor;
  readonly #isLoss: (status: number) => boolean;
  readonly #subscriberQueue: number;

  /** The rows, a ring of slots: the oldest at `#head`. */
  #rows: RowTable;
  #head = 0;
  #count = 0;
  /** The kept bodies: a ring the size of the body ceiling (see body-arena.ts). */
  #arena: BodyArena;
  /** Data loss of the whole table, and per server and per service. */
  #all = new LossScope(null);
  #servers = new LossTable();
  #services = new LossTable();
  #subscribers = new Set<Subscriber>();
  #flushScheduled = false;
  #recorded = 0;
  /**
   * Tells this log's recording sequence apart from another's (a restarted gateway counts from 1 again), for
   * readers that resume from a sequence number they were given earlier.
   */
  readonly epoch = randomBytes(5).toString('hex');

  constructor(options: ExchangeLogOptions) {
    this.#enabled = options.enabled;
    this.#maxEntries = options.maxEntries;
    this.#thresholdPercent = options.thresholdPercent;
    this.maxBodyBytes = options.maxBodyBytes;
    this.maxTotalBodyBytes = options.maxTotalBodyBytes;
    this.redactor = new Redactor(options.redactHeaders);
    this.#isLoss = statusMatcher(options.lossStatuses);
    this.#subscriberQueue = options.subscriberQueue;
    this.#rows = new RowTable(options.maxEntries);
    this.#arena = new BodyArena(this.#arenaSize(options.maxEntries));
  }

  /** The ring never needs more than every row's two bodies at their limit, nor more than the ceiling. */
  #arenaSize(maxEntries: number): number {
    return Math.min(this.maxTotalBodyBytes, maxEntries * 2 * this.maxBodyBytes);
  }

  get enabled(): boolean {
    return this.#enabled;
  }
  get maxEntries(): number {
    return this.#maxEntries;
  }
  get thresholdPercent(): number {
    return this.#thresholdPercent;
  }
  /** Exchanges in the table. */
  get size(): number {
    return this.#count;
  }
  /** Bytes of bodies kept now (in the ring; at most the body ceiling). */
  get keptBodyBytes(): number {
    return this.#arena.usedBytes;
  }
  /** Exchanges recorded since start (also those already evicted). */
  get recorded(): number {
    return this.#recorded;
  }

  /**
   * Lost data: a failure (no response, or a response cut off) or a status that counts. A client that went
   * away lost nothing on the server's side and does not count.
   */
  #lossy(ex: Exchange): boolean {
    if (ex.error === 'client_aborted') return false;
    return ex.error !== null || ex.status === null || this.#isLoss(ex.status);
  }

  /** Adds a finished exchange (a no-op while disabled). */
  record(ex: Exchange): void {
    if (!this.#enabled) return;
    this.#recorded++;
    ex.lossy = this.#lossy(ex);
    if (this.#count === this.#maxEntries) this.#evictOldest();
    ex.keepBodiesIn(this.#arena);
    this.#rows.write((this.#head + this.#count) % this.#maxEntries, ex);
    this.#count++;
    if (this.#subscribers.size > 0) this.#publish({ type: 'exchange:recorded', exchange: ex, seq: this.#recorded });
    this.#all.add(ex.lossy, 1);
    this.#check('all', this.#all);
    this.#check('server', this.#servers.add(ex.server, ex.lossy, 1));
    this.#check('service', this.#services.add(ex.service, ex.lossy, 1));
  }

  /** The row with this id (a copy: see RowTable), or undefined when it is not (or no longer) in the table. */
  get(id: number): Exchange | undefined {
    // Newest first: rows are recorded in the order they end, which is about the order of their ids.
    for (let i = this.#count - 1; i >= 0; i--) {
      const slot = (this.#head + i) % this.#maxEntries;
      if (this.#rows.id(slot) === id) return this.#rows.read(slot);
    }
    return undefined;
  }

  /** The rows (copies), oldest id first. */
  list(): Exchange[] {
    return this.query(null).rows;
  }

  /**
   * The rows `where` accepts, oldest id first: how many, and copies of those from `range.start` through
   * `range.end` (counted from 0, inclusive; all without a range). `where` reads the table's columns, so rows
   * it turns down, and those outside the range, are never built. Its argument is only valid during the call.
   */
  query(where: ((row: ExchangeFields) => boolean) | null, range: { start: number; end: number } | null = null): { total: number; rows: Exchange[] } {
    const table = this.#rows;
    const slots: number[] = [];
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#head + i) % this.#maxEntries;
      if (where === null || where(table.fields(slot))) slots.push(slot);
    }
    // Rows are recorded as they end, so the ring is nearly in id order already.
    slots.sort((a, b) => table.id(a) - table.id(b));
    const picked = range === null ? slots : slots.slice(range.start, range.end + 1);
    return { total: slots.length, rows: picked.map((slot) => table.read(slot)) };
  }

  /**
   * The rows recorded after the `seq`-th (copies, in the order they were recorded), at most the newest `max`
   * of them; `first`, the place of the first of them in that order (the next ones follow one by one); and how
   * many recorded after `seq` are not among them (evicted, cleared, or beyond `max`). The ring
   * holds rows in recording order, so the newest row is the `recorded`-th and the oldest the
   * (`recorded` − `size` + 1)-th. A `seq` of 0 asks for everything in the table.
   */
  recordedAfter(seq: number, max = Infinity): { rows: Exchange[]; first: number; missed: number } {
    const after = Math.max(0, Math.min(seq, this.#recorded));
    const wanted = this.#recorded - after;
    const held = Math.min(wanted, this.#count, max);
    const rows: Exchange[] = [];
    for (let i = this.#count - held; i < this.#count; i++) rows.push(this.#rows.read((this.#head + i) % this.#maxEntries));
    return { rows, first: this.#recorded - held + 1, missed: wanted - held };
  }

  clear(): void {
    this.#rows = new RowTable(this.#maxEntries);
    this.#head = 0;
    this.#count = 0;
    this.#arena.clear();
    this.#all.reset();
    this.#servers.clear();
    this.#services.clear();
    this.#publish({ type: 'log:cleared' });
    this.#checkAll();
  }

  /** Run-time changes (already validated as a whole by the caller). */
  configure(change: { enabled?: boolean; maxEntries?: number; thresholdPercent?: number }): void {
    if (change.enabled !== undefined) this.#enabled = change.enabled;
    if (change.thresholdPercent !== undefined) this.#thresholdPercent = change.thresholdPercent;
    if (change.maxEntries !== undefined && change.maxEntries !== this.#maxEntries) this.#resize(change.maxEntries);
    this.#publish({ type: 'log:configured' });
    this.#checkAll();
  }

  dataLoss(): DataLoss {
    return snapshot(this.#all);
  }

  /** Data loss of the exchanges with one server / of one service (none yet: `ok`, since the table's last change). */
  dataLossOf(scope: 'server' | 'service', name: string): DataLoss {
    const s = (scope === 'server' ? this.#servers : this.#services).get(name);
    return s === undefined ? { percent: 0, state: 'ok', total: 0, lost: 0, changedAt: this.#all.changedAt, recordedTotal: 0, lostTotal: 0 } : snapshot(s);
  }

  subscribe(fn: SubscriberFn): Subscription {
    const s = new Subscriber(fn, this.#subscriberQueue, this);
    this.#subscribers.add(s);
    return s;
  }

  /** @internal */
  unsubscribe(s: Subscription): void {
    this.#subscribers.delete(s as Subscriber);
  }

  /** @internal */
  scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      for (const s of this.#subscribers) s.flush();
    });
  }

  #evictOldest(): void {
    const rows = this.#rows;
    const slot = this.#head;
    const lossy = rows.lossy(slot);
    this.#head = (slot + 1) % this.#maxEntries;
    this.#count--;
    this.#all.add(lossy, -1);
    this.#check('server', this.#servers.add(rows.server(slot), lossy, -1));
    this.#check('service', this.#services.add(rows.service(slot), lossy, -1));
    // The slot is written over by the row that made room (see record).
  }

  #resize(maxEntries: number): void {
    // In the ring's order (the order of recording, which recordedAfter counts on), not the order of ids.
    const rows = this.recordedAfter(0).rows;
    const keep = rows.slice(Math.max(0, rows.length - maxEntries));
    for (const ex of rows.slice(0, rows.length - keep.length)) {
      this.#all.add(ex.lossy, -1);
      this.#servers.add(ex.server, ex.lossy, -1);
      this.#services.add(ex.service, ex.lossy, -1);
    }
    this.#maxEntries = maxEntries;
    this.#rows = new RowTable(maxEntries);
    keep.forEach((ex, i) => this.#rows.write(i, ex));
    this.#head = 0;
    this.#count = keep.length;
    // A larger table gets a larger ring for the bodies to come; rows keep reading theirs from the old one.
    if (this.#arenaSize(maxEntries) > this.#arena.capacity) this.#arena = new BodyArena(this.#arenaSize(maxEntries));
  }

  /** Compares every scope with the threshold again (after a clear, a new threshold, a smaller table). */
  #checkAll(): void {
    this.#check('all', this.#all);
    for (const s of this.#servers.values()) this.#check('server', s);
    for (const s of this.#services.values()) this.#check('service', s);
  }

  /** Tells subscribers when a scope's state changed. */
  #check(scope: 'all' | 'server' | 'service', s: LossScope | null): void {
    if (s === null || !s.update(this.#thresholdPercent)) return;
    this.#publish({ type: 'log:data-loss-changed', scope, name: s.name, dataLoss: snapshot(s) });
  }

  #publish(e: ExchangeLogEvent): void {
    if (this.#subscribers.size === 0) return;
    for (const s of this.#subscribers) s.push(e);
    this.scheduleFlush();
  }
}

function snapshot(s: LossScope): DataLoss {
  return { percent: percent(s), state: s.state, total: s.total, lost: s.lost, changedAt: s.changedAt, recordedTotal: s.everTotal, lostTotal: s.everLost };
}
