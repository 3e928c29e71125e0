/** Process specs for the servers under bench/servers/ (TypeScript run by tsx, as the runner itself is). */
import { fileURLToPath } from 'node:url';
import type { ProcessSpec } from './types.js';

/** `node --import tsx bench/servers/FILE` with `env`. */
export function benchServer(name: string, file: string, env: Record<string, string> = {}): ProcessSpec {
  const script = fileURLToPath(new URL(`../servers/${file}`, import.meta.url));
  return { name, command: process.execPath, args: ['--import', 'tsx', script], env };
}
