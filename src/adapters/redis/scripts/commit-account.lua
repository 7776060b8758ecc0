#!lua
--[[
  commit-account: writes one account's snapshot and the decisions of this
  commit in one atomic step (all keys share the account's hash tag).

  Input:
    KEYS[1]        account snapshot key, a hash { snapshot, seq }
    KEYS[2..n]     decision keys, one per decision (n - 1 decisions)

    ARGV[1]        snapshot JSON
    ARGV[2]        seq: stream sequence of the last event applied, decimal
                   integer >= 0 (0 = not from the stream: always written)
    ARGV[3]        retention of decision records, seconds (integer > 0)
    ARGV[4..n+2]   decision JSONs: ARGV[i + 2] is the value of KEYS[i]

  Output:
    { 1, seq }        written: snapshot, seq and every decision (with TTL)
    { 0, storedSeq }  stale: the stored seq is higher than ARGV[2] > 0;
                      nothing was written, the stored snapshot is kept

  Errors (nothing written): a malformed argument, or KEYS[1] not a hash.
  Redis 7 rejects the whole script up front when over maxmemory (shebang
  without allow-oom), so an out-of-memory error never leaves a partial write.
]]
local nDecisions = #KEYS - 1
if nDecisions < 0 then
  return redis.error_reply('ERR veto commit-account: the snapshot key is missing')
end
if #ARGV ~= nDecisions + 3 then
  return redis.error_reply('ERR veto commit-account: expected ' .. (nDecisions + 3) .. ' arguments for '
    .. nDecisions .. ' decisions, got ' .. #ARGV)
end
local seq = ARGV[2]
if not string.match(seq, '^%d+$') then
  return redis.error_reply('ERR veto commit-account: seq must be a non-negative integer, got "' .. seq .. '"')
end
local retention = ARGV[3]
if not string.match(retention, '^%d+$') or tonumber(retention) == 0 then
  return redis.error_reply('ERR veto commit-account: retention must be a positive integer, got "' .. retention .. '"')
end

-- Refuse to move seq backwards. HGET fails here, before any write, when KEYS[1] is not a hash
-- (SET below replaces a decision key of any type, so it cannot fail).
local stored = redis.call('HGET', KEYS[1], 'seq')
local newSeq = tonumber(seq)
if newSeq > 0 and stored then
  local storedSeq = tonumber(stored)
  if storedSeq and storedSeq > newSeq then
    return { 0, stored }
  end
end

redis.call('HSET', KEYS[1], 'snapshot', ARGV[1], 'seq', seq)
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 2], 'EX', retention)
end
return { 1, seq }
