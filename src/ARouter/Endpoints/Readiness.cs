using ARouter.Storage;
using Microsoft.AspNetCore.Http;

namespace ARouter.Endpoints;

/// <summary>Something besides the database that <c>/health/ready</c> reports on (Redis, when configured).</summary>
public interface IReadinessCheck
{
    string Name { get; }

    Task<bool> IsReadyAsync(CancellationToken ct);
}

/// <summary><c>/health/ready</c>: 200 when the database and every registered check answer, else 503 naming what is down.</summary>
public static class Readiness
{
    public static async Task<IResult> CheckAsync(IDatabaseHealth database, IEnumerable<IReadinessCheck> checks, CancellationToken ct)
    {
        var results = new Dictionary<string, string>(StringComparer.Ordinal) { ["database"] = await database.IsReadyAsync(ct) ? "ok" : "unavailable" };
        foreach (var check in checks) results[check.Name] = await check.IsReadyAsync(ct) ? "ok" : "unavailable";
        var down = results.Where(r => r.Value != "ok").Select(r => r.Key).ToList();
        return down.Count == 0
            ? Results.Json(new HealthStatus("ready", results), HealthJsonContext.Default.HealthStatus)
            : Results.Json(new HealthStatus(string.Join(", ", down) + " unavailable", results), HealthJsonContext.Default.HealthStatus, statusCode: 503);
    }
}
