-- cdrwarn commit: one partition step applied atomically, fenced by the
-- partition's sequence number so that only the current owner of the
-- partition can write (a stale owner after a rebalance gets FENCED).
-- Every key shares the partition's {hash tag}: one slot on Redis Cluster.
--
-- KEYS[1] meta hash, KEYS[2] outbox hash, KEYS[3..] keys named by the ops
-- ARGV[1] expected seq ("" before the first commit), ARGV[2..] ops:
--   S k v t   SET KEYS[k] = v, expiring at epoch ms t   (subscriber state)
--   A k v t   APPEND v to KEYS[k], expiring at t         (week's seen list)
--   D k       DEL KEYS[k]
--   M f v     HSET meta f v
--   X f       HDEL meta f
--   O f v     HSET outbox f v                            (alert to publish)
-- Returns the new seq.
local seq = redis.call('HGET', KEYS[1], 'seq') or ''
if seq ~= ARGV[1] then
  return redis.error_reply('FENCED expected "' .. ARGV[1] .. '" found "' .. seq .. '"')
end
local i, n = 2, #ARGV
while i <= n do
  local op = ARGV[i]
  if op == 'S' then
    redis.call('SET', KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2], 'PXAT', ARGV[i + 3])
    i = i + 4
  elseif op == 'A' then
    local key = KEYS[tonumber(ARGV[i + 1])]
    redis.call('APPEND', key, ARGV[i + 2])
    redis.call('PEXPIREAT', key, ARGV[i + 3])
    i = i + 4
  elseif op == 'D' then
    redis.call('DEL', KEYS[tonumber(ARGV[i + 1])])
    i = i + 2
  elseif op == 'M' then
    redis.call('HSET', KEYS[1], ARGV[i + 1], ARGV[i + 2])
    i = i + 3
  elseif op == 'X' then
    redis.call('HDEL', KEYS[1], ARGV[i + 1])
    i = i + 2
  elseif op == 'O' then
    redis.call('HSET', KEYS[2], ARGV[i + 1], ARGV[i + 2])
    i = i + 3
  else
    return redis.error_reply('BADOP ' .. tostring(op))
  end
end
return redis.call('HINCRBY', KEYS[1], 'seq', 1)
