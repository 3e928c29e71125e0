/**
 * The embedded demo's configuration, as a config file would hold it. Every feature of the product is
 * switched on here, so that `npm start` shows everything sessiongate can do.
 */
import type { GatewayConfigInput } from '../config/index.js';

export interface DemoConfigOptions {
  dataSourceUrl: string;
  /** Gateway port (default 8080). */
  port?: number;
  /** Admin API + web UI port (default 8989). */
  adminPort?: number;
  host?: string;
}

export function demoConfig(options: DemoConfigOptions): GatewayConfigInput {
  const host = options.host ?? '127.0.0.1';
  return {
    admin: { listen: `${host}:${options.adminPort ?? 8989}` },
    listeners: [{ name: 'main', listen: `${host}:${options.port ?? 8080}` }],
    servers: [{ name: 'demo', url: options.dataSourceUrl }],
    exchange_log: { enabled: true, max_entries: 1000, max_body_bytes: 8192, data_loss: { threshold_percent: 10 } },
    services: [
      {
        name: 'demo-api',
        listener: 'main',
        match: { path_prefix: '/' },
        servers: ['demo'],
        router: 'sticky',
        session: { mode: 'cookie', cookie: 'sgsid', idle_timeout: '30m', max_queue: 16, user_from: 'header', user_header: 'X-User' },
        upstream: {
          reuse: 'session',
          auth: { type: 'login', method: 'POST', path: '/login', body: '{"user":"demo","password":"demo"}' },
          expired_statuses: [401, 440],
        },
      },
    ],
  };
}
