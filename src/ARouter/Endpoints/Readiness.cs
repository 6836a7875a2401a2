using ARouter.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using CheckStatus = Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus;

namespace ARouter.Endpoints;

/// <summary>
/// <c>/health/ready</c>: 200 when the database and every ASP.NET Core health check tagged <see cref="ReadyTag"/>
/// (Redis, when configured) answer, else 503 naming what is unavailable.
/// </summary>
public static class Readiness
{
    public const string ReadyTag = "ready";

    public static async Task<IResult> CheckAsync(IDatabaseHealth database, HealthCheckService checks, CancellationToken ct)
    {
        var down = new List<string>();
        if (!await database.IsReadyAsync(ct)) down.Add("database");
        var report = await checks.CheckHealthAsync(check => check.Tags.Contains(ReadyTag), ct);
        down.AddRange(report.Entries.Where(e => e.Value.Status == CheckStatus.Unhealthy).Select(e => e.Key));
        return down.Count == 0
            ? Results.Json(new HealthStatus("ready"), HealthJsonContext.Default.HealthStatus)
            : Results.Json(new HealthStatus(string.Join(", ", down.Select(d => d + " unavailable"))), HealthJsonContext.Default.HealthStatus, statusCode: 503);
    }
}
