using ARouter.Limits;
using StackExchange.Redis;

namespace ARouter.Scaling;

/// <summary>
/// The same GCRA as <see cref="GcraRateLimiter"/>, run as one Lua script in Redis so every instance draws
/// from one bucket per key: one timestamp (the theoretical arrival time, in microseconds of Redis's own
/// clock, so instances' clocks do not matter) read, tested and moved atomically. When Redis cannot answer
/// in time the in-process limiter decides instead: limits become per process until Redis is back.
/// </summary>
public sealed class RedisRateLimiter(RedisConnection redis, GcraRateLimiter local) : IRateLimiter
{
    // KEYS[1] the key's TAT; ARGV: emission interval and window, in microseconds.
    // Returns {allowed, tat after the call, now}, times in microseconds since the Unix epoch.
    private const string Script = """
        if redis.replicate_commands then redis.replicate_commands() end
        local emission, window = tonumber(ARGV[1]), tonumber(ARGV[2])
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
        local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
        if tat < now then tat = now end
        local next = tat + emission
        if now < next - window then return {0, tat, now} end
        redis.call('SET', KEYS[1], string.format('%d', next), 'PX', math.ceil((next - now) / 1000) + 1000)
        return {1, next, now}
        """;

    public async ValueTask<RateLimitDecision> AcquireAsync(string keyId, RateLimitPolicy policy, CancellationToken ct)
    {
        if (!redis.IsUsable) return local.Acquire(keyId, policy);
        var window = Math.Max(1, policy.Interval.Ticks / 10);
        var emission = Math.Max(1, window / Math.Max(1, policy.Requests));
        RedisResult[] answer;
        try
        {
            answer = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(Script, [redis.Key("rl:" + keyId)], [emission, window])))!;
        }
        catch (RedisUnavailableException)
        {
            return local.Acquire(keyId, policy);
        }

        var allowed = (long)answer[0] == 1;
        var tat = (long)answer[1];
        var now = (long)answer[2];
        var reset = (long)Math.Ceiling(tat / 1_000_000.0);
        if (!allowed)
        {
            var retry = (int)Math.Ceiling((tat + emission - window - now) / 1_000_000.0);
            return new RateLimitDecision(false, policy.Requests, 0, reset, Math.Max(1, retry));
        }
        var remaining = (int)Math.Min(policy.Requests, (now - (tat - window)) / emission);
        return new RateLimitDecision(true, policy.Requests, remaining, reset, 0);
    }
}
