/**
 * The web UI in headless Chromium, against real gateways in front of the demo data source: rows appear
 * live, sort and filter, the detail panel shows bodies, keyboard navigation, killing a session, the
 * data-loss state crossing the threshold (and the threshold edited in place), virtual scrolling at 10,000
 * rows, and the screenshots (docs/screenshots/ with `npm run screenshots`). Each effect is checked through
 * the admin API as well.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeSummaryJson } from '../../src/admin/serialize.js';
import { startDemoDataSource, type DemoDataSource } from '../../src/demo/data-source.js';
import { demoConfig } from '../../src/demo/demo-config.js';
import { startTraffic, TrafficClient } from '../../src/demo/traffic.js';
import { startBackend } from '../helpers/backend.js';
import { ensureUiBuilt, launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startGateway, startGatewayFromConfig, type TestGateway } from '../helpers/gateway.js';

// Every run takes the screenshots (and fails if a view cannot be drawn); `npm run screenshots` (UPDATE_SCREENSHOTS=1)
// writes them over docs/screenshots/, other runs into test-results/screenshots/ so a test run leaves the tree clean.
const SCREENSHOTS = fileURLToPath(
  new URL(process.env.UPDATE_SCREENSHOTS === '1' ? '../../docs/screenshots/' : '../../test-results/screenshots/', import.meta.url),
);

const launched = await launchBrowser();
if (typeof launched === 'string') {
  // CI installs chromium (.ci/run): there the tests must run, not be skipped.
  if (process.env.CI) throw new Error(`the web UI tests need Chromium: ${launched}`);
  console.warn(`web UI tests skipped: ${launched} (install it with: apt-get install -y chromium)`);
}
const browser: TestBrowser | null = typeof launched === 'string' ? null : launched;

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined);
  await browser?.close();
});

interface Demo {
  gw: TestGateway;
  source: DemoDataSource;
}

/** The embedded demo (its data source and config) on free ports. */
async function startDemo(): Promise<Demo> {
  const source = await startDemoDataSource({ loginDelay: 5 });
  const gw = await startGatewayFromConfig(demoConfig({ dataSourceUrl: source.url, port: 0, adminPort: 0 }));
  cleanup.push(() => source.close(), () => gw.stop());
  return { gw, source };
}

/** A page on the admin server that fails the test on a script error or a CSP violation. */
async function openPage(base: string, hash: string, size = { width: 1280, height: 800 }): Promise<{ page: Page; problems: string[] }> {
  const page = await browser!.context.newPage();
  cleanup.push(() => page.close());
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 404/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.setViewportSize(size);
  await page.goto(`${base}/${hash}`);
  await page.getByTestId('feed-status').getByText('Live').waitFor();
  return { page, problems };
}

const api = async <T>(base: string, path: string): Promise<{ status: number; body: T }> => {
  const res = await fetch(base + path);
  return { status: res.status, body: (res.status === 200 ? await res.json() : null) as T };
};

const rows = (page: Page) => page.locator('#exchanges-grid .grid-row');
/** The texts of one column's cells, top to bottom (the URI without its `login` tag). */
const cellTexts = (page: Page, col: string) =>
  page.locator(`#exchanges-grid .grid-row [data-col="${col}"]${col === 'uri' ? ' .mono' : ''}`).allInnerTexts();

describe.skipIf(browser === null)('web UI', () => {
  beforeAll(async () => {
    await ensureUiBuilt();
  }, 120_000);

  describe('exchanges', () => {
    let demo: Demo;
    let page: Page;
    let problems: string[];
    beforeAll(async () => {
      demo = await startDemo();
      ({ page, problems } = await openPage(demo.gw.adminUrl, '#/exchanges'));
    }, 30_000);

    it('shows new exchanges live, without a reload', async () => {
      await expect.poll(() => rows(page).count()).toBe(0);
      const ann = new TrafficClient(demo.gw.url, 'ann');
      await ann.request('GET', '/api/items');
      await ann.request('GET', '/api/items/3');
      await ann.request('POST', '/api/orders', { item: 3, quantity: 2 });
      await ann.request('GET', '/api/items/99');
      // the gateway's login, then the four requests
      await expect.poll(() => page.getByTestId('row-count').innerText()).toBe('5 rows');
      expect(await cellTexts(page, 'uri')).toEqual(['/api/items/99', '/api/orders', '/api/items/3', '/api/items', '/login']);
      expect(await rows(page).last().locator('.tag-login').count()).toBe(1);
      const statuses = await cellTexts(page, 'status');
      expect(statuses[0]).toMatch(/404 Not Found/);
      expect(await page.locator('#exchanges-grid .grid-row.row-lost').count()).toBe(1);
      expect(problems).toEqual([]);
    });

    it('sorts by any column, both ways', async () => {
      const statusHeader = page.locator('#exchanges-grid [role=columnheader][data-col="status"]');
      await statusHeader.getByRole('button').click();
      await expect.poll(() => statusHeader.getAttribute('aria-sort')).toBe('ascending');
      expect(await cellTexts(page, 'status')).toEqual(['200 OK', '200 OK', '200 OK', '201 Created', expect.stringMatching(/404 Not Found$/)]);
      await statusHeader.getByRole('button').click();
      await expect.poll(() => statusHeader.getAttribute('aria-sort')).toBe('descending');
      expect((await cellTexts(page, 'status'))[0]).toMatch(/404 Not Found/);

      await page.locator('#exchanges-grid [data-col="uri"] button').click();
      expect(await cellTexts(page, 'uri')).toEqual(['/api/items', '/api/items/3', '/api/items/99', '/api/orders', '/login']);
      await page.locator('#exchanges-grid [data-col="id"] button').click();
      expect(await cellTexts(page, 'id')).toEqual(['5', '4', '3', '2', '1']);
    });

    it('filters by status class, method, URI text and session', async () => {
      await page.locator('select[name=status]').selectOption('4xx');
      await expect.poll(() => cellTexts(page, 'uri')).toEqual(['/api/items/99']);
      expect(await page.getByTestId('row-count').innerText()).toBe('1 of 5 rows');
      await page.locator('select[name=status]').selectOption('');

      await page.locator('select[name=method]').selectOption('POST');
      await expect.poll(() => cellTexts(page, 'uri')).toEqual(['/api/orders', '/login']);
      await page.locator('select[name=method]').selectOption('');

      await page.locator('input[name=uri]').fill('items/');
      await expect.poll(() => cellTexts(page, 'uri')).toEqual(['/api/items/99', '/api/items/3']);
      await page.getByRole('button', { name: 'Reset filters' }).click();

      const bob = new TrafficClient(demo.gw.url, 'bob');
      await bob.request('GET', '/api/quota');
      await expect.poll(() => page.getByTestId('row-count').innerText()).toBe('7 rows');
      const bobSession = (await api<ExchangeSummaryJson[]>(demo.gw.adminUrl, '/v1/exchanges?range=6-6')).body[0]!.session!;
      await page.locator('input[name=session]').fill(bobSession);
      await expect.poll(() => cellTexts(page, 'uri')).toEqual(['/api/quota', '/login']);
      await page.locator('input[name=session]').fill('');
      await expect.poll(() => rows(page).count()).toBe(7);
    });

    it('opens the detail with Enter, moves with the arrow keys, and shows headers and bodies', async () => {
      const grid = page.locator('#exchanges-grid');
      await grid.focus();
      await page.keyboard.press('Home');
      await expect.poll(() => grid.locator('.grid-row[aria-selected=true] [data-col="id"]').innerText()).toBe('7');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown'); // 7, 6, 5, 4: POST /api/orders
      await expect.poll(() => grid.locator('.grid-row[aria-selected=true] [data-col="uri"]').innerText()).toBe('/api/orders');
      await page.keyboard.press('Enter');
      const detail = page.getByTestId('exchange-detail');
      await expect.poll(() => detail.locator('h2').innerText()).toMatch(/Exchange 4\s*201 Created/);
      const requestBody = await detail.getByTestId('body').first().innerText();
      expect(JSON.parse(requestBody)).toEqual({ item: 3, quantity: 2 });
      expect(requestBody).toContain('\n  "quantity": 2'); // pretty-printed
      const responseBody = await detail.getByTestId('response-body').innerText();
      expect(JSON.parse(responseBody)).toMatchObject({ created: true });
      expect(await detail.locator('table.headers').first().innerText()).toMatch(/content-type\s+application\/json/i);
      expect(page.url()).toMatch(/#\/exchanges\/4$/);

      // With the detail open, the selection carries it along.
      await grid.focus();
      await page.keyboard.press('ArrowDown'); // 3: GET /api/items/3
      await expect.poll(() => detail.locator('h2').innerText()).toMatch(/Exchange 3\s*200 OK/);
      await expect.poll(() => detail.getByTestId('response-body').innerText()).toContain('"name": "switch-03"');
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByTestId('exchange-detail').count()).toBe(0);
      expect(problems).toEqual([]);
    });

    it('pauses and resumes the live table', async () => {
      await page.getByRole('button', { name: 'Pause' }).click();
      const carl = new TrafficClient(demo.gw.url, 'carl');
      await carl.request('GET', '/api/items');
      await expect.poll(() => page.getByRole('button', { name: /Resume \(2 new\)/ }).count()).toBe(1);
      expect(await page.getByTestId('row-count').innerText()).toBe('7 rows');
      await page.getByRole('button', { name: /Resume/ }).click();
      await expect.poll(() => page.getByTestId('row-count').innerText()).toBe('9 rows');
    });

    it('ends a session from its detail: gone from the list and from the API', async () => {
      const dana = new TrafficClient(demo.gw.url, 'dana');
      await dana.request('GET', '/api/items');
      const sessions = (await api<{ id: string; user: string | null }[]>(demo.gw.adminUrl, '/v1/sessions')).body;
      const id = sessions.find((s) => s.user === 'dana')!.id;

      await page.goto(`${demo.gw.adminUrl}/#/sessions`);
      const grid = page.locator('#sessions-grid');
      const row = grid.locator(`.grid-row[data-key="${id}"]`);
      await row.waitFor();
      expect(await row.locator('[data-col="user"]').innerText()).toBe('dana');
      await row.click();
      const detail = page.getByTestId('session-detail');
      await detail.getByText('Upstream contexts').waitFor();
      expect(await detail.locator('.context').innerText()).toMatch(/authenticated[\s\S]*JSESSIONID/);
      expect(await detail.locator('.mini-table').innerText()).toContain('/api/items');

      await detail.getByRole('button', { name: 'End session…' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(`End session ${id}?`).waitFor();
      await dialog.getByRole('button', { name: 'End session' }).click();
      await expect.poll(() => grid.locator(`.grid-row[data-key="${id}"]`).count()).toBe(0);
      expect((await api(demo.gw.adminUrl, `/v1/sessions/${encodeURIComponent(id)}`)).status).toBe(404);
      expect(await grid.locator('.grid-row').count()).toBeGreaterThan(0); // the others live on
      expect(problems).toEqual([]);
    });

    it('logs a user out everywhere', async () => {
      const e1 = new TrafficClient(demo.gw.url, 'erin');
      const e2 = new TrafficClient(demo.gw.url, 'erin');
      await e1.request('GET', '/api/items');
      await e2.request('GET', '/api/items');
      const erin = async () => (await api<{ id: string; user: string | null }[]>(demo.gw.adminUrl, '/v1/sessions')).body.filter((s) => s.user === 'erin');
      const [first] = await erin();
      await page.goto(`${demo.gw.adminUrl}/#/sessions/${first!.id}`);
      const detail = page.getByTestId('session-detail');
      await detail.getByRole('button', { name: 'Log out erin everywhere…' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Log out everywhere' }).click();
      await page.getByText('erin logged out everywhere: 2 sessions ended.').waitFor();
      expect(await erin()).toEqual([]);
    });
  });

  it('shows data loss turning to error when the 429s cross the threshold, and edits the threshold in place', async () => {
    const demo = await startDemo();
    const { page, problems } = await openPage(demo.gw.adminUrl, '#/exchanges');
    const state = page.getByTestId('data-loss-state');
    const client = new TrafficClient(demo.gw.url, 'ann');
    for (let i = 0; i < 3; i++) await client.request('GET', '/api/items');
    await expect.poll(() => page.getByTestId('row-count').innerText()).toBe('4 rows');
    expect(await state.innerText()).toBe('OK');
    expect(await page.getByTestId('data-loss-percent').innerText()).toBe('0.0 %');

    // The demo source answers 3 in 10 quota requests 429: 6 of 24 exchanges lost, 25 % > 10 %.
    for (let i = 0; i < 20; i++) await client.request('GET', '/api/quota');
    await expect.poll(() => state.innerText()).toBe('ERROR');
    await expect.poll(() => page.getByTestId('data-loss-percent').innerText()).toBe('25.0 %');
    expect(await page.getByTestId('header-data-loss').innerText()).toMatch(/Data loss 25\.0 %\s*ERROR/);
    expect((await api<{ data_loss_state: string }>(demo.gw.adminUrl, '/v1/exchange-log')).body.data_loss_state).toBe('error');
    // per service and per server too
    await expect.poll(() => page.locator('[data-scope="service:demo-api"] .badge').innerText()).toBe('ERROR');
    await expect.poll(() => page.locator('[data-scope="server:demo"] .badge').innerText()).toBe('ERROR');
    expect(await page.locator('.dataloss svg.spark').count()).toBeGreaterThan(0);

    // Raise the threshold in place: PATCH /v1/exchange-log, and the state is ok again.
    const threshold = page.locator('input[name=threshold_percent]');
    await threshold.fill('30');
    await threshold.press('Enter');
    await expect.poll(() => state.innerText()).toBe('OK');
    const log = (await api<{ threshold_percent: number; data_loss_state: string }>(demo.gw.adminUrl, '/v1/exchange-log')).body;
    expect(log).toMatchObject({ threshold_percent: 30, data_loss_state: 'ok' });

    // Max entries and logging on/off in place as well.
    const max = page.locator('input[name=max_entries]');
    await max.fill('500');
    await max.press('Enter');
    await expect.poll(async () => (await api<{ max_entries: number }>(demo.gw.adminUrl, '/v1/exchange-log')).body.max_entries).toBe(500);
    await page.getByRole('switch').uncheck();
    await expect.poll(async () => (await api<{ enabled: boolean }>(demo.gw.adminUrl, '/v1/exchange-log')).body.enabled).toBe(false);
    await page.getByText('The exchange log is disabled').waitFor();
    expect(problems).toEqual([]);
  }, 30_000);

  it('shows a binary body as hex with its size, makes failed exchanges stand out, and copies a request as curl', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0xff, 0xfe]);
    const backend = await startBackend((_req, res) => res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png));
    const gw = await startGateway([backend.url], { config: { admin: { listen: '127.0.0.1:0' } } });
    cleanup.push(() => backend.close(), () => gw.stop());
    await (await fetch(`${gw.url}/logo.png?size=small`, { headers: { 'x-trace': "it's me" } })).arrayBuffer();
    await backend.close(); // the next request finds the server gone: a failed exchange
    await (await fetch(`${gw.url}/after-close`)).arrayBuffer();

    await browser!.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.adminUrl });
    const { page, problems } = await openPage(gw.adminUrl, '#/exchanges');
    // the failed request and its one safe retry, each a row with its error in place of a status
    await expect.poll(() => rows(page).count()).toBe(3);
    const failed = page.locator('#exchanges-grid .grid-row.row-failed');
    expect(await failed.count()).toBe(2);
    expect(await failed.locator('[data-col="status"]').allInnerTexts()).toEqual([expect.stringMatching(/^!?\s*ECONNREFUSED$/), expect.stringMatching(/^!?\s*ECONNREFUSED$/)]);
    expect(await failed.first().locator('[data-col="status"]').getAttribute('title')).toBe('ECONNREFUSED (SG_ERR_UPSTREAM_REFUSED)');

    await rows(page).last().click();
    const detail = page.getByTestId('exchange-detail');
    const body = detail.getByTestId('response-body');
    await expect.poll(() => body.innerText()).toMatch(/Binary body, 18 B \(image\/png\)/);
    expect(await body.locator('pre.hex').innerText()).toMatch(/^000000 {2}89 50 4e 47 0d 0a 1a 0a {2}00 00 00 0d 49 48 44 52 +\.PNG\.{8}IHDR\n000010 {2}ff fe +\.\.$/);

    await detail.getByRole('button', { name: 'Copy as curl' }).click();
    await page.getByText('curl command copied to the clipboard.').waitFor();
    const curl = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(curl.startsWith(`curl '${backend.url}/logo.png?size=small' -H `)).toBe(true);
    expect(curl).toContain(` -H 'x-trace: it'\\''s me'`); // shell-quoted
    expect(curl).not.toMatch(/-H '(host|x-forwarded-for|content-length):/i); // curl sets these, or they are the gateway's
    expect(problems).toEqual([]);
  }, 30_000);

  it('renders only the rows in view at 10,000 rows, and scrolls, sorts and selects through all of them', async () => {
    const backend = await startBackend();
    const gw = await startGateway([backend.url], { config: { admin: { listen: '127.0.0.1:0' }, exchange_log: { max_entries: 20_000 } } });
    cleanup.push(() => backend.close(), () => gw.stop());
    const t0 = Date.parse('2026-01-01T10:00:00.000Z');
    const synthetic: ExchangeSummaryJson[] = Array.from({ length: 10_000 }, (_, i) => ({
      id: i + 1, kind: 'request', session: String(1 + (i % 40)), connection: 1 + (i % 40), service: 'svc', server: 's1',
      method: i % 5 === 0 ? 'POST' : 'GET', uri: `/api/items/${(i * 7919) % 10_000}`,
      request_time: new Date(t0 + i * 10).toISOString(), request_data: null, request_body_size: 0,
      status: i % 13 === 0 ? 503 : 200, reason: i % 13 === 0 ? 'Service Unavailable' : 'OK', response_data: '{"ok":true}', response_body_size: 11,
      response_time: new Date(t0 + i * 10 + 3).toISOString(), timespan_ms: 3, ttfb_ms: 2, queue_ms: 0, retry_of: null, error: null, error_code: null, lost: i % 13 === 0,
    }));
    const page = await browser!.context.newPage();
    cleanup.push(() => page.close());
    await page.route('**/v1/exchanges', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(synthetic) }));
    await page.goto(`${gw.adminUrl}/#/exchanges`);
    await expect.poll(() => page.getByTestId('row-count').innerText()).toBe('10,000 rows');
    const grid = page.locator('#exchanges-grid');
    expect(await grid.getAttribute('aria-rowcount')).toBe('10001');
    expect(await rows(page).count()).toBeLessThan(60);
    expect((await cellTexts(page, 'id'))[0]).toBe('10000');

    await grid.focus();
    await page.keyboard.press('End');
    await expect.poll(() => grid.locator('.grid-row[aria-selected=true] [data-col="id"]').innerText()).toBe('1');
    expect(await rows(page).count()).toBeLessThan(60);
    await page.keyboard.press('PageUp');
    await page.keyboard.press('ArrowUp');
    const selected = Number(await grid.locator('.grid-row[aria-selected=true] [data-col="id"]').innerText());
    expect(selected).toBeGreaterThan(10);

    await page.locator('#exchanges-grid [data-col="uri"] button').click();
    await expect.poll(async () => (await cellTexts(page, 'uri'))[0]).toBe('/api/items/0');
    await page.locator('select[name=status]').selectOption('5xx');
    await expect.poll(() => page.getByTestId('row-count').innerText()).toBe('770 of 10,000 rows');
    expect(await rows(page).count()).toBeLessThan(60);
  }, 30_000);

  it('takes screenshots of every view (docs/screenshots/ with UPDATE_SCREENSHOTS=1)', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const demo = await startDemo();
    const traffic = startTraffic({ url: demo.gw.url, clients: 6, ratePerSecond: 60, random: seeded(7) });
    cleanup.push(() => traffic.stop());
    await new Promise((r) => setTimeout(r, 2000));
    // The page samples data loss once a second while the traffic goes on: the sparklines get a history.
    const { page, problems } = await openPage(demo.gw.adminUrl, '#/exchanges');
    await page.waitForTimeout(6000);
    await traffic.stop();
    // A request its client gives up on: a failed row (client_aborted) among the others.
    const impatient = new TrafficClient(demo.gw.url, 'bob');
    await impatient.request('GET', '/api/slow?ms=2000', undefined, AbortSignal.timeout(300)).catch(() => undefined);
    for (let i = 0; i < 3; i++) await impatient.request('GET', `/api/items/${i + 1}`);
    await page.waitForTimeout(1200);
    await page.screenshot({ path: `${SCREENSHOTS}exchanges.png` });

    const orders = (await api<ExchangeSummaryJson[]>(demo.gw.adminUrl, '/v1/exchanges?method=POST')).body.filter((x) => x.uri === '/api/orders');
    await page.goto(`${demo.gw.adminUrl}/#/exchanges/${orders[orders.length - 1]!.id}`);
    await page.getByTestId('response-body').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}exchange-detail.png` });

    const sessions = (await api<{ id: string; requests: number }[]>(demo.gw.adminUrl, '/v1/sessions')).body;
    const busiest = sessions.reduce((a, b) => (b.requests > a.requests ? b : a));
    await page.goto(`${demo.gw.adminUrl}/#/sessions/${busiest.id}`);
    await page.getByTestId('session-detail').getByText('Upstream contexts').waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SCREENSHOTS}sessions.png` });

    await page.goto(`${demo.gw.adminUrl}/#/services`);
    await page.getByTestId('server-demo').waitFor();
    await page.waitForTimeout(1200);
    await page.screenshot({ path: `${SCREENSHOTS}services.png` });

    await page.setViewportSize({ width: 420, height: 860 });
    await page.goto(`${demo.gw.adminUrl}/#/exchanges`);
    await page.getByTestId('feed-status').getByText('Live').waitFor();
    await page.waitForTimeout(800);
    await page.screenshot({ path: `${SCREENSHOTS}narrow.png` });
    expect(problems).toEqual([]);
  }, 45_000);
});

/** A small deterministic random source (mulberry32), so the screenshots' traffic is the same every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
