/** The whole configuration file: one declaration per field (type, default, description). */
import { z } from 'zod';
import { adminSection } from './admin.js';
import { exchangeLogSection } from './exchange-log.js';
import { listenerSection } from './listener.js';
import { loggingSection } from './logging.js';
import { section } from './section.js';
import { serverSection } from './server.js';
import { serviceSection } from './service.js';
import { storeSection } from './store.js';
import { duration } from './units.js';

export const configSchema = section({
  admin: adminSection.describe('The admin API and web UI.'),
  listeners: z.array(listenerSection).min(1, 'at least one listener is needed').describe('Where clients connect.'),
  servers: z.array(serverSection).min(1, 'at least one server is needed').describe('The backend HTTP origins.'),
  services: z.array(serviceSection).min(1, 'at least one service is needed').describe('Routes from listeners to servers.'),
  exchange_log: exchangeLogSection.describe('The live table of exchanges with servers, with data loss.'),
  store: storeSection.default({ type: 'memory' }).describe('Where sessions live: `memory` (one gateway) or `redis` (several gateways, one session space).'),
  logging: loggingSection.describe('The gateway\'s own log.'),
  shutdown_timeout: duration().default(10_000)
    .describe('On SIGTERM/SIGINT: how long in-flight requests may take to finish before their connections are destroyed.'),
});

export type GatewayConfig = z.output<typeof configSchema>;
/** The configuration as written in a file (before defaults and units are applied). */
export type GatewayConfigInput = z.input<typeof configSchema>;
