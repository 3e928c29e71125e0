/**
 * sessiongate from the compiled code (dist/, built by the runner), as `sessiongate start` runs it: the config
 * (JSON in BENCH_SESSIONGATE_CONFIG, as a config file would hold it) is validated, a pino logger at the
 * config's `logging.level` writes to stdout, and the Gateway starts. The port of the first listener is
 * announced to the runner; with the admin API enabled, its URL is printed before, as
 * `BENCH_ADMIN {"url":"http://127.0.0.1:PORT"}` (see adminUrlOf in bench/targets/sessiongate.ts).
 */
import type * as ConfigModule from '../../src/config/index.js';
import type * as GatewayModule from '../../src/gateway.js';
import type * as LogModule from '../../src/log.js';
import { announceReady, requireEnv, stopWhenTold } from '../lib/child.js';

const dist = new URL('../../dist/', import.meta.url);
const { validateConfig } = (await import(new URL('config/index.js', dist).href)) as typeof ConfigModule;
const { Gateway } = (await import(new URL('gateway.js', dist).href)) as typeof GatewayModule;
const { createLogger } = (await import(new URL('log.js', dist).href)) as typeof LogModule;

const loaded = validateConfig(JSON.parse(requireEnv('BENCH_SESSIONGATE_CONFIG')) as unknown, 'bench');
const logger = createLogger(loaded.config.logging.level);
const gateway = await Gateway.start(loaded, { logger });
const address = gateway.listeners[0]?.address;
if (!address) throw new Error('the gateway has no bound listener');
if (gateway.admin) process.stdout.write(`BENCH_ADMIN ${JSON.stringify({ url: gateway.admin.url })}\n`);
announceReady(address.port);
stopWhenTold(async () => {
  await gateway.stop(1000);
  logger.flush();
});
