"""The Lua scripts RedisStore runs: each is one atomic step in Redis."""

from __future__ import annotations

# KEYS: seq, buffer (zset seq→id), messages (hash id→json), ages (zset ts→id),
#       posted (hash idempotency key→"id:seq"), posted_at (zset ts→idempotency key),
#       then one key per rate bucket to take a token from, then one per check
# ARGV: stored json, envelope json, channel, id, now, max count, max age, idem ttl, floor,
#       idempotency key, max idempotency keys, bucket count, then per bucket: the value
#       the snapshot read ("" for none), the new value, its ttl in ms; then the check
#       count and per check: a hash field ("" for a plain key), the value read ("" none)
# Returns {1, "id:seq"} (posted), {0, "id:seq"} (a repeated idempotency key: first, so
# a resend takes no token), or {-1, ""}: a bucket or a checked value moved since the
# snapshot, nothing done.
POST = """
local now = tonumber(ARGV[5])
local idem_ttl = tonumber(ARGV[8])
local seen = redis.call('HGET', KEYS[5], ARGV[10])
if seen then
  local at = redis.call('ZSCORE', KEYS[6], ARGV[10])
  if at and tonumber(at) > now - idem_ttl then return {0, seen} end
end
local buckets = tonumber(ARGV[12] or '0')
for i = 1, buckets do
  local seen = redis.call('GET', KEYS[6 + i]) or ''
  if seen ~= ARGV[10 + 3 * i] then return {-1, ''} end
end
-- The rest of what the send decided on (its membership, the room's runtime, the
-- mutes), each as it was read: a hash field, or '' for a plain key, and its value.
local checks = 13 + 3 * buckets
for j = 1, tonumber(ARGV[checks] or '0') do
  local key, field = KEYS[6 + buckets + j], ARGV[checks + 2 * j - 1]
  local now_held
  if field == '' then now_held = redis.call('GET', key)
  else now_held = redis.call('HGET', key, field) end
  if (now_held or '') ~= ARGV[checks + 2 * j] then return {-1, ''} end
end
for i = 1, buckets do
  redis.call('SET', KEYS[6 + i], ARGV[11 + 3 * i], 'PX', ARGV[12 + 3 * i])
end
local seq = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[9])
if seq <= floor then
  seq = floor + 1
  redis.call('SET', KEYS[1], seq)
end
local s = tostring(seq)
local stored = (string.gsub(ARGV[1], '"__SEQ__"', s, 1))
-- The envelope holds the seq twice (its header, then the packet sockets get).
local envelope = (string.gsub(ARGV[2], '"__SEQ__"', s, 2))
redis.call('HSET', KEYS[3], ARGV[4], stored)
redis.call('ZADD', KEYS[2], seq, ARGV[4])
redis.call('ZADD', KEYS[4], now, ARGV[4])
local function drop(ids)
  if #ids > 0 then
    redis.call('HDEL', KEYS[3], unpack(ids))
    redis.call('ZREM', KEYS[2], unpack(ids))
    redis.call('ZREM', KEYS[4], unpack(ids))
  end
end
drop(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. tostring(now - tonumber(ARGV[7]))))
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[6])
if extra > 0 then drop(redis.call('ZRANGE', KEYS[2], 0, extra - 1)) end
local answer = ARGV[4] .. ':' .. s
-- Idempotency keys of one room, oldest first: lapsed ones and any beyond the cap
-- leave as new ones arrive (a bounded batch per post), so the room's keys stay
-- bounded by configuration, not by how much was said.
redis.call('HSET', KEYS[5], ARGV[10], answer)
redis.call('ZADD', KEYS[6], now, ARGV[10])
local function forget(keys)
  if #keys > 0 then
    redis.call('HDEL', KEYS[5], unpack(keys))
    redis.call('ZREM', KEYS[6], unpack(keys))
  end
end
forget(redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', '(' .. tostring(now - idem_ttl),
                  'LIMIT', 0, 128))
local over = redis.call('ZCARD', KEYS[6]) - tonumber(ARGV[11])
if over > 0 then forget(redis.call('ZRANGE', KEYS[6], 0, over - 1)) end
-- An idle room's buffer disappears on its own: nothing said outlives the buffer.
for i = 2, 4 do redis.call('EXPIRE', KEYS[i], tonumber(ARGV[7]) + 60) end
for i = 5, 6 do redis.call('EXPIRE', KEYS[i], idem_ttl + 60) end
redis.call('PUBLISH', ARGV[3], envelope)
return {1, answer}
"""

# Raise a counter to at least a floor (seq after Redis came back empty).
RAISE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return redis.call('GET', KEYS[1])
"""

# A facilitator's cut-off only moves forward, and lives as long as the longest token
# it covers. Value "not_before,expires_at". ARGV: not_before, expires_at, ttl ms.
NOT_BEFORE = """
local cut, untl = tonumber(ARGV[1]), tonumber(ARGV[2])
local old = redis.call('GET', KEYS[1])
local ttl = tonumber(ARGV[3])
if old then
  local c, u = string.match(old, '([^,]+),([^,]+)')
  if tonumber(c) > cut then cut = tonumber(c); ARGV[1] = c end
  if tonumber(u) > untl then untl = tonumber(u); ARGV[2] = u end
  local left = redis.call('PTTL', KEYS[1])
  if left > ttl then ttl = left end
end
redis.call('SET', KEYS[1], ARGV[1] .. ',' .. ARGV[2], 'PX', ttl)
return 1
"""

# KEYS: rate buckets to take one token from each, all or none
# ARGV: now, epsilon, then per bucket: burst, interval in seconds, ttl in ms
# Returns "0" (taken) or the seconds to wait (nothing stored), as text: Lua would cut
# a number to an integer. The arithmetic is moderation.ratelimit.consume's, step for
# step (tests/server/store/test_take_tokens.py holds the two equal): a key that many
# events share at once (an address) must not make them retry each other, as a
# compare-and-swap would.
TAKE = """
local now, eps = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait, new = 0, {}
for i = 1, #KEYS do
  local burst, interval = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
  local tokens, at = burst, now
  local raw = redis.call('GET', KEYS[i])
  if raw then
    local ok, state = pcall(cjson.decode, raw)
    if ok and type(state) == 'table' and tonumber(state[1]) and tonumber(state[2]) then
      tokens, at = tonumber(state[1]), tonumber(state[2])
    end
  end
  tokens = math.min(burst, tokens + math.max(0, now - at) / interval)
  at = math.max(at, now)
  if tokens + eps >= 1 then
    new[i] = string.format('[%.17g,%.17g]', math.max(0, tokens - 1), at)
  else
    wait = math.max(wait, (1 - tokens) * interval)
  end
end
if wait > 0 then return string.format('%.17g', wait) end
for i = 1, #KEYS do redis.call('SET', KEYS[i], new[i], 'PX', ARGV[3 * i + 2]) end
return '0'
"""

# KEYS: held (hash id → held message json)
# ARGV: id, json, now, max count, max age in seconds
# Returns "0" (held) or, when the room already holds max count messages that have not
# lapsed, the seconds until its oldest does (at least 0.1), as text (Lua would cut a
# number to an integer); nothing is stored then. A full room refuses the new message
# rather than drop an earlier one: that is another member's words, waiting for staff,
# and its writer would never hear it was lost. Only lapsed entries (staff no longer see
# them) and unreadable ones are dropped, and the entries are read only when it is full.
HOLD = """
local now, most, age = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if redis.call('HLEN', KEYS[1]) >= most then
  local entries = redis.call('HGETALL', KEYS[1])
  local lapsed, left, oldest = {}, 0, nil
  for i = 1, #entries, 2 do
    local ok, held = pcall(cjson.decode, entries[i + 1])
    local ts = ok and type(held) == 'table' and tonumber(held.ts)
    if ts and ts >= now - age then
      left = left + 1
      if not oldest or ts < oldest then oldest = ts end
    else
      lapsed[#lapsed + 1] = entries[i]
    end
  end
  -- In slices: unpack has a limit on how many values it spreads.
  for i = 1, #lapsed, 1000 do
    redis.call('HDEL', KEYS[1], unpack(lapsed, i, math.min(i + 999, #lapsed)))
  end
  if left >= most then
    return string.format('%.17g', math.max(0.1, oldest + age - now))
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return '0'
"""

# KEYS: the limits to swap (a login's address bucket and account backoff)
# ARGV: per key, the value the read saw ("" for none), the new value ("" to forget),
#       its ttl in ms
# Returns 1 (stored) or 0: a limit moved since the read, nothing was done.
SWAP = """
for i = 1, #KEYS do
  local seen = redis.call('GET', KEYS[i]) or ''
  if seen ~= ARGV[3 * i - 2] then return 0 end
end
for i = 1, #KEYS do
  if ARGV[3 * i - 1] == '' then
    redis.call('DEL', KEYS[i])
  else
    redis.call('SET', KEYS[i], ARGV[3 * i - 1], 'PX', ARGV[3 * i])
  end
end
return 1
"""


# A member's keys (`addressed_as` in its JSON) no longer count in the room's hash of
# key → how many members go by it.
_UNCOUNT = """
local function uncount(raw)
  local ok, member = pcall(cjson.decode, raw)
  if not ok or type(member) ~= 'table' or type(member.addressed_as) ~= 'table' then
    return
  end
  for _, key in ipairs(member.addressed_as) do
    if redis.call('HINCRBY', KEYS[2], key, -1) <= 0 then redis.call('HDEL', KEYS[2], key) end
  end
end
"""

# KEYS: members (hash id → json), addressed (hash key → count), the member's revocation
# ARGV: member id, member json, "1" to store only over a membership still there and
#       held by the same process, then the member's keys
# Returns 1 (stored) or 0: revoked, or (with the flag) gone or moved; nothing done.
PUT_MEMBER = _UNCOUNT + """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[3] == '1' then
  if not old then return 0 end
  local ok, held = pcall(cjson.decode, old)
  if not ok or type(held) ~= 'table' or held.process ~= cjson.decode(ARGV[2]).process then
    return 0
  end
end
if old then uncount(old) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 4, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
return 1
"""

# KEYS: members, addressed. ARGV: member id, the process that must hold it ("": any).
# Returns the member's json, or false (not there, or held by another process).
# The room's last member leaving takes the counts with it, so whatever they might have
# drifted by (a member removed by a process of a version before the counts) ends there.
REMOVE_MEMBER = _UNCOUNT + """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return false end
if (ARGV[2] or '') ~= '' then
  local ok, member = pcall(cjson.decode, old)
  if not ok or type(member) ~= 'table' or member.process ~= ARGV[2] then return false end
end
redis.call('HDEL', KEYS[1], ARGV[1])
uncount(old)
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) end
return old
"""
