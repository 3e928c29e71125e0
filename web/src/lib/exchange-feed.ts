/**
 * The live HTTP sessions table in the browser: the rows of /v1/exchanges, kept up to date by the SSE
 * stream /v1/exchanges/stream. The stream is opened first and its events are held until the initial list
 * has loaded, so no row is missed between the two; after a reconnect or a `lost` event the gap is
 * filled from the list (`since=` the last id seen). Rows are kept in id order and bounded like the
 * server's table (its `max_entries`).
 */
import { api, type DataLossEvent, type ExchangeLogStateJson, type ExchangeSummaryJson } from './api.js';
import { Emitter } from './store.js';

export type FeedStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** Never keep more rows than this, whatever max_entries says. */
const HARD_LIMIT = 200_000;

export class ExchangeFeed extends Emitter {
  /** The rows shown, oldest first. Replaced (not mutated) on every change. */
  rows: readonly ExchangeSummaryJson[] = [];
  status: FeedStatus = 'connecting';
  paused = false;
  /** The log's state as of the last `state` event or `configured` refresh. */
  log: ExchangeLogStateJson | null = null;
  error: string | null = null;
  /** Called on every `data-loss` event and every fresh log state. */
  onDataLoss: ((e: DataLossEvent) => void) | null = null;
  onLogState: ((s: ExchangeLogStateJson) => void) | null = null;
  /** Called once with the rows of the first load. */
  onLoaded: ((rows: readonly ExchangeSummaryJson[]) => void) | null = null;

  readonly #ids = new Set<number>();
  /** Events that arrived while loading or paused. */
  #held: ExchangeSummaryJson[] = [];
  #loaded = false;
  #source: EventSource | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #lastId = 0;
  /** The id of the last `exchange` event (its place in the order of recording), to resume from. */
  #lastEventId = '';
  #loading: Promise<void> | null = null;

  get held(): number {
    return this.#held.length;
  }

  get maxEntries(): number {
    return Math.min(HARD_LIMIT, this.log?.max_entries ?? HARD_LIMIT);
  }

  start(): void {
    if (this.#source !== null) return;
    this.#connect();
    void this.#load();
  }

  stop(): void {
    this.#source?.close();
    this.#source = null;
    if (this.#retry !== null) clearTimeout(this.#retry);
  }

  pause(): void {
    this.paused = true;
    this.emit();
  }

  resume(): void {
    this.paused = false;
    this.#flush();
    this.emit();
  }

  /** Empties the view only (the server's table is cleared with `clear` on the API). */
  reset(): void {
    this.rows = [];
    this.#ids.clear();
    this.#held = [];
    this.emit();
  }

  #connect(): void {
    // A new EventSource (after the last one gave up) resumes where that one stopped; one that reconnects by
    // itself sends the Last-Event-ID header. Either way the server sends again the rows recorded meanwhile.
    const resume = this.#lastEventId === '' ? '' : `?last_event_id=${encodeURIComponent(this.#lastEventId)}`;
    const source = new EventSource(`/v1/exchanges/stream${resume}`);
    this.#source = source;
    source.addEventListener('open', () => {
      this.status = 'live';
      this.error = null;
      this.emit();
    });
    source.addEventListener('error', () => {
      // EventSource reconnects by itself after a network error (the server asks for 2 s); after an HTTP
      // error it gives up (readyState CLOSED) and we try again a little later.
      this.status = source.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting';
      this.emit();
      if (source.readyState === EventSource.CLOSED) {
        this.#source = null;
        this.#retry = setTimeout(() => {
          this.#retry = null;
          this.#connect();
        }, 3000);
      }
    });
    source.addEventListener('state', (e) => {
      this.#setLog(JSON.parse((e as MessageEvent<string>).data) as ExchangeLogStateJson);
      // A (re)connection: whatever happened while we were away is in the list.
      if (this.#loaded) void this.#backfill();
    });
    source.addEventListener('exchange', (e) => {
      const event = e as MessageEvent<string>;
      this.#lastEventId = event.lastEventId;
      const row = JSON.parse(event.data) as ExchangeSummaryJson;
      if (!this.#loaded || this.paused) {
        this.#held.push(row);
        if (this.#held.length > this.maxEntries) this.#held.splice(0, this.#held.length - this.maxEntries);
        if (this.paused) this.emitSoon(250);
        return;
      }
      this.#add([row]);
    });
    source.addEventListener('data-loss', (e) => {
      const ev = JSON.parse((e as MessageEvent<string>).data) as DataLossEvent;
      if (ev.scope === 'all' && this.log !== null) {
        this.log = { ...this.log, ...dataLossOf(ev) };
        this.onLogState?.(this.log);
      }
      this.onDataLoss?.(ev);
      this.emitSoon();
    });
    source.addEventListener('lost', () => void this.#backfill());
    source.addEventListener('cleared', () => {
      this.reset();
      void this.refreshLog();
    });
    source.addEventListener('configured', () => void this.refreshLog());
  }

  async refreshLog(): Promise<void> {
    try {
      this.#setLog(await api.exchangeLog());
      this.#trim();
      this.emit();
    } catch (err) {
      this.error = (err as Error).message;
      this.emit();
    }
  }

  #setLog(state: ExchangeLogStateJson): void {
    this.log = state;
    this.onLogState?.(state);
    this.emitSoon();
  }

  async #load(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        const rows = await api.exchanges();
        this.#loaded = true;
        this.error = null;
        this.#add(rows, true);
        this.onLoaded?.(rows);
        if (!this.paused) this.#flush();
      } catch (err) {
        this.error = `cannot load the exchanges: ${(err as Error).message}`;
        this.emit();
        await new Promise((r) => setTimeout(r, 3000));
        this.#loading = null;
        return this.#load();
      }
      this.#loading = null;
    })();
    return this.#loading;
  }

  async #backfill(): Promise<void> {
    try {
      this.#add(await api.exchanges(`?since=${this.#lastId}`));
    } catch {
      // the next reconnection tries again
    }
  }

  #flush(): void {
    const held = this.#held;
    this.#held = [];
    if (held.length > 0) this.#add(held);
  }

  #add(rows: readonly ExchangeSummaryJson[], now = false): void {
    const fresh = rows.filter((r) => !this.#ids.has(r.id));
    if (fresh.length === 0) {
      if (now) this.emit();
      return;
    }
    for (const r of fresh) this.#ids.add(r.id);
    let next = this.rows.concat(fresh);
    // Events arrive in id order; a backfill may not: keep the table in id order.
    const lastOld = this.rows.length > 0 ? this.rows[this.rows.length - 1]!.id : 0;
    if (fresh[0]!.id < lastOld || !isSorted(fresh)) next = next.sort((a, b) => a.id - b.id);
    this.rows = next;
    this.#lastId = Math.max(this.#lastId, next[next.length - 1]!.id);
    this.#trim();
    if (now) this.emit();
    else this.emitSoon();
  }

  #trim(): void {
    const excess = this.rows.length - this.maxEntries;
    if (excess <= 0) return;
    for (const r of this.rows.slice(0, excess)) this.#ids.delete(r.id);
    this.rows = this.rows.slice(excess);
  }
}

function isSorted(rows: readonly ExchangeSummaryJson[]): boolean {
  for (let i = 1; i < rows.length; i++) if (rows[i]!.id < rows[i - 1]!.id) return false;
  return true;
}

function dataLossOf(e: DataLossEvent): Pick<ExchangeLogStateJson, 'data_loss_percent' | 'data_loss_state' | 'data_loss_changed' | 'exchanges' | 'lost'> {
  return { data_loss_percent: e.data_loss_percent, data_loss_state: e.data_loss_state, data_loss_changed: e.data_loss_changed, exchanges: e.exchanges, lost: e.lost };
}
