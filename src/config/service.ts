/** `services[]`: routes to servers, with their router, session policy and upstream policy. */
import { z } from 'zod';
import { section } from './section.js';
import { filterSection } from './filter.js';
import { sessionSection } from './session.js';
import { upstreamSection } from './upstream.js';
import { name } from './units.js';

export const ROUTERS = ['round-robin', 'least-connections', 'sticky'] as const;

export const matchSection = section({
  path_prefix: z.string().startsWith('/', 'must start with "/"').default('/')
    .describe('Requests whose path starts with this prefix (at a segment boundary) belong to the service; the longest matching prefix wins.'),
  host: z.string().min(1).optional()
    .describe('Only requests for this Host (without port; `*.example.com` matches subdomains). A service with a host wins over one without.'),
}).prefault({});

export const serviceSection = section({
  name: name().describe('Name of the service (admin API: /services/NAME).'),
  listener: name().describe('The listener whose requests this service receives.'),
  match: matchSection.describe('Which requests belong to this service.'),
  strip_prefix: z.boolean().default(false)
    .describe('Remove `match.path_prefix` from the path before it goes upstream.'),
  servers: z.array(name()).min(1, 'a service needs at least one server').describe('Names of the servers of this service.'),
  router: z.enum(ROUTERS).default('round-robin')
    .describe('How a server is picked for a request; `sticky` keeps a session on one server and moves it only when that server is down.'),
  session: sessionSection.describe('Client sessions of this service.'),
  filters: z.array(filterSection).default([]).describe('Filters on the request/response path, in order.'),
  upstream: upstreamSection.describe('How the gateway talks to the servers.'),
});

export type ServiceConfig = z.output<typeof serviceSection>;
