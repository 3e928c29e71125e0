/** The gateway's structured log: pino, JSON lines. Secrets never go in: see `redact`. */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      name: 'sessiongate',
      level,
      base: { pid: process.pid },
      redact: { paths: ['*.headers.authorization', '*.headers.cookie', '*.password', '*.token'], censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing (library use, tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
