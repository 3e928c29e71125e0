/**
 * Data loss (DataMiner): the share of the exchanges in the table whose status is an error or that failed
 * with no response, overall and per server and per service; `error` above the threshold. Counts change by
 * one as rows come and go, so reading it costs nothing.
 */

export type DataLossState = 'ok' | 'error';

/** Which statuses count, from patterns such as `4xx`, `429`, `500-503`. */
export function statusMatcher(patterns: readonly string[]): (status: number) => boolean {
  const table = new Uint8Array(600);
  for (const p of patterns) {
    if (/^[1-5]xx$/.test(p)) {
      const base = Number(p[0]) * 100;
      table.fill(1, base, base + 100);
    } else if (/^\d{3}-\d{3}$/.test(p)) {
      const [a, b] = p.split('-').map(Number) as [number, number];
      table.fill(1, a, b + 1);
    } else {
      table[Number(p)] = 1;
    }
  }
  return (status) => status >= 0 && status < 600 && table[status] === 1;
}

export interface LossCounts {
  total: number;
  lost: number;
}

export function percent(c: LossCounts): number {
  return c.total === 0 ? 0 : Math.round((c.lost / c.total) * 10_000) / 100;
}

/**
 * The counts of one scope (the whole table, one server, one service) and its state, which changes when the
 * percentage crosses the threshold: the time of that change is what the table shows as "last changed".
 */
export class LossScope implements LossCounts {
  total = 0;
  lost = 0;
  /** Rows ever counted in, and those of them lost: never reset (Prometheus counters). */
  everTotal = 0;
  everLost = 0;
  state: DataLossState = 'ok';
  /** When the state last changed (ms since epoch); a scope first seen starts `ok` now. */
  changedAt = Date.now();

  constructor(readonly name: string | null) {}

  add(lost: boolean, delta: 1 | -1): void {
    this.total += delta;
    if (lost) this.lost += delta;
    if (delta === 1) {
      this.everTotal++;
      if (lost) this.everLost++;
    }
  }

  /** The table was cleared: nothing counted now (the state is compared again by the caller; the ever counts stay). */
  reset(): void {
    this.total = this.lost = 0;
  }

  /** Compares the percentage with the threshold again; true when the state changed. */
  update(thresholdPercent: number): boolean {
    const state: DataLossState = percent(this) > thresholdPercent ? 'error' : 'ok';
    if (state === this.state) return false;
    this.state = state;
    this.changedAt = Date.now();
    return true;
  }
}

/**
 * The scopes of one kind (servers or services) by name. A scope stays when its count drops to zero, so its
 * state and the time it changed survive a cleared table; there are as many as named servers and services.
 */
export class LossTable {
  readonly #scopes = new Map<string, LossScope>();

  /** Counts a row in (`delta` 1) or out (-1); the scope, or null for a row without a name here. */
  add(name: string | null, lost: boolean, delta: 1 | -1): LossScope | null {
    if (name === null) return null;
    let scope = this.#scopes.get(name);
    if (scope === undefined) this.#scopes.set(name, (scope = new LossScope(name)));
    scope.add(lost, delta);
    return scope;
  }

  get(name: string): LossScope | undefined {
    return this.#scopes.get(name);
  }

  values(): IterableIterator<LossScope> {
    return this.#scopes.values();
  }

  /** Every count to zero (the states are compared again by the caller). */
  clear(): void {
    for (const scope of this.#scopes.values()) scope.reset();
  }
}
