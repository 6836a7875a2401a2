namespace ARouter.Limits;

/// <summary>
/// Decides whether a key may make one more request. The in-process <see cref="GcraRateLimiter"/> serves
/// one instance; <c>Scaling/RedisRateLimiter</c> runs the same arithmetic in Redis for many, without
/// touching endpoints.
/// </summary>
public interface IRateLimiter
{
    ValueTask<RateLimitDecision> AcquireAsync(string keyId, RateLimitPolicy policy, CancellationToken ct);
}
