import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminError } from '../../src/admin/admin-error.js';
import { parseFields, parseRange, pickFields } from '../../src/admin/query.js';
import { startBackend, type Backend } from '../helpers/backend.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * Property-based fuzzing of the admin API's query parameters and bodies: every input gets a 2xx or a 4xx
 * with a JSON error, never a 500, never a hang.
 */

let b: Backend;
let g: TestGateway;

beforeAll(async () => {
  b = await startBackend();
  g = await startGateway([b.url], { service: { session: { mode: 'cookie' } }, config: { admin: { listen: '127.0.0.1:0' } } });
  for (let i = 0; i < 5; i++) await (await request(`${g.url}/seed/${i}`)).body.text();
});

afterAll(async () => {
  await g.stop();
  await b.close();
});

const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('0-0', '5-1', '-1-2', '1-', '99999999999999999999-1', 'a-b', '0-9', ',', 'a//b', 'id,,x', '%00', '%zz', '../../', '4xx', 'error', '999', '2026-13-45T99:99:99Z', 'true', ' '),
);
const params = fc.dictionary(fc.constantFrom('fields', 'range', 'status', 'since', 'session', 'server', 'method', 'kind', 'user', 'service', 'listener', 'cluster', 'bogus'), nasty, { maxKeys: 4 });
const paths = fc.constantFrom('/v1/sessions', '/v1/sessions/1', '/v1/sessions/1/connections', '/v1/exchanges', '/v1/exchanges/1', '/v1/exchanges.har', '/v1/exchange-log', '/v1/services', '/v1/services/svc', '/v1/servers', '/v1/listeners', '/v1/connections', '/v1/gateway', '/v1/sessions/%ff', '/v1/exchanges/1e9');

describe('fuzzing the admin API', () => {
  it('parses fields and range or refuses them with an AdminError, nothing else', () => {
    fc.assert(
      fc.property(nasty, nasty, (f, r) => {
        for (const fn of [() => pickFields({ a: 1, b: { c: 2 } }, parseFields(f)), () => parseRange(r)]) {
          try {
            fn();
          } catch (err) {
            expect(err).toBeInstanceOf(AdminError);
            expect((err as AdminError).status).toBe(400);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('answers any query string on any GET route with 200, 400 or 404 and a JSON body', async () => {
    await fc.assert(
      fc.asyncProperty(paths, params, async (path, query) => {
        const qs = new URLSearchParams(query).toString();
        const res = await request(`${g.adminUrl}${path}${qs ? `?${qs}` : ''}`, { headersTimeout: 5000, bodyTimeout: 5000 });
        const text = await res.body.text();
        expect([200, 400, 404], `${path}?${qs} -> ${res.statusCode} ${text.slice(0, 200)}`).toContain(res.statusCode);
        const body = JSON.parse(text) as unknown;
        if (res.statusCode !== 200) expect(body).toMatchObject({ errors: [{ detail: expect.any(String) }] });
      }),
      { numRuns: 300 },
    );
  });

  it('answers any PATCH body with 200, 400 or 413 and never changes the log half-way', async () => {
    const body = fc.oneof(
      fc.json({ maxDepth: 2 }),
      fc.string({ maxLength: 80 }),
      fc.record({ enabled: fc.oneof(fc.boolean(), fc.string()), max_entries: fc.oneof(fc.integer(), fc.double(), fc.string()), threshold_percent: fc.oneof(fc.double(), fc.integer({ min: -5, max: 150 })) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const before = (await (await fetch(`${g.adminUrl}/v1/exchange-log`)).json()) as Record<string, unknown>;
        const res = await fetch(`${g.adminUrl}/v1/exchange-log`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: text });
        expect([200, 400, 413]).toContain(res.status);
        const after = (await (await fetch(`${g.adminUrl}/v1/exchange-log`)).json()) as Record<string, unknown>;
        if (res.status !== 200) {
          for (const k of ['enabled', 'max_entries', 'threshold_percent']) expect(after[k], k).toEqual(before[k]);
        }
      }),
      { numRuns: 200 },
    );
    await fetch(`${g.adminUrl}/v1/exchange-log`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"enabled":true,"max_entries":1000,"threshold_percent":10}' });
  });
});
