/**
 * The Connection server API example (examples/connection-server.ts) must keep working: start it in-process and
 * as a script, and use each of its routes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Agent, fetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { errorBody } from '../../src/errors.js';
import { startExampleServer, type ExampleServer } from '../../examples/connection-server.js';
import { RawClient } from '../helpers/connection-harness.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function start(): Promise<ExampleServer> {
  const server = await startExampleServer();
  cleanup.push(() => server.close());
  return server;
}

function agent(): Agent {
  const a = new Agent();
  cleanup.push(() => a.close());
  return a;
}

describe('examples/connection-server.ts', () => {
  it('answers /hello with the simple API', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/hello?name=Pony`, { dispatcher: agent() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-length')).toBe('13');
    expect(await res.text()).toBe('Hello, Pony!\n');
  });

  it('streams /stream with the verbose API, chunked', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/stream`, { dispatcher: agent() });
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(await res.text()).toBe('line 1\nline 2\nline 3\nline 4\nline 5\n');
  });

  it('answers /raw with the raw API, counting the request body', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/raw`, { method: 'POST', body: 'x'.repeat(1234), dispatcher: agent() });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('You sent 1234 bytes.\n');
  });

  it('answers unknown paths with 404 from the error table, and keeps the connection for the next request', async () => {
    const server = await start();
    const c = await RawClient.connect(server.listener.address!.port);
    cleanup.push(() => c.destroy());
    c.write('GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
    const res = await c.waitForResponses(2);
    expect(res.map((r) => r.status)).toEqual([404, 200]);
    expect(res[0]!.body).toBe(errorBody('SG_ERR_NO_SERVICE'));
    expect(res[1]!.body).toBe('Hello, world!\n');
  });

  it('runs as a script, prints its URL and serves', async () => {
    const script = fileURLToPath(new URL('../../examples/connection-server.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 10_000);
      child.stdout.on('data', () => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    });
    const res = await fetch(`${url}/hello`, { dispatcher: agent() });
    expect(await res.text()).toBe('Hello, world!\n');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('closed');
  });
});
