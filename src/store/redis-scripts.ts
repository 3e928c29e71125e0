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
 * Channels: P released (a turn was given back while someone waited: ID), P kill (a session was killed: ID).
 */

const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** TTL a session gets now: its idle timeout, cut by its absolute timeout; at least `floor`. */
const TTL = `
local function ttlOf(key, now, floor)
  local f = redis.call('HMGET', key, 'idle', 'abs', 'created')
  local ttl = tonumber(f[1])
  local abs = tonumber(f[2] or '0')
  if abs and abs > 0 then ttl = math.min(ttl, tonumber(f[3]) + abs - now) end
  if floor and ttl < floor then ttl = floor end
  return ttl
end`;

/** KEYS: s, t, idx, u (or '') ; ARGV: id, field/value pairs... -> now */
export const CREATE = `${NOW}${TTL}
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'created', now, 'last', now, 'v', 1, unpack(fields))
local ttl = ttlOf(KEYS[1], now)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[3], now + ttl, ARGV[1])
if KEYS[4] ~= '' then
  redis.call('SADD', KEYS[4], ARGV[1])
  if redis.call('PTTL', KEYS[4]) < ttl then redis.call('PEXPIRE', KEYS[4], ttl) end
end
return now`;

/** KEYS: t ; ARGV: prefix -> {id, hash...} or false */
export const LOOKUP = `
local id = redis.call('GET', KEYS[1])
if not id then return false end
local h = redis.call('HGETALL', ARGV[1] .. 's:' .. id)
if #h == 0 then return false end
return {id, h}`;

/**
 * KEYS: lease, fence, s, idx ; ARGV: instance, lease ttl, id, prefix, the record version the caller holds
 * -> {fence} taken (the caller's copy is current), {fence, version, hash} taken and the record moved on,
 *    {0, pttl} busy elsewhere (the next release will be published), {-1} the session is gone
 */
export const ACQUIRE = `${NOW}
if redis.call('EXISTS', KEYS[3]) == 0 then return {-1} end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SET', ARGV[4] .. 'wait:' .. ARGV[3], 1, 'PX', math.max(tonumber(ARGV[2]), 1000))
  return {0, redis.call('PTTL', KEYS[1])}
end
local fence = redis.call('INCR', KEYS[2])
local lease = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence, 'PX', lease)
-- A session with a request running must outlive the request: keep it at least as long as the turn.
if redis.call('PTTL', KEYS[3]) < lease then
  redis.call('PEXPIRE', KEYS[3], lease)
  local th = redis.call('HGET', KEYS[3], 'th')
  if th then redis.call('PEXPIRE', ARGV[4] .. 't:' .. th, lease) end
  redis.call('ZADD', KEYS[4], now + lease, ARGV[3])
end
-- The turn starts from the current record: send it along when the caller's copy is older.
local v = tonumber(redis.call('HGET', KEYS[3], 'v') or '0')
if v > tonumber(ARGV[5]) then return {fence, v, redis.call('HGETALL', KEYS[3])} end
return {fence}`;

/** KEYS: lease, s, idx ; ARGV: lease value, lease ttl, id, prefix -> 1 renewed, 0 lost */
export const RENEW = `${NOW}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local lease = tonumber(ARGV[2])
redis.call('PEXPIRE', KEYS[1], lease)
if redis.call('PTTL', KEYS[2]) < lease then
  redis.call('PEXPIRE', KEYS[2], lease)
  local th = redis.call('HGET', KEYS[2], 'th')
  if th then redis.call('PEXPIRE', ARGV[4] .. 't:' .. th, lease) end
  redis.call('ZADD', KEYS[3], now + lease, ARGV[3])
end
return 1`;

/**
 * The end of a request: saves the session's fields, restarts its idle time, gives the turn back.
 * KEYS: s, lease, idx ; ARGV: lease value ('' without a turn), fence, id, prefix, field/value pairs...
 * -> 1 saved, -1 the session is gone (killed or expired), -2 a newer turn wrote it (this one was stale)
 */
export const SAVE = `${NOW}${TTL}
local released = false
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  released = true
end
local function done(code)
  -- Only a release somebody waits for is published: the common case (nobody waits) costs no message.
  if released and redis.call('DEL', ARGV[4] .. 'wait:' .. ARGV[3]) == 1 then redis.call('PUBLISH', ARGV[4] .. 'released', ARGV[3]) end
  return code
end
if redis.call('EXISTS', KEYS[1]) == 0 then return done(-1) end
local fence = tonumber(ARGV[2])
local stored = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if fence > 0 and fence < stored then return done(-2) end
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
if fence > 0 then redis.call('HSET', KEYS[1], 'fence', fence) end
redis.call('HSET', KEYS[1], 'last', now)
redis.call('HINCRBY', KEYS[1], 'v', 1)
local ttl = ttlOf(KEYS[1], now)
local th = redis.call('HGET', KEYS[1], 'th')
if ttl <= 0 then
  redis.call('DEL', KEYS[1], ARGV[4] .. 'fence:' .. ARGV[3])
  if th then redis.call('DEL', ARGV[4] .. 't:' .. th) end
  redis.call('ZREM', KEYS[3], ARGV[3])
  return done(-1)
end
redis.call('PEXPIRE', KEYS[1], ttl)
if th then redis.call('PEXPIRE', ARGV[4] .. 't:' .. th, ttl) end
redis.call('ZADD', KEYS[3], now + ttl, ARGV[3])
-- The user's set of ids lives as long as the longest-lived of its sessions: expired ids do not pile up.
local user = redis.call('HGET', KEYS[1], 'user')
if user then
  local ukey = ARGV[4] .. 'u:' .. user
  if redis.call('PTTL', ukey) < ttl then redis.call('PEXPIRE', ukey, ttl) end
end
return done(1)`;

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
