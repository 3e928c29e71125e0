/** `logging`: the gateway's own structured log (pino, JSON lines on stdout). */
import { z } from 'zod';
import { section } from './section.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const loggingSection = section({
  level: z.enum(LOG_LEVELS).default('info').describe('Least severe level written; `--log-level` overrides it.'),
  access_log: z.boolean().default(false).describe('Log one line per proxied request (at level info).'),
}).prefault({});

export type LoggingConfig = z.output<typeof loggingSection>;
