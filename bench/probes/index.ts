/**
 * Every probe of `npm run bench`, in the order they run (after the scenarios) and appear in
 * docs/benchmarks.md: figures that are not throughput — memory per session, event-loop stalls while sessions
 * expire, the exchange log's cost side by side, alternating and toggled in one gateway, and its memory, the Redis memory of a session.
 */
import type { Probe } from '../lib/probe-types.js';
import { exchangeLogAlternating, exchangeLogSideBySide, exchangeLogToggled } from './exchange-log-side-by-side.js';
import { exchangeLogMemory } from './exchange-log.js';
import { redisSessionMemory } from './redis.js';
import { sessionsExpiry, sessionsMemory } from './sessions.js';

export const probes: readonly Probe[] = [sessionsMemory, sessionsExpiry, exchangeLogSideBySide, exchangeLogAlternating, exchangeLogToggled, exchangeLogMemory, redisSessionMemory];
