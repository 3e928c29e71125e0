/**
 * Regression corpus of hostile and ambiguous raw HTTP/1.1 requests (test/fixtures/smuggling/cases.ts), each
 * sent on its own connection to a real gateway in front of two recording servers on 127.0.0.1.
 *
 * For every case: the gateway's responses (status, count, order) and whether it closes; that every response
 * it generated itself is a short JSON error with a stable code and nothing internal; exactly which requests
 * reached the servers, as the servers parsed them — so a request smuggled inside another one is seen as an
 * extra request; that no request reached a server outside its service's path prefix, even as a servlet
 * container would normalise the path; and, when the connection stays open, that a probe request behind the
 * case is answered and reaches the server clean (nothing of the case leaked into it).
 *
 * Cases marked `bug` describe the right behaviour and currently fail: they run with `it.fails`, so the
 * suite stays green while the bug is visible; when a fix lands, `it.fails` turns red and the mark goes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode } from '../../src/errors.js';
import { HOST, type SmugglingCase } from '../fixtures/smuggling/case.js';
import { allCases } from '../fixtures/smuggling/cases.js';
import { RawClient, sleep, until, type ParsedResponse } from '../helpers/connection-harness.js';
import { startGatewayFromConfig, type TestGateway } from '../helpers/gateway.js';
import { startRecordingBackend, type RecordedRequest, type RecordingBackend } from '../helpers/recording-backend.js';

const PREFIX: Record<string, string> = { api: '/api', admin: '/admin' };
const PROBE = `GET /api/probe HTTP/1.1\r\n${HOST}\r\n`;
/** Header fields the probe may carry upstream: its own, and what the gateway adds. */
const PROBE_FIELDS = ['host', 'connection', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'];
/** Longest wait for a case's responses: the receive timeouts (1 s) plus the Listener's sweep (0.5 s), with room. */
const RESPONSE_WAIT_MS = 3_000;
/** A connection the gateway closes is closed right after the response that closes it. */
const CLOSE_WAIT_MS = 1_000;
/** Time for anything the gateway wrongly sends on (a smuggled request, an extra response) to arrive. */
const SETTLE_MS = 30;
/** `SG_CORPUS_STRICT=1` runs the known bugs as ordinary tests, to see how each one fails. */
const STRICT = process.env.SG_CORPUS_STRICT === '1';

let api: RecordingBackend;
let admin: RecordingBackend;
let gateway: TestGateway;

beforeAll(async () => {
  api = await startRecordingBackend('api');
  admin = await startRecordingBackend('admin');
  gateway = await startGatewayFromConfig({
    admin: { enabled: false },
    listeners: [{
      name: 'main',
      listen: '127.0.0.1:0',
      limits: { max_header_count: 20, max_header_size: '4kb', max_uri_length: '1kb', max_body_size: '64kb' },
      timeouts: { headers: '500ms', request: '1s', keep_alive: '5s' },
    }],
    servers: [{ name: 'api', url: api.url }, { name: 'admin', url: admin.url }],
    services: [
      { name: 'api', listener: 'main', match: { path_prefix: '/api' }, servers: ['api'] },
      { name: 'admin', listener: 'main', match: { path_prefix: '/admin' }, servers: ['admin'] },
    ],
  });
});

afterAll(async () => {
  await gateway?.stop();
  await api?.close();
  await admin?.close();
});

beforeEach(() => {
  api.reset();
  admin.reset();
});

/** `server METHOD target [body]`, as the fixtures write upstream requests. */
function describeRequest(r: RecordedRequest): string {
  const line = `${r.backend} ${r.method} ${r.target}`;
  return r.body.length > 0 ? `${line} ${r.body.toString('latin1')}` : line;
}

/**
 * The path as a servlet container would use it: `%2e` decoded, `\` as `/`, `;params` cut from each segment,
 * empty segments collapsed, dot segments resolved.
 */
function servletView(path: string): string {
  const segments = path.replace(/%2e/gi, '.').replace(/\\/g, '/').split('/').map((s) => s.split(';')[0]!);
  const out: string[] = [];
  for (const s of segments) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return `/${out.join('/')}`;
}

function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** A response the gateway generated: a short JSON error with a stable code, nothing internal. */
function expectCleanGatewayError(res: ParsedResponse): void {
  const code = res.header('x-sessiongate-error');
  expect(code, `${res.statusLine}: X-Sessiongate-Error`).toBeDefined();
  expect(ERRORS[code as ErrorCode]?.status, `${code} belongs to ${res.status}`).toBe(res.status);
  expect(res.body.length).toBeLessThan(200);
  expect(JSON.parse(res.body)).toMatchObject({ error: code, status: res.status });
  expect(res.body, 'no stack trace').not.toMatch(/\bat [\w.<]+ \(|\.[jt]s:\d|Error:/);
  const visible = res.rawHeaders.filter(([k]) => k.toLowerCase() !== 'date').map(([k, v]) => `${k}: ${v}`).join('\n') + res.body;
  expect(visible, 'no internal address').not.toMatch(/127\.0\.0\.1|localhost/);
  for (const port of [api.port, admin.port]) expect(visible, 'no internal address').not.toContain(String(port));
}

function finals(client: RawClient, headFor: readonly number[]): ParsedResponse[] {
  return client.responses(headFor).filter((r) => r.status >= 200);
}

async function send(client: RawClient, data: string | string[]): Promise<void> {
  const pieces = Array.isArray(data) ? data : [data];
  for (let i = 0; i < pieces.length; i++) {
    if (i > 0) await sleep(100);
    if (!client.closed) client.write(Buffer.from(pieces[i]!, 'latin1'));
  }
}

async function runCase(c: SmugglingCase): Promise<void> {
  const client = await RawClient.connect(gateway.port);
  try {
    const headFor = (Array.isArray(c.send) ? c.send[0]! : c.send).startsWith('HEAD ') ? [0] : [];
    await send(client, c.send);
    const want = c.responses.length;
    const answered = (): boolean => finals(client, headFor).filter((r) => r.complete).length >= want;
    const asExpected = (): boolean => finals(client, headFor).every((r, i) => ([] as number[]).concat(c.responses[i] ?? []).includes(r.status));
    // The assertions below say what is missing when a wait runs out. (A case already answered wrongly does not
    // wait for the close.)
    await until(() => client.closed || answered(), `${want} responses`, RESPONSE_WAIT_MS).catch(() => undefined);
    if (c.close === true && asExpected()) await until(() => client.closed, 'the close', CLOSE_WAIT_MS).catch(() => undefined);
    await sleep(SETTLE_MS);

    // The gateway's answers.
    const got = finals(client, headFor);
    expect(got.map((r) => r.status), `responses to ${JSON.stringify(client.text.slice(0, 300))}`).toHaveLength(want);
    got.forEach((r, i) => {
      const allowed = ([] as number[]).concat(c.responses[i]!);
      expect(allowed, `response ${i + 1}: ${r.statusLine}`).toContain(r.status);
      expect(r.complete, `response ${i + 1} complete`).toBe(true);
      expect(r.header('content-length') !== undefined && r.header('transfer-encoding') !== undefined, 'one framing only').toBe(false);
      if (r.status !== 200) expectCleanGatewayError(r);
    });
    const closed = client.closed || client.ended;
    if (c.close === true) expect(closed, 'the gateway closed the connection').toBe(true);
    if (c.close === false) expect(closed, 'the gateway kept the connection open').toBe(false);

    // A probe behind the case: answered in step, and it reaches the server clean.
    let probed = false;
    if (!closed) {
      probed = true;
      client.write(PROBE);
      await until(() => client.closed || finals(client, headFor).filter((r) => r.complete).length > want, 'the probe\'s response', 2_000).catch(() => undefined);
      const after = finals(client, headFor);
      expect(after.map((r) => r.status), 'the probe is answered, and nothing else').toEqual([...got.map((r) => r.status), 200]);
      await sleep(SETTLE_MS);
    }

    // What the servers received: exactly the expected requests (and the probe), nothing smuggled.
    const seen = [...api.requests, ...admin.requests];
    expect([...api.errors, ...admin.errors], 'the servers could parse everything they received').toEqual([]);
    const firstStatus = got[0]?.status ?? 0;
    const expected = Array.isArray(c.upstream) ? [...c.upstream] : [...((c.upstream as Record<number, string[]>)[firstStatus] ?? [])];
    if (probed) expected.push('api GET /api/probe');
    expect(seen.map(describeRequest).sort(), 'requests the servers received').toEqual(expected.sort());
    for (const r of seen) {
      expect(r.target, 'nothing smuggled').not.toMatch(/smuggled/);
      expect(r.headers.map(([k]) => k.toLowerCase()), 'nothing smuggled').not.toContain('x-smuggled');
      const prefix = PREFIX[r.backend]!;
      expect(underPrefix(r.path, prefix), `${r.backend} received ${r.path}`).toBe(true);
      expect(underPrefix(servletView(r.path), prefix), `${r.backend} received ${r.path}, read by a servlet container as ${servletView(r.path)}`).toBe(true);
    }
    const probe = seen.find((r) => r.path === '/api/probe');
    if (probe) {
      expect(probe.headers.map(([k]) => k.toLowerCase()).filter((k) => !PROBE_FIELDS.includes(k)), 'the probe carries nothing of the case').toEqual([]);
      expect(probe.headers.find(([k]) => k.toLowerCase() === 'x-forwarded-host')?.[1]).toBe('gw.test');
    }
    c.check?.(seen);
  } finally {
    client.destroy();
  }
}

const total = allCases.reduce((n, g) => n + g.cases.length, 0);
const known = allCases.reduce((n, g) => n + g.cases.filter((c) => c.bug).length, 0);

describe(`request smuggling corpus (${total} cases, ${known} known bugs)`, () => {
  it('has unique case names', () => {
    const names = allCases.flatMap((g) => g.cases.map((c) => c.name));
    expect(new Set(names).size).toBe(names.length);
  });

  for (const { group, cases } of allCases) {
    describe(group, () => {
      for (const c of cases) {
        if (c.bug && !STRICT) {
          // Known bug (see c.bug): the case states the right behaviour and fails today.
          it.fails(`${c.name} [known bug]`, () => runCase(c));
        } else {
          it(c.name, () => runCase(c));
        }
      }
    });
  }
});
