/**
 * The admin client verbs, run as the real `sessiongate` command (compiled dist/: `npm run build` first)
 * against a real gateway; each effect is then checked through the admin API itself, as maxctrl's tests do.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeLogStateJson, SessionJson } from '../../src/admin/serialize.js';
import { hashPassword, verifyPassword } from '../../src/admin/password.js';
import { closedPort, startBackend, type Backend } from '../helpers/backend.js';
import { BIN, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const require = createRequire(import.meta.url);
const harValidator = require('har-validator') as { har(data: unknown): Promise<unknown> };

let backend: Backend;
let gw: TestGateway;
let locked: TestGateway;
const dir = mkdtempSync(join(tmpdir(), 'sg-cli-admin-'));

beforeAll(async () => {
  backend = await startBackend((req, res) => {
    const status = req.url?.startsWith('/fail') ? 503 : 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ url: req.url }));
  });
  gw = await startGateway([backend.url], {
    service: { session: { mode: 'cookie', user_from: 'header' } },
    config: { admin: { listen: '127.0.0.1:0' } },
  });
  // The admin user's password as `sessiongate hash-password` writes it.
  locked = await startGateway([backend.url], {
    config: { admin: { listen: '127.0.0.1:0', users: [{ name: 'admin', password: await hashPassword('right-password') }] } },
  });
});

afterAll(async () => {
  await gw?.stop();
  await locked?.stop();
  await backend?.close();
});

/** The CLI against the test gateway's admin API. */
const cli = (...args: string[]): Promise<CliResult> => runCli([...args, '--admin', gw.adminUrl], { env: { NO_COLOR: '1' } });

async function api<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(gw.adminUrl + path);
  return { status: res.status, body: (res.status === 204 ? null : await res.json()) as T };
}

/** A request through the gateway as `user`: a new cookie session. Returns the session's public id. */
async function sessionOf(user: string, path = '/items'): Promise<string> {
  const res = await fetch(gw.url + path, { headers: { 'x-user': user } });
  await res.text();
  const { body } = await api<SessionJson[]>(`/v1/sessions?user=${user}`);
  expect(body.length).toBeGreaterThan(0);
  return body[body.length - 1]!.id;
}

const noStackTrace = (r: CliResult): void => expect(r.stderr).not.toMatch(/\n\s+at /);

describe('sessiongate sessions', () => {
  it('list shows a session created by a request; --json is the API list; --range passes through', async () => {
    const id = await sessionOf('ann');
    const table = await cli('sessions', 'list');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+USER\s+ADDRESS\s+SERVICE\s+STATE/);
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+ann\\s+127\\.0\\.0\\.1\\s+svc\\s+ready`, 'm'));
    for (const l of table.stdout.split('\n')) expect(l.length).toBeLessThanOrEqual(80);

    const json = await cli('sessions', 'list', '--json');
    const sessions = JSON.parse(json.stdout) as SessionJson[];
    expect(sessions.find((s) => s.id === id)).toMatchObject({ user: 'ann', service: '/services/svc', mode: 'cookie' });

    await sessionOf('ann');
    const one = JSON.parse((await cli('sessions', 'list', '--json', '--range', '0-0', '--fields', 'id,user')).stdout) as unknown[];
    expect(one).toHaveLength(1);
    expect(Object.keys(one[0]!)).toEqual(['id', 'user']);
  });

  it('show prints the fields of one session as a key/value block', async () => {
    const id = await sessionOf('carol');
    const r = await cli('sessions', 'show', id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^id\\s+${id}$`, 'm'));
    expect(r.stdout).toMatch(/^user\s+carol$/m);
    expect(r.stdout).toMatch(/^service\s+\/services\/svc$/m);
    expect(r.stdout).toMatch(/^state\s+Session ready for routing$/m);
    expect(r.stdout).toMatch(/^idle\s+\d+$/m);
    expect((await cli('sessions', 'connections', id)).code).toBe(0);
  });

  it('kill ends a session: the API answers 404 for it afterwards', async () => {
    const id = await sessionOf('dave');
    expect((await api(`/v1/sessions/${id}`)).status).toBe(200);
    const r = await cli('sessions', 'kill', id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`session ${id} ended`);
    expect((await api(`/v1/sessions/${id}`)).status).toBe(404);
  });

  it('logout USER ends every session of one client user', async () => {
    await sessionOf('erin');
    await sessionOf('erin');
    const r = await cli('sessions', 'logout', 'erin', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ user: 'erin', killed: 2 });
    expect((await api<SessionJson[]>('/v1/sessions?user=erin')).body).toEqual([]);
  });

  it('an unknown id exits 3 with the API\'s detail', async () => {
    const r = await cli('sessions', 'show', 'no-such-id');
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.trim()).toBe('no session with id "no-such-id"');
    expect((await cli('sessions', 'kill', 'no-such-id')).code).toBe(3);
    expect((await cli('exchanges', 'show', '999999')).code).toBe(3);
  });

  it('a malformed --range exits 2 with the API\'s detail; kill without an ID exits 2', async () => {
    const r = await cli('sessions', 'list', '--range', '9-1');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('invalid range "9-1"');
    expect((await cli('sessions', 'kill')).code).toBe(2);
  });
});

describe('sessiongate log', () => {
  it('log set changes /v1/exchange-log; log state shows it', async () => {
    const r = await cli('log', 'set', '--enabled', 'false', '--max-count', '500', '--threshold', '25');
    expect(r.code, r.stderr).toBe(0);
    expect((await api<ExchangeLogStateJson>('/v1/exchange-log')).body).toMatchObject({ enabled: false, max_entries: 500, threshold_percent: 25 });
    const state = await cli('log', 'state');
    expect(state.stdout).toMatch(/^enabled\s+false$/m);
    expect(state.stdout).toMatch(/^max_entries\s+500$/m);

    const back = await cli('log', 'set', '--enabled', 'true', '--json');
    expect(JSON.parse(back.stdout)).toMatchObject({ enabled: true, max_entries: 500 });
    expect((await api<ExchangeLogStateJson>('/v1/exchange-log')).body.enabled).toBe(true);
  });

  it('values the API refuses exit 2 with its detail; a malformed flag too', async () => {
    const r = await cli('log', 'set', '--max-count', '0');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('max_entries');
    expect((await cli('log', 'set', '--enabled', 'maybe')).code).toBe(2);
  });
});

describe('sessiongate exchanges', () => {
  it('list shows exchanges, with the API\'s filters; show prints one in full', async () => {
    await sessionOf('fay', '/listed?q=1');
    await sessionOf('fay', '/fail/here');
    const r = await cli('exchanges', 'list');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/GET \/listed\?q=1\s+200/);
    const failed = JSON.parse((await cli('exchanges', 'list', '--json', '--status', '5xx')).stdout) as { id: number; uri: string; status: number }[];
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e) => e.status === 503)).toBe(true);

    const show = await cli('exchanges', 'show', String(failed[0]!.id));
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^uri\s+\/fail\/here$/m);
    expect(show.stdout).toMatch(/^status\s+503$/m);
    expect(show.stdout).toContain('response headers');
    expect(show.stdout).toContain('"url":"/fail/here"');
  });

  it('tail prints a new exchange as it happens, one JSON object per line with --json, and stops on Ctrl+C', async () => {
    const people = startCli(['exchanges', 'tail', '--admin', gw.adminUrl], { env: { NO_COLOR: '1' } });
    const scripts = startCli(['exchanges', 'tail', '--json', '--admin', gw.adminUrl]);
    try {
      await people.waitFor('REQUEST');
      await scripts.waitFor('"event":"state"');
      const started = Date.now();
      await fetch(`${gw.url}/tailed/now`).then((res) => res.text());
      await people.waitFor('GET /tailed/now', 1000);
      await scripts.waitFor('/tailed/now', 1000);
      expect(Date.now() - started).toBeLessThan(1000);
      const lines = scripts.output().trim().split('\n').map((l) => JSON.parse(l) as { event: string; data: { uri?: string } });
      expect(lines.find((l) => l.event === 'exchange' && l.data.uri === '/tailed/now')).toBeDefined();
    } finally {
      people.kill('SIGINT');
      scripts.kill('SIGINT');
    }
    expect(await people.exited).toBe(0);
    expect(await scripts.exited).toBe(0);
  });

  it('tail connects again when the gateway restarts and prints what was recorded meanwhile', async () => {
    const port = await closedPort();
    const first = await startGateway([backend.url], { config: { admin: { listen: `127.0.0.1:${port}` } } });
    let second: TestGateway | null = null;
    const adminUrl = `http://127.0.0.1:${port}`;
    const tailing = startCli(['exchanges', 'tail', '--json', '--admin', adminUrl]);
    try {
      await tailing.waitFor('"event":"state"');
      await fetch(`${first.url}/before/restart`).then((res) => res.text());
      await tailing.waitFor('/before/restart', 2000);
      await first.stop();
      await tailing.waitFor('connecting again every 1 s', 5000);
      second = await startGateway([backend.url], { config: { admin: { listen: `127.0.0.1:${port}` } } });
      // Recorded before tail is back (it tries once a second): it comes as the rows sent again on resuming.
      await fetch(`${second.url}/after/restart`).then((res) => res.text());
      await tailing.waitFor('/after/restart', 5000);
      await fetch(`${second.url}/live/again`).then((res) => res.text());
      await tailing.waitFor('/live/again', 2000);
      const uris = tailing.output().split('\n').filter((l) => l.startsWith('{"event":"exchange"')).map((l) => (JSON.parse(l) as { data: { uri: string } }).data.uri);
      expect(uris).toEqual(['/before/restart', '/after/restart', '/live/again']);
    } finally {
      tailing.kill('SIGINT');
      await second?.stop();
    }
    expect(await tailing.exited).toBe(0);
  });

  it('tail exits 1 when the admin API cannot be reached at first', async () => {
    const r = await runCli(['exchanges', 'tail', '--admin', `http://127.0.0.1:${await closedPort()}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach the admin API');
  });

  it('export --har writes a valid HAR 1.2 file', async () => {
    await sessionOf('gus', '/exported');
    const file = join(dir, 'out.har');
    const r = await cli('exchanges', 'export', '--har', file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote \d+ exchanges to .*out\.har/);
    const har = JSON.parse(readFileSync(file, 'utf8')) as { log: { version: string; entries: { request: { url: string } }[] } };
    expect(har.log.version).toBe('1.2');
    expect(har.log.entries.some((e) => e.request.url.endsWith('/exported'))).toBe(true);
    await expect(harValidator.har(har)).resolves.toBeDefined();
  });

  it('clear empties the table', async () => {
    const cleared = await cli('exchanges', 'clear');
    expect(cleared.code, cleared.stderr).toBe(0);
    expect((await api<ExchangeLogStateJson>('/v1/exchange-log')).body.entries).toBe(0);
    const empty = await cli('exchanges', 'list');
    expect(empty.stdout.trim(), empty.stderr).toBe('no exchanges');
  });
});

describe('sessiongate services, servers, connections, gateway', () => {
  it('print tables, and the API\'s JSON with --json', async () => {
    const services = await cli('services');
    expect(services.code, services.stderr).toBe(0);
    expect(services.stdout).toMatch(/^svc\s+main\s+\/\s+round-robin\s+s1\s+cookie/m);
    expect((await cli('servers')).stdout).toMatch(new RegExp(`^s1\\s+${backend.url.replace(/[.]/g, '\\.')}\\s+up`, 'm'));
    expect(JSON.parse((await cli('servers', '--json', '--fields', 'name,state')).stdout)).toEqual([{ name: 's1', state: 'up' }]);
    expect((await cli('connections')).code).toBe(0);
    expect((await cli('gateway')).stdout).toMatch(/^name\s+sessiongate$/m);
    expect((await cli('servers', 'nope')).code).toBe(3);
  });
});

describe('admin API access', () => {
  it('an unreachable admin API exits 1 with a worded message, no stack trace', async () => {
    const port = await closedPort();
    const r = await runCli(['sessions', 'list', '--admin', `http://127.0.0.1:${port}`]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim()).toBe(`cannot reach the admin API at http://127.0.0.1:${port}: connection refused; is the gateway running? --admin sets the address`);
    noStackTrace(r);
  });

  it('a wrong password exits 4; the right one (held as a scrypt hash), from the environment, works', async () => {
    const none = await runCli(['gateway', '--admin', locked.adminUrl]);
    expect(none.code, none.stderr).toBe(4);
    expect(none.stderr).toContain('authentication failed: pass --user/--password or SESSIONGATE_ADMIN_USER/PASSWORD');
    const wrong = await runCli(['gateway', '--admin', locked.adminUrl, '--user', 'admin', '--password', 'wrong']);
    expect(wrong.code, wrong.stderr).toBe(4);
    noStackTrace(wrong);
    const right = await runCli(['gateway', '--json'], {
      env: { SESSIONGATE_ADMIN_URL: locked.adminUrl, SESSIONGATE_ADMIN_USER: 'admin', SESSIONGATE_ADMIN_PASSWORD: 'right-password' },
    });
    expect(right.code, right.stderr).toBe(0);
    expect(JSON.parse(right.stdout)).toMatchObject({ name: 'sessiongate' });
  });
});

describe('sessiongate hash-password', () => {
  it('prints a scrypt hash that verifies, from --password or standard input', async () => {
    const r = await runCli(['hash-password', '--password', 'pa55word']);
    expect(r.code, r.stderr).toBe(0);
    const hash = r.stdout.trim();
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword(hash, 'pa55word')).toBe(true);

    const piped = await new Promise<string>((resolve, reject) => {
      const child = execFile(process.execPath, [BIN, 'hash-password'], (err, stdout) => (err ? reject(err) : resolve(stdout)));
      child.stdin!.end('from stdin\n');
    });
    expect(await verifyPassword(piped.trim(), 'from stdin')).toBe(true);
  });
});
