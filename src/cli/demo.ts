/** `sessiongate demo [--traffic]`: the demo data source and a gateway in front of it, all on loopback. */
import type { Command } from 'commander';
import { validateConfig } from '../config/index.js';
import { demoConfig } from '../demo/demo-config.js';
import { startDemoDataSource } from '../demo/data-source.js';
import { DEFAULT_USERS, startTraffic, type Traffic } from '../demo/traffic.js';
import { EXIT } from './output.js';
import { runGateway } from './run-gateway.js';

export interface DemoOptions {
  logLevel?: string | undefined;
  traffic: boolean;
  port?: number;
  adminPort?: number;
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const source = await startDemoDataSource();
  const loaded = validateConfig(
    demoConfig({ dataSourceUrl: source.url, port: options.port, adminPort: options.adminPort }),
    'embedded demo',
  );
  // Synthetic clients (--traffic) start once the gateway listens, and stop before it does.
  const demo: { traffic: Traffic | null } = { traffic: null };
  const stopTraffic = (): void => void demo.traffic?.stop();
  if (options.traffic) {
    process.once('SIGINT', stopTraffic);
    process.once('SIGTERM', stopTraffic);
  }
  await runGateway(loaded, {
    logLevel: options.logLevel ?? 'warn',
    banner: (gw) => {
      const main = gw.listener('main')!.url;
      if (options.traffic) demo.traffic = startTraffic({ url: main, clients: 5, ratePerSecond: 8 });
      return [
        'sessiongate embedded demo (no --config and no ./sessiongate.yaml)',
        `  gateway:     ${main}/`,
        `  web UI:      ${gw.admin ? `${gw.admin.url}/` : '(off)'}`,
        `  admin API:   ${gw.admin?.url ?? '(off)'}/v1/sessions`,
        `  data source: ${source.url}/  (the demo backend behind the gateway)`,
        options.traffic
          ? `  traffic:     5 synthetic clients, about 8 requests/s (users ${DEFAULT_USERS.join(', ')})`
          : '  traffic:     none (`sessiongate demo --traffic` or `npm run demo` adds synthetic clients)',
        '',
        'Try:',
        `  curl -i ${main}/                      # through the gateway: note the sgsid session cookie`,
        `  curl -c jar -b jar -H 'X-User: ann' ${main}/api/items   # the gateway logs in to the backend for you`,
        `  curl -c jar -b jar ${main}/api/quota      # a rate-limited endpoint: some 429s (data loss)`,
        `  curl ${gw.admin?.url ?? ''}/v1/sessions             # the live sessions`,
        `  curl ${gw.admin?.url ?? ''}/v1/exchanges            # the HTTP sessions table (logins included)`,
        `  curl ${gw.admin?.url ?? ''}/v1/exchange-log         # data loss`,
        '',
        'Stop with Ctrl+C.',
        '',
      ].join('\n');
    },
    afterStop: async () => {
      await demo.traffic?.stop();
      await source.close();
    },
  });
  if (process.exitCode === EXIT.FAILURE) {
    await demo.traffic?.stop();
    await source.close();
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the embedded demo: a demo data source and the gateway in front of it')
    .option('--traffic', 'also run synthetic clients against the demo', false)
    .option('--port <port>', 'gateway port', (v) => Number(v), 8080)
    .option('--admin-port <port>', 'admin API and web UI port', (v) => Number(v), 8989)
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .action(async (opts: { traffic: boolean; port: number; adminPort: number; logLevel?: string }) => {
      await runDemo({ traffic: opts.traffic, port: opts.port, adminPort: opts.adminPort, logLevel: opts.logLevel });
    });
}
