import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../helpers/backend.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw-client.js';

/**
 * Property-based fuzzing of the client side: mutated requests never crash the gateway, never get a 5xx
 * from the gateway itself, and a normal request still works afterwards.
 */

let b: Backend;
let g: TestGateway;

beforeAll(async () => {
  b = await startBackend();
  g = await startGateway([b.url], { service: { session: { mode: 'cookie' } }, listener: { limits: { max_header_count: 20 } } });
});
afterAll(async () => {
  await g.stop();
  await b.close();
});

const token = fc.oneof(
  fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'G ET', 'get', 'CONNECT', ''),
  fc.string({ maxLength: 10 }),
);
const target = fc.oneof(fc.constantFrom('/', '/a?b=c', '*', 'http://x/', '/%00', '/../..', '//', '/\\'), fc.string({ maxLength: 30 }));
const version = fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'http/1.1', '');
const header = fc.tuple(
  fc.oneof(fc.constantFrom('Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Expect', 'Cookie', 'X-A'), fc.string({ maxLength: 12 })),
  fc.oneof(fc.constantFrom('x', '5', '-1', 'chunked', 'close', '100-continue', 'sgsid=AAAAAAAAAAAAAAAAAAAAAAAA'), fc.string({ maxLength: 20 })),
);
const eol = fc.constantFrom('\r\n', '\n', '\r', '\r\r\n');
const request = fc
  .tuple(token, target, version, fc.array(header, { maxLength: 25 }), eol, fc.string({ maxLength: 40 }))
  .map(([m, t, v, hs, nl, body]) => `${m} ${t} ${v}${nl}${hs.map(([k, val]) => `${k}: ${val}`).join(nl)}${nl}${nl}${body}`);

describe('fuzzing the client side', () => {
  it('answers every mutated request with a status below 500 (or closes), and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (raw) => {
        const res = await rawRequest(g.port, raw, { quietMs: 60 });
        // Every answer the gateway generates itself is a 4xx, a 501 (a transfer coding it cannot forward) or a
        // 505 (not HTTP/1.x): the backend is healthy, so nothing else may fail.
        for (const m of res.text.matchAll(/HTTP\/1\.1 (\d{3})[^\r]*\r\n(?:[^\r]+\r\n)*?X-Sessiongate-Error: (\w+)/g)) {
          const status = Number(m[1]);
          expect(status < 500 || m[2] === 'SG_ERR_UNSUPPORTED_TRANSFER_CODING' || m[2] === 'SG_ERR_HTTP_VERSION', `${raw} -> ${m[0]}`).toBe(true);
        }
      }),
      { numRuns: 250 },
    );
    const ok = await fetch(`${g.url}/still-alive`);
    expect(ok.status).toBe(200);
  }, 60_000);
});
