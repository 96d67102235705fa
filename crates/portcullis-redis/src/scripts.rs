//! The Lua scripts. Each touches exactly one key (`KEYS[1]`), so each runs on
//! one cluster slot, and each does integer comparisons only: the decisions
//! themselves are the core's pure functions, run by the client.

/// Compare-and-swap of one key. ARGV: the value expected, the value to write
/// (empty: delete), the TTL in milliseconds, and `'1'` when a value is
/// expected (`'0'`: the key must be absent). Returns `{1, 0, ''}` when
/// written; on a concurrent change `{0, present, current}` (present `1` or
/// `0`), so the caller decides again without another read.
pub(crate) const CAS: &str = r"
local current = redis.call('GET', KEYS[1])
if (ARGV[4] == '0' and current) or (ARGV[4] == '1' and current ~= ARGV[1]) then
  if current then return {0, 1, current} end
  return {0, 0, ''}
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return {1, 0, ''}
";

/// The single-use consume of a refresh token id. ARGV: keep-until (Unix
/// seconds). Returns 0 when this call consumed it, 1 when it was consumed
/// before, 2 when it is revoked.
pub(crate) const CONSUME: &str = r"
local j = redis.call('GET', KEYS[1])
if j == 'c' then return 1 end
if j then return 2 end
redis.call('SET', KEYS[1], 'c', 'EXAT', ARGV[1])
return 0
";

/// Records a revocation, keeping the later expiry and (`ARGV[3] == '1'`) the
/// larger numeric value (a user cutoff in Unix microseconds, below 2^53 so
/// Lua compares it exactly). ARGV: value, keep-until (Unix seconds), numeric.
/// A consumed token id (`'c'`) revoked later becomes `'r'`.
pub(crate) const REVOKE: &str = r"
local value = ARGV[1]
if ARGV[3] == '1' then
  local old = redis.call('GET', KEYS[1])
  if old and tonumber(old) > tonumber(value) then value = old end
end
local keep = tonumber(ARGV[2])
local old_keep = redis.call('EXPIRETIME', KEYS[1])
if old_keep > keep then keep = old_keep end
redis.call('SET', KEYS[1], value, 'EXAT', keep)
return 1
";
