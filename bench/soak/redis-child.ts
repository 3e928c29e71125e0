/**
 * A redis-server of the soak's own, on 127.0.0.1:SOAK_REDIS_PORT (never the machine's Redis), its files in
 * SOAK_REDIS_DIR (append-only file, fsync every second, so a restart keeps the sessions but for the last
 * second). This wrapper is a bench child (bench/lib/child.ts): it ends redis-server when the runner says so or
 * is gone, and ends itself when redis-server exits — the Redis-restart fault kills redis-server (its pid is
 * printed as `SOAK_REDIS_PID N`) and starts a new wrapper on the same port.
 */
import { spawn } from 'node:child_process';
import { announceReady, requireEnv, stopWhenTold } from '../lib/child.js';

const port = Number(requireEnv('SOAK_REDIS_PORT'));
const dir = requireEnv('SOAK_REDIS_DIR');
if (!Number.isInteger(port) || port <= 0 || port === 6379) throw new Error(`SOAK_REDIS_PORT: a free port other than 6379, got ${port}`);

const redis = spawn(
  process.env.SOAK_REDIS_SERVER ?? 'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--dir', dir, '--save', '', '--appendonly', 'yes',
    '--appendfsync', 'everysec', '--daemonize', 'no', '--logfile', '', '--loglevel', 'notice'],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
process.stdout.write(`SOAK_REDIS_PID ${redis.pid}\n`);
let ready = false;
const onData = (d: Buffer): void => {
  const text = d.toString('utf8');
  process.stdout.write(text);
  if (!ready && text.includes('Ready to accept connections')) {
    ready = true;
    announceReady(port);
  }
};
redis.stdout.on('data', onData);
redis.stderr.on('data', onData);
redis.on('error', (err) => {
  process.stderr.write(`cannot start redis-server: ${err.message}\n`);
  process.exit(1);
});
redis.on('exit', (code, signal) => {
  process.stdout.write(`redis-server exited (code ${code}, signal ${signal})\n`);
  process.exit(0);
});

stopWhenTold(
  () =>
    new Promise<void>((resolve) => {
      if (redis.exitCode !== null || redis.signalCode !== null) return resolve();
      redis.once('exit', () => resolve());
      redis.kill('SIGTERM');
      setTimeout(() => redis.kill('SIGKILL'), 1500).unref();
    }),
);
