/** The backend (a plain node:http server, bench/servers/backend.ts) and the target that loads it directly. */
import type { RunningProcess } from '../lib/processes.js';
import { benchServer } from '../lib/servers.js';
import type { ProcessSpec, ScenarioContext, TargetDef } from '../lib/types.js';

/** Support process `backend`: started once per scenario, used by every target. */
export const backend = (_ctx: ScenarioContext): ProcessSpec => benchServer('backend', 'backend.ts');

/** The support process named `backend` of a scenario. */
export function backendOf(ctx: ScenarioContext): RunningProcess {
  const b = ctx.support.backend;
  if (b === undefined) throw new Error('this target needs a support process named "backend"');
  return b;
}

/** No proxy: the ceiling every proxy is measured against. */
export const direct: TargetDef = {
  name: 'backend (direct)',
  role: 'baseline',
  description: 'the load generator talks to the backend itself, no proxy in between',
  launch: (ctx) => ({ reuse: backendOf(ctx) }),
};
