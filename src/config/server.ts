/** `servers[]`: the backend HTTP origins. */
import { z } from 'zod';
import { section } from './section.js';
import { duration, name } from './units.js';

export const serverSection = section({
  name: name().describe('Name of the server, referenced by services.'),
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
    .describe('Origin of the server, optionally with a base path: http://host:port[/base].'),
  max_connections: z.number().int().min(1).max(10_000).default(128)
    .describe('Most keep-alive connections the gateway opens to this server.'),
  weight: z.number().int().min(1).max(1000).default(1)
    .describe('Share of the traffic for the round-robin router (a server of weight 2 gets twice the requests).'),
  down_interval: duration().default(5_000)
    .describe(
      'After a connection to the server fails, how long routers treat it as down. While no server of a service is up, one request at a time still goes to a down server (a probe: a recovered server is noticed at once); the others get 503 SG_ERR_NO_SERVER_AVAILABLE at once instead of each waiting for a failed connection.',
    ),
});

export type ServerConfig = z.output<typeof serverSection>;
