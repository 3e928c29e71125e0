/**
 * The Redis store: many gateways, one session space (Redis 7 or Valkey; `rediss://` for TLS).
 *
 * - Records: one hash per session with a sliding TTL = idle timeout, set with the expiry index in the same
 *   Lua script from Redis's own clock; lookup by token (hashed), public id and user; paged listing from a
 *   sorted set (never KEYS). Upstream contexts (cookie jars, login state) are saved in the session's hash.
 * - Turns: a session's requests are serialised across instances with a lease (SET NX PX, released by
 *   compare-and-delete, renewed while the request runs) carrying a fencing counter; a save from a turn older
 *   than the session's last one is refused. A lease is best effort: see docs/scaling.md.
 * - Holds: after a request, this instance keeps the session's lease (`lease_linger`) while the session's
 *   requests keep coming here: they are served from memory with no round trip, and the session is saved
 *   (counters, idle time, upstream contexts) and the lease renewed every second. Another instance that wants
 *   the session asks on pub/sub and gets it after the running request. A hold is used only while Redis
 *   answered within the last two ticks, so a paused Redis still turns requests away within a tick or two.
 * - Kills reach every instance through pub/sub; expiry is swept from the index by whichever instance sees it.
 * - Faults: no offline queue, a command timeout (2 s by default): while Redis is away, requests that need
 *   session state fail fast with 503; the client reconnects on its own (also after a failover's READONLY).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisStoreConfig } from '../config/store.js';
import type { Logger } from '../log.js';
import { Session, type SessionInit, type SessionMode } from '../session/session.js';
import { UpstreamContext, type ContextRecord, type SharedContexts } from '../upstream/upstream-context.js';
import type { Server } from '../upstream/server.js';
import { ACQUIRE, CREATE, LOOKUP, PAGE, REMOVE, SAVE, SWEEP } from './redis-scripts.js';
import type { EndReason, Maybe, SessionFilter, SessionPage, SessionStore, StoreEvents, Turn } from './store.js';

type Hash = Record<string, string>;

interface RedisCommands {
  sgCreate(seq: string, t: string, idx: string, u: string, prefix: string, instance: string, leaseTtl: number, ...fields: (string | number)[]): Promise<[string, number, number]>;
  sgLookup(t: string, prefix: string): Promise<[string, string[]] | null>;
  sgAcquire(lease: string, fence: string, s: string, idx: string, instance: string, ttl: number, id: string, prefix: string, version: number, mine: string): Promise<[number, number?, string[]?]>;
  sgSave(s: string, lease: string, idx: string, value: string, fence: number, id: string, prefix: string, keep: number, busy: number, ago: number, ...fields: (string | number)[]): Promise<[number, number, number]>;
  sgRemove(s: string, idx: string, lease: string, id: string, prefix: string, channel: string): Promise<number>;
  sgSweep(idx: string, prefix: string, limit: number): Promise<string[]>;
  sgPage(idx: string, start: number, count: number): Promise<(string | number)[]>;
  sgUnlock(key: string, token: string): Promise<number>;
}

/**
 * This instance's lease on a session: taken for a request, and kept for the session's next requests while
 * they keep coming (`lease_linger`). The Turn of every request it serves.
 */
class Hold implements Turn {
  /** True while this is the instance's hold on the session (in its table of holds). */
  held = true;
  /** Requests ended (or started) since the session was last saved. */
  dirty = false;
  /** Another instance waits for the session: the lease goes back after the running request. */
  wanted = false;
  /** When the session's last request here ended (or the lease was taken). */
  lastUse: number;
  /** When the session was last saved (or the lease taken or renewed). */
  savedAt: number;
  /** Local clock: the lease is this instance's at least until then (each renewal moves it on). */
  validUntil: number;
  readonly value: string;
  constructor(
    readonly session: Session,
    readonly fence: number,
    instance: string,
    sentAt: number,
    ttl: number,
  ) {
    this.value = `${instance}:${fence}`;
    this.lastUse = sentAt;
    this.savedAt = sentAt;
    this.validUntil = sentAt + ttl;
  }
}

export interface RedisStoreOptions {
  config: RedisStoreConfig;
  /** Servers by name, to bring sticky servers and upstream contexts back to life. */
  servers: ReadonlyMap<string, Server>;
  logger: Logger;
  /** Test hook: extra ioredis options. */
  redisOptions?: RedisOptions;
}

const SWEEP_INTERVAL_MS = 1000;
const POLL_MS = 50;
/** Longest pause between the checks of held sessions (idle ones are given back; Redis is pinged). */
const MAX_TICK_MS = 250;
/** Longest pause between saves (and lease renewals) of a held session in use. */
const MAX_SAVE_EVERY_MS = 1000;

const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class RedisStore implements SessionStore, SharedContexts {
  readonly kind = 'redis' as const;
  /** This gateway process, as its leases name it. */
  readonly instance = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly #redis: Redis & RedisCommands;
  readonly #sub: Redis;
  readonly #p: string;
  readonly #leaseTtl: number;
  readonly #linger: number;
  readonly #commandTimeout: number;
  /** How often held sessions are checked (idle ones given back) and Redis is pinged. */
  readonly #tick: number;
  /** How often a held session in use is saved and its lease renewed. */
  readonly #saveEvery: number;
  /** Leases this instance holds, by session id; and the tokens of their sessions. */
  readonly #holds = new Map<string, Hold>();
  readonly #heldTokens = new Map<string, Session>();
  /** When Redis last answered this instance (local clock): a hold is used only while this is recent. */
  #lastReply = 0;
  #ticker: NodeJS.Timeout | null = null;
  readonly #servers: ReadonlyMap<string, Server>;
  readonly #logger: Logger;
  /** Sessions this instance has in hand (the same object while it is used: its queue is local). */
  readonly #live = new Map<string, Session>();
  /** Record version each live session was read at. */
  readonly #versions = new WeakMap<Session, number>();
  readonly #tokenHash = new WeakMap<Session, string>();
  /** When a live session was last looked up (idle ones are dropped from #live by the sweeper). */
  readonly #seen = new WeakMap<Session, number>();
  readonly #waiters = new Map<string, Set<() => void>>();
  #listeners: StoreEvents[] = [];
  #sweeper: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    const c = options.config;
    this.#p = c.keyPrefix;
    this.#leaseTtl = c.leaseTtl;
    this.#linger = c.leaseLinger;
    this.#commandTimeout = c.commandTimeout;
    this.#saveEvery = Math.max(10, Math.min(MAX_SAVE_EVERY_MS, Math.floor(c.leaseTtl / 3)));
    this.#tick = Math.min(c.leaseLinger > 0 ? c.leaseLinger : MAX_TICK_MS, MAX_TICK_MS, this.#saveEvery);
    this.#servers = options.servers;
    this.#logger = options.logger;
    const common: RedisOptions = {
      // Fail fast while Redis is away: nothing piles up in an offline queue, nothing waits longer than this.
      enableOfflineQueue: false,
      commandTimeout: c.commandTimeout,
      connectTimeout: c.commandTimeout,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(100 * times, 1000),
      // After a failover the old primary answers READONLY: reconnect (and reach the new one).
      reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
      lazyConnect: false,
      ...(c.tlsCa !== undefined && c.url.startsWith('rediss:') ? { tls: { ca: readFileSync(c.tlsCa) } } : {}),
      ...options.redisOptions,
    };
    this.#redis = new Redis(c.url, { ...common, enableAutoPipelining: true }) as Redis & RedisCommands;
    this.#sub = new Redis(c.url, { ...common, commandTimeout: undefined, autoResubscribe: true });
    const define = (name: string, numberOfKeys: number, lua: string): void => this.#redis.defineCommand(name, { numberOfKeys, lua });
    define('sgCreate', 4, CREATE);
    define('sgLookup', 1, LOOKUP);
    define('sgAcquire', 4, ACQUIRE);
    define('sgSave', 3, SAVE);
    define('sgRemove', 3, REMOVE);
    define('sgSweep', 1, SWEEP);
    define('sgPage', 1, PAGE);
    define('sgUnlock', 1, UNLOCK);
    for (const client of [this.#redis, this.#sub]) {
      client.on('error', (err: Error) => this.#logger.debug({ err: err.message }, 'redis error'));
    }
    this.#redis.on('ready', () => this.#logger.info('redis store ready'));
    this.#redis.on('end', () => this.#logger.warn('redis store connection ended'));
    this.#sub.on('ready', () => {
      this.#sub.subscribe(`${this.#p}released`, `${this.#p}kill`, `${this.#p}want`).catch(() => {});
    });
    this.#sub.on('message', (channel: string, id: string) => this.#onMessage(channel, id));
    this.#sweeper = setInterval(() => void this.#sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
    this.#ticker = setInterval(() => this.#onTick(), this.#tick);
    this.#ticker.unref();
  }

  get ready(): boolean {
    return this.#redis.status === 'ready';
  }

  /** Waits (up to `timeoutMs`) until Redis answers: for start-up, so the first requests do not fail. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.ready;
  }

  // ------------------------------------------------------------------------------------------ records

  /** A new session, its first request's lease taken in the same round trip. */
  async create(init: Omit<SessionInit, 'id'>): Promise<Session> {
    const th = tokenHash(init.token);
    const fields: (string | number)[] = [
      'th', th, 'service', init.service, 'mode', init.mode, 'address', init.address, 'idle', init.idleTimeout,
      'abs', init.absoluteTimeout, 'mq', init.maxQueue, 'qt', init.queueTimeout, 'requests', 0, 'errors', 0, 'bin', 0, 'bout', 0,
    ];
    if (init.user !== null) fields.push('user', init.user);
    if (init.connectionId !== null) fields.push('conn', init.connectionId);
    const sent = Date.now();
    const [id, now, fence] = await this.#redis.sgCreate(
      `${this.#p}seq`, `${this.#p}t:${th}`, `${this.#p}idx`, init.user !== null ? `${this.#p}u:${init.user}` : '',
      this.#p, this.instance, this.#leaseTtl, ...fields,
    );
    this.#lastReply = Date.now();
    const session = new Session({ ...init, id: String(id), now });
    this.#tokenHash.set(session, th);
    this.#versions.set(session, 1);
    this.#live.set(session.id, session);
    this.#seen.set(session, Date.now());
    this.#hold(session, fence, sent);
    return session;
  }

  findByToken(token: string): Maybe<Session | null> {
    // A session this instance holds: nobody else can have changed it.
    const held = this.#heldTokens.get(token);
    if (held !== undefined && this.#usable(this.#holds.get(held.id))) return held;
    return this.#lookup(token);
  }

  async #lookup(token: string): Promise<Session | null> {
    const found = await this.#redis.sgLookup(`${this.#p}t:${tokenHash(token)}`, this.#p);
    if (!found) return null;
    return this.#hydrate(found[0], pairs(found[1]), token);
  }

  async findById(id: string): Promise<Session | null> {
    if (!/^\d+$/.test(id)) return null;
    const h = await this.#redis.hgetall(`${this.#p}s:${id}`);
    return Object.keys(h).length === 0 ? null : this.#hydrate(id, h, '');
  }

  async list(filter: SessionFilter, start: number, end: number): Promise<SessionPage> {
    let ids: string[];
    let total: number;
    if (filter.user !== undefined) {
      ids = await this.#redis.smembers(`${this.#p}u:${filter.user}`);
      ids.sort((a, b) => Number(a) - Number(b));
      total = ids.length;
    } else if (filter.service !== undefined) {
      const page = await this.#redis.sgPage(`${this.#p}idx`, 0, 1_000_000);
      ids = page.slice(1).map(String);
      total = ids.length;
    } else {
      const count = Math.max(0, Math.min(end, 1_000_000_000) - start + 1);
      const page = await this.#redis.sgPage(`${this.#p}idx`, start, count);
      total = Number(page[0]);
      ids = page.slice(1).map(String);
    }
    const hashes = await Promise.all(ids.map((id) => this.#redis.hgetall(`${this.#p}s:${id}`)));
    let items: Session[] = [];
    ids.forEach((id, i) => {
      const h = hashes[i]!;
      if (Object.keys(h).length === 0) {
        if (filter.user !== undefined) void this.#redis.srem(`${this.#p}u:${filter.user}`, id).catch(() => {});
        return;
      }
      items.push(this.#hydrate(id, h, ''));
    });
    if (filter.service !== undefined) items = items.filter((s) => s.service === filter.service);
    if (filter.user !== undefined || filter.service !== undefined) {
      total = items.length;
      items = items.slice(start, end + 1);
    }
    return { items, total };
  }

  async count(): Promise<number> {
    const page = await this.#redis.sgPage(`${this.#p}idx`, 0, 0);
    return Number(page[0]);
  }

  async setUser(session: Session, user: string): Promise<void> {
    session.user = user;
    await this.#redis.multi().hset(`${this.#p}s:${session.id}`, 'user', user).sadd(`${this.#p}u:${user}`, session.id).exec();
  }

  async remove(session: Session, reason: EndReason): Promise<void> {
    this.#unhold(session.id);
    const channel = reason === 'killed' ? 'kill' : 'closed';
    await this.#redis.sgRemove(`${this.#p}s:${session.id}`, `${this.#p}idx`, `${this.#p}lease:${session.id}`, session.id, this.#p, channel);
    this.#live.delete(session.id);
    session.end(reason);
  }

  subscribe(events: StoreEvents): void {
    this.#listeners.push(events);
  }

  // ------------------------------------------------------------------------------------------ turns

  acquire(session: Session, cancelled: () => boolean): Maybe<Turn | null> {
    const held = this.#holds.get(session.id);
    if (held !== undefined && this.#usable(held)) return held;
    return this.#take(session, cancelled);
  }

  /** Takes the session's lease in Redis, waiting while another instance holds it. */
  async #take(session: Session, cancelled: () => boolean): Promise<Turn | null> {
    const id = session.id;
    const keys = [`${this.#p}lease:${id}`, `${this.#p}fence:${id}`, `${this.#p}s:${id}`, `${this.#p}idx`] as const;
    for (;;) {
      const mine = this.#holds.get(id)?.value ?? '';
      const sent = Date.now();
      const r = await this.#redis.sgAcquire(...keys, this.instance, this.#leaseTtl, id, this.#p, this.#versions.get(session) ?? -1, mine);
      this.#lastReply = Date.now();
      if (r[0] > 0) {
        this.#live.set(id, session);
        // Another instance wrote the record since this object was read: take its state (same round trip).
        if (r[2] !== undefined) this.#apply(session, pairs(r[2]), r[1]!);
        return this.#hold(session, r[0], sent);
      }
      if (r[0] === -1) {
        // Killed or expired on another instance while this request waited.
        this.#unhold(id);
        session.end('killed');
        return null;
      }
      this.#unhold(id);
      if (cancelled() || session.ended !== null) return null;
      await this.#waitRelease(id, Math.min(Math.max(r[1] ?? POLL_MS, 5), 500));
    }
  }

  /**
   * The request ended. The session is marked for the next save and the lease kept for its next request;
   * it is saved and given back now when another instance waits for it, or with `lease_linger: 0`.
   */
  release(session: Session, turn: Turn | null): Maybe<void> {
    session.lastActivity = Date.now();
    this.#seen.set(session, session.lastActivity);
    const hold = turn instanceof Hold ? turn : null;
    if (hold === null || !hold.held) return this.#save(session, hold, 0);
    hold.dirty = true;
    hold.lastUse = session.lastActivity;
    return hold.wanted || this.#linger === 0 ? this.#giveBack(hold) : undefined;
  }

  /** The hold of a lease just taken (or renewed) for `session`. */
  #hold(session: Session, fence: number, sentAt: number): Hold {
    const existing = this.#holds.get(session.id);
    if (existing !== undefined && existing.fence === fence && existing.session === session) {
      existing.validUntil = sentAt + this.#leaseTtl;
      return existing;
    }
    if (existing !== undefined) existing.held = false;
    const hold = new Hold(session, fence, this.instance, sentAt, this.#leaseTtl);
    this.#holds.set(session.id, hold);
    if (session.token !== '') this.#heldTokens.set(session.token, session);
    return hold;
  }

  /** Forgets this instance's hold on a session (the lease itself is given back by a save, or runs out). */
  #unhold(id: string): void {
    const hold = this.#holds.get(id);
    if (hold === undefined) return;
    this.#holds.delete(id);
    hold.held = false;
    if (this.#heldTokens.get(hold.session.token) === hold.session) this.#heldTokens.delete(hold.session.token);
  }

  /**
   * A hold serves a request without asking Redis only while all of this is true: the lease is surely still
   * this instance's (with a third of its time to spare), Redis answered within the last two ticks (a paused
   * or unreachable Redis turns requests away, not this cache), and the session has not outlived its timeouts.
   */
  #usable(hold: Hold | undefined): hold is Hold {
    if (hold === undefined || !hold.held || hold.session.ended !== null || !this.ready) return false;
    const now = Date.now();
    return now < hold.validUntil - this.#leaseTtl / 3 && now - this.#lastReply < 2 * this.#tick && now < hold.session.deadline;
  }

  /**
   * Saves the session's fields (always with a hold given back; with a kept one when requests ended since the
   * last save) and renews (`keep` > 0) or gives back (`keep` = 0) the lease.
   */
  async #save(session: Session, hold: Hold | null, keep: number): Promise<void> {
    const withFields = keep === 0 || hold === null || hold.dirty;
    if (hold !== null) hold.dirty = false;
    const fields: (string | number)[] = [];
    if (withFields) {
      fields.push('requests', session.requests, 'errors', session.errors, 'bin', session.bytesIn, 'bout', session.bytesOut, 'server', session.server?.name ?? '');
      if (session.user !== null) fields.push('user', session.user);
      for (const [key, ctx] of session.upstream ?? []) fields.push(`up:${key}`, JSON.stringify(ctx.toRecord()));
    }
    const sent = Date.now();
    if (hold !== null) hold.savedAt = sent;
    let r: [number, number, number];
    try {
      r = await this.#redis.sgSave(
        `${this.#p}s:${session.id}`, `${this.#p}lease:${session.id}`, `${this.#p}idx`,
        hold?.value ?? '', hold?.fence ?? 0, session.id, this.#p, keep, session.busy ? 1 : 0,
        Math.max(0, sent - session.lastActivity), ...fields,
      );
    } catch (err) {
      if (hold !== null && withFields && hold.held) hold.dirty = true;
      throw err;
    }
    this.#lastReply = Date.now();
    const [code, version, held] = r;
    if (code === -2) this.#logger.warn({ session: session.id, fence: hold?.fence }, 'session not saved: a newer turn wrote it (this turn had lost its lease)');
    if (code === 1 && withFields) this.#versions.set(session, version);
    if (hold === null || keep === 0) return;
    if (code === -1) {
      this.#unhold(session.id);
      this.#live.delete(session.id);
    } else if (held === 0) {
      if (!hold.held) return;
      if (session.busy) this.#logger.warn({ session: session.id, fence: hold.fence }, 'lost the session lease while a request ran');
      this.#unhold(session.id);
    } else {
      hold.validUntil = sent + this.#leaseTtl;
    }
  }

  /** Gives a hold's lease back now (saving the session), unless it was given up already. */
  async #giveBack(hold: Hold): Promise<void> {
    if (!hold.held) return;
    this.#unhold(hold.session.id);
    await this.#save(hold.session, hold, 0);
  }

  /**
   * Every tick, while this instance holds leases: Redis is pinged (holds are used only while it answers);
   * sessions unused for `lease_linger` are saved and their leases given back; sessions in use are saved
   * (when requests ended since) and their leases renewed every `#saveEvery`.
   */
  #onTick(): void {
    if (this.#holds.size === 0 || !this.ready) return;
    this.#redis.ping().then(() => (this.#lastReply = Date.now()), () => {});
    const now = Date.now();
    // (Deleting from a Map while iterating it is safe: the loop goes on with the next entry.)
    for (const hold of this.#holds.values()) {
      const s = hold.session;
      if (s.ended !== null || now >= hold.validUntil) {
        this.#unhold(s.id);
      } else if (!s.busy && now - hold.lastUse >= this.#linger) {
        this.#giveBack(hold).catch(() => {});
      } else if (now - hold.savedAt >= this.#saveEvery) {
        this.#save(s, hold, this.#leaseTtl).catch(() => {});
      }
    }
  }

  #waitRelease(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(id);
      if (!set) this.#waiters.set(id, (set = new Set()));
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.#waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  #onMessage(channel: string, id: string): void {
    if (channel === `${this.#p}released`) {
      for (const wake of [...(this.#waiters.get(id) ?? [])]) wake();
    } else if (channel === `${this.#p}want`) {
      // Another instance waits for a session this one holds: after its running request, or now when idle.
      const hold = this.#holds.get(id);
      if (hold === undefined) return;
      hold.wanted = true;
      if (!hold.session.busy) this.#giveBack(hold).catch(() => {});
    } else if (channel === `${this.#p}kill`) {
      this.#unhold(id);
      const live = this.#live.get(id);
      this.#live.delete(id);
      live?.end('killed');
      for (const l of this.#listeners) l.killed(id);
    }
  }

  async #sweep(): Promise<void> {
    const stale = Date.now() - 5_000;
    for (const [id, s] of this.#live) if (!s.busy && !this.#holds.has(id) && (this.#seen.get(s) ?? 0) < stale) this.#live.delete(id);
    if (!this.ready || this.#closed) return;
    try {
      const gone = await this.#redis.sgSweep(`${this.#p}idx`, this.#p, 500);
      for (const id of gone) {
        this.#unhold(id);
        const live = this.#live.get(id);
        this.#live.delete(id);
        const session = live ?? new Session({ id, token: '', service: '', mode: 'cookie', address: '', user: null, idleTimeout: 0, absoluteTimeout: 0, maxQueue: 0, queueTimeout: 0, connectionId: null, now: Date.now() });
        session.end('expired');
        for (const l of this.#listeners) l.expired(session);
      }
    } catch {
      // next time
    }
  }

  // ------------------------------------------------------------------------------------------ hydration

  /** The Session object for a record: the live one when this instance has it, refreshed when the record moved on. */
  #hydrate(id: string, h: Hash, token: string): Session {
    const version = Number(h.v ?? 0);
    const live = this.#live.get(id);
    if (live !== undefined && live.ended === null) {
      if ((this.#versions.get(live) ?? -1) < version) this.#apply(live, h, version);
      this.#seen.set(live, Date.now());
      return live;
    }
    const session = new Session({
      id,
      token,
      service: h.service ?? '',
      mode: (h.mode ?? 'cookie') as SessionMode,
      address: h.address ?? '',
      user: h.user ?? null,
      idleTimeout: Number(h.idle ?? 0),
      absoluteTimeout: Number(h.abs ?? 0),
      maxQueue: Number(h.mq ?? 16),
      queueTimeout: Number(h.qt ?? 0),
      connectionId: h.conn !== undefined ? Number(h.conn) : null,
      now: Number(h.created ?? Date.now()),
    });
    if (h.th) this.#tokenHash.set(session, h.th);
    this.#apply(session, h, version);
    // Kept while this instance uses it, so that concurrent requests share one object (and one local queue).
    this.#live.set(id, session);
    this.#seen.set(session, Date.now());
    return session;
  }

  #apply(s: Session, h: Hash, version: number): void {
    s.user = h.user ?? s.user;
    s.lastActivity = Number(h.last ?? s.lastActivity);
    s.requests = Number(h.requests ?? 0);
    s.errors = Number(h.errors ?? 0);
    s.bytesIn = Number(h.bin ?? 0);
    s.bytesOut = Number(h.bout ?? 0);
    s.server = h.server ? (this.#servers.get(h.server) ?? null) : null;
    for (const [field, value] of Object.entries(h)) {
      if (!field.startsWith('up:')) continue;
      const rec = JSON.parse(value) as ContextRecord;
      const server = this.#servers.get(rec.server);
      if (server === undefined) continue;
      (s.upstream ??= new Map()).set(field.slice(3), UpstreamContext.fromRecord(rec, server));
    }
    this.#versions.set(s, version);
  }

  // ------------------------------------------------------------------------------------------ service-scope contexts

  async load(service: string, key: string): Promise<ContextRecord | null> {
    const json = await this.#redis.get(`${this.#p}svc:${service}:${key}`);
    return json === null ? null : (JSON.parse(json) as ContextRecord);
  }

  async save(service: string, key: string, record: ContextRecord): Promise<void> {
    await this.#redis.set(`${this.#p}svc:${service}:${key}`, JSON.stringify(record));
  }

  async lock(service: string, key: string, ttlMs: number): Promise<string | null> {
    const token = randomBytes(9).toString('base64url');
    const ok = await this.#redis.set(`${this.#p}svclock:${service}:${key}`, token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : null;
  }

  async unlock(service: string, key: string, token: string): Promise<void> {
    await this.#redis.sgUnlock(`${this.#p}svclock:${service}:${key}`, token);
  }

  // ------------------------------------------------------------------------------------------ exchange stream

  /** Appends one exchange (public JSON) to the cluster's stream, trimmed to about `maxLen` entries. */
  async appendExchange(json: string, maxLen: number): Promise<void> {
    await this.#redis.xadd(`${this.#p}exchanges`, 'MAXLEN', '~', maxLen, '*', 'i', this.instance, 'x', json);
  }

  /** The newest `count` exchanges of every instance, oldest first, each with the instance that recorded it. */
  async readExchanges(count: number): Promise<{ instance: string; json: string }[]> {
    const rows = (await this.#redis.xrevrange(`${this.#p}exchanges`, '+', '-', 'COUNT', count)) as [string, string[]][];
    return rows.reverse().map(([, f]) => {
      const h = pairs(f);
      return { instance: h.i ?? '', json: h.x ?? '{}' };
    });
  }

  /** Saves the sessions this instance holds and gives their leases back (bounded by the command timeout). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    if (this.#ticker) clearInterval(this.#ticker);
    const holds = [...this.#holds.values()];
    for (const hold of holds) this.#unhold(hold.session.id);
    if (holds.length > 0 && this.ready) {
      const saved = Promise.allSettled(holds.map((h) => this.#save(h.session, h, 0)));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([saved, new Promise((r) => (timer = setTimeout(r, this.#commandTimeout)))]);
      clearTimeout(timer);
    }
    for (const set of this.#waiters.values()) for (const wake of set) wake();
    this.#redis.disconnect();
    this.#sub.disconnect();
  }
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function pairs(flat: string[]): Hash {
  const h: Hash = {};
  for (let i = 0; i < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
  return h;
}
