/** Data loss of the table, per server and per service: counts as rows come and go, states and their changes. */
import { describe, expect, it } from 'vitest';
import { Exchange } from '../../../src/exchange/exchange.js';
import { ExchangeLog, type ExchangeLogEvent } from '../../../src/exchange/exchange-log.js';

function log(maxEntries = 100): ExchangeLog {
  return new ExchangeLog({
    enabled: true, maxEntries, maxBodyBytes: 64, maxTotalBodyBytes: 1 << 16, redactHeaders: [],
    thresholdPercent: 10, lossStatuses: ['4xx', '5xx'], subscriberQueue: 100,
  });
}

function row(server: string, service: string, status: number | null, error: string | null = null): Exchange {
  const ex = new Exchange();
  ex.server = server;
  ex.service = service;
  ex.status = status;
  ex.error = error;
  return ex;
}

/** Waits for the log's batched delivery to subscribers. */
const delivered = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('data loss', () => {
  it('counts per server and per service, and tells each state change once', async () => {
    const l = log();
    const events: ExchangeLogEvent[] = [];
    l.subscribe((batch) => (events.push(...batch), true));
    for (let i = 0; i < 9; i++) l.record(row('a', 'svc', 200));
    l.record(row('b', 'svc', 429));
    await delivered();
    const changes = events.filter((e) => e.type === 'log:data-loss-changed');
    expect(changes.map((e) => [e.scope, e.name, e.dataLoss.state, e.dataLoss.percent])).toEqual([
      ['server', 'b', 'error', 100],
    ]);
    expect(l.dataLoss()).toMatchObject({ percent: 10, state: 'ok', total: 10, lost: 1 });
    expect(l.dataLossOf('server', 'a')).toMatchObject({ percent: 0, state: 'ok', total: 9 });
    expect(l.dataLossOf('service', 'svc')).toMatchObject({ percent: 10, state: 'ok', total: 10, lost: 1 });

    events.length = 0;
    l.record(row('a', 'svc', null, 'ECONNREFUSED'));
    await delivered();
    expect(events.filter((e) => e.type === 'log:data-loss-changed').map((e) => [e.scope, e.name, e.dataLoss.state])).toEqual([
      ['all', null, 'error'],
      ['service', 'svc', 'error'],
    ]);
    // 1 of server a's 10 rows: 10%, not above the threshold.
    expect(l.dataLossOf('server', 'a')).toMatchObject({ percent: 10, state: 'ok' });
    expect(l.dataLoss()).toMatchObject({ percent: 18.18, state: 'error', total: 11, lost: 2 });
  });

  it('a client that went away is not lost data', () => {
    const l = log();
    l.record(row('a', 'svc', 499, 'client_aborted'));
    expect(l.dataLoss()).toMatchObject({ total: 1, lost: 0, state: 'ok' });
  });

  it('evicted rows leave the counts; a cleared table is ok again everywhere, with the time it changed', async () => {
    const l = log(4);
    for (let i = 0; i < 4; i++) l.record(row('a', 'svc', 503));
    expect(l.dataLossOf('server', 'a')).toMatchObject({ state: 'error', total: 4, lost: 4 });
    for (let i = 0; i < 4; i++) l.record(row('b', 'svc', 200));
    expect(l.dataLossOf('server', 'a')).toMatchObject({ state: 'ok', total: 0, lost: 0 });
    expect(l.dataLossOf('service', 'svc')).toMatchObject({ state: 'ok', total: 4, lost: 0 });

    for (let i = 0; i < 4; i++) l.record(row('c', 'svc', 500));
    const before = l.dataLossOf('server', 'c');
    expect(before.state).toBe('error');
    await new Promise((r) => setTimeout(r, 5));
    l.clear();
    const after = l.dataLossOf('server', 'c');
    expect(after).toMatchObject({ state: 'ok', total: 0, lost: 0 });
    expect(after.changedAt).toBeGreaterThan(before.changedAt);
    expect(l.dataLoss()).toMatchObject({ state: 'ok', total: 0 });
    expect(l.dataLossOf('server', 'never-seen')).toMatchObject({ state: 'ok', total: 0, percent: 0 });
  });

  it('a new threshold is applied to every scope at once', () => {
    const l = log();
    for (let i = 0; i < 4; i++) l.record(row('a', 'svc', i === 0 ? 500 : 200));
    expect(l.dataLossOf('server', 'a').state).toBe('error');
    l.configure({ thresholdPercent: 30 });
    expect(l.dataLossOf('server', 'a').state).toBe('ok');
    expect(l.dataLoss().state).toBe('ok');
  });
});
