#!lua
--[[
  case-open: creates a case unless one with this id exists (idempotent by id),
  and adds it to the indexes of its status. All keys share the `{cases}` hash
  tag (one cluster slot). Index sorted sets hold members with score 0 only,
  ordered by the member bytes (ZRANGE ... BYLEX): see src/adapters/case-store.ts.

  Input:
    KEYS[1]      case key, a hash { json, version, status, score_key, time_key, resolved_key }
    KEYS[2..4]   by-score index of the statuses open, assigned, resolved
    KEYS[5]      by-score index of all cases
    KEYS[6..8]   by-time index of the statuses open, assigned, resolved
    KEYS[9]      by-time index of all cases
    KEYS[10]     by-resolution index (resolved cases only)

    ARGV[1]      case record JSON
    ARGV[2]      version, decimal integer >= 0 (the record's)
    ARGV[3]      status: open | assigned | resolved
    ARGV[4]      by-score member of the case
    ARGV[5]      by-time member of the case
    ARGV[6]      by-resolution member, or '' unless the status is resolved

  Output:
    1   created: the hash written and the members added
    0   a case with this id exists: nothing written

  Errors (nothing written): a malformed argument.
]]
if #KEYS ~= 10 or #ARGV ~= 6 then
  return redis.error_reply('ERR veto case-open: expected 10 keys and 6 arguments, got ' .. #KEYS .. ' and ' .. #ARGV)
end
local STATUS = { open = 0, assigned = 1, resolved = 2 }
local version, status, scoreKey, timeKey, resolvedKey = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if not string.match(version, '^%d+$') then
  return redis.error_reply('ERR veto case-open: version must be a non-negative integer, got "' .. version .. '"')
end
local s = STATUS[status]
if s == nil then
  return redis.error_reply('ERR veto case-open: invalid status "' .. status .. '"')
end
if scoreKey == '' or timeKey == '' or ((status == 'resolved') ~= (resolvedKey ~= '')) then
  return redis.error_reply('ERR veto case-open: missing or unexpected index members')
end

if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
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
