/**
 * The session client library: log in once, re-use the backend's session for a whole exchange, and record
 * every request (the login included) in an exchange log.
 *
 *   npx tsx examples/session-client.ts
 *
 * It starts sessiongate's demo data source on a free port and talks to it.
 */
import { pathToFileURL } from 'node:url';
import { createSessionClient, ExchangeLog, startDemoDataSource } from '../src/index.js';

export async function runSessionClientExample(): Promise<{ logins: number; rows: { kind: string; uri: string; status: number | null }[] }> {
  const source = await startDemoDataSource({ loginDelay: 50 });
  const log = new ExchangeLog({
    enabled: true,
    maxEntries: 100,
    maxBodyBytes: 1024,
    maxTotalBodyBytes: 1024 * 1024,
    redactHeaders: ['authorization', 'cookie', 'set-cookie'],
    thresholdPercent: 10,
    lossStatuses: ['4xx', '5xx'],
    subscriberQueue: 100,
  });
  const client = createSessionClient({
    baseUrl: source.url,
    reuse: 'exchange',
    auth: { type: 'login', method: 'POST', path: '/login', body: '{"user":"example","password":"demo"}' },
    exchangeLog: log,
  });
  try {
    // One exchange: one login, then every request re-uses the backend's JSESSIONID.
    await client.exchange(async (http) => {
      const items = (await http.request('/api/items')).json<{ items: { id: number }[] }>();
      for (const item of items.items.slice(0, 3)) await http.request(`/api/items/${item.id}`);
    });
    return { logins: source.stats.logins, rows: log.list().map((e) => ({ kind: e.kind, uri: e.uri, status: e.status })) };
  } finally {
    await client.close();
    await source.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { logins, rows } = await runSessionClientExample();
  console.log(`logins: ${logins}`);
  for (const r of rows) console.log(`${r.kind.padEnd(8)} ${String(r.status).padEnd(4)} ${r.uri}`);
}
