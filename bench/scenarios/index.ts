/**
 * Every scenario of `npm run bench`, in the order they run and appear in docs/benchmarks.md: the core
 * comparison with other proxies first, then what sessiongate's own features cost (sessions, the exchange
 * log, upstream reuse, the Redis store).
 */
import type { Scenario } from '../lib/types.js';
import { coreGet, corePost } from './core.js';
import { exchangeLogBodies } from './exchange-log.js';
import { sessionsCookie } from './sessions.js';
import { storeRedis } from './store.js';
import { upstreamReuse } from './upstream-reuse.js';

export const scenarios: readonly Scenario[] = [coreGet, corePost, sessionsCookie, exchangeLogBodies, upstreamReuse, storeRedis];
