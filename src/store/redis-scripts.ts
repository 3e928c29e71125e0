/**
 * The Redis store's Lua scripts. Each runs atomically in Redis and reads the time from Redis (`TIME`), so
 * expiry has one clock and one authority: a record's TTL and its score in the expiry index are always set
 * together, from the same instant.
 *
 * Keys (P = key prefix): P s:ID (session hash), P t:TOKENHASH (-> ID), P idx (ZSET ID -> expiry ms),
 * P u:USER (SET of IDs, kept as long as its longest-lived session), P lease:ID (the request turn:
 * INSTANCE:FENCE), P fence:ID (fencing counter: lives as long as the session, deleted when it is removed,
 * swept or found expired), P seq.
 * P wait:ID (an instance waits for the turn: the next release is published).
 * Channels: P want (an instance waits for a session whose lease another holds: ID), P released (a lease was
 * given back while someone waited: ID), P kill (a session was killed: ID).
 */

const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * TTL a session gets now: its idle timeout counted from its last activity `ago` ms before now, cut by its
 * absolute timeout; at least `floor`.
 */
const TTL = `
local function ttlOf(key, now, ago, floor)
  local f = redis.call('HMGET', key, 'idle', 'abs', 'created')
  local ttl = tonumber(f[1]) - ago
  local abs = tonumber(f[2] or '0')
  if abs and abs > 0 then ttl = math.min(ttl, tonumber(f[3]) + abs - now) end
  if floor and ttl < floor then ttl = floor end
  return ttl
end`;

/** The lease is taken: the session (and its token) must outlive it. */
const OUTLIVE = `
local function outlive(s, prefix, idx, id, now, lease)
  if redis.call('PTTL', s) >= lease then return end
  redis.call('PEXPIRE', s, lease)
  local th = redis.call('HGET', s, 'th')
  if th then redis.call('PEXPIRE', prefix .. 't:' .. th, lease) end
  redis.call('ZADD', idx, now + lease, id)
end`;

/**
 * A new session, with the lease of its first request already taken by the instance that made it.
 * KEYS: seq, t, idx, u (or '') ; ARGV: prefix, instance, lease ttl, field/value pairs... -> {id, now, fence}
 */
export const CREATE = `${NOW}${TTL}${OUTLIVE}
local id = tostring(redis.call('INCR', KEYS[1]))
local s = ARGV[1] .. 's:' .. id
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', s, 'created', now, 'last', now, 'v', 1, unpack(fields))
local ttl = ttlOf(s, now, 0)
redis.call('PEXPIRE', s, ttl)
redis.call('SET', KEYS[2], id, 'PX', ttl)
redis.call('ZADD', KEYS[3], now + ttl, id)
if KEYS[4] ~= '' then
  redis.call('SADD', KEYS[4], id)
  if redis.call('PTTL', KEYS[4]) < ttl then redis.call('PEXPIRE', KEYS[4], ttl) end
end
local fence = redis.call('INCR', ARGV[1] .. 'fence:' .. id)
local lease = tonumber(ARGV[3])
redis.call('SET', ARGV[1] .. 'lease:' .. id, ARGV[2] .. ':' .. fence, 'PX', lease)
outlive(s, ARGV[1], KEYS[3], id, now, lease)
return {id, now, fence}`;

/** KEYS: t ; ARGV: prefix -> {id, hash...} or false */
export const LOOKUP = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
local h = redis.call('HGETALL', ARGV[1] .. 's:' .. id)
if #h == 0 then return false end
return {id, h}`;

/**
 * KEYS: lease, fence, s, idx ; ARGV: instance, lease ttl, id, prefix, the record version the caller holds,
 * the lease value the caller may still hold ('' for none)
 * -> {fence} taken (the caller's copy is current), {fence, version, hash} taken and the record moved on,
 *    {0, pttl} held elsewhere (its holder is asked to give it back; the release will be published),
 *    {-1} the session is gone
 */
export const ACQUIRE = `${NOW}${OUTLIVE}
if redis.call('EXISTS', KEYS[3]) == 0 then return {-1} end
local lease = tonumber(ARGV[2])
local current = redis.call('GET', KEYS[1])
local fence
if current and current == ARGV[6] then
  -- The caller's own lease, still there: renewed, the same turn goes on.
  fence = tonumber(string.match(current, ':(%d+)$'))
  redis.call('PEXPIRE', KEYS[1], lease)
elseif current then
  redis.call('SET', ARGV[4] .. 'wait:' .. ARGV[3], 1, 'PX', math.max(lease, 1000))
  redis.call('PUBLISH', ARGV[4] .. 'want', ARGV[3])
  return {0, redis.call('PTTL', KEYS[1])}
else
  fence = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence, 'PX', lease)
end
-- A session with a request running must outlive the request: keep it at least as long as the turn.
outlive(KEYS[3], ARGV[4], KEYS[4], ARGV[3], now, lease)
-- The turn starts from the current record: send it along when the caller's copy is older.
local v = tonumber(redis.call('HGET', KEYS[3], 'v') or '0')
if v > tonumber(ARGV[5]) then return {fence, v, redis.call('HGETALL', KEYS[3])} end
return {fence}`;

/**
 * Saves a session's fields (when given) and restarts its idle time from its last activity; renews the
 * caller's lease (keep > 0) or gives it back (keep = 0).
 * KEYS: s, lease, idx ; ARGV: lease value ('' without a turn), fence, id, prefix, keep (ms), busy (1: a
 * request runs: the session must outlive the lease), ago (ms since the last activity), field/value pairs...
 * -> {code, version, held}: code 1 saved, -1 the session is gone (killed or expired), -2 a newer turn wrote
 *    it (this one was stale); held 1 when the caller's lease was (and, with keep > 0, still is) its own.
 */
export const SAVE = `${NOW}${TTL}${OUTLIVE}
local held = ARGV[1] ~= '' and redis.call('GET', KEYS[2]) == ARGV[1]
local keep = tonumber(ARGV[5])
local released = false
if held then
  if keep > 0 then redis.call('PEXPIRE', KEYS[2], keep) else
    redis.call('DEL', KEYS[2])
    released = true
  end
end
local function done(code, v)
  -- Only a release somebody waits for is published: the common case (nobody waits) costs no message.
  if released and redis.call('DEL', ARGV[4] .. 'wait:' .. ARGV[3]) == 1 then redis.call('PUBLISH', ARGV[4] .. 'released', ARGV[3]) end
  return {code, v or 0, held and 1 or 0}
end
if redis.call('EXISTS', KEYS[1]) == 0 then return done(-1) end
local fence = tonumber(ARGV[2])
local stored = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if fence > 0 and fence < stored then return done(-2) end
local ago = tonumber(ARGV[7])
local fields = {}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
if #fields > 0 then
  redis.call('HSET', KEYS[1], 'last', now - ago, unpack(fields))
  if fence > 0 then redis.call('HSET', KEYS[1], 'fence', fence) end
  redis.call('HINCRBY', KEYS[1], 'v', 1)
end
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
local ttl = ttlOf(KEYS[1], now, ago)
local th = redis.call('HGET', KEYS[1], 'th')
local busy = held and keep > 0 and ARGV[6] == '1'
if ttl <= 0 and not busy then
  redis.call('DEL', KEYS[1], ARGV[4] .. 'fence:' .. ARGV[3])
  if th then redis.call('DEL', ARGV[4] .. 't:' .. th) end
  redis.call('ZREM', KEYS[3], ARGV[3])
  return done(-1, v)
end
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  if th then redis.call('PEXPIRE', ARGV[4] .. 't:' .. th, ttl) end
  redis.call('ZADD', KEYS[3], now + ttl, ARGV[3])
end
if busy then outlive(KEYS[1], ARGV[4], KEYS[3], ARGV[3], now, keep) end
-- The user's set of ids lives as long as the longest-lived of its sessions: expired ids do not pile up.
local user = redis.call('HGET', KEYS[1], 'user')
if user then
  local ukey = ARGV[4] .. 'u:' .. user
  if redis.call('PTTL', ukey) < ttl then redis.call('PEXPIRE', ukey, ttl) end
end
return done(1, v)`;

/** KEYS: s, idx, lease ; ARGV: id, prefix, channel suffix -> 1 removed, 0 not there */
export const REMOVE = `
local f = redis.call('HMGET', KEYS[1], 'th', 'user')
local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', ARGV[2] .. 'fence:' .. ARGV[1])
if f[1] then redis.call('DEL', ARGV[2] .. 't:' .. f[1]) end
if f[2] then redis.call('SREM', ARGV[2] .. 'u:' .. f[2], ARGV[1]) end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
redis.call('PUBLISH', ARGV[2] .. ARGV[3], ARGV[1])
return existed`;

/** Sessions whose time is up. KEYS: idx ; ARGV: prefix, limit -> expired ids (removed from the index) */
export const SWEEP = `${NOW}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local gone = {}
for _, id in ipairs(ids) do
  local pttl = redis.call('PTTL', ARGV[1] .. 's:' .. id)
  if pttl > 0 then
    redis.call('ZADD', KEYS[1], now + pttl, id)
  else
    redis.call('ZREM', KEYS[1], id)
    redis.call('DEL', ARGV[1] .. 'fence:' .. id)
    gone[#gone + 1] = id
  end
end
return gone`;

/** KEYS: idx ; ARGV: start, count -> {total, ids...} of the live sessions, oldest expiry first */
export const PAGE = `${NOW}
local total = redis.call('ZCOUNT', KEYS[1], now, '+inf')
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf', 'LIMIT', tonumber(ARGV[1]), tonumber(ARGV[2]))
table.insert(ids, 1, total)
return ids`;
