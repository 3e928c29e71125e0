/**
 * Admin JSON: the one place where the gateway's objects become snake_case public JSON (besides the config
 * loader). Links are `/services/NAME`, `/servers/NAME`. Secrets (tokens, cookie values) never appear.
 */
import { z } from 'zod';
import type { Service } from '../service/index.js';
import type { Session } from '../session/index.js';

export const SessionJsonSchema = z.object({
  id: z.string().describe('Public id (never the secret token).'),
  state: z.string().describe('MaxScale-style state: "Session started", "Session ready for routing", "Session routing request", "Stopping session".'),
  user: z.string().nullable(),
  address: z.string().describe('Client address that started the session.'),
  service: z.string().describe('Link: /services/NAME.'),
  connected: z.string().describe('When the session started (ISO 8601).'),
  idle: z.number().describe('Seconds since the last request ended (0 while busy).'),
  mode: z.enum(['cookie', 'param', 'connection']),
  requests: z.number(),
  queued: z.number().describe('Requests waiting in the session queue.'),
  errors: z.number().describe('Requests answered with a status >= 400 or a gateway error.'),
  bytes_in: z.number(),
  bytes_out: z.number(),
  server: z.string().nullable().describe('Sticky server (router session): /servers/NAME.'),
  router: z.string(),
  filters: z.array(z.string()),
  expires: z.string().describe('When the session expires if nothing happens (ISO 8601).'),
});
export type SessionJson = z.infer<typeof SessionJsonSchema>;

export function sessionJson(s: Session, service: Service | null, now: number): SessionJson {
  return {
    id: s.id,
    state: s.state,
    user: s.user,
    address: s.address,
    service: `/services/${s.service}`,
    connected: new Date(s.createdAt).toISOString(),
    idle: s.busy ? 0 : Math.max(0, Math.floor((now - s.lastActivity) / 1000)),
    mode: s.mode,
    requests: s.requests,
    queued: s.queued,
    errors: s.errors,
    bytes_in: s.bytesIn,
    bytes_out: s.bytesOut,
    server: s.server ? `/servers/${s.server.name}` : null,
    router: service?.router.kind ?? 'unknown',
    filters: service ? service.filters.map((f) => f.name) : [],
    expires: new Date(s.deadline).toISOString(),
  };
}
