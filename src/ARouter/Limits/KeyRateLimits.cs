using ARouter.Storage;
using Microsoft.Extensions.Options;

namespace ARouter.Limits;

/// <summary>Picks the policy for a key (its own rate limit, else the configured default) and asks the limiter.</summary>
public sealed class KeyRateLimits(IRateLimiter limiter, IOptions<RateLimitOptions> options)
{
    public ValueTask<RateLimitDecision> AcquireAsync(ApiKeyRecord key, CancellationToken ct) => limiter.AcquireAsync(key.Id, PolicyFor(key), ct);

    public RateLimitPolicy PolicyFor(ApiKeyRecord key)
        => key.RateLimitRequests is { } requests && key.RateLimitIntervalSeconds is { } seconds
            ? new RateLimitPolicy(requests, TimeSpan.FromSeconds(seconds))
            : new RateLimitPolicy(options.Value.DefaultRequests, TimeSpan.FromSeconds(options.Value.DefaultIntervalSeconds));
}
