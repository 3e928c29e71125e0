/**
 * Every scenario of `npm run bench`, in the order they run and appear in docs/benchmarks.md. A new scenario
 * (sessions on/off, exchange log on/off, upstream reuse, Redis vs memory store) is a module here plus one line.
 */
import type { Scenario } from '../lib/types.js';
import { coreGet, corePost } from './core.js';

export const scenarios: readonly Scenario[] = [coreGet, corePost];
