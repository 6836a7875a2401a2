using ARouter.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using HealthJsonContext = ARouter.Endpoints.HealthJsonContext;
using ReadyStatus = ARouter.Endpoints.HealthStatus;

namespace ARouter.Observability;

/// <summary>
/// <c>GET /health</c> is liveness (the process answers); <c>GET /health/ready</c> runs every ASP.NET Core health check
/// tagged <see cref="ReadyTag"/>: the database here, and whatever else a deployment needs (Redis adds its own with
/// <c>services.AddHealthChecks().AddCheck&lt;T&gt;("redis", tags: [Readiness.ReadyTag])</c>). Ready answers
/// <c>{"status":"ready"}</c>; otherwise 503 with <c>{"status":"database unavailable"}</c>, naming each failing check.
/// </summary>
public static class Readiness
{
    public const string ReadyTag = "ready";

    public static IHealthChecksBuilder AddReadiness(this IServiceCollection services)
        => services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag], timeout: TimeSpan.FromSeconds(5));

    public static void MapReadiness(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => Results.Json(new ReadyStatus("ok"), HealthJsonContext.Default.HealthStatus));
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteAsync,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
    }

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        var failing = report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy).Select(e => e.Key + " unavailable").ToList();
        var status = new ReadyStatus(failing.Count == 0 ? "ready" : string.Join(", ", failing));
        http.Response.ContentType = "application/json; charset=utf-8";
        return System.Text.Json.JsonSerializer.SerializeAsync(http.Response.Body, status, HealthJsonContext.Default.HealthStatus, http.RequestAborted);
    }
}

/// <summary>Ready when the database answers a trivial query.</summary>
public sealed class DatabaseHealthCheck(IDatabaseHealth database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await database.IsReadyAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The exception's message can name the connection string's host or user: report only that it failed.
            return HealthCheckResult.Unhealthy();
        }
    }
}
