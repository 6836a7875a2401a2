using System.Text.Json;
using ARouter.Observability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ARouter.Tests.Observability;

/// <summary><c>/health/ready</c> runs every readiness check (the database, and what a deployment adds, such as Redis).</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task An_added_readiness_check_that_fails_makes_ready_503_naming_it_while_liveness_stays_200()
    {
        var broken = new SwitchableCheck();
        await using var gateway = await GatewayHost.StartAsync(configure: builder =>
            builder.Services.AddHealthChecks().AddCheck("redis", broken, tags: [Readiness.ReadyTag]));

        Assert.Equal((200, "ready"), await GetAsync(gateway, "/health/ready"));
        broken.Healthy = false;
        Assert.Equal((503, "redis unavailable"), await GetAsync(gateway, "/health/ready"));
        Assert.Equal((200, "ok"), await GetAsync(gateway, "/health"));
        broken.Healthy = true;
        Assert.Equal((200, "ready"), await GetAsync(gateway, "/health/ready"));
    }

    private static async Task<(int, string?)> GetAsync(GatewayHost gateway, string path)
    {
        using var response = await gateway.Client.GetAsync(path);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((int)response.StatusCode, json.RootElement.GetProperty("status").GetString());
    }

    private sealed class SwitchableCheck : IHealthCheck
    {
        public volatile bool Healthy = true;

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
            => Task.FromResult(Healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy());
    }
}
