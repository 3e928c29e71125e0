import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { Gateway } from '../../src/gateway.js';
import { closedPort, startBackend } from '../helpers/backend.js';
import { redisAvailable, startRedis } from '../helpers/redis-server.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function gatewayWith(store: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<{ url: string; gw: Gateway }> {
  const b = await startBackend();
  cleanup.push(() => b.close());
  const loaded = validateConfig(
    {
      admin: { enabled: false },
      listeners: [{ name: 'main', listen: '127.0.0.1:0' }],
      servers: [{ name: 'b', url: b.url }],
      services: [{ name: 's', listener: 'main', servers: ['b'], session: { mode: 'cookie' } }],
      store: { type: 'redis', command_timeout: '500ms', ...store },
    },
    'test',
    { env },
  );
  const gw = await Gateway.start(loaded);
  cleanup.push(() => gw.stop(500));
  return { url: gw.listeners[0]!.url, gw };
}

const status = async (url: string): Promise<number> => {
  const r = await request(`${url}/x`);
  await r.body.text();
  return r.statusCode;
};

function waitPort(port: number): Promise<void> {
  return new Promise((resolve) => {
    const attempt = (): void => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve()));
      s.once('error', () => (s.destroy(), setTimeout(attempt, 20)));
    };
    attempt();
  });
}

function redisProcess(args: string[]): ChildProcess {
  const child = spawn('redis-server', ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', ...args], { stdio: 'ignore' });
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  );
  return child;
}

describe.skipIf(!redisAvailable())('connecting to Redis', () => {
  it('takes a password in the URL, from ${VAR}', async () => {
    const redis = await startRedis({ password: 'p@ss word' });
    cleanup.push(() => redis.stop());
    const { url, gw } = await gatewayWith({ url: `redis://:\${SG_REDIS_PASSWORD}@127.0.0.1:${redis.port}` }, { SG_REDIS_PASSWORD: encodeURIComponent('p@ss word') });
    expect(await status(url)).toBe(200);
    expect(await gw.sessions.count()).toBe(1);
    expect(Number(redis.cli('ZCARD', 'sg:idx'))).toBe(1);
  });

  it('answers 503 (not a hang, not a crash) when the password is wrong', async () => {
    const redis = await startRedis({ password: 'right' });
    cleanup.push(() => redis.stop());
    const { url } = await gatewayWith({ url: `redis://:wrong@127.0.0.1:${redis.port}` });
    const started = Date.now();
    expect(await status(url)).toBe(503);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('speaks TLS with rediss:// and a CA file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-tls-'));
    const f = (n: string) => join(dir, n);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=sessiongate test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
    writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr'));
    ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f('ext.cnf'), '-out', f('server.pem'));
    const port = await closedPort();
    redisProcess(['--port', '0', '--tls-port', String(port), '--tls-cert-file', f('server.pem'), '--tls-key-file', f('server.key'), '--tls-ca-cert-file', f('ca.pem'), '--tls-auth-clients', 'no', '--dir', dir]);
    await waitPort(port);
    const { url, gw } = await gatewayWith({ url: `rediss://127.0.0.1:${port}`, tls_ca: f('ca.pem') });
    expect(await status(url)).toBe(200);
    expect(await gw.sessions.count()).toBe(1);
  });

  it('handles READONLY after a failover by reconnecting: a replica promoted to primary serves again', async () => {
    const primary = await startRedis();
    cleanup.push(() => primary.stop());
    const port = await closedPort();
    const dir = mkdtempSync(join(tmpdir(), 'sg-replica-'));
    redisProcess(['--port', String(port), '--replicaof', '127.0.0.1', String(primary.port), '--dir', dir]);
    await waitPort(port);
    const { url } = await gatewayWith({ url: `redis://127.0.0.1:${port}` });
    expect(await status(url)).toBe(503); // the gateway was pointed at a read-only replica
    execFileSync('redis-cli', ['-p', String(port), 'REPLICAOF', 'NO', 'ONE']);
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = (await status(url)) === 200;
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ok).toBe(true);
  });
});
