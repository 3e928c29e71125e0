/**
 * sessiongate targets: the gateway from dist/ (bench/servers/sessiongate.ts) with one listener on port 0,
 * one server (the backend) and one service. Scenarios that compare gateway settings (sessions on/off, the
 * exchange log, upstream reuse, the store) make one target per setting with {@link sessiongate}.
 */
import type { RunningProcess } from '../lib/processes.js';
import { benchServer } from '../lib/servers.js';
import type { ScenarioContext, TargetDef, TargetRole } from '../lib/types.js';
import { backendOf } from './backend.js';

export interface SessiongateTargetOptions {
  /** Row label; default `sessiongate`. */
  name?: string;
  role?: TargetRole;
  description?: string;
  /** Merged into the service (`services[0]`), e.g. `{ session: { mode: 'cookie' } }`. */
  service?: Record<string, unknown>;
  /** Merged into the listener (`listeners[0]`). */
  listener?: Record<string, unknown>;
  /**
   * Merged into the top level of the config, e.g. `{ exchange_log: { enabled: false } }`; a function when
   * it needs the scenario's support processes, e.g. `(ctx) => ({ store: { type: 'redis', url: redisUrl(ctx) } })`.
   */
  config?: Record<string, unknown> | ((ctx: ScenarioContext) => Record<string, unknown>);
}

/** The config (as a file would hold it) of a sessiongate target in front of the scenario's backend. */
export function sessiongateConfig(ctx: ScenarioContext, options: SessiongateTargetOptions = {}): Record<string, unknown> {
  return {
    admin: { enabled: false },
    logging: { level: 'warn' },
    listeners: [{ name: 'main', listen: '127.0.0.1:0', ...options.listener }],
    servers: [{ name: 'backend', url: backendOf(ctx).url }],
    services: [{ name: 'bench', listener: 'main', servers: ['backend'], ...options.service }],
    ...(typeof options.config === 'function' ? options.config(ctx) : options.config),
  };
}

export function sessiongate(options: SessiongateTargetOptions = {}): TargetDef {
  const name = options.name ?? 'sessiongate';
  return {
    name,
    role: options.role ?? 'subject',
    description:
      options.description ??
      'sessiongate from dist/ (`Gateway.start`): one listener, server and service, `logging.level: warn`, `admin.enabled: false`, every other setting at its default (docs/config.md)',
    launch: (ctx) => ({
      spawn: benchServer(name, 'sessiongate.ts', { BENCH_SESSIONGATE_CONFIG: JSON.stringify(sessiongateConfig(ctx, options)) }),
    }),
  };
}

/**
 * The admin API's URL of a running sessiongate target with `admin.enabled` (e.g. `listen: 127.0.0.1:0`):
 * bench/servers/sessiongate.ts prints it as `BENCH_ADMIN {"url":...}` before its ready line.
 */
export function adminUrlOf(proc: RunningProcess): string {
  const m = /^BENCH_ADMIN (\{.*\})$/m.exec(proc.output());
  if (m === null) throw new Error(`${proc.name} printed no admin URL: is admin.enabled set in its config?`);
  return (JSON.parse(m[1]!) as { url: string }).url;
}
