namespace ARouter.Scaling;

/// <summary>
/// The Lua scripts behind <see cref="RedisReservationBook"/>. Each runs atomically in Redis. Per account
/// (all keys share the account's hash tag): KEYS[1] <c>holds</c> (hash: generation id → "amount keyId"),
/// KEYS[2] <c>leases</c> (sorted set: generation id → expiry, ms of Redis's clock), KEYS[3] <c>known</c>
/// (hash: the balance and key usages last read from the database, with a short TTL), KEYS[4] <c>epoch</c>
/// (bumped whenever Redis forgets <c>known</c> because the balance may have risen or a dead instance's
/// charge may be missing from it; a read from the database is accepted only if the epoch did not move meanwhile). Amounts are nano-USD; Lua's numbers are
/// doubles, exact below 2^53 (about 9 million USD), which the caller clamps to.
/// </summary>
internal static class RedisReservationScripts
{
    /// <summary>Drops expired holds. A hold that expired may belong to an instance that died after committing its charge, so the known balance is dropped too.</summary>
    private const string Prelude = """
        if redis.replicate_commands then redis.replicate_commands() end
        local holds, leases, known, epoch = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
        if #expired > 0 then
          for i = 1, #expired do redis.call('HDEL', holds, expired[i]) end
          redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
          redis.call('DEL', known)
          redis.call('INCR', epoch)
        end
        local function sums(skip, keyId)
          local held, keyHeld = 0, 0
          local all = redis.call('HGETALL', holds)
          for i = 1, #all, 2 do
            if all[i] ~= skip then
              local amount, key = string.match(all[i + 1], '^(%d+) (.*)$')
              held = held + tonumber(amount)
              if key == keyId then keyHeld = keyHeld + tonumber(amount) end
            end
          end
          return held, keyHeld
        end
        local function keepAlive(leaseMs)
          redis.call('PEXPIRE', holds, leaseMs * 2)
          redis.call('PEXPIRE', leases, leaseMs * 2)
        end

        """;

    /// <summary>
    /// ARGV: id, amount, keyId, key limit ('' for none), lease ms, epoch seen, fresh balance, fresh key usage, known ms.
    /// Returns {status, available, epoch}: 1 held, 2 short of credit, 3 key limit reached, 0 the balance must be
    /// read from the database (then call again with the epoch returned and what was read).
    /// </summary>
    public const string Hold = Prelude + """
        local id, amount, keyId, limit = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
        local leaseMs, seen, freshBalance, freshUsed, knownMs = tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9])
        local current = tonumber(redis.call('GET', epoch) or '0')
        if freshBalance ~= '' then
          if tonumber(seen) ~= current then return {0, 0, current} end
          local had = redis.call('HGET', known, 'balance')
          if (not had) or tonumber(freshBalance) < tonumber(had) then redis.call('HSET', known, 'balance', freshBalance) end
          if freshUsed ~= '' then redis.call('HSET', known, 'used:' .. keyId, freshUsed) end
          -- Only a new copy gets a lifetime: refreshing it would let a too-low balance (credit added elsewhere) linger.
          if redis.call('PTTL', known) < 0 then redis.call('PEXPIRE', known, knownMs) end
        end
        local balance = redis.call('HGET', known, 'balance')
        if not balance then return {0, 0, current} end
        local used = false
        if limit ~= '' then
          used = redis.call('HGET', known, 'used:' .. keyId)
          if not used then return {0, 0, current} end
        end
        local held, keyHeld = sums('', keyId)
        if used then
          local keyLeft = tonumber(limit) - tonumber(used) - keyHeld
          if keyLeft < amount then return {3, math.max(keyLeft, 0), current} end
        end
        local available = tonumber(balance) - held
        if available < amount then return {2, math.max(available, 0), current} end
        redis.call('HSET', holds, id, ARGV[2] .. ' ' .. keyId)
        redis.call('ZADD', leases, now + leaseMs, id)
        keepAlive(leaseMs)
        return {1, available - amount, current}
        """;

    /// <summary>
    /// ARGV: id, cost, keyId, key limit, lease ms. The hold becomes the charge and stays until the charge is
    /// committed. Returns the charge. A cost within the hold is charged in full: the hold was granted against the
    /// balance. Only what it costs beyond the hold is capped at what the account and the key have left besides the
    /// other holds (nothing beyond when the balance is not known). That room can read low for a moment — a balance
    /// committed by another instance may already include a charge whose hold is still here, until its own commit
    /// message arrives — so it never cuts into the hold itself.
    /// </summary>
    public const string Settle = Prelude + """
        local id, cost, keyId, limit, leaseMs = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
        local mine = redis.call('HGET', holds, id)
        local own = false
        if mine then own = tonumber(string.match(mine, '^(%d+)')) end
        local charge = cost
        local balance = redis.call('HGET', known, 'balance')
        local used = false
        if limit ~= '' then used = redis.call('HGET', known, 'used:' .. keyId) end
        if balance and (limit == '' or used) then
          local held, keyHeld = sums(id, keyId)
          local room = math.max(tonumber(balance) - held, 0)
          if used then room = math.min(room, math.max(tonumber(limit) - tonumber(used) - keyHeld, 0)) end
          if own then room = math.max(room, own) end
          charge = math.min(charge, room)
        elseif own then
          charge = math.min(charge, own)
        end
        charge = math.max(charge, 0)
        redis.call('HSET', holds, id, string.format('%d', charge) .. ' ' .. keyId)
        redis.call('ZADD', leases, now + leaseMs, id)
        keepAlive(leaseMs)
        return charge
        """;

    /// <summary>
    /// ARGV: channel, message (account id and instance), the balance the database left ('' when unknown), '1' to
    /// forget what Redis knows (credit added, or a key whose usage Redis cannot follow), known ms, then the ids whose
    /// charges are committed. A charge only lowers the balance, so the known balance becomes the lower of the two:
    /// whatever order instances' commits arrive in, Redis never believes in more than the database holds.
    /// </summary>
    public const string Committed = Prelude + """
        local after, forget, knownMs = ARGV[3], ARGV[4], tonumber(ARGV[5])
        for i = 6, #ARGV do
          redis.call('HDEL', holds, ARGV[i])
          redis.call('ZREM', leases, ARGV[i])
        end
        if forget == '1' or after == '' then
          redis.call('DEL', known)
          redis.call('INCR', epoch)
        else
          local had = redis.call('HGET', known, 'balance')
          if not had then
            redis.call('HSET', known, 'balance', after)
            redis.call('PEXPIRE', known, knownMs)
          elseif tonumber(after) < tonumber(had) then
            redis.call('HSET', known, 'balance', after)
          end
        end
        redis.call('PUBLISH', ARGV[1], ARGV[2])
        return 1
        """;

    /// <summary>ARGV: the ids to give back.</summary>
    public const string Release = """
        for i = 1, #ARGV do
          redis.call('HDEL', KEYS[1], ARGV[i])
          redis.call('ZREM', KEYS[2], ARGV[i])
        end
        return 1
        """;

    /// <summary>ARGV: lease ms, then the ids still in flight on this instance. Extends only holds that still exist.</summary>
    public const string Renew = Prelude + """
        local leaseMs = tonumber(ARGV[1])
        for i = 2, #ARGV do redis.call('ZADD', leases, 'XX', now + leaseMs, ARGV[i]) end
        keepAlive(leaseMs)
        return 1
        """;
}
