import { afterEach, describe, expect, it } from 'vitest';
import { upstreamSection } from '../../../src/config/upstream.js';
import { Authenticator } from '../../../src/upstream/auth.js';
import { UpstreamPolicy } from '../../../src/upstream/reuse.js';
import { Server } from '../../../src/upstream/server.js';
import { UpstreamContext, type ContextRecord, type SharedContexts } from '../../../src/upstream/upstream-context.js';

/**
 * The cluster's records and locks in memory, as the Redis store keeps them, with a hook that runs just
 * before a lock is taken: there a test plays "another instance" at the worst moment.
 */
class Cluster implements SharedContexts {
  readonly records = new Map<string, ContextRecord>();
  readonly locks = new Map<string, string>();
  beforeLock: (() => void) | null = null;
  #next = 0;

  async load(service: string, key: string): Promise<ContextRecord | null> {
    return this.records.get(`${service}/${key}`) ?? null;
  }
  async save(service: string, key: string, record: ContextRecord): Promise<void> {
    this.records.set(`${service}/${key}`, structuredClone(record));
  }
  async lock(service: string, key: string): Promise<string | null> {
    const hook = this.beforeLock;
    this.beforeLock = null;
    hook?.();
    if (this.locks.has(`${service}/${key}`)) return null;
    const token = String(++this.#next);
    this.locks.set(`${service}/${key}`, token);
    return token;
  }
  async unlock(service: string, key: string, token: string): Promise<void> {
    if (this.locks.get(`${service}/${key}`) === token) this.locks.delete(`${service}/${key}`);
  }
}

describe('UpstreamPolicy.loginOnce (service scope, several gateway instances)', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function setup() {
    const config = upstreamSection.parse({ reuse: 'service', auth: { type: 'login', path: '/login' } });
    const server = new Server({ name: 's1', url: 'http://127.0.0.1:9', maxConnections: 1, weight: 1, downInterval: 1000, connectTimeout: 1000 });
    servers.push(server);
    const cluster = new Cluster();
    const policy = new UpstreamPolicy('svc', config, await Authenticator.create(config.auth), cluster);
    const context = () => new UpstreamContext(server, 'service', 'svc', 'svc', null);
    return { cluster, policy, context };
  }

  it('adopts the session another instance saved between its first look and taking the lock', async () => {
    const { cluster, policy, context } = await setup();
    const other = context();
    // "Instance A" logs in, saves and unlocks after B found no record but before B asks for the lock.
    cluster.beforeLock = () => {
      void cluster.save('svc', 's1', { ...other.toRecord(), state: 'authenticated', lastLoginAt: Date.now() });
    };
    const mine = context();
    let logins = 0;
    const how = await policy.loginOnce(mine, async () => void logins++);
    expect(logins).toBe(0);
    expect(how).toBe('adopted');
    expect(mine.state).toBe('authenticated');
    expect(cluster.locks.size).toBe(0); // the lock it took is given back
  });

  it('logs in itself, once, when no instance has', async () => {
    const { cluster, policy, context } = await setup();
    let logins = 0;
    const how = await policy.loginOnce(context(), async () => void logins++);
    expect(how).toBeUndefined();
    expect(logins).toBe(1);
    expect((await cluster.load('svc', 's1'))?.state).toBe('authenticated');
    expect(cluster.locks.size).toBe(0);
  });
});
