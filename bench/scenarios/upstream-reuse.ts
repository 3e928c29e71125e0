/**
 * Group `upstream`: upstream session reuse against a backend whose login costs 50 ms. The issue: "1,000
 * requests over 20 sessions with reuse none vs session vs service — report req/s and logins; reuse must
 * turn the login cost into noise: at least 10× the throughput of none".
 *
 * The backend (bench/servers/login-backend.ts) answers GET /data only with the cookie of one of its logins
 * (401 otherwise) and counts the logins. sessiongate has cookie client sessions and `upstream.auth` of type
 * `login`; only `upstream.reuse` differs between the targets. Each measurement is exactly 1,000 requests on
 * 20 connections, each connection its own client session: its first request carries no cookie, the gateway
 * starts a session and the connection sends that session's cookie from then on (autocannon `setupClient`).
 * Right before the measurement (after a warm-up of the same 1,000 requests) the backend's counters are
 * zeroed and it forgets its sessions, so each measurement pays for its own logins: about 1,000 with `none`
 * (one per request), 20 with `session` (one per client session), 1 with `service`; the backend's 401s show
 * a gateway replaying a request after a login it did not expect.
 */
import type autocannon from 'autocannon';
import { request } from 'undici';
import { keepsUp } from '../lib/goals.js';
import { benchServer } from '../lib/servers.js';
import type { Collected, MeasurementContext, ProcessSpec, Scenario, ScenarioContext } from '../lib/types.js';
import { backendOf } from '../targets/backend.js';
import { sessiongate } from '../targets/sessiongate.js';
import { SESSION_COOKIE, setCookieToken, smallBodyCheck } from './sessions.js';

const LOGIN_DELAY_MS = 50;
const REQUESTS = 1000;
const CLIENT_SESSIONS = 20;
const PATH = '/data';

/** Support process `backend`: the backend with a 50 ms login. */
const loginBackend = (_ctx: ScenarioContext): ProcessSpec =>
  benchServer('login backend', 'login-backend.ts', { BENCH_LOGIN_DELAY_MS: String(LOGIN_DELAY_MS) });

const upstream = (reuse: 'none' | 'session' | 'service'): Record<string, unknown> => ({
  reuse,
  auth: {
    type: 'login',
    method: 'POST',
    path: '/login',
    headers: { 'content-type': 'application/json' },
    body: '{"user":"bench","password":"bench"}',
    success: { status: [200], header: { name: 'set-cookie', match: '^BSESSION=' } },
  },
});

const target = (reuse: 'none' | 'session' | 'service', role: 'subject' | 'reference', what: string) =>
  sessiongate({
    name: `reuse ${reuse}`,
    role,
    description: `sessiongate, \`session.mode: cookie\`, \`upstream: { reuse: ${reuse}, auth: { type: login, path: /login, ... } }\`: ${what}`,
    service: { session: { mode: 'cookie' }, upstream: upstream(reuse) },
  });

/** Client sessions started during the current load (the connections' first responses), reset per measurement. */
let sessionsStarted = 0;

/**
 * Each autocannon connection is one client session: it sends no cookie until a response sets the gateway's
 * session cookie, then sends that cookie with every request.
 */
function oneSessionPerConnection(client: autocannon.Client): void {
  let cookie: string | null = null;
  // autocannon's Client emits 'headers' with the parser's info (raw header list) before 'response'.
  const c = client as unknown as NodeJS.EventEmitter & { setHeaders(h: Record<string, string>): void };
  c.on('headers', (info: { headers?: string[] }) => {
    if (cookie !== null) return;
    const raw = info.headers ?? [];
    const setCookies: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'set-cookie') setCookies.push(raw[i + 1]!);
    const token = setCookieToken(setCookies, SESSION_COOKIE);
    if (token === null) return;
    cookie = `${SESSION_COOKIE}=${token}`;
    sessionsStarted++;
    c.setHeaders({ cookie });
  });
}

async function backendJson(ctx: ScenarioContext, method: 'GET' | 'POST', path: string): Promise<{ status: number; json: unknown }> {
  const res = await request(backendOf(ctx).url + path, { method, headersTimeout: 5000, bodyTimeout: 5000 });
  const text = await res.body.text();
  return { status: res.statusCode, json: text === '' ? null : (JSON.parse(text) as unknown) };
}

interface BackendStats {
  logins: number;
  failed_logins: number;
  requests: number;
  unauthorized: number;
}

export const upstreamReuse: Scenario = {
  id: 'upstream-reuse',
  group: 'upstream',
  title: `Upstream reuse none vs session vs service, ${LOGIN_DELAY_MS} ms login`,
  description:
    `A backend whose login takes ${LOGIN_DELAY_MS} ms and whose data needs the login's cookie: ${REQUESTS.toLocaleString('en-US')} requests ` +
    `from ${CLIENT_SESSIONS} client sessions, with a login per request (reuse \`none\`), per client session (\`session\`) or one ` +
    'for the whole service (`service`). The logins column is counted by the backend during the measurement.',
  support: { backend: loginBackend },
  targets: [
    target('none', 'reference', 'a login before every request'),
    target('session', 'subject', 'one upstream context (login, cookie jar) per client session'),
    target('service', 'reference', 'one upstream context shared by every client session'),
  ],
  subject: 'reuse session',
  load: {
    description:
      `GET ${PATH} (100-byte body, only with the backend's session cookie), exactly ${REQUESTS.toLocaleString('en-US')} requests ` +
      `on ${CLIENT_SESSIONS} connections, each connection one client session (no cookie on its first request, then the session cookie it got); ` +
      `the backend's login (POST /login) takes ${LOGIN_DELAY_MS} ms and it forgets its sessions before each measurement`,
    method: 'GET',
    path: PATH,
    connections: CLIENT_SESSIONS,
    amount: REQUESTS,
    check: smallBodyCheck,
    prepare: async (url: string, ctx: MeasurementContext) => {
      // The backend really wants a login: without its cookie, 401.
      await backendJson(ctx, 'POST', '/reset');
      const direct = await backendJson(ctx, 'GET', PATH);
      if (direct.status !== 401) throw new Error(`the login backend answered GET ${PATH} without a cookie with ${direct.status}, expected 401`);
      // Through the gateway the same request succeeds, after a login.
      const res = await request(url + PATH, { headersTimeout: 5000, bodyTimeout: 5000 });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`GET ${PATH} through the gateway: status ${res.statusCode}`);
      const stats = (await backendJson(ctx, 'GET', '/stats')).json as BackendStats;
      if (stats.failed_logins > 0) throw new Error(`${stats.failed_logins} failed logins: check upstream.auth`);
      if (stats.logins !== 1) throw new Error(`the gateway logged in ${stats.logins} times for one request to a backend without sessions, expected once`);
      return { setupClient: oneSessionPerConnection };
    },
    beforeMeasurement: async (_url: string, ctx: MeasurementContext) => {
      // Logins the gateway started for warm-up requests cut off at its end still finish (50 ms later): let
      // them, so that they are not counted in the measurement.
      await new Promise((r) => setTimeout(r, 5 * LOGIN_DELAY_MS));
      const r = await backendJson(ctx, 'POST', '/reset');
      if (r.status !== 200) throw new Error(`POST /reset: status ${r.status}`);
      sessionsStarted = 0;
    },
    collect: async (_url: string, ctx: MeasurementContext): Promise<Collected> => {
      const stats = (await backendJson(ctx, 'GET', '/stats')).json as BackendStats;
      return { 'client sessions': sessionsStarted, logins: stats.logins, 'backend 401s': stats.unauthorized };
    },
  },
  goal: keepsUp([
    { target: 'reuse session', of: 'reuse none', atLeast: 10 },
    { target: 'reuse service', of: 'reuse none', atLeast: 10 },
  ]),
};
