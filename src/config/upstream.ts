/** `services[].upstream`: how the gateway talks to a service's servers. */
import { z } from 'zod';
import { section } from './section.js';
import { duration } from './units.js';

export const upstreamTimeoutsSection = section({
  connect: duration().default(5_000).describe('Time allowed to open a connection to a server; then 504.'),
  response_headers: duration().default(30_000)
    .describe('Time allowed from the end of the request to the response head; then 504.'),
  body_idle: duration().default(30_000)
    .describe('Longest pause between two pieces of the response body; then the response is cut off (logged incomplete).'),
}).prefault({});

export const upstreamSection = section({
  timeouts: upstreamTimeoutsSection.describe('Upstream timeouts.'),
  preserve_host: z.boolean().default(false)
    .describe('Send the client\'s Host header upstream instead of the server\'s host (the original is in X-Forwarded-Host either way).'),
  retry: z.boolean().default(true)
    .describe('Retry once, on another server when there is one, an idempotent request whose bytes never reached a server.'),
}).prefault({});

export type UpstreamConfig = z.output<typeof upstreamSection>;
