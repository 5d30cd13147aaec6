-- cdrwarn commit: one partition step applied atomically, fenced twice: by
-- the owner that claimed the partition last (an instance that lost it to
-- another gets FENCED_OWNER and stops working it) and by the partition's
-- sequence number (a commit that raced another of the same owner gets
-- FENCED and the owner reloads).
-- Every key shares the partition's {hash tag}: one slot on Redis Cluster.
--
-- KEYS[1] meta hash, KEYS[2] outbox hash, KEYS[3..] keys named by the ops
-- ARGV[1] expected seq ("" before the first commit), ARGV[2] the owner's
-- claim, ARGV[3..] ops:
--   S k v t   SET KEYS[k] = v, expiring at epoch ms t   (subscriber state)
--   A k v t   APPEND v to KEYS[k], expiring at t         (week's seen list)
--   D k       DEL KEYS[k]
--   M f v     HSET meta f v
--   X f       HDEL meta f
--   O f v     HSET outbox f v                            (alert to publish)
-- Returns the new seq.
local owner = redis.call('HGET', KEYS[1], 'own') or ''
if owner ~= ARGV[2] then
  return redis.error_reply('FENCED_OWNER the partition was claimed by another instance')
end
local seq = redis.call('HGET', KEYS[1], 'seq') or ''
if seq ~= ARGV[1] then
  return redis.error_reply('FENCED expected "' .. ARGV[1] .. '" found "' .. seq .. '"')
end
local i, n = 3, #ARGV
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
