/** `admin`: the admin API and web UI server. */
import { z } from 'zod';
import { section } from './section.js';
import { listenAddress, size } from './units.js';

export const adminUserSection = section({
  name: z.string().min(1).max(128).describe('User name for HTTP Basic authentication.'),
  password: z.string().min(1)
    .describe('The password: plain text, usually written as "${VAR}" so that it comes from the environment, or a scrypt hash from `sessiongate hash-password` (scrypt$N$r$p$salt$hash).'),
});

export const adminSection = section({
  enabled: z.boolean().default(true).describe('Run the admin server.'),
  listen: listenAddress().default('127.0.0.1:8989')
    .describe('Address of the admin API and web UI. A non-loopback address requires `users`.'),
  users: z.array(adminUserSection).default([]).describe('Users allowed to use the admin API; none: loopback-only, no authentication.'),
  max_body_size: size().default(64 * 1024).describe('Largest request body the admin API accepts.'),
}).prefault({});

export type AdminConfig = z.output<typeof adminSection>;
