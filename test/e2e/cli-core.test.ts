import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closedPort, startBackend } from '../helpers/backend.js';
import { runCli, startCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-cli-'));
const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('sessiongate check', () => {
  it('prints every problem with its field path and exits 2', async () => {
    const file = write(
      'broken.yaml',
      'listeners:\n  - { name: main, listen: nowhere }\nservers:\n  - { name: a, url: "http://127.0.0.1:9" }\nservices:\n  - { name: s, listener: main, servers: [a, ghost], router: random }\n',
    );
    const r = await runCli(['check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('3 problems');
    expect(r.stderr).toContain('listeners[0].listen:');
    expect(r.stderr).toContain('services[0].servers[1]: unknown server "ghost"');
    expect(r.stderr).toContain('services[0].router:');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('accepts a valid config and exits 0', async () => {
    const file = write('ok.yaml', 'listeners:\n  - { name: main, listen: 127.0.0.1:0 }\nservers:\n  - { name: a, url: "http://127.0.0.1:9" }\nservices:\n  - { name: s, listener: main, servers: [a] }\n');
    const r = await runCli(['check', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid \(1 listener, 1 server, 1 service\)/);
  });

  it('exits 2 when the file does not exist', async () => {
    const r = await runCli(['check', '--config', join(dir, 'missing.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read the file: ENOENT');
  });
});

describe('sessiongate start', () => {
  it('refuses to start with an invalid config, exit 2', async () => {
    const file = write('bad-start.yaml', 'listeners: []\n');
    const r = await runCli(['start', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('listeners');
  });

  it('proxies, then stops gracefully on SIGTERM with exit code 0, finishing the in-flight request', async () => {
    const b = await startBackend((req, res) => {
      setTimeout(() => res.end(`hello from ${req.url}`), req.url === '/slow' ? 700 : 0);
    });
    cleanup.push(() => b.close());
    const port = await closedPort();
    const file = write(
      'run.yaml',
      `admin: { enabled: false }\nlisteners:\n  - { name: main, listen: "127.0.0.1:${port}" }\nservers:\n  - { name: a, url: "${b.url}" }\nservices:\n  - { name: s, listener: main, servers: [a] }\n`,
    );
    const proc = startCli(['start', '--config', file, '--log-level', 'info']);
    await proc.waitFor('listener started');
    expect(await (await fetch(`http://127.0.0.1:${port}/hi`)).text()).toBe('hello from /hi');
    const slow = fetch(`http://127.0.0.1:${port}/slow`).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 200));
    proc.kill('SIGTERM');
    expect(await slow).toBe('hello from /slow');
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('"msg":"stopped"');
  });

  it('reports a port already in use clearly and exits 1', async () => {
    const b = await startBackend();
    cleanup.push(() => b.close());
    const file = write(
      'busy.yaml',
      `admin: { enabled: false }\nlisteners:\n  - { name: main, listen: "127.0.0.1:${b.port}" }\nservers:\n  - { name: a, url: "${b.url}" }\nservices:\n  - { name: s, listener: main, servers: [a] }\n`,
    );
    const r = await runCli(['start', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/address already in use/);
  });
});
