/**
 * The demo's synthetic clients, which give the web UI a realistic picture within seconds: `sessiongate
 * demo --traffic` (the real command), and `startTraffic` as a library: bounded, loopback only, stopping
 * by itself when the gateway is gone. Effects are checked through the admin API.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ExchangeSummaryJson, SessionJson } from '../../src/admin/serialize.js';
import { startDemoDataSource } from '../../src/demo/data-source.js';
import { demoConfig } from '../../src/demo/demo-config.js';
import { startTraffic } from '../../src/demo/traffic.js';
import { startCli, type LongRunning } from '../helpers/cli.js';
import { startGatewayFromConfig } from '../helpers/gateway.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined);
});

const getJson = async <T>(url: string): Promise<T> => (await fetch(url)).json() as Promise<T>;

async function demoGateway() {
  const source = await startDemoDataSource({ loginDelay: 1 });
  const gw = await startGatewayFromConfig(demoConfig({ dataSourceUrl: source.url, port: 0, adminPort: 0 }));
  cleanup.push(() => source.close(), () => gw.stop());
  return gw;
}

describe('sessiongate demo --traffic', () => {
  it('prints the web UI address, runs synthetic clients the admin API shows, and stops on SIGTERM', async () => {
    const demo: LongRunning = startCli(['demo', '--traffic', '--port', '0', '--admin-port', '0']);
    cleanup.push(async () => {
      demo.kill('SIGKILL');
      await demo.exited;
    });
    const out = await demo.waitFor('Stop with Ctrl+C.');
    expect(out).toMatch(/web UI: +http:\/\/127\.0\.0\.1:\d+\//);
    expect(out).toMatch(/traffic: +5 synthetic clients/);
    const admin = /admin API: +(http:\/\/127\.0\.0\.1:\d+)\/v1\/sessions/.exec(out)![1]!;

    // Within seconds: several sessions of different users, the gateway's logins, and some 429s.
    await expect
      .poll(async () => new Set((await getJson<SessionJson[]>(`${admin}/v1/sessions`)).map((s) => s.user)).size, { timeout: 10_000, interval: 250 })
      .toBeGreaterThanOrEqual(3);
    await expect.poll(async () => (await getJson<ExchangeSummaryJson[]>(`${admin}/v1/exchanges?kind=login`)).length, { timeout: 10_000, interval: 250 }).toBeGreaterThanOrEqual(3);
    await expect.poll(async () => (await getJson<ExchangeSummaryJson[]>(`${admin}/v1/exchanges?status=429`)).length, { timeout: 15_000, interval: 250 }).toBeGreaterThan(0);

    demo.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
  }, 30_000);

  it('says in the banner how to get synthetic traffic when it runs without', async () => {
    const demo = startCli(['demo', '--port', '0', '--admin-port', '0']);
    cleanup.push(async () => {
      demo.kill('SIGKILL');
      await demo.exited;
    });
    const out = await demo.waitFor('Stop with Ctrl+C.');
    expect(out).toMatch(/traffic: +none \(`sessiongate demo --traffic` or `npm run demo`/);
    // An answer from the admin API means the process has gone past printing its banner and installing its
    // signal handlers (the same tick): SIGTERM now stops it gracefully.
    const admin = /admin API: +(http:\/\/127\.0\.0\.1:\d+)\/v1\/sessions/.exec(out)![1]!;
    expect((await fetch(`${admin}/v1/gateway`)).status).toBe(200);
    demo.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
  }, 20_000);
});

describe('startTraffic', () => {
  it('sends at most maxRequests, with several users and cookie sessions, then finishes', async () => {
    const gw = await demoGateway();
    const traffic = startTraffic({ url: gw.url, clients: 4, ratePerSecond: 200, maxRequests: 40, sessionLength: [5, 8], users: ['ann', 'bob'] });
    await traffic.done;
    expect(traffic.stats.requests).toBe(40);
    expect(traffic.stats.failures).toBe(0);
    expect(traffic.stats.sessions).toBeGreaterThanOrEqual(4);
    const sessions = await getJson<SessionJson[]>(`${gw.adminUrl}/v1/sessions`);
    expect(new Set(sessions.map((s) => s.user))).toEqual(new Set(['ann', 'bob']));
    const requests = await getJson<ExchangeSummaryJson[]>(`${gw.adminUrl}/v1/exchanges?kind=request`);
    expect(requests).toHaveLength(40);
  });

  it('stops by itself when the gateway stops', async () => {
    const gw = await demoGateway();
    const traffic = startTraffic({ url: gw.url, clients: 3, ratePerSecond: 50 });
    await expect.poll(() => traffic.stats.requests, { timeout: 5000 }).toBeGreaterThan(5);
    await gw.stop();
    await traffic.done; // resolves: the clients saw the gateway refuse connections and gave up
    expect(traffic.stats.failures).toBeGreaterThan(0);
  });

  it('targets loopback addresses only', () => {
    expect(() => startTraffic({ url: 'http://192.0.2.10:8080' })).toThrow(/loopback addresses only/);
    expect(() => startTraffic({ url: 'http://example.com' })).toThrow(/loopback addresses only/);
  });
});
