/** Runs a gateway in the foreground until SIGTERM/SIGINT, then stops it gracefully and exits 0. */
import type { LoadedConfig } from '../config/index.js';
import type { Gateway } from '../gateway.js';
import type { Logger } from '../log.js';
import { EXIT, printError } from './output.js';

export interface RunOptions {
  logLevel?: string | undefined;
  /** Printed once the gateway listens. */
  banner?: (gateway: Gateway) => string;
  /** Called after the gateway stopped (e.g. to stop the demo data source). */
  afterStop?: () => Promise<void>;
}

export async function runGateway(loaded: LoadedConfig, options: RunOptions = {}): Promise<void> {
  // Loaded here, not at the top: the admin client verbs of the same command start faster without them.
  const [{ Gateway }, { createLogger }] = await Promise.all([import('../gateway.js'), import('../log.js')]);
  const logger: Logger = createLogger(options.logLevel ?? loaded.config.logging.level);
  let gateway: Gateway;
  try {
    gateway = await Gateway.start(loaded, { logger });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    printError(
      e.code === 'EADDRINUSE'
        ? `cannot start: address already in use (${(e as { address?: string }).address ?? ''}:${(e as { port?: number }).port ?? ''}); pick another port`
        : `cannot start: ${e.message}`,
    );
    await options.afterStop?.();
    process.exitCode = EXIT.FAILURE;
    return;
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      printError(`${signal} again: exiting now`);
      process.exit(EXIT.FAILURE);
    }
    stopping = true;
    const deadline = loaded.config.shutdownTimeout;
    logger.info({ signal, deadline_ms: deadline }, 'stopping: finishing in-flight requests');
    void gateway
      .stop(deadline)
      .then(() => options.afterStop?.())
      .then(() => {
        logger.info('stopped');
        logger.flush();
        process.exitCode = EXIT.OK;
        // Anything still holding the loop (a client's half-open socket) must not keep us alive.
        setTimeout(() => process.exit(EXIT.OK), 100).unref();
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The banner last: once it is printed, a signal stops the gateway gracefully.
  if (options.banner) process.stdout.write(options.banner(gateway));
}
