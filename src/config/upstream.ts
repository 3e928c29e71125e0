/** `services[].upstream`: how the gateway talks to a service's servers, and how it re-uses their sessions. */
import { z } from 'zod';
import { section } from './section.js';
import { duration, size } from './units.js';

export const upstreamTimeoutsSection = section({
  connect: duration().default(5_000).describe('Time allowed to open a connection to a server; then 504.'),
  response_headers: duration().default(30_000)
    .describe('Time allowed from the end of the request to the response head; then 504.'),
  body_idle: duration().default(30_000)
    .describe('Longest pause between two pieces of the response body; then the response is cut off (logged incomplete).'),
}).prefault({});

const credentials = z.enum(['config', 'client']).default('config')
  .describe('`config`: the credentials written here; `client`: each client\'s own (its Basic credentials), so that different users never share an upstream session.');

const headerName = () => z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name');

export const noAuthSection = section({ type: z.literal('none') });

export const basicAuthSection = section({
  type: z.literal('basic'),
  credentials,
  user: z.string().optional().describe('User name (credentials `config`).'),
  password: z.string().optional().describe('Password (credentials `config`), usually "${VAR}".'),
});

export const bearerAuthSection = section({
  type: z.literal('bearer'),
  credentials,
  token: z.string().optional().describe('The token (credentials `config`), usually "${VAR}".'),
});

export const loginSuccessSection = section({
  status: z.array(z.number().int().min(100).max(599)).default([200, 201, 204])
    .describe('Statuses of a successful login.'),
  header: section({ name: headerName(), match: z.string().describe('Regular expression the value must match.') }).optional()
    .describe('A header the successful login response carries.'),
  body: z.string().optional().describe('Regular expression the successful login response body must match.'),
}).prefault({});

export const loginAuthSection = section({
  type: z.literal('login'),
  credentials,
  method: z.string().regex(/^[A-Z]+$/).default('POST').describe('Method of the login request.'),
  path: z.string().startsWith('/').describe('Path of the login request on the server.'),
  headers: z.record(headerName(), z.string()).default({ 'content-type': 'application/json' })
    .describe('Header fields of the login request. `{{user}}` and `{{password}}` are the client\'s credentials (credentials `client`).'),
  body: z.string().optional().describe('Body of the login request; `{{user}}` and `{{password}}` as in headers.'),
  success: loginSuccessSection.describe('How a successful login is recognised; its cookies go into the upstream context\'s jar.'),
});

export const customAuthSection = section({
  type: z.literal('custom'),
  credentials,
  module: z.string().min(1).describe('Path of an ES module (relative to the working directory) exporting the login function.'),
  export: z.string().default('login').describe('Name of the exported function: `async (client, { credentials }) => void`.'),
});

export const authSection = z.discriminatedUnion('type', [noAuthSection, basicAuthSection, bearerAuthSection, loginAuthSection, customAuthSection]);

export const expiredMatchSection = section({
  header: section({ name: headerName(), match: z.string() }).optional().describe('A response header (and value pattern) meaning the session is gone.'),
  body: z.string().optional().describe('A pattern in the response body meaning the session is gone (checked on responses up to 64 KiB).'),
}).prefault({});

export const UPSTREAM_REUSE = ['none', 'session', 'service'] as const;

export const upstreamSection = section({
  timeouts: upstreamTimeoutsSection.describe('Upstream timeouts.'),
  preserve_host: z.boolean().default(false)
    .describe('Send the client\'s Host header upstream instead of the server\'s host (the original is in X-Forwarded-Host either way).'),
  retry: z.boolean().default(true)
    .describe('Retry once, on another server when there is one, an idempotent request whose bytes never reached a server.'),
  upgrades: z.array(z.string().regex(/^[A-Za-z0-9._/-]+$/)).default(['websocket'])
    .describe('Protocols a client may upgrade to through the gateway (the Upgrade header, case-insensitive). Others (h2c, which would bypass the gateway) are sent as ordinary requests.'),
  reuse: z.enum(UPSTREAM_REUSE).default('none')
    .describe('Upstream session re-use: `none` (no state between requests), `session` (one upstream context per client session and server), `service` (one per service and server, shared by every client: stateless backends only).'),
  auth: authSection.default({ type: 'none' }).describe('How the gateway authenticates to the servers.'),
  expired_statuses: z.array(z.number().int().min(100).max(599)).default([401, 440])
    .describe('Statuses meaning "your session is gone": the context logs in again and replays the request once when that is safe.'),
  expired_redirect: z.boolean().default(true).describe('A redirect to the login path also means the session is gone.'),
  expired_match: expiredMatchSection.describe('Other signs that the session is gone.'),
  replay_max_body: size().default(64 * 1024)
    .describe('A non-idempotent request is replayed after a re-login only if its whole body is at most this size (kept in memory until then).'),
  forward_set_cookie: z.boolean().default(false)
    .describe('With reuse `session` or `service`: also pass the server\'s Set-Cookie fields to the client (they always go into the gateway\'s jar).'),
  login_backoff: section({
    initial: duration().default(1_000).describe('Wait after a failed login before the next attempt.'),
    max: duration().default(30_000).describe('Longest wait after repeated failures (the wait doubles each time).'),
  }).prefault({}).describe('Back-off after failed logins, so a dead login endpoint is not hammered.'),
}).prefault({});

export type UpstreamConfig = z.output<typeof upstreamSection>;
export type AuthConfig = z.output<typeof authSection>;
export type LoginAuthConfig = z.output<typeof loginAuthSection>;
