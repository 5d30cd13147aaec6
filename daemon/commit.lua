-- cdrwarn commit: one partition step applied atomically, fenced twice: by
-- the owner that claimed the partition last (an instance that lost it to
-- another gets FENCED_OWNER and stops working it) and by the partition's
-- sequence number (a commit that raced another of the same owner gets
-- FENCED and the owner reloads).
-- Every key shares the partition's {hash tag}: one slot on Redis Cluster.
--
-- KEYS[1] meta hash, KEYS[2] outbox hash, then the keys of the ops;
-- ARGV[1] expected seq ("" before the first commit), ARGV[2] the owner's
-- claim, ARGV[3..9] how many ops of each kind, then the ops' arguments.
-- The kinds, in order (keys and arguments each in that order too):
--   states    key; value           SET, no expiry    (subscriber states)
--   expiries  key; epoch ms        PEXPIREAT         (states no later close visits)
--   appends   key; value, epoch ms APPEND, PEXPIREAT (a period's seen list)
--   deletes   key                  DEL
--   meta sets field, value         HSET meta
--   meta dels field                HDEL meta
--   outbox    field, value         HSET outbox       (entries to publish)
-- Each kind but expiries and appends is one command (MSET, DEL, HSET,
-- HDEL): a redis.call costs the script far more than one more key of a call
-- does. A state's expiry runs after the MSET (a SET clears a key's expiry);
-- no other two ops of a step touch the same key or field. Returns the new
-- seq.
local fence = redis.call('HMGET', KEYS[1], 'own', 'seq')
local owner, seq = fence[1], fence[2] or ''
if not owner then
  -- the meta is gone (FLUSHALL, eviction, a restore): the owner reloads and finds out
  return redis.error_reply('NOCLAIM the partition holds no claim; its state may be gone')
end
if owner ~= ARGV[2] then
  return redis.error_reply('FENCED_OWNER the partition was claimed by another instance')
end
if seq ~= ARGV[1] then
  return redis.error_reply('FENCED expected "' .. ARGV[1] .. '" found "' .. seq .. '"')
end

local n_states, n_expiries, n_appends, n_dels = tonumber(ARGV[3]), tonumber(ARGV[4]),
  tonumber(ARGV[5]), tonumber(ARGV[6])
local n_meta_sets, n_meta_dels, n_outbox = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local k, a = 3, 10 -- the next key, the next argument

-- unpack() is bounded by Lua's C stack (8000 values): calls of at most CHUNK
-- arguments, an even number so that pairs stay whole
local CHUNK = 4000
local function call_all(command, key, list, first, count)
  local last_of_all = first + count - 1
  while first <= last_of_all do
    local last = math.min(first + CHUNK - 1, last_of_all)
    if key then
      redis.call(command, key, unpack(list, first, last))
    else
      redis.call(command, unpack(list, first, last))
    end
    first = last + 1
  end
end

if n_states > 0 then
  local key_values = {}
  for j = 1, n_states do
    key_values[2 * j - 1] = KEYS[k]
    key_values[2 * j] = ARGV[a]
    k, a = k + 1, a + 1
  end
  call_all('MSET', nil, key_values, 1, 2 * n_states)
end
for _ = 1, n_expiries do
  redis.call('PEXPIREAT', KEYS[k], ARGV[a])
  k, a = k + 1, a + 1
end
for _ = 1, n_appends do
  redis.call('APPEND', KEYS[k], ARGV[a])
  redis.call('PEXPIREAT', KEYS[k], ARGV[a + 1])
  k, a = k + 1, a + 2
end
call_all('DEL', nil, KEYS, k, n_dels)
call_all('HSET', KEYS[1], ARGV, a, 2 * n_meta_sets)
a = a + 2 * n_meta_sets
call_all('HDEL', KEYS[1], ARGV, a, n_meta_dels)
a = a + n_meta_dels
call_all('HSET', KEYS[2], ARGV, a, 2 * n_outbox)
return redis.call('HINCRBY', KEYS[1], 'seq', 1)
