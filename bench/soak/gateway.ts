/**
 * sessiongate from dist/ for the soak, as bench/servers/sessiongate.ts runs it (config JSON in
 * BENCH_SESSIONGATE_CONFIG, a pino logger to stdout, `Gateway.start`), plus one probe: started with
 * `--expose-gc`, on SIGUSR2 it runs a full garbage collection and prints the live heap right after it,
 * `SOAK_GC {"n":N,"heapUsed":BYTES,"oldSpaceUsed":BYTES}`, before any request can allocate again — the
 * heap the soak compares, free of the young generation's sawtooth. The admin URL is printed as
 * `SOAK_ADMIN {"url":...}` before the ready line.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import type * as ConfigModule from '../../src/config/index.js';
import type * as GatewayModule from '../../src/gateway.js';
import type * as LogModule from '../../src/log.js';
import { announceReady, requireEnv, stopWhenTold } from '../lib/child.js';

const dist = new URL('../../dist/', import.meta.url);
const { validateConfig } = (await import(new URL('config/index.js', dist).href)) as typeof ConfigModule;
const { Gateway } = (await import(new URL('gateway.js', dist).href)) as typeof GatewayModule;
const { createLogger } = (await import(new URL('log.js', dist).href)) as typeof LogModule;

const loaded = validateConfig(JSON.parse(requireEnv('BENCH_SESSIONGATE_CONFIG')) as unknown, 'soak');
const logger = createLogger(loaded.config.logging.level);
const gateway = await Gateway.start(loaded, { logger });
const address = gateway.listeners[0]?.address;
if (!address) throw new Error('the gateway has no bound listener');
if (!gateway.admin) throw new Error('the soak needs the admin API');

const gc = (globalThis as { gc?: () => void }).gc;
let collections = 0;
process.on('SIGUSR2', () => {
  if (gc === undefined) return;
  gc();
  const heapUsed = process.memoryUsage().heapUsed;
  const oldSpaceUsed = getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? 0;
  process.stdout.write(`SOAK_GC ${JSON.stringify({ n: ++collections, heapUsed, oldSpaceUsed })}\n`);
});

process.stdout.write(`SOAK_ADMIN ${JSON.stringify({ url: gateway.admin.url })}\n`);
announceReady(address.port);
stopWhenTold(async () => {
  await gateway.stop(1000);
  logger.flush();
});
