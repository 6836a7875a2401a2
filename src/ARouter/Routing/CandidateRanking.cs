using ARouter.Upstream;
using Microsoft.Extensions.Options;

namespace ARouter.Routing;

/// <summary>
/// Orders candidate models by what the gateway has observed (<see cref="ProviderObservations"/>, <see cref="ProviderHealth"/>):
/// for <c>sort: "latency"</c> / <c>"throughput"</c> and for <c>auto</c>. Healthy candidates come first and keep their
/// order among themselves, unhealthy ones — circuit open, or an error ratio at or above
/// <see cref="HealthOptions.AvoidErrorRatio"/> — go last. When sorting, a measured candidate moves only among the
/// places measured candidates hold: an unmeasured one keeps its configured place, so nothing is guessed about it.
/// </summary>
public sealed class CandidateRanking(ProviderObservations observations, ProviderHealth health, IOptions<HealthOptions> options)
{
    public bool IsHealthy(string model)
    {
        var provider = ProviderOf(model);
        if (health.IsOpen(provider)) return false;
        return observations.Of(provider, model).ErrorRatio is not { } ratio || ratio < options.Value.AvoidErrorRatio;
    }

    /// <summary>Healthy candidates first, each group in its given order.</summary>
    public IReadOnlyList<string> HealthyFirst(IEnumerable<string> models)
    {
        var list = models.ToList();
        var healthy = list.Where(IsHealthy).ToList();
        return [.. healthy, .. list.Where(m => !healthy.Contains(m))];
    }

    /// <summary>Lowest observed time to first token first.</summary>
    public IReadOnlyList<string> ByLatency(IEnumerable<string> models)
        => SortMeasured(HealthyFirst(models), m => Observe(m).FirstByteMs);

    /// <summary>Highest observed tokens per second first.</summary>
    public IReadOnlyList<string> ByThroughput(IEnumerable<string> models)
        => SortMeasured(HealthyFirst(models), m => -Observe(m).TokensPerSecond);

    private Observed Observe(string model) => observations.Of(ProviderOf(model), model);

    /// <summary>Sorts healthy measured candidates by <paramref name="key"/> within the slots they occupy; the rest stay where they are.</summary>
    private IReadOnlyList<string> SortMeasured(IReadOnlyList<string> ordered, Func<string, double?> key)
    {
        var result = ordered.ToArray();
        var slots = new List<int>();
        for (var i = 0; i < result.Length; i++)
            if (key(result[i]) is not null && IsHealthy(result[i])) slots.Add(i);
        var sorted = slots.Select(i => result[i]).OrderBy(m => key(m)!.Value).ToList();
        for (var i = 0; i < slots.Count; i++) result[slots[i]] = sorted[i];
        return result;
    }

    public static string ProviderOf(string model) => model.Contains('/') ? model[..model.IndexOf('/')] : "";
}
