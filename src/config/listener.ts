/** `listeners[]`: where clients connect, with the limits and timeouts of their Connections. */
import { z } from 'zod';
import { section } from './section.js';
import { duration, listenAddress, name, size } from './units.js';

export const limitsSection = section({
  max_header_count: z.number().int().min(1).max(10_000).default(100)
    .describe('Most header fields in one request; more is answered 431 (never silently dropped).'),
  max_header_size: size().default(16 * 1024)
    .describe('Most bytes of request line and header fields together; more is answered 431.'),
  max_uri_length: size().default(8 * 1024)
    .describe('Longest request target; longer is answered 414.'),
  max_body_size: size().default(64 * 1024 * 1024)
    .describe('Largest request body; larger is answered 413 (before reading it when Content-Length says so).'),
  max_in_flight: z.number().int().min(1).max(1024).default(16)
    .describe('Most pipelined requests of one Connection being handled at once; beyond it the Connection stops reading.'),
}).prefault({});

export const timeoutsSection = section({
  headers: duration().default(10_000)
    .describe('Time allowed to receive a request\'s head, from its first byte; then 408 and close.'),
  request: duration().default(300_000)
    .describe('Time allowed to receive a whole request, body included; then 408 and close.'),
  keep_alive: duration().default(5_000)
    .describe('How long an idle keep-alive Connection waits for its next request.'),
  send: duration().default(60_000)
    .describe('How long a response write may make no progress (a client that stopped reading) before the Connection is destroyed.'),
}).prefault({});

export const tlsSection = section({
  cert: z.string().min(1).describe('Path of the PEM certificate chain.'),
  key: z.string().min(1).describe('Path of the PEM private key.'),
});

export const listenerSection = section({
  name: name().describe('Name of the listener, referenced by services.'),
  listen: listenAddress().describe('Address and port, e.g. 127.0.0.1:8080 or [::1]:8080; port 0 picks a free port.'),
  tls: tlsSection.optional().describe('Serve HTTPS with this certificate and key.'),
  max_connections: z.number().int().min(1).default(10_000)
    .describe('Most open client Connections; beyond it new connections are refused.'),
  deny_methods: z.array(z.string().regex(/^[A-Z]+$/)).default(['CONNECT', 'TRACE'])
    .describe('Request methods answered 405 without reaching a service.'),
  limits: limitsSection.describe('Request size limits.'),
  timeouts: timeoutsSection.describe('Client-side timeouts.'),
});

export type ListenerConfig = z.output<typeof listenerSection>;
export type ListenerLimits = ListenerConfig['limits'];
export type ListenerTimeouts = ListenerConfig['timeouts'];
