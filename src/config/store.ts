/** `store`: where sessions live: in this process (`memory`), or in Redis, shared by several gateways. */
import { z } from 'zod';
import { section } from './section.js';
import { duration } from './units.js';

export const memoryStoreSection = section({ type: z.literal('memory') });

export const redisStoreSection = section({
  type: z.literal('redis'),
  url: z
    .string()
    .regex(/^rediss?:\/\//, 'expected redis://[user:password@]host:port[/db] or rediss:// (TLS)')
    .describe('The Redis (or Valkey) server; a password goes in the URL, usually from "${VAR}".'),
  key_prefix: z.string().max(64).default('sg:').describe('Prefix of every key sessiongate writes.'),
  tls_ca: z.string().min(1).optional()
    .describe('With rediss://: a PEM file of the certificate authority that signed the server\'s certificate (default: the system\'s).'),
  command_timeout: duration().default(2_000)
    .describe('Longest wait for Redis: past it, requests that need session state get 503 with Retry-After.'),
  lease_ttl: duration().default(10_000)
    .describe('How long an instance\'s exclusive turn on a session lasts unless renewed (renewed every second, and at least every third of it, while the instance holds it).'),
  lease_linger: duration().default(250)
    .describe('After a session\'s request ends, this instance keeps the session\'s lease for its next requests while they keep coming at least this often: they need no Redis round trip, and the session is saved every second while they come and when the lease is given back. Handed over at once when another instance asks. 0: give the lease back after every request.'),
  stream: section({
    enabled: z.boolean().default(false).describe('Publish every exchange to a Redis stream, so any instance\'s admin can show the whole cluster\'s traffic.'),
    max_len: z.number().int().min(100).max(10_000_000).default(10_000).describe('Approximate length of the stream (XADD MAXLEN ~).'),
  }).prefault({}).describe('The cluster-wide exchange stream.'),
});

export const storeSection = z.discriminatedUnion('type', [memoryStoreSection, redisStoreSection]);
export type StoreConfig = z.output<typeof storeSection>;
export type RedisStoreConfig = z.output<typeof redisStoreSection>;
