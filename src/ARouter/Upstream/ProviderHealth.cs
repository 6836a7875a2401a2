using System.Collections.Concurrent;
using ARouter.Dialects.Canonical;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace ARouter.Upstream;

/// <summary>When a provider counts as sick (<c>ARouter:Health</c>, <c>AROUTER__HEALTH__...</c>).</summary>
public sealed record HealthOptions
{
    /// <summary>Share of failed calls in the sampling window that opens the circuit.</summary>
    public double FailureRatio { get; init; } = 0.5;
    /// <summary>Calls needed in the window before the ratio counts.</summary>
    public int MinimumThroughput { get; init; } = 10;
    public double SamplingSeconds { get; init; } = 30;
    /// <summary>How long a sick provider is skipped before one probe call is let through.</summary>
    public double BreakSeconds { get; init; } = 15;
}

/// <summary>What one attempt to get a provider's response headers came to.</summary>
public sealed record UpstreamOutcome(UpstreamCall? Call, GatewayError? Error)
{
    /// <summary>A failure of the provider itself (unreachable, timed out, 5xx, our key refused) — not the caller's mistake, not a rate limit.</summary>
    public bool ProviderFailed => Error is { Stage: ErrorStage.UpstreamConnect or ErrorStage.UpstreamTimeout or ErrorStage.UpstreamFailed }
        or { Stage: ErrorStage.UpstreamRefused, Status: 502 };
}

/// <summary>
/// A passive circuit breaker per provider (Polly): after repeated failures the provider is skipped without
/// waiting for it — the request fails fast with a 503 that fallback moves past — then one probe call is let
/// through after the break and a success closes the circuit again.
/// </summary>
public sealed class ProviderHealth(IOptions<HealthOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline<UpstreamOutcome>> _breakers = new(StringComparer.OrdinalIgnoreCase);

    public async Task<UpstreamOutcome> CallAsync(string provider, Func<CancellationToken, ValueTask<UpstreamOutcome>> call, CancellationToken ct)
    {
        try
        {
            return await _breakers.GetOrAdd(provider, Create).ExecuteAsync(static async (call, ct) => await call(ct), call, ct);
        }
        catch (BrokenCircuitException e)
        {
            var retry = e.RetryAfter is { } after ? $" Next probe in {Math.Ceiling(after.TotalSeconds)} s." : "";
            return new UpstreamOutcome(null, new GatewayError(ErrorStage.UpstreamFailed, 503, $"Provider '{provider}' is failing repeatedly; the gateway is not sending it requests for now.{retry}")
            {
                RetryAfterSeconds = e.RetryAfter is { } wait ? (int)Math.Ceiling(wait.TotalSeconds) : null,
            });
        }
    }

    private ResiliencePipeline<UpstreamOutcome> Create(string provider)
    {
        var settings = options.Value;
        return new ResiliencePipelineBuilder<UpstreamOutcome> { TimeProvider = clock }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<UpstreamOutcome>
            {
                FailureRatio = settings.FailureRatio,
                MinimumThroughput = Math.Max(2, settings.MinimumThroughput),
                SamplingDuration = TimeSpan.FromSeconds(Math.Max(0.5, settings.SamplingSeconds)),
                BreakDuration = TimeSpan.FromSeconds(Math.Max(0.5, settings.BreakSeconds)),
                // The caller going away says nothing about the provider's health.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.ProviderFailed == true
                    || args.Outcome.Exception is not null and not OperationCanceledException),
            })
            .Build();
    }
}
