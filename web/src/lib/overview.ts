/**
 * The gateway at a glance: the exchange log's state, services, servers, listeners, polled once a second,
 * with a client-side history of data loss per scope (overall, each service, each server) for sparklines.
 * `data-loss` events from the live stream update the current value between two polls.
 */
import { api, type DataLossEvent, type DataLossJson, type ExchangeLogStateJson, type ExchangeSummaryJson, type GatewayJson, type ListenerJson, type ServerJson, type ServiceJson } from './api.js';
import { Emitter } from './store.js';

/** One data-loss sample. */
export interface Sample {
  at: number;
  percent: number;
  state: 'ok' | 'error';
}

/** Samples kept per scope: 2 minutes at one a second. */
export const HISTORY = 120;
export const SAMPLE_MS = 1000;

export const scopeKey = (scope: 'all' | 'service' | 'server', name: string | null = null): string =>
  scope === 'all' ? 'all' : `${scope}:${name ?? ''}`;

export class Overview extends Emitter {
  log: ExchangeLogStateJson | null = null;
  services: ServiceJson[] = [];
  servers: ServerJson[] = [];
  listeners: ListenerJson[] = [];
  gateway: GatewayJson | null = null;
  error: string | null = null;
  readonly history = new Map<string, Sample[]>();

  #timer: ReturnType<typeof setTimeout> | null = null;
  #ticks = 0;
  #running = false;

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#tick();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
  }

  /** Polls now (after a change made from the UI). */
  refresh(): Promise<void> {
    return this.#poll();
  }

  series(key: string): readonly Sample[] {
    return this.history.get(key) ?? [];
  }

  /** A fresh state from the live stream (or a PATCH answer). */
  setLog(state: ExchangeLogStateJson): void {
    this.log = state;
    this.emitSoon();
  }

  /** A `data-loss` event: the state of one scope changed. */
  applyDataLoss(e: DataLossEvent): void {
    const dl: DataLossJson = { data_loss_percent: e.data_loss_percent, data_loss_state: e.data_loss_state, data_loss_changed: e.data_loss_changed, exchanges: e.exchanges, lost: e.lost };
    if (e.scope === 'all' && this.log !== null) this.log = { ...this.log, ...dl };
    if (e.scope === 'service') this.services = this.services.map((s) => (s.name === e.name ? { ...s, data_loss: dl } : s));
    if (e.scope === 'server') this.servers = this.servers.map((s) => (s.name === e.name ? { ...s, data_loss: dl } : s));
    this.emitSoon();
  }

  async #tick(): Promise<void> {
    if (!this.#running) return;
    await this.#poll();
    this.#timer = setTimeout(() => void this.#tick(), SAMPLE_MS);
  }

  async #poll(): Promise<void> {
    try {
      const slow = this.#ticks++ % 5 === 0;
      const [log, services, servers, listeners, gateway] = await Promise.all([
        api.exchangeLog(),
        api.services(),
        api.servers(),
        slow ? api.listeners() : Promise.resolve(this.listeners),
        slow ? api.gateway() : Promise.resolve(this.gateway),
      ]);
      this.log = log;
      this.services = services;
      this.servers = servers;
      this.listeners = listeners;
      this.gateway = gateway;
      this.error = null;
      const now = Date.now();
      this.#sample('all', now, log);
      for (const s of services) this.#sample(scopeKey('service', s.name), now, s.data_loss);
      for (const s of servers) this.#sample(scopeKey('server', s.name), now, s.data_loss);
    } catch (err) {
      this.error = `cannot reach the admin API: ${(err as Error).message}`;
    }
    this.emit();
  }

  /**
   * Seeds the history from the rows of the table (once, when the page opens): the data loss each scope had
   * at each past second, as far as the rows still in the table tell. Live samples take over from there.
   */
  seed(rows: readonly ExchangeSummaryJson[], thresholdPercent: number): void {
    if (rows.length === 0) return;
    const sorted = rows.slice().sort((a, b) => Date.parse(a.request_time) - Date.parse(b.request_time));
    const firstLive = this.history.get('all')?.[0]?.at ?? Date.now();
    const start = Math.max(Date.parse(sorted[0]!.request_time), firstLive - (HISTORY - 1) * SAMPLE_MS);
    const counts = new Map<string, { total: number; lost: number }>();
    const seeded = new Map<string, Sample[]>();
    const bump = (key: string, lost: boolean): void => {
      let c = counts.get(key);
      if (c === undefined) counts.set(key, (c = { total: 0, lost: 0 }));
      c.total++;
      if (lost) c.lost++;
    };
    let i = 0;
    const steps = Math.floor((firstLive - start) / SAMPLE_MS);
    for (let step = steps; step >= 1; step--) {
      const at = firstLive - step * SAMPLE_MS;
      while (i < sorted.length && Date.parse(sorted[i]!.request_time) <= at) {
        const r = sorted[i++]!;
        bump('all', r.lost);
        if (r.service !== null) bump(scopeKey('service', r.service), r.lost);
        if (r.server !== null) bump(scopeKey('server', r.server), r.lost);
      }
      for (const [key, c] of counts) {
        const percent = Math.round((c.lost / c.total) * 10_000) / 100;
        let list = seeded.get(key);
        if (list === undefined) seeded.set(key, (list = []));
        list.push({ at, percent, state: percent > thresholdPercent ? 'error' : 'ok' });
      }
    }
    for (const [key, list] of seeded) {
      const live = this.history.get(key) ?? [];
      this.history.set(key, [...list, ...live].slice(-HISTORY));
    }
    this.emitSoon();
  }

  #sample(key: string, at: number, d: DataLossJson): void {
    let list = this.history.get(key);
    if (list === undefined) this.history.set(key, (list = []));
    list.push({ at, percent: d.data_loss_percent, state: d.data_loss_state });
    if (list.length > HISTORY) list.splice(0, list.length - HISTORY);
  }
}
