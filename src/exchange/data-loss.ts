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

/** Counts per key (server or service name). */
export class LossTable {
  readonly #counts = new Map<string, LossCounts>();

  add(key: string | null, lost: boolean, delta: 1 | -1): void {
    if (key === null) return;
    let c = this.#counts.get(key);
    if (!c) this.#counts.set(key, (c = { total: 0, lost: 0 }));
    c.total += delta;
    if (lost) c.lost += delta;
    if (c.total === 0) this.#counts.delete(key);
  }

  get(key: string): LossCounts {
    return this.#counts.get(key) ?? { total: 0, lost: 0 };
  }

  entries(): IterableIterator<[string, LossCounts]> {
    return this.#counts.entries();
  }

  clear(): void {
    this.#counts.clear();
  }
}
