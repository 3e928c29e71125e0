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
