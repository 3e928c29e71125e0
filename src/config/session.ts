/** `services[].session`: how clients are identified, and their Sessions' queue and timeouts. */
import { z } from 'zod';
import { section } from './section.js';
import { duration } from './units.js';

export const SESSION_MODES = ['none', 'cookie', 'param', 'connection'] as const;

const token = () => z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a cookie or parameter name of letters, digits, ".", "_" or "-"');

export const sessionSection = section({
  mode: z.enum(SESSION_MODES).default('none')
    .describe('How a client\'s session is identified: `cookie` (the gateway issues a cookie), `param` (a URL parameter; the id comes back in a `Session-Id` header), `connection` (the TCP connection), or `none`.'),
  cookie: token().default('sgsid').describe('Name of the session cookie (mode `cookie`, Path=/): cookie services on one listener and host need different names (`check` warns).'),
  cookie_secure: z.enum(['auto', 'always', 'never']).default('auto')
    .describe('The session cookie\'s Secure attribute: `auto` on TLS listeners only, `always` (behind a proxy that terminates TLS, where clients use https but the listener is plain http), or `never`.'),
  param: token().default('sessionid').describe('Name of the URL parameter carrying the session id (mode `param`); removed before the request goes upstream.'),
  idle_timeout: duration().default(1_800_000)
    .describe('A session with nothing running and nothing queued for this long expires.'),
  absolute_timeout: duration().default(0).describe('A session expires this long after it started, busy or not; 0: never.'),
  max_queue: z.number().int().min(0).max(10_000).default(16)
    .describe('Requests of one session that may wait while one runs; one more is answered 503 with Retry-After.'),
  queue_timeout: duration().default(0).describe('Longest wait in the session queue before a 503; 0: no limit.'),
  bind_address: z.boolean().default(false)
    .describe('A session used from another client address than the one that started it gets 403.'),
  user_from: z.enum(['none', 'basic', 'header']).default('none')
    .describe('Where the session\'s `user` comes from: the user name of HTTP Basic credentials, a request header (`user_header`), or nowhere.'),
  user_header: z.string().min(1).default('x-user').describe('The request header naming the user (with `user_from: header`).'),
}).prefault({});

export type SessionConfig = z.output<typeof sessionSection>;
