/**
 * The Lua scripts of the send path. Redis runs a script without interleaving, so the checks
 * and writes of one send are one atomic step across every node. Keys always come in KEYS
 * (never built in Lua), which keeps the scripts valid on a Redis Cluster when the keys share
 * a hash tag.
 */

/**
 * The fixed-window budget (rate-limiter-flexible's counter format): INCR, a window TTL set by
 * the first hit, refused over the limit. `key`, `limit`, `window` are Lua expressions.
 */
const budgetStep = (key: string, limit: string, window: string): string => `
    local used = redis.call('INCR', ${key})
    local left = redis.call('PTTL', ${key})
    if left < 0 then
      redis.call('PEXPIRE', ${key}, ${window})
      left = tonumber(${window})
    end
    if used > tonumber(${limit}) then return {'limited', left} end`;

/**
 * One send. Everything before the budget has no side effect, so a send that must first seed
 * the counter or reload its membership cache retries for free; a refused send claims nothing.
 *
 * KEYS: version, claim, seq, [budget], [handoff], [sender's presence], [recipient's presence]
 * ARGV: 1 expected version, 2 budget limit, 3 budget window ms, 4 claim ttl ms, 5 message id,
 *       6 mode ('send' | 'retry'), 7 has budget key ('1'|'0'), 8 has hand-off key ('1'|'0'),
 *       9 now in ms (the presence clock; '' without presence keys), 10 has the sender's
 *       presence key ('1'|'0'), 11 has the recipient's ('1'|'0'),
 *       12.. hand-off entry fields (name, value, ...; the
 *       message id under 'm' is replaced by the claimed one on a resend)
 * Presence sets (sorted sets connection → expiry, @chat/presence), on one Redis only (they live
 * in other slots), each saving a round trip:
 * - the sender's is counted for the direct-message fan-out, which must know whether the sender
 *   has devices on other nodes; 'ok' and 'resent' then carry that count as a third element;
 * - the recipient's, for a direct message: a recipient with a live connection gets the message
 *   live and needs no offline hand-off, so no entry is added (the worker would find the
 *   recipient online and drop it: the same check, done before the insert instead of ~50 ms
 *   after it, without the stream write, the worker's read, ack and presence check).
 * Returns one of:
 * - {'stale', version}: the caller's membership cache is older than `version` ('' = none yet);
 * - {'seed'}: the counter is missing (Redis lost it or it expired): seed it from MongoDB;
 * - {'limited', ms}: the budget is spent for `ms` more;
 * - {'resent', '<seq>:<messageId>'}: this (sender, clientMsgId) already took that seq;
 * - {'ok', seq}: a new seq, claimed for this (sender, clientMsgId).
 *
 * 'retry' (the insert hit the seq index: the counter was behind MongoDB and has been raised)
 * skips the claim check and the budget, and moves the claim to the fresh seq.
 */
export const SEND_LUA = `
local version = redis.call('GET', KEYS[1])
if version ~= ARGV[1] then return {'stale', version or ''} end
local retry = ARGV[6] == 'retry'
local claimed = false
if not retry then claimed = redis.call('GET', KEYS[2]) end
if not claimed and redis.call('EXISTS', KEYS[3]) == 0 then return {'seed'} end
local nextKey = 4
if ARGV[7] == '1' then
  if not retry then${budgetStep('KEYS[4]', 'ARGV[2]', 'ARGV[3]')}
  end
  nextKey = 5
end
local handoffKey = nextKey
if ARGV[8] == '1' then nextKey = nextKey + 1 end
local function live(key) return redis.call('ZCOUNT', key, '(' .. ARGV[9], '+inf') end
local devices = nil
if ARGV[10] == '1' then
  devices = live(KEYS[nextKey])
  nextKey = nextKey + 1
end
local recipientOnline = ARGV[11] == '1' and live(KEYS[nextKey]) > 0
if ARGV[8] == '1' and not retry and not recipientOnline then
  local fields = {unpack(ARGV, 12)}
  if claimed then
    -- A resend hands off the message its first attempt stored under the claimed id.
    for i = 1, #fields - 1, 2 do
      if fields[i] == 'm' then fields[i + 1] = string.match(claimed, ':(.*)$') end
    end
  end
  redis.call('XADD', KEYS[handoffKey], '*', unpack(fields))
end
if claimed then return {'resent', claimed, devices} end
-- INCR keeps the counter's TTL: it expires a fixed time after it was seeded, however busy the
-- conversation, and is seeded again from MongoDB (one read) instead of refreshed on every send.
local seq = redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[2], seq .. ':' .. ARGV[5], 'PX', ARGV[4])
return {'ok', seq, devices}
`;

/**
 * The budget alone, for a Redis Cluster: the user's budget key and the conversation's keys
 * live in different slots, so there the budget is spent first (SEND_LUA then runs without
 * it). KEYS: budget. ARGV: 1 limit, 2 window ms. Returns {'ok'} or {'limited', ms}.
 */
export const BUDGET_LUA = `${budgetStep('KEYS[1]', 'ARGV[1]', 'ARGV[2]')}
return {'ok'}
`;

/**
 * The membership version, created when missing. A node reads it before it reads the members
 * from MongoDB, so a change that lands between the two reads shows as a newer version.
 * KEYS: version. ARGV: 1 fresh token (used when missing), 2 ttl ms. Returns the version.
 */
export const VERSION_LUA = `
local version = redis.call('GET', KEYS[1])
if version then return version end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
`;

/**
 * Moves the counter up to at least ARGV[1] (never down): seeding a missing counter from
 * MongoDB, or catching up with MongoDB after Redis came back from an older snapshot.
 * KEYS: seq. ARGV: 1 floor, 2 ttl ms. Returns the counter.
 */
export const RAISE_LUA = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local floor = tonumber(ARGV[1])
if current < floor then
  redis.call('SET', KEYS[1], floor, 'PX', ARGV[2])
  return floor
end
return current
`;

/**
 * The next seq of a conversation for a message that is not a user's send (a system message,
 * docs/PROTOCOL.md#section-7): the same counter as SEND_LUA, without the claim, the budget or the hand-off.
 * KEYS: seq. Returns the seq, or -1 when the counter is missing (seed it from MongoDB first,
 * exactly as for a send).
 */
export const NEXT_SEQ_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('INCR', KEYS[1])
`;
