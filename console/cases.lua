-- The console's case store (SPEC section 12), one script with one operation
-- per call (ARGV[1]), so that de-duplication, escalation, the indexes and the
-- report counters change together or not at all. KEYS[1] is the base of every
-- key, "<key_prefix>{console}": one hash tag, so on Redis Cluster all of the
-- console's keys live in one slot and this script stays legal there.
--
-- A case comes back from every operation as {its hash's fields and values,
-- its history entries}.
--
-- Keys under the base:
--   :case:<id>   hash  the case: m msisdn, w week, l level (1 blue..3 red),
--                      t tier, rt risk tier, tr triggers (JSON), tn ",names,",
--                      ac actions (JSON), st state, ow owner, oc outcome,
--                      rs reason, al alert ids (space-separated), ca/ua
--                      created/updated (ms), ts the last raising alert's time,
--                      v version, ed/se/ce dates, h churned within the
--                      horizon, cn churn (JSON), nn notes; a monthly case
--                      (a score record's, SPEC section 14) also has k "m",
--                      w its month (YYYY-MM), tr its items, al its score ids,
--                      sc score, th threshold, pc/vc potential churner and
--                      value churn ("1"/"0"), ew the week of its month's last
--                      day (what a churn is measured against)
--   :hist:<id>   list  history entries, JSON {"at","by","what"[,"note"]}
--   :sub:<sid>   hash  the subscriber's cases by week and by month,
--                      o:<outcome_id> seen, cw/cl/cn: the churn week, the
--                      horizon's first week, churn
--   :rep:<week>  hash  report counters (see count below); :rep:<month> for
--                      the month's monthly cases
--   :weeks       zset  weeks with cases (score 0, lexical order)
--   :months      zset  months with monthly cases
--   :z:all :z:open :z:closed :z:st:<state> :z:own:<user>   zsets of case ids,
--                      score level * 1e13 + ts: red first, then newest
local base = KEYS[1]
local op = ARGV[1]
local TRIGGER_ORDER = {'complaints', 'fwd_rival', 'rival_service', 'plan_downgrade',
                       'contract_expiry', 'spend_drop', 'usage_drop'}
local SNAP = {'l', 'ts', 'st', 'ow', 'oc', 'rs', 'h', 'w'}
local LEVELS = {'blue', 'yellow', 'red'}

local function snapshot(key)
  local v = redis.call('HMGET', key, unpack(SNAP))
  if not v[1] then return nil end
  local c = {}
  for i, f in ipairs(SNAP) do c[f] = v[i] or '' end
  return c
end

local function score_of(c)
  return string.format('%.0f', tonumber(c.l) * 1e13 + (tonumber(c.ts) or 0))
end

local function zsets(c)
  local t = {['z:all'] = true}
  if c.st == 'closed' then t['z:closed'] = true
  else t['z:open'] = true; t['z:st:' .. c.st] = true end
  if c.ow ~= '' then t['z:own:' .. c.ow] = true end
  return t
end

local function reindex(id, old, new)
  local keep = zsets(new)
  if old then
    for k in pairs(zsets(old)) do
      if not keep[k] then redis.call('ZREM', base .. ':' .. k, id) end
    end
  end
  local score = score_of(new)
  for k in pairs(keep) do redis.call('ZADD', base .. ':' .. k, score, id) end
end

-- A case's contribution to its week's report counters.
local function contributions(c, sign, into)
  local function add(f) into[f] = (into[f] or 0) + sign end
  add('n:' .. c.l)
  local closed = c.st == 'closed' and c.oc ~= ''
  if closed then
    add('o:' .. c.l .. ':' .. c.oc)
    if c.rs ~= '' then add('r:' .. c.oc .. ':' .. c.rs) end
  end
  if c.h == '1' then add('h:' .. c.l) end
  if c.ow ~= '' then
    add('a:' .. c.ow .. ':n')
    if closed then add('a:' .. c.ow .. ':o:' .. c.oc) end
    if c.h == '1' then add('a:' .. c.ow .. ':h') end
  end
end

local function recount(old, new)
  if old and old.w ~= new.w then return end -- a case never changes week
  local d = {}
  if old then contributions(old, -1, d) end
  contributions(new, 1, d)
  local rk = base .. ':rep:' .. new.w
  for f, n in pairs(d) do
    if n ~= 0 then redis.call('HINCRBY', rk, f, n) end
  end
end

local function history(id, at, by, what, note)
  local e = '{"at":' .. at .. ',"by":' .. cjson.encode(by) .. ',"what":' .. cjson.encode(what)
  if note and note ~= '' then e = e .. ',"note":' .. cjson.encode(note) end
  redis.call('RPUSH', base .. ':hist:' .. id, e .. '}')
end

local function names_of(triggers)
  local n = {}
  for _, t in ipairs(triggers) do n[#n + 1] = t.name end
  return n
end

local function merge_triggers(old_json, new_json)
  local old, new = cjson.decode(old_json), cjson.decode(new_json)
  local by = {}
  local extra = {}
  for _, t in ipairs(old) do by[t.name] = t; extra[#extra + 1] = t.name end
  for _, t in ipairs(new) do
    if not by[t.name] then extra[#extra + 1] = t.name end
    by[t.name] = t
  end
  local out, seen, added = {}, {}, {}
  local was = {}
  for _, t in ipairs(old) do was[t.name] = true end
  for _, name in ipairs(TRIGGER_ORDER) do
    if by[name] then out[#out + 1] = by[name]; seen[name] = true end
  end
  for _, name in ipairs(extra) do
    if not seen[name] then out[#out + 1] = by[name]; seen[name] = true end
  end
  for _, t in ipairs(new) do
    if not was[t.name] then added[#added + 1] = t.name end
  end
  return out, added
end

local function merge_actions(old_json, new_json)
  local out, seen = {}, {}
  for _, list in ipairs({cjson.decode(new_json), cjson.decode(old_json)}) do
    for _, a in ipairs(list) do
      if not seen[a] then out[#out + 1] = a; seen[a] = true end
    end
  end
  if #out == 0 then return '[]' end
  return cjson.encode(out)
end

local function trigger_names_field(list)
  return ',' .. table.concat(list, ',') .. ','
end

-- The subscriber's churn, if any: an alert arriving after its outcome (the
-- two topics are not ordered together) still lands on a closed case.
local function churn_of(sub)
  local v = redis.call('HMGET', sub, 'cw', 'cl', 'cn')
  if not v[1] then return nil end
  return {week = v[1], low = v[2], json = v[3]}
end

local function apply_alert(now, a)
  local id, sid, alert_id = a[1], a[2], a[3]
  local key = base .. ':case:' .. id
  local al = redis.call('HGET', key, 'al')
  if not al then
    local c = {l = a[5], ts = a[12], st = 'new', ow = '', oc = '', rs = '', h = '0', w = a[6]}
    local sub = base .. ':sub:' .. sid
    local churn = churn_of(sub)
    local triggers = cjson.decode(a[13])
    redis.call('HSET', key, 'id', id, 'm', a[4], 'w', a[6], 'l', a[5], 't', a[7], 'rt', a[8],
      'se', a[9], 'ce', a[10], 'ed', a[11], 'ts', a[12], 'tr', a[13],
      'tn', trigger_names_field(names_of(triggers)), 'ac', a[14], 'st', 'new', 'ow', '',
      'oc', '', 'rs', '', 'al', alert_id, 'ca', now, 'ua', now, 'v', 1, 'h', '0', 'nn', 0)
    local names = names_of(triggers)
    local opened = 'opened: ' .. LEVELS[tonumber(a[5])] .. ' alert'
    if #names > 0 then opened = opened .. ' (' .. table.concat(names, ', ') .. ')' end
    history(id, now, 'cdrwarn', opened)
    redis.call('HSET', sub, a[6], id)
    redis.call('ZADD', base .. ':weeks', 0, a[6])
    if churn and a[6] <= churn.week then
      c.st = 'closed'; c.oc = 'churned'
      if a[6] >= churn.low then c.h = '1' end
      redis.call('HSET', key, 'st', 'closed', 'oc', 'churned', 'h', c.h, 'cn', churn.json)
      history(id, now, 'cdrwarn', 'closed: churned (the subscriber had left already)')
    end
    reindex(id, nil, c)
    recount(nil, c)
    return 'new', id
  end
  if string.find(' ' .. al .. ' ', ' ' .. alert_id .. ' ', 1, true) then
    return 'duplicate', id
  end
  local old = snapshot(key)
  local cur = redis.call('HMGET', key, 'tr', 'ac')
  local merged, added = merge_triggers(cur[1], a[13])
  local new = {}
  for k, v in pairs(old) do new[k] = v end
  local raised = tonumber(a[5]) > tonumber(old.l)
  if raised then new.l = a[5] end
  new.ts = a[12]
  local tr = '[]'
  if #merged > 0 then tr = cjson.encode(merged) end
  redis.call('HSET', key, 'l', new.l, 'ts', new.ts, 'tr', tr,
    'tn', trigger_names_field(names_of(merged)), 'ac', merge_actions(cur[2], a[14]),
    'al', al .. ' ' .. alert_id, 't', a[7], 'rt', a[8], 'se', a[9], 'ce', a[10],
    'ed', a[11], 'ua', now)
  redis.call('HINCRBY', key, 'v', 1)
  local what
  if raised then what = 'raised to ' .. LEVELS[tonumber(new.l)] else what = 'new evidence' end
  if #added > 0 then what = what .. ' (+' .. table.concat(added, ', +') .. ')' end
  history(id, now, 'cdrwarn', what)
  reindex(id, old, new)
  recount(old, new)
  return 'raised', id
end

-- A score record (SPEC section 14) opens the monthly case of (subscriber,
-- month); the same record again changes nothing. Another record for the
-- month (a new score id: never sent by the daemon, which scores a month
-- once) takes its figures.
local function apply_score(now, a)
  local id, sid, score_id = a[1], a[2], a[3]
  local key = base .. ':case:' .. id
  local items = cjson.decode(a[11])
  local names = names_of(items)
  local what = 'score ' .. a[12] .. ' of ' .. a[13]
  if a[14] == '1' then what = what .. ', a potential churner' end
  if a[15] == '1' then what = what .. ', value churn' end
  if #names > 0 then what = what .. ' (' .. table.concat(names, ', ') .. ')' end
  local al = redis.call('HGET', key, 'al')
  if al then
    if string.find(' ' .. al .. ' ', ' ' .. score_id .. ' ', 1, true) then
      return 'duplicate', id
    end
    local old = snapshot(key)
    local new = {}
    for k, v in pairs(old) do new[k] = v end
    if tonumber(a[5]) > tonumber(old.l) then new.l = a[5] end
    new.ts = a[10]
    redis.call('HSET', key, 'l', new.l, 'ts', new.ts, 'tr', a[11],
      'tn', trigger_names_field(names), 'sc', a[12], 'th', a[13], 'pc', a[14], 'vc', a[15],
      't', a[7], 'rt', a[8], 'ed', a[9], 'al', al .. ' ' .. score_id, 'ua', now)
    redis.call('HINCRBY', key, 'v', 1)
    history(id, now, 'cdrwarn', 'new ' .. what)
    reindex(id, old, new)
    recount(old, new)
    return 'raised', id
  end
  local c = {l = a[5], ts = a[10], st = 'new', ow = '', oc = '', rs = '', h = '0', w = a[6]}
  local sub = base .. ':sub:' .. sid
  local churn = churn_of(sub)
  redis.call('HSET', key, 'id', id, 'k', 'm', 'm', a[4], 'w', a[6], 'l', a[5], 't', a[7],
    'rt', a[8], 'se', '', 'ce', '', 'ed', a[9], 'ts', a[10], 'tr', a[11],
    'tn', trigger_names_field(names), 'ac', '[]', 'st', 'new', 'ow', '', 'oc', '', 'rs', '',
    'al', score_id, 'ca', now, 'ua', now, 'v', 1, 'h', '0', 'nn', 0, 'sc', a[12], 'th', a[13],
    'pc', a[14], 'vc', a[15], 'ew', a[16])
  history(id, now, 'cdrwarn', 'opened: monthly ' .. what)
  redis.call('HSET', sub, a[6], id)
  redis.call('ZADD', base .. ':months', 0, a[6])
  if churn and a[16] <= churn.week then
    c.st = 'closed'; c.oc = 'churned'
    if a[16] >= churn.low then c.h = '1' end
    redis.call('HSET', key, 'st', 'closed', 'oc', 'churned', 'h', c.h, 'cn', churn.json)
    history(id, now, 'cdrwarn', 'closed: churned (the subscriber had left already)')
  end
  reindex(id, nil, c)
  recount(nil, c)
  return 'new', id
end

-- A case as every operation returns it: {hash fields, history entries}.
local function case_fields(id)
  return {redis.call('HGETALL', base .. ':case:' .. id),
          redis.call('LRANGE', base .. ':hist:' .. id, 0, -1)}
end

-- Applies a batch of `width` values per record (ARGV: now, count, then the
-- records) with `apply`; returns {new, raised, duplicate, each changed case...}.
local function apply_batch(width, apply)
  local now, n = ARGV[2], tonumber(ARGV[3])
  local counts = {new = 0, raised = 0, duplicate = 0}
  local changed, order = {}, {}
  for i = 0, n - 1 do
    local a = {}
    for k = 1, width do a[k] = ARGV[3 + i * width + k] end
    local result, id = apply(now, a)
    counts[result] = counts[result] + 1
    if result ~= 'duplicate' and not changed[id] then
      changed[id] = true; order[#order + 1] = id
    end
  end
  local out = {counts.new, counts.raised, counts.duplicate}
  for _, id in ipairs(order) do out[#out + 1] = case_fields(id) end
  return out
end

if op == 'alerts' then
  -- ARGV: now, count, then 14 values per alert: case id, subscriber id,
  -- alert_id, msisdn, level, week, tier, risk_tier, subsidy_end,
  -- contract_end, eval_date, emitted_at, triggers, actions.
  return apply_batch(14, apply_alert)
elseif op == 'scores' then
  -- ARGV: now, count, then 16 values per score record: case id, subscriber
  -- id, score_id, msisdn, level, month, tier, risk_tier, eval_date,
  -- emitted_at, items, score, threshold, potential churner ("1"/"0"),
  -- value churn ("1"/"0"), the week of the month's last day.
  return apply_batch(16, apply_score)
elseif op == 'outcome' then
  -- ARGV: now, subscriber id, outcome_id, churn week, first week of the
  -- horizon, churn JSON, history line. Closes the subscriber's open cases up
  -- to the churn week as churned and marks those within the horizon; a
  -- monthly case counts as of the week of its month's last day (SPEC
  -- section 14: a score record is a hit when the churn falls in the weeks
  -- from that one to the horizon's end).
  -- Returns {applied (0 when a duplicate), each changed case...}.
  local now, sid, oid, cw, cl, cn, what = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6],
    ARGV[7], ARGV[8]
  local sub = base .. ':sub:' .. sid
  if redis.call('HSETNX', sub, 'o:' .. oid, 1) == 0 then return {0} end
  redis.call('HSET', sub, 'cw', cw, 'cl', cl, 'cn', cn)
  local out = {1}
  local all = redis.call('HGETALL', sub)
  for i = 1, #all, 2 do
    local period, id = all[i], all[i + 1]
    local week
    if string.match(period, '^%d%d%d%d%-W%d%d$') then
      week = period
    elseif string.match(period, '^%d%d%d%d%-%d%d$') then
      week = redis.call('HGET', base .. ':case:' .. id, 'ew')
    end
    if week and week <= cw then
      local key = base .. ':case:' .. id
      local old = snapshot(key)
      if old then
        local new = {}
        for k, v in pairs(old) do new[k] = v end
        if week >= cl then new.h = '1' end
        if new.st ~= 'closed' then new.st = 'closed'; new.oc = 'churned' end
        if new.h ~= old.h or new.st ~= old.st then
          redis.call('HSET', key, 'st', new.st, 'oc', new.oc, 'h', new.h, 'cn', cn, 'ua', now)
          redis.call('HINCRBY', key, 'v', 1)
          if new.st ~= old.st then history(id, now, 'cdrwarn', what)
          else history(id, now, 'cdrwarn', 'the subscriber left: ' .. what) end
          reindex(id, old, new)
          recount(old, new)
          out[#out + 1] = case_fields(id)
        end
      end
    end
  end
  return out
elseif op == 'get' then
  -- ARGV: case id. Returns the case (its fields empty when there is none).
  return case_fields(ARGV[2])
elseif op == 'update' then
  -- ARGV: now, case id, expected version, state, owner, outcome, reason,
  -- history entry (JSON), 1 when it carries a note. Returns {'ok', case},
  -- {'conflict'} when the version moved, {'missing'}.
  local now, id, v = ARGV[2], ARGV[3], ARGV[4]
  local key = base .. ':case:' .. id
  local old = snapshot(key)
  if not old then return {'missing'} end
  if redis.call('HGET', key, 'v') ~= v then return {'conflict'} end
  local new = {}
  for k, val in pairs(old) do new[k] = val end
  new.st, new.ow, new.oc, new.rs = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
  redis.call('HSET', key, 'st', new.st, 'ow', new.ow, 'oc', new.oc, 'rs', new.rs, 'ua', now)
  redis.call('HINCRBY', key, 'v', 1)
  if ARGV[10] == '1' then redis.call('HINCRBY', key, 'nn', 1) end
  redis.call('RPUSH', base .. ':hist:' .. id, ARGV[9])
  reindex(id, old, new)
  recount(old, new)
  return {'ok', case_fields(id)}
elseif op == 'list' then
  -- ARGV: index (z:open, z:st:new, z:own:<user> ...), min score, max score,
  -- cursor id ('' for the first page), cursor score, limit, most entries to
  -- scan, then filters ('' for none): state, owner, tier, trigger, week (a
  -- monthly case's month), kind (weekly, monthly).
  -- Returns {next id or '', next score, each case...}.
  local zkey = base .. ':' .. ARGV[2]
  local min, max = tonumber(ARGV[3]), ARGV[4]
  local cid, cscore = ARGV[5], ARGV[6]
  local limit, max_scan = tonumber(ARGV[7]), tonumber(ARGV[8])
  local f_state, f_owner, f_tier, f_trigger, f_week, f_kind = ARGV[9], ARGV[10], ARGV[11],
    ARGV[12], ARGV[13], ARGV[14] or ''
  local want_monthly = f_kind == 'monthly'
  local start
  if cid ~= '' then
    local r = redis.call('ZREVRANK', zkey, cid)
    if r then start = r + 1
    else start = redis.call('ZCOUNT', zkey, cscore, '+inf') end
  else
    start = redis.call('ZCOUNT', zkey, '(' .. max, '+inf')
  end
  local out = {'', ''}
  local scanned, found = 0, 0
  local filtered = f_state ~= '' or f_owner ~= '' or f_tier ~= '' or f_trigger ~= '' or
    f_week ~= '' or f_kind ~= ''
  local chunk = 200
  while true do
    local items = redis.call('ZREVRANGE', zkey, start, start + chunk - 1, 'WITHSCORES')
    if #items == 0 then return out end
    for i = 1, #items, 2 do
      local id, score = items[i], tonumber(items[i + 1])
      if score < min then return out end
      scanned = scanned + 1
      local ok = true
      if filtered then
        local f = redis.call('HMGET', base .. ':case:' .. id, 'st', 'ow', 't', 'tn', 'w', 'k')
        if f_state ~= '' and f[1] ~= f_state and
          not (f_state == 'open' and f[1] ~= 'closed') then ok = false
        elseif f_owner ~= '' and f[2] ~= f_owner then ok = false
        elseif f_tier ~= '' and f[3] ~= f_tier then ok = false
        elseif f_trigger ~= '' and not string.find(f[4] or '', ',' .. f_trigger .. ',', 1, true)
          then ok = false
        elseif f_week ~= '' and f[5] ~= f_week then ok = false
        elseif f_kind ~= '' and (f[6] == 'm') ~= want_monthly then ok = false end
      end
      if ok then
        out[#out + 1] = case_fields(id)
        found = found + 1
      end
      if found >= limit or scanned >= max_scan then
        -- more may follow: the cursor is this entry
        local pos = start + (i + 1) / 2
        local nx = redis.call('ZREVRANGE', zkey, pos, pos, 'WITHSCORES')
        if nx[1] and tonumber(nx[2]) >= min then
          out[1] = id; out[2] = items[i + 1]
        end
        return out
      end
    end
    start = start + #items / 2
  end
end
return redis.error_reply('cases.lua: unknown operation ' .. tostring(op))
