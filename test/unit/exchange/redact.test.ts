/** What a row keeps of a message: header fields with secrets replaced, and the first bytes of a body. */
import { describe, expect, it } from 'vitest';
import { Exchange, unpackHeaders } from '../../../src/exchange/exchange.js';
import { BodyCapture, REDACTED, Redactor } from '../../../src/exchange/redact.js';

describe('Redactor', () => {
  const redactor = new Redactor(['Authorization', 'cookie', 'X-Api-Key']);

  it('replaces the values of secret fields, whatever the case of their names, and keeps the rest as sent', () => {
    const packed = redactor.pack(['Host', 'a.test', 'authorization', 'Basic eDp5', 'COOKIE', 'sid=1', 'x-api-KEY', 'k', 'Cookie-Like', 'v']);
    expect(unpackHeaders(packed)).toEqual(['Host', 'a.test', 'authorization', REDACTED, 'COOKIE', REDACTED, 'x-api-KEY', REDACTED, 'Cookie-Like', 'v']);
    expect(packed).not.toContain('eDp5');
    expect(packed).not.toContain('sid=1');
  });

  it('packs a head without secrets as it is, and an empty one as empty', () => {
    const fields = ['content-type', 'text/plain', 'content-length', '2'];
    expect(unpackHeaders(redactor.pack(fields))).toEqual(fields);
    expect(unpackHeaders(redactor.pack([]))).toEqual([]);
    expect(redactor.isSecret('cookies')).toBe(false);
    expect(redactor.isSecret('Cookie')).toBe(true);
  });

  it('is what an Exchange keeps of both heads', () => {
    const ex = new Exchange();
    ex.keepRequestHeaders(['authorization', 'Bearer t0k3n', 'accept', '*/*'], redactor);
    ex.keepResponseHeaders(['Set-Cookie', 'a=b', 'Cookie', 'c=d'], new Redactor(['set-cookie']));
    expect(ex.requestHeaders).toEqual(['authorization', REDACTED, 'accept', '*/*']);
    expect(ex.responseHeaders).toEqual(['Set-Cookie', REDACTED, 'Cookie', 'c=d']);
  });
});

describe('BodyCapture', () => {
  it('keeps a body that comes in one piece as that piece, without a copy', () => {
    const chunk = Buffer.from('hello');
    const capture = new BodyCapture(16);
    capture.add(chunk);
    expect(capture.take()).toBe(chunk);
    expect(capture.size).toBe(5);
  });

  it('keeps the first `limit` bytes of a piece longer than the limit, and counts all of it', () => {
    const capture = new BodyCapture(4);
    capture.add(Buffer.from('abcdefgh'));
    expect(capture.take()?.toString()).toBe('abcd');
    expect(capture.size).toBe(8);
  });

  it('copies once a second piece comes: later changes to the pieces do not change what was kept', () => {
    const first = Buffer.from('abc');
    const second = Buffer.from('defgh');
    const capture = new BodyCapture(6);
    capture.add(first);
    capture.add(second);
    capture.add(Buffer.from('ijk'));
    first.fill(0);
    second.fill(0);
    expect(capture.take()?.toString()).toBe('abcdef');
    expect(capture.size).toBe(11);
  });

  it('grows its own buffer across many small pieces up to the limit', () => {
    const capture = new BodyCapture(1000);
    let expected = '';
    for (let i = 0; i < 300; i++) {
      const piece = String(i % 10).repeat(7);
      capture.add(Buffer.from(piece));
      expected += piece;
    }
    expect(capture.take()?.toString()).toBe(expected.slice(0, 1000));
    expect(capture.size).toBe(2100);
  });

  it('keeps nothing of an empty body, nor with a limit of 0 (a login), but counts the bytes', () => {
    const empty = new BodyCapture(10);
    empty.add(Buffer.alloc(0));
    expect(empty.take()).toBeNull();
    const withheld = new BodyCapture(0);
    withheld.add(Buffer.from('password=secret'));
    expect(withheld.take()).toBeNull();
    expect(withheld.size).toBe(15);
  });
});
