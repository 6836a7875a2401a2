using System.Collections.Concurrent;

namespace ARouter.Limits;

/// <summary>
/// The generic cell rate algorithm (GCRA), the token bucket expressed as one timestamp per key: the
/// "theoretical arrival time" (TAT) at which the bucket would be full again. A request is allowed when
/// it does not push TAT more than one interval past now. One long per key, no timers, exact
/// Remaining/Reset/Retry-After, and the same arithmetic works as a Redis Lua script.
/// </summary>
public sealed class GcraRateLimiter(TimeProvider clock) : IRateLimiter
{
    private readonly ConcurrentDictionary<string, StrongBox> _state = new(StringComparer.Ordinal);

    public ValueTask<RateLimitDecision> AcquireAsync(string keyId, RateLimitPolicy policy, CancellationToken ct) => new(Acquire(keyId, policy));

    public RateLimitDecision Acquire(string keyId, RateLimitPolicy policy)
    {
        var now = clock.GetUtcNow().UtcTicks;
        var interval = policy.Interval.Ticks;
        var emission = Math.Max(1, interval / Math.Max(1, policy.Requests));
        var box = _state.GetOrAdd(keyId, static _ => new StrongBox());
        lock (box)
        {
            var tat = Math.Max(box.Tat, now);
            var newTat = tat + emission;
            var allowAt = newTat - interval;
            if (now < allowAt)
            {
                // Denied: TAT stays, so a caller that keeps hammering does not push its own reset further out.
                return new RateLimitDecision(false, policy.Requests, 0, ToUnixSeconds(tat), (int)Math.Ceiling((allowAt - now) / (double)TimeSpan.TicksPerSecond));
            }
            box.Tat = newTat;
            var remaining = (int)Math.Min(policy.Requests, (now - allowAt) / emission);
            return new RateLimitDecision(true, policy.Requests, remaining, ToUnixSeconds(newTat), 0);
        }
    }

    internal static long ToUnixSeconds(long utcTicks) => (long)Math.Ceiling((utcTicks - DateTime.UnixEpoch.Ticks) / (double)TimeSpan.TicksPerSecond);

    private sealed class StrongBox
    {
        public long Tat;
    }
}
