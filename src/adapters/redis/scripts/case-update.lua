#!lua
--[[
  case-update: compare-and-set of one case. Writes the new record only if the
  stored version equals the expected one, and moves the case between the
  indexes (removes its old members, adds the new ones), all in one atomic
  step. Two updates expecting the same version: exactly one writes.

  Input:
    KEYS[1..10]  as in case-open: the case hash, by-score open/assigned/resolved/all,
                 by-time open/assigned/resolved/all, by-resolution

    ARGV[1]      new case record JSON
    ARGV[2]      expected (stored) version, decimal integer >= 0
    ARGV[3]      new version, decimal integer >= 0 (the new record's)
    ARGV[4]      new status: open | assigned | resolved
    ARGV[5]      new by-score member
    ARGV[6]      new by-time member
    ARGV[7]      new by-resolution member, or '' unless the new status is resolved

  Output:
    1    written
    0    conflict: the stored version differs; nothing written
    -1   no such case; nothing written

  Errors (nothing written): a malformed argument; "corrupt" when the stored
  hash lacks a valid version or status, or KEYS[1] is not a hash.
]]
if #KEYS ~= 10 or #ARGV ~= 7 then
  return redis.error_reply('ERR veto case-update: expected 10 keys and 7 arguments, got ' .. #KEYS .. ' and ' .. #ARGV)
end
local STATUS = { open = 0, assigned = 1, resolved = 2 }
local expected, version, status, scoreKey, timeKey, resolvedKey = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if not string.match(expected, '^%d+$') or not string.match(version, '^%d+$') then
  return redis.error_reply('ERR veto case-update: versions must be non-negative integers, got "'
    .. expected .. '" and "' .. version .. '"')
end
local s = STATUS[status]
if s == nil then
  return redis.error_reply('ERR veto case-update: invalid status "' .. status .. '"')
end
if scoreKey == '' or timeKey == '' or ((status == 'resolved') ~= (resolvedKey ~= '')) then
  return redis.error_reply('ERR veto case-update: missing or unexpected index members')
end

local stored = redis.call('HMGET', KEYS[1], 'version', 'status', 'score_key', 'time_key', 'resolved_key')
if not stored[1] then
  if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.error_reply('ERR veto case-update: corrupt case ' .. KEYS[1] .. ': no version')
  end
  return -1
end
local storedVersion = tonumber(stored[1])
local old = STATUS[stored[2] or '']
if storedVersion == nil or old == nil or not stored[3] or not stored[4] then
  return redis.error_reply('ERR veto case-update: corrupt case ' .. KEYS[1] .. ': bad version, status or index members')
end
if storedVersion ~= tonumber(expected) then
  return 0
end

redis.call('ZREM', KEYS[2 + old], stored[3])
redis.call('ZREM', KEYS[5], stored[3])
redis.call('ZREM', KEYS[6 + old], stored[4])
redis.call('ZREM', KEYS[9], stored[4])
if stored[5] and stored[5] ~= '' then
  redis.call('ZREM', KEYS[10], stored[5])
end

redis.call('HSET', KEYS[1], 'json', ARGV[1], 'version', version, 'status', status,
  'score_key', scoreKey, 'time_key', timeKey, 'resolved_key', resolvedKey)
redis.call('ZADD', KEYS[2 + s], 0, scoreKey)
redis.call('ZADD', KEYS[5], 0, scoreKey)
redis.call('ZADD', KEYS[6 + s], 0, timeKey)
redis.call('ZADD', KEYS[9], 0, timeKey)
if resolvedKey ~= '' then
  redis.call('ZADD', KEYS[10], 0, resolvedKey)
end
return 1
