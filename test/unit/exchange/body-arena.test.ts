/** The exchange log's body ring: wrap-around, eviction of the oldest bodies, the ceiling, clear. */
import { describe, expect, it } from 'vitest';
import { BodyArena } from '../../../src/exchange/body-arena.js';
import { Exchange } from '../../../src/exchange/exchange.js';
import { ExchangeLog } from '../../../src/exchange/exchange-log.js';

const bytes = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);

describe('BodyArena', () => {
  it('gives back what was put, across the wrap-around, until newer bytes overwrite it', () => {
    const arena = new BodyArena(10);
    const a = arena.put(Buffer.from('abcdef'));
    expect(arena.get(a, 6)?.toString()).toBe('abcdef');
    const b = arena.put(Buffer.from('ghij'));
    const c = arena.put(Buffer.from('klm')); // wraps: overwrites "abc"
    expect(arena.get(c, 3)?.toString()).toBe('klm');
    expect(arena.get(b, 4)?.toString()).toBe('ghij');
    expect(arena.holds(a, 6)).toBe(false);
    expect(arena.get(a, 6)).toBeNull();
    expect(arena.usedBytes).toBe(10);
  });

  it('refuses what can never fit, and forgets everything on clear', () => {
    const arena = new BodyArena(4);
    expect(arena.put(Buffer.from('12345'))).toBe(-1);
    expect(arena.put(Buffer.alloc(0))).toBe(-1);
    const a = arena.put(Buffer.from('12'));
    arena.clear();
    expect(arena.get(a, 2)).toBeNull();
    expect(arena.usedBytes).toBe(0);
    const b = arena.put(Buffer.from('34'));
    expect(arena.get(b, 2)?.toString()).toBe('34');
  });
});

describe('the exchange log\'s body ceiling', () => {
  function log(maxTotalBodyBytes: number): ExchangeLog {
    return new ExchangeLog({
      enabled: true, maxEntries: 100, maxBodyBytes: 1000, maxTotalBodyBytes, redactHeaders: [], thresholdPercent: 10,
      lossStatuses: ['5xx'], subscriberQueue: 100,
    });
  }
  function row(fill: number): Exchange {
    const ex = new Exchange();
    ex.status = 200;
    ex.requestBody = bytes(300, fill);
    ex.requestBodySize = 300;
    ex.responseBody = bytes(200, fill + 1);
    ex.responseBodySize = 500; // truncated: the first 200 bytes kept
    return ex;
  }

  it('keeps the newest rows\' bodies within the ceiling; the oldest rows stay, without theirs', () => {
    const l = log(2000); // room for four rows of 500 bytes
    const rows = Array.from({ length: 6 }, (_, i) => row(i * 2));
    for (const ex of rows) l.record(ex);
    expect(l.size).toBe(6);
    expect(l.keptBodyBytes).toBe(2000);
    for (const ex of rows.slice(0, 2)) {
      expect(ex.bodiesEvicted).toBe(true);
      expect(ex.requestBody).toBeNull();
      expect(ex.responseBody).toBeNull();
      expect(ex.responseBodyTruncated).toBe(true);
      expect(ex.keptBytes).toBe(0);
    }
    rows.slice(2).forEach((ex, i) => {
      expect(ex.bodiesEvicted).toBe(false);
      expect(ex.requestBody).toEqual(bytes(300, (i + 2) * 2));
      expect(ex.responseBody).toEqual(bytes(200, (i + 2) * 2 + 1));
      expect(ex.requestBodyTruncated).toBe(false);
      expect(ex.responseBodyTruncated).toBe(true);
    });
  });

  it('a body larger than the whole ceiling is not kept (the row says evicted)', () => {
    const l = log(250);
    const ex = row(1);
    l.record(ex);
    expect(ex.requestBody).toBeNull(); // 300 bytes never fit
    expect(ex.responseBody).toEqual(bytes(200, 2));
    expect(ex.bodiesEvicted).toBe(true);
  });

  it('clear drops the bodies with the rows', () => {
    const l = log(2000);
    const ex = row(3);
    l.record(ex);
    l.clear();
    expect(l.keptBodyBytes).toBe(0);
    expect(ex.requestBody).toBeNull();
  });
});
