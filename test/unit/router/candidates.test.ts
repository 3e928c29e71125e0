/** Which servers the routers may pick when some or all are down: a probe at a time, the rest fail fast. */
import { afterEach, describe, expect, it } from 'vitest';
import { LeastConnectionsRouter } from '../../../src/router/least-connections.js';
import { RoundRobinRouter } from '../../../src/router/round-robin.js';
import { candidates } from '../../../src/router/router.js';
import { Server } from '../../../src/upstream/server.js';

const made: Server[] = [];
afterEach(async () => {
  while (made.length) await made.pop()!.close();
});

function server(name: string, downInterval = 60_000): Server {
  // No request is ever sent: the pool connects lazily.
  const s = new Server({ name, url: `http://127.0.0.1:9/${name}`, maxConnections: 4, weight: 1, downInterval, connectTimeout: 1000 });
  made.push(s);
  return s;
}

const none = { routerSession: null, exclude: null };

describe('candidates', () => {
  it('are the servers that are up, without the excluded one', () => {
    const [a, b, c] = [server('a'), server('b'), server('c')];
    b.markDown('SG_ERR_UPSTREAM_REFUSED');
    expect(candidates([a, b, c], null)).toEqual([a, c]);
    expect(candidates([a, b, c], a)).toEqual([c]);
  });

  it('when all are down: one idle server as a probe; none while each has a request in progress', () => {
    const [a, b] = [server('a', 30_000), server('b')];
    a.markDown('SG_ERR_UPSTREAM_REFUSED');
    b.markDown('SG_ERR_UPSTREAM_REFUSED');
    expect(candidates([a, b], null)).toEqual([a]); // a's down time ends first
    a.active = 1;
    expect(candidates([a, b], null)).toEqual([b]);
    b.active = 1;
    expect(candidates([a, b], null)).toEqual([]);
  });

  it('a request retrying after its own failure may go back to the only server', () => {
    const a = server('a');
    a.markDown('SG_ERR_UPSTREAM_REFUSED');
    expect(candidates([a], a)).toEqual([a]);
    a.setDraining(true);
    expect(candidates([a], a)).toEqual([]);
  });
});

describe('routers with every server down', () => {
  it('round-robin with one server: the probe gets it, concurrent requests get none (503)', () => {
    const a = server('a');
    const router = new RoundRobinRouter([a]);
    expect(router.pick(none)).toBe(a);
    a.markDown('SG_ERR_UPSTREAM_REFUSED');
    expect(router.pick(none)).toBe(a);
    a.active = 1;
    expect(router.pick(none)).toBeNull();
    a.active = 0;
    a.markUp();
    a.active = 3;
    expect(router.pick(none)).toBe(a); // up: no limit
  });

  it('least-connections: the same probe rule', () => {
    const [a, b] = [server('a'), server('b')];
    const router = new LeastConnectionsRouter([a, b]);
    a.markDown('SG_ERR_UPSTREAM_REFUSED');
    b.markDown('SG_ERR_UPSTREAM_REFUSED');
    a.active = 1;
    b.active = 1;
    expect(router.pick(none)).toBeNull();
    b.active = 0;
    expect(router.pick(none)).toBe(b);
  });
});
