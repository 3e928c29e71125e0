/**
 * Group `sessions`: what client sessions cost. The issue: "requests spread over 1,000 cookie sessions
 * through sessiongate vs the same with sessions off — sessions must cost at most 10% of req/s".
 *
 * Before each measurement `prepare` makes the 1,000 sessions on a target with sessions on (one request each,
 * the token taken from Set-Cookie) and checks that they are distinct and kept (a second request with each
 * cookie is answered without a new Set-Cookie). On a target with sessions off it checks that no cookie is
 * set and makes 1,000 cookies of the same form (`sgsid=` + 24 base64url characters), so that both targets
 * get requests of the same size. The load cycles through the cookies, one per request (autocannon
 * `requests` + `setupRequest`): at 50 connections a session comes back every 1,000 requests, so requests of
 * one session never wait for each other.
 */
import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import { Pool } from 'undici';
import { keepsUp } from '../lib/goals.js';
import type { LoadSpec, MeasurementContext, Scenario } from '../lib/types.js';
import { backend } from '../targets/backend.js';
import { sessiongate } from '../targets/sessiongate.js';

/** The session cookie's name (the default of `session.cookie`). */
export const SESSION_COOKIE = 'sgsid';
export const SESSION_COUNT = 1000;
const PREPARE_CONCURRENCY = 16;

const SMALL_PATH = '/small';

/** The token of cookie `name` in a response's Set-Cookie fields, or null. */
export function setCookieToken(setCookie: string | string[] | undefined, name: string): string | null {
  for (const field of typeof setCookie === 'string' ? [setCookie] : (setCookie ?? [])) {
    const m = new RegExp(`^\\s*${name}=([^;]*)`).exec(field);
    if (m !== null) return m[1]!;
  }
  return null;
}

/** Runs `task(i)` for i in 0..n-1 with `concurrency` at a time; the first error stops it and is thrown. */
async function forEachConcurrent(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
}

/**
 * Creates `count` sessions on a gateway with cookie sessions (one GET each, no cookie sent) and checks
 * that they are distinct and kept: each is used once more and must not be replaced by a new one.
 * Returns the Cookie header values (`sgsid=TOKEN`).
 */
export async function createCookieSessions(url: string, path: string, count = SESSION_COUNT): Promise<string[]> {
  const pool = new Pool(url, { connections: PREPARE_CONCURRENCY });
  try {
    const tokens: string[] = new Array<string>(count);
    await forEachConcurrent(count, PREPARE_CONCURRENCY, async (i) => {
      const res = await pool.request({ method: 'GET', path });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`creating session ${i + 1}: status ${res.statusCode}`);
      const token = setCookieToken(res.headers['set-cookie'], SESSION_COOKIE);
      if (token === null) throw new Error(`creating session ${i + 1}: no ${SESSION_COOKIE} cookie in the response: are cookie sessions on?`);
      tokens[i] = token;
    });
    const distinct = new Set(tokens).size;
    if (distinct !== count) throw new Error(`${count} requests without a cookie made only ${distinct} distinct session cookies`);
    await forEachConcurrent(count, PREPARE_CONCURRENCY, async (i) => {
      const res = await pool.request({ method: 'GET', path, headers: { cookie: `${SESSION_COOKIE}=${tokens[i]}` } });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`reusing session ${i + 1}: status ${res.statusCode}`);
      if (setCookieToken(res.headers['set-cookie'], SESSION_COOKIE) !== null) {
        throw new Error(`session ${i + 1} was not kept: a request with its cookie got a new ${SESSION_COOKIE} cookie`);
      }
    });
    return tokens.map((t) => `${SESSION_COOKIE}=${t}`);
  } finally {
    await pool.close();
  }
}

/** Checks that a gateway sets no session cookie (sessions off) and returns `count` look-alike cookies. */
export async function lookAlikeCookies(url: string, path: string, count = SESSION_COUNT): Promise<string[]> {
  const pool = new Pool(url, { connections: 1 });
  try {
    const res = await pool.request({ method: 'GET', path });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
    const token = setCookieToken(res.headers['set-cookie'], SESSION_COOKIE);
    if (token !== null) throw new Error(`sessions should be off, but the response set a ${SESSION_COOKIE} cookie`);
  } finally {
    await pool.close();
  }
  // The same form as the gateway's tokens: 18 random bytes, base64url (24 characters).
  return Array.from({ length: count }, () => `${SESSION_COOKIE}=${randomBytes(18).toString('base64url')}`);
}

/** autocannon `requests`: GET `path`, each request with the next of `cookies` (shared by every connection). */
export function rotatingCookies(path: string, cookies: readonly string[]): autocannon.Request[] {
  let next = 0;
  return [
    {
      method: 'GET',
      path,
      setupRequest: (req) => {
        req.headers = { ...req.headers, cookie: cookies[next++ % cookies.length]! };
        return req;
      },
    },
  ];
}

/** The check of a GET /small: 200 and the backend's 100-byte body. */
export const smallBodyCheck: LoadSpec['check'] = {
  status: 200,
  body: (text) => (text.length === 100 ? null : `expected a 100-byte body, got ${text.length} bytes`),
};

const ON = 'sessions on';
const OFF = 'sessions off';

export const sessionsCookie: Scenario = {
  id: 'sessions-cookie',
  group: 'sessions',
  title: 'Cookie sessions on vs off, 1,000 sessions',
  description:
    'What client sessions cost: every request carries one of 1,000 session cookies (the gateway looks the ' +
    'session up, queues the request in it, runs it and releases it) against the same gateway with sessions off.',
  support: { backend },
  targets: [
    sessiongate({
      name: ON,
      role: 'subject',
      description: 'sessiongate, `session: { mode: cookie }` on the service (memory store), every other setting at its default',
      service: { session: { mode: 'cookie' } },
    }),
    sessiongate({
      name: OFF,
      role: 'reference',
      description: 'sessiongate, `session.mode: none` (the default): the Cookie header is passed through',
    }),
  ],
  subject: ON,
  load: {
    description:
      `GET ${SMALL_PATH} (100-byte body), each request with one of ${SESSION_COUNT.toLocaleString('en-US')} session cookies in turn ` +
      '(made by `prepare` on the target with sessions on and checked distinct and kept; look-alike cookies of the same size on the other)',
    method: 'GET',
    path: SMALL_PATH,
    check: smallBodyCheck,
    prepare: async (url: string, ctx: MeasurementContext) => {
      const cookies = ctx.target.name === ON ? await createCookieSessions(url, SMALL_PATH) : await lookAlikeCookies(url, SMALL_PATH);
      return { requests: rotatingCookies(SMALL_PATH, cookies) };
    },
  },
  goal: keepsUp([{ target: ON, of: OFF, atLeast: 0.9 }]),
};
