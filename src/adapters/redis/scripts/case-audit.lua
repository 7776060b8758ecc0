#!lua
--[[
  case-audit: appends one entry to the audit trail and to its target's trail,
  newest at the head, each capped (oldest entries dropped). Both keys share
  the `{audit}` hash tag.

  Input:
    KEYS[1]   the whole trail, a list (newest first)
    KEYS[2]   the target's trail, a list (newest first)

    ARGV[1]   audit entry JSON
    ARGV[2]   entries kept in KEYS[1], integer > 0
    ARGV[3]   entries kept in KEYS[2], integer > 0

  Output:
    the length of KEYS[1] after the append (at most ARGV[2])

  Errors (nothing written): a malformed argument, or a key that is not a list.
]]
if #KEYS ~= 2 or #ARGV ~= 3 then
  return redis.error_reply('ERR veto case-audit: expected 2 keys and 3 arguments, got ' .. #KEYS .. ' and ' .. #ARGV)
end
local cap, targetCap = ARGV[2], ARGV[3]
if not string.match(cap, '^%d+$') or tonumber(cap) == 0 or not string.match(targetCap, '^%d+$') or tonumber(targetCap) == 0 then
  return redis.error_reply('ERR veto case-audit: caps must be positive integers, got "' .. cap .. '" and "' .. targetCap .. '"')
end
-- LLEN fails before any write when a key is not a list.
redis.call('LLEN', KEYS[1])
redis.call('LLEN', KEYS[2])

redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(cap) - 1)
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(targetCap) - 1)
return redis.call('LLEN', KEYS[1])
