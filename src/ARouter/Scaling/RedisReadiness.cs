using ARouter.Endpoints;

namespace ARouter.Scaling;

/// <summary>Redis answers a PING within the operation timeout.</summary>
public sealed class RedisReadiness(RedisConnection redis) : IReadinessCheck
{
    public string Name => "redis";

    public Task<bool> IsReadyAsync(CancellationToken ct) => redis.PingAsync();
}
