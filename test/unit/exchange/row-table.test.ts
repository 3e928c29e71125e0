/** The log's rows as columns: what goes in comes out, field by field, and a row read back is a copy. */
import { describe, expect, it } from 'vitest';
import { Exchange } from '../../../src/exchange/exchange.js';
import { ExchangeLog } from '../../../src/exchange/exchange-log.js';
import { Redactor } from '../../../src/exchange/redact.js';
import { RowTable } from '../../../src/exchange/row-table.js';
import { BodyArena } from '../../../src/exchange/body-arena.js';

const redactor = new Redactor(['authorization']);

function full(): Exchange {
  const ex = new Exchange();
  ex.kind = 'request';
  ex.session = 's-1';
  ex.connection = 7;
  ex.service = 'svc';
  ex.server = 'srv';
  ex.method = 'POST';
  ex.uri = '/a/b?c=d';
  ex.keepRequestHeaders(['Host', 'x', 'Authorization', 'Bearer t', 'Content-Length', '5'], redactor);
  ex.requestBodySize = 5;
  ex.requestStart = 1000.125;
  ex.status = 503;
  ex.reason = 'Service Unavailable';
  ex.keepResponseHeaders(['Content-Type', 'text/plain'], redactor);
  ex.responseBodySize = 4;
  ex.responseHeadersAt = 1001.5;
  ex.responseEnd = 1002.75;
  ex.queueMs = 0.25;
  ex.retryOf = 3;
  ex.error = 'incomplete';
  ex.errorCode = 'SG_ERR_UPSTREAM_INCOMPLETE';
  ex.lossy = true;
  ex.requestBody = Buffer.from('hello');
  ex.responseBody = Buffer.from('oops');
  return ex;
}

/** Every public field and derived value of a row, to compare a row with its copy. */
function fields(ex: Exchange): Record<string, unknown> {
  return {
    id: ex.id, kind: ex.kind, session: ex.session, connection: ex.connection, service: ex.service, server: ex.server,
    method: ex.method, uri: ex.uri, requestHeaders: ex.requestHeaders, requestBody: ex.requestBody?.toString() ?? null,
    requestBodySize: ex.requestBodySize, requestStart: ex.requestStart, status: ex.status, reason: ex.reason,
    responseHeaders: ex.responseHeaders, responseBody: ex.responseBody?.toString() ?? null, responseBodySize: ex.responseBodySize,
    responseHeadersAt: ex.responseHeadersAt, responseEnd: ex.responseEnd, queueMs: ex.queueMs, retryOf: ex.retryOf,
    error: ex.error, errorCode: ex.errorCode, lossy: ex.lossy, bodiesEvicted: ex.bodiesEvicted, keptBytes: ex.keptBytes,
    requestBodyTruncated: ex.requestBodyTruncated, responseBodyTruncated: ex.responseBodyTruncated,
    timespanMs: ex.timespanMs, ttfbMs: ex.ttfbMs, bodiesWithheld: ex.bodiesWithheld,
  };
}

describe('RowTable', () => {
  it('reads back every field of a recorded row, secrets still redacted', () => {
    const arena = new BodyArena(1024);
    const ex = full();
    ex.keepBodiesIn(arena);
    const table = new RowTable(4);
    table.write(2, ex);
    const back = table.read(2);
    expect(back).not.toBe(ex);
    expect(fields(back)).toEqual(fields(ex));
    expect(back.requestHeaders).toEqual(['Host', 'x', 'Authorization', '[redacted]', 'Content-Length', '5']);
    expect(back.requestBody?.toString()).toBe('hello');
    expect(back.responseBody?.toString()).toBe('oops');
    expect(table.id(2)).toBe(ex.id);
    expect(table.lossy(2)).toBe(true);
    expect([table.server(2), table.service(2)]).toEqual(['srv', 'svc']);
  });

  it('keeps nulls apart from empty values: no response, no reason, no connection, a login', () => {
    const ex = new Exchange();
    ex.kind = 'login';
    ex.method = 'GET';
    ex.uri = '';
    ex.reason = '';
    ex.keepRequestHeaders([], redactor);
    ex.error = 'ECONNREFUSED';
    ex.keepBodiesIn(new BodyArena(64));
    const table = new RowTable(1);
    table.write(0, ex);
    const back = table.read(0);
    expect(fields(back)).toEqual(fields(ex));
    expect([back.connection, back.status, back.retryOf, back.responseHeaders, back.session]).toEqual([null, null, null, null, null]);
    expect(back.reason).toBe('');
    expect(back.requestHeaders).toEqual([]);
    expect(back.kind).toBe('login');

    const noReason = new Exchange();
    noReason.keepBodiesIn(new BodyArena(64));
    table.write(0, noReason);
    expect(table.read(0).reason).toBeNull();
  });

  it('gives a copy: changing it leaves the table as it was', () => {
    const ex = full();
    ex.keepBodiesIn(new BodyArena(1024));
    const table = new RowTable(1);
    table.write(0, ex);
    const copy = table.read(0);
    copy.status = 200;
    copy.uri = '/changed';
    expect(table.read(0).status).toBe(503);
    expect(table.read(0).uri).toBe('/a/b?c=d');
  });
});

describe('ExchangeLog rows', () => {
  const options = {
    enabled: true, maxBodyBytes: 64, maxTotalBodyBytes: 1 << 16, redactHeaders: [], thresholdPercent: 10,
    lossStatuses: ['4xx', '5xx'], subscriberQueue: 100,
  };

  it('finds a row by id while it is in the table, and not after it was evicted', () => {
    const log = new ExchangeLog({ ...options, maxEntries: 3 });
    const rows = Array.from({ length: 5 }, (_, i) => {
      const ex = new Exchange();
      ex.uri = `/r${i}`;
      ex.status = 200;
      return ex;
    });
    // Recorded out of id order (as exchanges end), the list is still in id order.
    for (const i of [1, 0, 2, 4, 3]) log.record(rows[i]!);
    expect(log.list().map((r) => r.uri)).toEqual(['/r2', '/r3', '/r4']);
    expect(log.get(rows[3]!.id)?.uri).toBe('/r3');
    expect(log.get(rows[0]!.id)).toBeUndefined();
    expect(log.get(-1)).toBeUndefined();
  });

  it('keeps the newest rows, with their bodies, across a resize', () => {
    const log = new ExchangeLog({ ...options, maxEntries: 4 });
    for (let i = 0; i < 4; i++) {
      const ex = new Exchange();
      ex.uri = `/r${i}`;
      ex.requestBody = Buffer.from(`body ${i}`);
      log.record(ex);
    }
    log.configure({ maxEntries: 2 });
    expect(log.list().map((r) => [r.uri, r.requestBody?.toString()])).toEqual([['/r2', 'body 2'], ['/r3', 'body 3']]);
    log.configure({ maxEntries: 8 });
    const ex = new Exchange();
    ex.uri = '/r4';
    log.record(ex);
    expect(log.list().map((r) => r.uri)).toEqual(['/r2', '/r3', '/r4']);
    expect(log.size).toBe(3);
  });
});

describe('ExchangeLog.recordedAfter', () => {
  const options = {
    enabled: true, maxBodyBytes: 64, maxTotalBodyBytes: 1 << 16, redactHeaders: [], thresholdPercent: 10,
    lossStatuses: ['4xx', '5xx'], subscriberQueue: 100,
  };
  const exchange = (uri: string): Exchange => {
    const ex = new Exchange();
    ex.uri = uri;
    return ex;
  };

  it('gives the rows recorded after a place in the order of recording, and counts those no longer held', () => {
    const log = new ExchangeLog({ ...options, maxEntries: 4 });
    const seqs: number[] = [];
    log.subscribe((events) => {
      for (const e of events) if (e.type === 'exchange:recorded') seqs.push(e.seq);
      return true;
    });
    const rows = Array.from({ length: 6 }, (_, i) => exchange(`/r${i}`));
    // Recorded as they end, not in id order: the 2nd recorded has the smallest id.
    for (const i of [1, 0, 3, 2, 5, 4]) log.record(rows[i]!);
    const uris = (r: { rows: Exchange[]; missed: number }) => [r.rows.map((x) => x.uri), r.missed];
    expect(log.recorded).toBe(6);
    expect(uris(log.recordedAfter(6))).toEqual([[], 0]);
    expect(uris(log.recordedAfter(4))).toEqual([['/r5', '/r4'], 0]);
    expect(uris(log.recordedAfter(2))).toEqual([['/r3', '/r2', '/r5', '/r4'], 0]);
    // The first two recorded were evicted (4 entries): they are counted, not given.
    expect(uris(log.recordedAfter(0))).toEqual([['/r3', '/r2', '/r5', '/r4'], 2]);
    expect(uris(log.recordedAfter(1))).toEqual([['/r3', '/r2', '/r5', '/r4'], 1]);
    expect(uris(log.recordedAfter(2, 3))).toEqual([['/r2', '/r5', '/r4'], 1]);
    // A place past the end (another log's) gives nothing.
    expect(uris(log.recordedAfter(99))).toEqual([[], 0]);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
        resolve();
      }),
    );
  });

  it('keeps the order of recording across a resize and after a clear', () => {
    const log = new ExchangeLog({ ...options, maxEntries: 4 });
    const rows = Array.from({ length: 4 }, (_, i) => exchange(`/r${i}`));
    for (const i of [3, 2, 1, 0]) log.record(rows[i]!);
    log.configure({ maxEntries: 3 });
    expect(log.recordedAfter(2).rows.map((x) => x.uri)).toEqual(['/r1', '/r0']);
    log.configure({ maxEntries: 5 });
    log.record(exchange('/r4'));
    expect(log.recordedAfter(3).rows.map((x) => x.uri)).toEqual(['/r0', '/r4']);
    log.clear();
    log.record(exchange('/r5'));
    expect(log.recordedAfter(3)).toMatchObject({ missed: 2 });
    expect(log.recordedAfter(3).rows.map((x) => x.uri)).toEqual(['/r5']);
  });
});

describe('ExchangeLog.query', () => {
  const options = {
    enabled: true, maxEntries: 8, maxBodyBytes: 64, maxTotalBodyBytes: 1 << 16, redactHeaders: [], thresholdPercent: 10,
    lossStatuses: ['4xx', '5xx'], subscriberQueue: 100,
  };
  const FILTERED = ['id', 'kind', 'session', 'connection', 'service', 'server', 'method', 'uri', 'status', 'requestStart', 'error', 'errorCode', 'lossy'] as const;

  function varied(i: number): Exchange {
    const ex = full();
    ex.uri = `/q/${i}`;
    ex.kind = i % 3 === 0 ? 'login' : 'request';
    ex.session = i % 2 === 0 ? `s-${i}` : null;
    ex.connection = i % 2 === 0 ? i : null;
    ex.server = `srv-${i % 2}`;
    ex.method = i % 2 === 0 ? 'GET' : 'POST';
    ex.status = i === 5 ? null : 200 + i * 50;
    ex.error = i === 5 ? 'reset' : null;
    ex.errorCode = i === 5 ? 'SG_ERR_UPSTREAM_RESET' : null;
    ex.requestStart = 100 + i;
    return ex;
  }

  it('shows a filter the same fields as the row built in full, and pages the rows it accepts', () => {
    const log = new ExchangeLog(options);
    const recorded = Array.from({ length: 11 }, (_, i) => varied(i));
    // Out of id order, and past the table's size: the three oldest are evicted.
    for (const i of [1, 0, 2, 3, 5, 4, 6, 7, 9, 8, 10]) log.record(recorded[i]!);
    const listed = log.list();
    const seen: Record<string, unknown>[] = [];
    const all = log.query((row) => {
      seen.push(Object.fromEntries(FILTERED.map((k) => [k, row[k]])));
      return true;
    });
    expect(all.total).toBe(8);
    expect(seen.sort((a, b) => (a.id as number) - (b.id as number))).toEqual(listed.map((ex) => Object.fromEntries(FILTERED.map((k) => [k, ex[k]]))));
    expect(all.rows.map(fields)).toEqual(listed.map(fields));

    const posts = log.query((row) => row.method === 'POST' && row.lossy);
    expect(posts.rows.map((r) => r.uri)).toEqual(listed.filter((r) => r.method === 'POST' && r.lossy).map((r) => r.uri));
    const page = log.query((row) => row.server === 'srv-0', { start: 1, end: 2 });
    const srv0 = listed.filter((r) => r.server === 'srv-0');
    expect(page.total).toBe(srv0.length);
    expect(page.rows.map((r) => r.id)).toEqual(srv0.slice(1, 3).map((r) => r.id));
    expect(log.query(null, { start: 7, end: 20 }).rows.map((r) => r.uri)).toEqual(['/q/10']);
    expect(log.query(() => false)).toEqual({ total: 0, rows: [] });
  });
});
