/**
 * Prometheus `/metrics` on the admin server, read as Prometheus would: the text exposition format, and
 * values that follow what went through the gateway (requests, gateway errors, failures, data loss, cut-off
 * responses).
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/config/index.js';
import { metricFamilies } from '../../src/metrics/metrics.js';
import { closedPort, startBackend, type Backend } from '../helpers/backend.js';
import { startGatewayFromConfig, type TestGateway } from '../helpers/gateway.js';

let backend: Backend;
let g: TestGateway;

beforeAll(async () => {
  backend = await startBackend((req, res) => {
    if (req.url?.startsWith('/api/limited')) {
      res.writeHead(429, { 'content-type': 'text/plain' });
      return res.end('slow down');
    }
    if (req.url?.startsWith('/api/cut')) {
      // A head that promises more body than the server sends before it dies.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('only part');
      return setTimeout(() => res.destroy(), 50);
    }
    if (req.url?.startsWith('/api/trickle')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first piece');
      const timer = setTimeout(() => res.end('never reached in the test'), 5000);
      return res.on('close', () => clearTimeout(timer));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  g = await startGatewayFromConfig({
    admin: { listen: '127.0.0.1:0' },
    listeners: [{ name: 'main', listen: '127.0.0.1:0' }],
    servers: [
      { name: 'good', url: backend.url },
      { name: 'dead', url: `http://127.0.0.1:${await closedPort()}` },
    ],
    services: [
      { name: 'api', listener: 'main', servers: ['good'], match: { path_prefix: '/api' } },
      { name: 'gone', listener: 'main', servers: ['dead'], match: { path_prefix: '/gone' }, upstream: { retry: false } },
    ],
    exchange_log: { data_loss: { threshold_percent: 10 } },
  } as GatewayConfigInput);
});

afterAll(async () => {
  await g?.stop();
  await backend?.close();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format strictly: HELP and TYPE for every family, one sample per line. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') types.set(meta[2]!, meta[3]!);
      else helps.add(meta[2]!);
      continue;
    }
    // Values as Prometheus parses them (Go's ParseFloat: NaN and Inf in any case; prom-client writes "Nan").
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]?[Ii]nf)$/.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const [, k, v] of m![2]?.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g) ?? []) labels[k!] = v!;
    samples.push({ name: m![1]!, labels, value: Number(m![3]) });
  }
  for (const s of samples) {
    const family = s.name.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(s.name) || types.has(family), `${s.name} has no TYPE`).toBe(true);
    expect(helps.has(s.name) || helps.has(family), `${s.name} has no HELP`).toBe(true);
  }
  return { samples, types };
}

async function metrics(): Promise<{ value(name: string, labels?: Record<string, string>): number | undefined; types: Map<string, string> }> {
  const res = await fetch(`${g.adminUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const { samples, types } = parse(await res.text());
  return {
    types,
    value: (name, labels = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value,
  };
}

const get = async (path: string): Promise<number> => {
  const res = await request(`${g.url}${path}`);
  await res.body.text().catch(() => '');
  return res.statusCode;
};

describe('/metrics', () => {
  it('counts requests, gateway errors and failures, and shows data loss per scope as gauges and counters', async () => {
    for (let i = 0; i < 9; i++) expect(await get(`/api/ok/${i}`)).toBe(200);
    for (let i = 0; i < 7; i++) expect(await get(`/api/limited/${i}`)).toBe(429);
    expect(await get('/nowhere')).toBe(404);
    expect(await get('/gone/x')).toBe(502);
    const m = await metrics();
    expect(m.value('sessiongate_requests_total', { service: 'api' })).toBe(16);
    expect(m.value('sessiongate_responses_total', { service: 'api', class: '4xx' })).toBe(7);
    expect(m.value('sessiongate_responses_total', { service: 'api', class: '2xx' })).toBe(9);
    expect(m.value('sessiongate_errors_total', { code: 'SG_ERR_NO_SERVICE', status: '404' })).toBe(1);
    expect(m.value('sessiongate_errors_total', { code: 'SG_ERR_UPSTREAM_REFUSED', status: '502' })).toBe(1);
    expect(m.value('sessiongate_upstream_failures_total', { server: 'dead' })).toBe(1);
    expect(m.value('sessiongate_upstream_requests_total', { server: 'good' })).toBe(16);
    // Data loss as DataMiner counts it: 7 of the 16 exchanges of service api (43.75%); overall 7 + the refused
    // one + the gateway's own 404 of 18 rows.
    expect(m.value('sessiongate_data_loss_percent', { scope: 'service', name: 'api' })).toBe(43.75);
    expect(m.value('sessiongate_data_loss_error', { scope: 'service', name: 'api' })).toBe(1);
    expect(m.value('sessiongate_data_loss_percent', { scope: 'server', name: 'dead' })).toBe(100);
    expect(m.value('sessiongate_data_loss_percent', { scope: 'all', name: '' })).toBe(50);
    expect(m.value('sessiongate_exchanges_total', { scope: 'all', name: '' })).toBe(18);
    expect(m.value('sessiongate_exchanges_lost_total', { scope: 'all', name: '' })).toBe(9);
    expect(m.value('sessiongate_exchanges_lost_total', { scope: 'service', name: 'api' })).toBe(7);
    expect(m.value('sessiongate_exchange_log_entries')).toBe(18);
    // Every family docs/admin-api.md lists (metricFamilies) is served, with the documented type.
    for (const f of metricFamilies()) expect(m.types.get(f.name), f.name).toBe(f.type);
    expect(m.types.get('sessiongate_exchanges_total')).toBe('counter');
    expect(m.types.get('sessiongate_data_loss_percent')).toBe('gauge');

    // Clearing the table resets the gauges, never the counters.
    expect((await fetch(`${g.adminUrl}/v1/exchanges`, { method: 'DELETE' })).status).toBe(204);
    const after = await metrics();
    expect(after.value('sessiongate_data_loss_percent', { scope: 'all', name: '' })).toBe(0);
    expect(after.value('sessiongate_data_loss_error', { scope: 'service', name: 'api' })).toBe(0);
    expect(after.value('sessiongate_exchange_log_entries')).toBe(0);
    expect(after.value('sessiongate_exchanges_total', { scope: 'all', name: '' })).toBe(18);
    expect(after.value('sessiongate_exchanges_lost_total', { scope: 'service', name: 'api' })).toBe(7);
  });

  it('counts responses cut off after they began: by the server, and by a client that went away', async () => {
    const before = await metrics();
    const cutBefore = (code: string) => before.value('sessiongate_responses_cut_total', { code }) ?? 0;
    // The server dies mid-body: the client gets its 200 and then a body that ends early.
    const cut = await request(`${g.url}/api/cut`);
    expect(cut.statusCode).toBe(200);
    await expect(cut.body.text()).rejects.toThrow();
    // The client goes away while the body still comes.
    const controller = new AbortController();
    const trickle = await request(`${g.url}/api/trickle`, { signal: controller.signal });
    expect(trickle.statusCode).toBe(200);
    controller.abort();
    await expect(trickle.body.text()).rejects.toThrow();
    await expect
      .poll(async () => (await metrics()).value('sessiongate_responses_cut_total', { code: 'SG_ERR_CLIENT_ABORTED' }) ?? 0, { timeout: 2000, interval: 50 })
      .toBe(cutBefore('SG_ERR_CLIENT_ABORTED') + 1);
    const m = await metrics();
    expect(m.value('sessiongate_responses_cut_total', { code: 'SG_ERR_UPSTREAM_INCOMPLETE' })).toBe(cutBefore('SG_ERR_UPSTREAM_INCOMPLETE') + 1);
    expect(m.types.get('sessiongate_responses_cut_total')).toBe('counter');
  });
});
