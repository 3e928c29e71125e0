/**
 * Header hygiene across the gateway, both ways, checked on the exact bytes a recording server receives and
 * a raw client gets back: hop-by-hop fields and the fields named by Connection (RFC 9110 §7.6.1), the
 * client's Connection: close honoured whatever the server says, X-Forwarded-* that a client cannot spoof,
 * and what a client sees when a server answers with something that is not valid HTTP/1.1.
 *
 * Each test states the behaviour RFC 9110/9112 requires of a proxy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode } from '../../src/errors.js';
import { RawClient, sleep, type ParsedResponse } from '../helpers/connection-harness.js';
import { startGatewayFromConfig, type TestGateway } from '../helpers/gateway.js';
import { startRecordingBackend, type RecordedRequest, type RecordingBackend } from '../helpers/recording-backend.js';

let server: RecordingBackend;
let gateway: TestGateway;
/** The same, with `preserve_host: true`. */
let preserving: TestGateway;

function config(preserveHost: boolean): Parameters<typeof startGatewayFromConfig>[0] {
  return {
    admin: { enabled: false },
    listeners: [{ name: 'main', listen: '127.0.0.1:0' }],
    servers: [{ name: 'api', url: server.url }],
    services: [{ name: 'api', listener: 'main', servers: ['api'], upstream: { preserve_host: preserveHost } }],
  };
}

beforeAll(async () => {
  server = await startRecordingBackend('api');
  gateway = await startGatewayFromConfig(config(false));
  preserving = await startGatewayFromConfig(config(true));
});

afterAll(async () => {
  await gateway?.stop();
  await preserving?.stop();
  await server?.close();
});

beforeEach(() => server.reset());

const HOST = 'Host: gw.test\r\n';

/** Sends `raw` on a new connection; waits for `n` complete responses and, with `close`, for the close. */
async function exchange(raw: string, n = 1, options: { port?: number; close?: boolean } = {}): Promise<{ responses: ParsedResponse[]; closed: boolean; client: RawClient }> {
  const client = await RawClient.connect(options.port ?? gateway.port);
  client.write(Buffer.from(raw, 'latin1'));
  await client.waitForResponses(n, 3000);
  if (options.close) await client.waitClosed(1000).catch(() => undefined);
  await sleep(30);
  return { responses: client.responses(), closed: client.closed || client.ended, client };
}

const names = (r: RecordedRequest): string[] => r.headers.map(([k]) => k.toLowerCase());
const values = (r: RecordedRequest, lower: string): string[] => r.headers.filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v);
const fieldNames = (res: ParsedResponse): string[] => res.rawHeaders.map(([k]) => k.toLowerCase());

describe('hop-by-hop fields, client to server', () => {
  it('removes hop-by-hop fields and every field named by Connection, across field lines, and keeps end-to-end fields', async () => {
    const { responses } = await exchange(
      `GET /x HTTP/1.1\r\n${HOST}Connection: keep-alive, X-Secret\r\nconnection:  x-other ,Authorization\r\n` +
        'X-Secret: s\r\nX-Other: o\r\nAuthorization: Bearer t\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nTrailer: X-Sum\r\n' +
        'Upgrade: websocket\r\nProxy-Connection: keep-alive\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n' +
        'X-Kept: yes\r\nCookie: a=1\r\n\r\n',
    );
    expect(responses.map((r) => r.status)).toEqual([200]);
    const seen = server.requests[0]!;
    for (const h of ['x-secret', 'x-other', 'authorization', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-connection', 'proxy-authorization', 'http2-settings']) {
      expect(names(seen), h).not.toContain(h);
    }
    // The gateway speaks for its own connection to the server: only its own Connection field.
    expect(values(seen, 'connection').join(',')).not.toMatch(/secret|other|authorization/i);
    expect(values(seen, 'x-kept')).toEqual(['yes']);
    expect(values(seen, 'cookie')).toEqual(['a=1']);
  });

  it('keeps the body framed by its length when Connection names Content-Length', async () => {
    const { responses } = await exchange(
      `POST /x HTTP/1.1\r\n${HOST}Connection: Content-Length\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\n${HOST}\r\n`,
      2,
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(server.errors).toEqual([]);
    expect(server.requests.map((r) => `${r.method} ${r.target} ${r.body.toString()}`).sort()).toEqual(['GET /next ', 'POST /x hello']);
  });

  it('removes a client X-Forwarded-For named by Connection before adding its own', async () => {
    await exchange(`GET /x HTTP/1.1\r\n${HOST}Connection: X-Forwarded-For\r\nX-Forwarded-For: 10.9.8.7\r\n\r\n`);
    expect(values(server.requests[0]!, 'x-forwarded-for')).toEqual(['127.0.0.1']);
  });
});

describe('hop-by-hop fields, server to client', () => {
  it('removes hop-by-hop fields and the fields named by Connection from the response', async () => {
    server.respond = () =>
      'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nX-Internal: backend-only\r\nKeep-Alive: timeout=60\r\n' +
      'Proxy-Authenticate: Basic\r\nProxy-Connection: keep-alive\r\nTrailer: X-Sum\r\nUpgrade: h2c\r\nX-Public: yes\r\n' +
      'Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n';
    const { responses } = await exchange(`GET /x HTTP/1.1\r\n${HOST}\r\n`);
    const res = responses[0]!;
    expect(res.status).toBe(200);
    for (const h of ['x-internal', 'keep-alive', 'proxy-authenticate', 'proxy-connection', 'trailer', 'upgrade']) expect(fieldNames(res), h).not.toContain(h);
    expect(res.header('x-public')).toBe('yes');
    expect(res.body).toBe('ok');
    expect(res.complete).toBe(true);
  });

  it('removes the fields named by every Connection field line of the response', async () => {
    server.respond = () => 'HTTP/1.1 200 OK\r\nConnection: X-A\r\nConnection: X-B\r\nX-A: a\r\nX-B: b\r\nX-C: c\r\nContent-Length: 2\r\n\r\nok';
    const { responses } = await exchange(`GET /x HTTP/1.1\r\n${HOST}\r\n`);
    const res = responses[0]!;
    expect(res.header('x-c')).toBe('c');
    expect(fieldNames(res)).not.toContain('x-b');
    expect(fieldNames(res)).not.toContain('x-a');
  });

  it('never passes a server\'s extra bytes on as the response to the next request', async () => {
    let n = 0;
    server.respond = (r) =>
      n++ === 0
        ? 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled'
        : `HTTP/1.1 200 OK\r\nContent-Length: ${r.target.length}\r\n\r\n${r.target}`;
    const { responses } = await exchange(`GET /one HTTP/1.1\r\n${HOST}\r\nGET /two HTTP/1.1\r\n${HOST}\r\n`, 2);
    expect(responses.map((r) => `${r.status} ${r.body}`)).toEqual(['200 ok', '200 /two']);
  });
});

describe('Connection: close', () => {
  const keepAliveServer = (): string => 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\nContent-Length: 2\r\n\r\nok';

  it('closes after the response when the client sent Connection: close, though the server said keep-alive, and reads nothing behind it', async () => {
    server.respond = keepAliveServer;
    const { responses, closed } = await exchange(`GET /x HTTP/1.1\r\n${HOST}Connection: close\r\n\r\nGET /behind HTTP/1.1\r\n${HOST}\r\n`, 1, { close: true });
    expect(responses.map((r) => r.status)).toEqual([200]);
    expect(responses[0]!.header('connection')).toBe('close');
    expect(closed).toBe(true);
    expect(server.requests.map((r) => r.target)).toEqual(['/x']);
  });

  it('closes after the response to an HTTP/1.0 request without keep-alive, though the server said keep-alive', async () => {
    server.respond = keepAliveServer;
    const { responses, closed } = await exchange(`GET /x HTTP/1.0\r\n${HOST}\r\n`, 1, { close: true });
    expect(responses.map((r) => r.status)).toEqual([200]);
    expect(closed).toBe(true);
  });

  it('keeps the client connection when the server closes its own', async () => {
    server.respond = (r) => `HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: ${r.target.length}\r\n\r\n${r.target}`;
    const { responses, closed } = await exchange(`GET /one HTTP/1.1\r\n${HOST}\r\nGET /two HTTP/1.1\r\n${HOST}\r\n`, 2);
    expect(responses.map((r) => `${r.status} ${r.body} ${r.header('connection') ?? '-'}`)).toEqual(['200 /one -', '200 /two -']);
    expect(closed).toBe(false);
  });
});

describe('X-Forwarded-*', () => {
  it('sets X-Forwarded-Proto and X-Forwarded-Host itself, whatever the client sent, in any case and any number', async () => {
    await exchange(
      `GET /x HTTP/1.1\r\n${HOST}X-Forwarded-Proto: https\r\nx-forwarded-proto: https\r\nX-FORWARDED-HOST: evil.example\r\n` +
        'X-Forwarded-Host: evil.example, gw.test\r\n\r\n',
    );
    const seen = server.requests[0]!;
    expect(values(seen, 'x-forwarded-proto')).toEqual(['http']);
    expect(values(seen, 'x-forwarded-host')).toEqual(['gw.test']);
  });

  it('appends the client address to the X-Forwarded-For values the client sent, in order', async () => {
    await exchange(`GET /x HTTP/1.1\r\n${HOST}X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2, 10.0.0.3\r\n\r\n`);
    expect(values(server.requests[0]!, 'x-forwarded-for')).toEqual(['10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1']);
  });

  it('does not pass underscore spellings of X-Forwarded-Host and X-Forwarded-Proto to the server', async () => {
    await exchange(`GET /x HTTP/1.1\r\n${HOST}X_Forwarded_Host: evil.example\r\nX_Forwarded_Proto: https\r\n\r\n`);
    const seen = server.requests[0]!;
    expect(names(seen).filter((n) => n.replace(/_/g, '-').startsWith('x-forwarded-'))).toEqual(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);
  });

  it('with an absolute-form target, tells the server the host it routed on', async () => {
    await exchange(`GET http://api.example:8080/x HTTP/1.1\r\n${HOST}\r\n`, 1, { port: preserving.port });
    const seen = server.requests[0]!;
    expect(values(seen, 'host')).toEqual(['api.example:8080']);
    expect(values(seen, 'x-forwarded-host')).toEqual(['api.example:8080']);
  });

  it('never sends the userinfo of an absolute-form target upstream', async () => {
    const { responses } = await exchange(`GET http://user:secret@api.example/x HTTP/1.1\r\n${HOST}\r\n`, 1, { port: preserving.port });
    if (responses[0]!.status === 400) return; // refusing the request is fine too
    const seen = server.requests[0]!;
    expect(seen.raw.toString('latin1')).not.toContain('secret');
    expect(values(seen, 'host')).toEqual(['api.example']);
  });
});

describe('a server that does not speak HTTP/1.1 properly', () => {
  const broken: [string, string][] = [
    ['a status line that is not HTTP', 'garbage\r\n\r\n'],
    ['bare LF line endings', 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok'],
    ['a folded header field', 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok'],
    ['Content-Length and Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'],
    ['two different Content-Length fields', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!'],
    ['a NUL in a header value', 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok'],
  ];
  for (const [what, response] of broken) {
    it(`answers 502 with a stable code and nothing internal when the server sends ${what}`, async () => {
      server.respond = () => response;
      const { responses } = await exchange(`GET /x HTTP/1.1\r\n${HOST}\r\n`);
      const res = responses[0]!;
      expect(res.status).toBe(502);
      const code = res.header('x-sessiongate-error') as ErrorCode;
      // Nothing of the response was passed on: a bad response, not an incomplete one.
      expect(code).toBe('SG_ERR_UPSTREAM_BAD_RESPONSE');
      expect(ERRORS[code].status).toBe(502);
      expect(JSON.parse(res.body)).toMatchObject({ error: code, status: 502 });
      expect(res.body.length).toBeLessThan(200);
      expect(res.raw).not.toMatch(/127\.0\.0\.1|localhost|\bat [\w.<]+ \(|\.[jt]s:\d/);
      expect(res.raw).not.toContain(String(server.port));
      expect(res.raw).not.toMatch(/garbage|X-A/);
    });
  }
});

describe('upgrades and impersonation', () => {
  it('sends an upgrade to a protocol the service does not allow (h2c) as an ordinary request, without Upgrade', async () => {
    server.respond = () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    const { responses, closed } = await exchange(`GET /x HTTP/1.1\r\n${HOST}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n`, 1, { close: true });
    expect(responses[0]!.status).toBe(200);
    const seen = server.requests[server.requests.length - 1]!;
    expect(names(seen)).not.toContain('upgrade');
    expect(names(seen)).not.toContain('http2-settings');
    expect(closed).toBe(true); // the client may already speak the new protocol: the connection ends
  });

  it('never lets a server pose as a gateway error (its X-Sessiongate-Error is removed)', async () => {
    server.respond = () => 'HTTP/1.1 503 Service Unavailable\r\nX-Sessiongate-Error: SG_ERR_DRAINING\r\nContent-Length: 4\r\n\r\nbusy';
    const { responses } = await exchange(`GET /x HTTP/1.1\r\n${HOST}\r\n`);
    expect(responses[0]!.status).toBe(503);
    expect(responses[0]!.header('x-sessiongate-error')).toBeUndefined();
    expect(responses[0]!.body).toBe('busy');
  });
});
