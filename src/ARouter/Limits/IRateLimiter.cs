namespace ARouter.Limits;

/// <summary>
/// Decides whether a key may make one more request. The in-process <see cref="GcraRateLimiter"/> serves
/// one instance; a shared implementation (Redis) can replace it for many without touching endpoints.
/// </summary>
public interface IRateLimiter
{
    RateLimitDecision Acquire(string keyId, RateLimitPolicy policy);
}
