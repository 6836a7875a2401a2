using ARouter.Auth;
using ARouter.Billing;
using ARouter.Limits;
using ARouter.Observability;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ARouter.Scaling;

/// <summary>
/// Turns a single gateway into one of many when <c>AROUTER_REDIS</c> is set: rate limits, credit holds and
/// cache invalidation move to Redis. Without it nothing here is registered and every stage keeps its
/// in-process default.
/// </summary>
public static class ScalingServices
{
    public static bool IsConfigured(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[RedisOptions.EnvironmentVariable]);

    /// <summary>Call after the in-process defaults are registered: these registrations replace them.</summary>
    public static void AddScaling(this IServiceCollection services, IConfiguration configuration)
    {
        if (!IsConfigured(configuration)) return;
        var endpoint = configuration[RedisOptions.EnvironmentVariable]!;
        services.Configure<RedisOptions>(configuration.GetSection("ARouter:Redis"));
        services.AddSingleton(sp => RedisConnection.Connect(endpoint, sp.GetRequiredService<IOptions<RedisOptions>>().Value, sp.GetRequiredService<ILoggerFactory>().CreateLogger("ARouter.Redis")));
        services.AddSingleton<GcraRateLimiter>();
        services.AddSingleton<IRateLimiter, RedisRateLimiter>();
        services.AddSingleton<DatabaseBalanceReads>();
        services.AddSingleton<RedisReservationBook>();
        services.AddSingleton<IReservationBook>(sp => sp.GetRequiredService<RedisReservationBook>());
        services.AddSingleton<ICacheChangeBroadcast, RedisChangeBroadcast>();
        services.AddHealthChecks().AddCheck<RedisReadiness>("redis", tags: [Readiness.ReadyTag], timeout: TimeSpan.FromSeconds(3));
        services.AddHostedService<RedisLeaseRenewer>();
        services.AddHostedService<RedisChangeListener>();
    }
}
