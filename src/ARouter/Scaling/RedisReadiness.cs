using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ARouter.Scaling;

/// <summary>Redis answers a PING within the operation timeout (part of <c>/health/ready</c>).</summary>
public sealed class RedisReadiness(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => await redis.PingAsync() ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy();
}
