using System.Text.Json;
using ARouter.Dialects.Canonical;
using ARouter.Routing;
using ARouter.Upstream;

namespace ARouter.Pipeline;

/// <summary>One try of one candidate at its provider, from sending the request to the end of the answer.</summary>
public sealed class UpstreamAttempt(RouteTarget target, long startTimestamp)
{
    public RouteTarget Target { get; } = target;
    public long StartTimestamp { get; } = startTimestamp;
}

/// <summary>
/// The attempts of one request: the single place where an upstream attempt starts (<see cref="Begin"/>) and ends
/// (<see cref="Failed"/>, <see cref="Finished"/>) — what the provider observations learn from, and where spans and
/// metrics hook. The candidates that failed before the one that answered go into its generation record, so a user
/// can see why a fallback happened (metadata only).
/// </summary>
public sealed class AttemptLog(ProviderObservations observations, TimeProvider clock)
{
    private readonly List<(string Model, int Status, long LatencyMs)> _failed = [];

    /// <summary>How many failures are logged so far; a candidate whose failure added none never reached its provider.</summary>
    public int Count => _failed.Count;

    public UpstreamAttempt Begin(RouteTarget target) => new(target, clock.GetTimestamp());

    /// <summary>The try failed before anything reached the caller.</summary>
    public void Failed(UpstreamAttempt attempt, GatewayError error)
    {
        _failed.Add((attempt.Target.Model.Id, error.Status, ElapsedMs(attempt.StartTimestamp)));
        if (CountsAgainstProvider(error)) observations.Failed(attempt.Target.Provider.Slug, attempt.Target.Model.Id);
    }

    /// <summary>The try answered the caller (<paramref name="facts"/> tell how); a stream may still have ended in an error event.</summary>
    public void Finished(UpstreamAttempt attempt, GenerationFacts facts, bool streamed)
    {
        var (provider, model) = (attempt.Target.Provider.Slug, attempt.Target.Model.Id);
        if (facts.Status == 499) return; // the caller left: says nothing about the provider
        if (facts.Status != 200)
        {
            observations.Failed(provider, model);
            return;
        }
        TimeSpan? firstByte = null;
        double? tokensPerSecond = null;
        // Only streams separate waiting from generating: a whole response's latency is its generation time.
        if (streamed && facts.FirstByteTimestamp is { } first)
        {
            firstByte = clock.GetElapsedTime(attempt.StartTimestamp, first);
            var generating = clock.GetElapsedTime(first).TotalSeconds;
            if (facts.Usage.CompletionTokens > 0) tokensPerSecond = facts.Usage.CompletionTokens / Math.Max(generating, 0.001);
        }
        observations.Succeeded(provider, model, firstByte, tokensPerSecond);
    }

    /// <summary>A candidate that failed without a try at its provider (unroutable, no key, input it cannot take, circuit open).</summary>
    public void Skipped(string model, GatewayError error, long startTimestamp) => _failed.Add((model, error.Status, ElapsedMs(startTimestamp)));

    /// <summary>Failures of the provider, not of the caller's request: they make it look less healthy to routing.</summary>
    private static bool CountsAgainstProvider(GatewayError error) => error.Stage switch
    {
        ErrorStage.UpstreamConnect or ErrorStage.UpstreamTimeout or ErrorStage.UpstreamFailed or ErrorStage.UpstreamStream => true,
        ErrorStage.UpstreamRefused => error.Status is 429 or 502,
        _ => false,
    };

    private long ElapsedMs(long start) => (long)clock.GetElapsedTime(start).TotalMilliseconds;

    public string? ToJson()
    {
        if (_failed.Count == 0) return null;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var (model, status, latency) in _failed)
            {
                json.WriteStartObject();
                json.WriteString("model", model);
                json.WriteString("provider", model.Contains('/') ? model[..model.IndexOf('/')] : null);
                json.WriteNumber("status", status);
                json.WriteNumber("latency_ms", latency);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
