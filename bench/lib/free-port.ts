/** A free loopback port for a child server of the bench (never 6379, the machine's own Redis). */
import { spawnSync } from 'node:child_process';

const FREE_PORT_SCRIPT =
  "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";

/**
 * A port that was free a moment ago (the support spec is synchronous, so a child node finds it). Should
 * another process take it before Redis binds, Redis exits and the scenario's targets fail, loudly.
 */
export function freePort(): number {
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = spawnSync(process.execPath, ['-e', FREE_PORT_SCRIPT], { encoding: 'utf8', timeout: 10_000 });
    const port = Number(r.stdout);
    if (r.status === 0 && Number.isInteger(port) && port > 1024 && port !== 6379) return port;
  }
  throw new Error('could not find a free port');
}
