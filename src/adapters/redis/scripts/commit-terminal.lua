#!lua
--[[
  commit-terminal: writes one terminal's snapshot.

  Input:
    KEYS[1]   terminal snapshot key, a hash { snapshot, seq }

    ARGV[1]   snapshot JSON
    ARGV[2]   seq: stream sequence of the last event applied, decimal
              integer >= 0 (0 = not from the stream: always written)

  Output:
    { 1, seq }        written
    { 0, storedSeq }  stale: the stored seq is higher than ARGV[2] > 0;
                      nothing was written, the stored snapshot is kept

  Errors (nothing written): a malformed argument, or KEYS[1] not a hash.
]]
if #KEYS ~= 1 or #ARGV ~= 2 then
  return redis.error_reply('ERR veto commit-terminal: expected 1 key and 2 arguments, got '
    .. #KEYS .. ' and ' .. #ARGV)
end
local seq = ARGV[2]
if not string.match(seq, '^%d+$') then
  return redis.error_reply('ERR veto commit-terminal: seq must be a non-negative integer, got "' .. seq .. '"')
end

local stored = redis.call('HGET', KEYS[1], 'seq')
local newSeq = tonumber(seq)
if newSeq > 0 and stored then
  local storedSeq = tonumber(stored)
  if storedSeq and storedSeq > newSeq then
    return { 0, stored }
  end
end

redis.call('HSET', KEYS[1], 'snapshot', ARGV[1], 'seq', seq)
return { 1, seq }
