/** Facts about the machine and the software measured, recorded with every run. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';

export interface RunFacts {
  date: string;
  command: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** `0.1.0 (abc1234, uncommitted changes)` */
  sessiongate: string;
  /** Versions of the peers and the load generator, as installed. */
  packages: Record<string, string>;
}

const PACKAGES = ['http-proxy', 'fastify', '@fastify/http-proxy', '@fastify/reply-from', 'undici', 'autocannon'];

function packageVersion(root: string, name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '?';
  } catch {
    return 'not installed';
  }
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function collectFacts(root: string, command: string): RunFacts {
  const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
  const commit = git(root, ['rev-parse', '--short', 'HEAD']);
  const dirty = (git(root, ['status', '--porcelain', '--', 'src']) ?? '') !== '';
  const packages: Record<string, string> = {};
  for (const name of PACKAGES) packages[name] = packageVersion(root, name);
  return {
    date: new Date().toISOString(),
    command,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    os: `${osType()} ${release()}`,
    node: process.version,
    sessiongate: `${own.version ?? '?'}${commit ? ` (${commit}${dirty ? ', src/ has uncommitted changes' : ''})` : ''}`,
    packages,
  };
}
