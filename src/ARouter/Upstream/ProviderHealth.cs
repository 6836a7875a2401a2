using System.Collections.Concurrent;
using ARouter.Dialects.Canonical;
using ARouter.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace ARouter.Upstream;

/// <summary>When a provider counts as sick (<c>ARouter:Health</c>, <c>AROUTER__HEALTH__...</c>).</summary>
public sealed record HealthOptions
{
    /// <summary>Share of failed calls in the sampling window that opens the circuit.</summary>
    public double FailureRatio { get; set; } = 0.5;
    /// <summary>Calls needed in the window before the ratio counts.</summary>
    public int MinimumThroughput { get; set; } = 10;
    public double SamplingSeconds { get; set; } = 30;
    /// <summary>How long a sick provider is skipped before one probe call is let through.</summary>
    public double BreakSeconds { get; set; } = 15;

    /// <summary>How many of the latest calls the observed error ratio is taken over (at most 64).</summary>
    public int ErrorWindow { get; set; } = 20;
    /// <summary>Calls needed before the observed error ratio counts.</summary>
    public int MinimumSamples { get; set; } = 5;
    /// <summary>An observed error ratio at or above this makes <c>auto</c> and <c>sort</c> try the provider last.</summary>
    public double AvoidErrorRatio { get; set; } = 0.5;
    /// <summary>Weight of the newest measurement in the moving averages of latency and throughput.</summary>
    public double EwmaWeight { get; set; } = 0.2;
}

/// <summary>What one attempt to get a provider's response headers came to.</summary>
public sealed record UpstreamOutcome(UpstreamCall? Call, GatewayError? Error)
{
    /// <summary>A failure of the provider itself (unreachable, timed out, 5xx, our key refused) — not the caller's mistake, not a rate limit.</summary>
    public bool ProviderFailed => Error is { Stage: ErrorStage.UpstreamConnect or ErrorStage.UpstreamTimeout or ErrorStage.UpstreamFailed }
        or { Stage: ErrorStage.UpstreamRefused, Status: 502 };

    /// <summary>The provider's own HTTP status when it answered with an error; null for transport failures and the gateway's own timeouts.</summary>
    public int? UpstreamStatus { get; init; }
}

/// <summary>
/// Per provider (Polly): a passive circuit breaker — after repeated failures the provider is skipped without
/// waiting for it, the request failing fast with a 503 that fallback moves past, until one probe call after the
/// break succeeds — and inside it an optional single retry of transient failures within a <see cref="RetryBudget"/>.
/// </summary>
public sealed class ProviderHealth(IOptions<HealthOptions> options, IOptions<UpstreamOptions> upstream, TimeProvider clock, ILogger<ProviderHealth> logger)
{
    private static readonly ResiliencePropertyKey<bool> MayRetry = new("arouter.may-retry");
    private readonly ConcurrentDictionary<string, Breaker> _breakers = new(StringComparer.OrdinalIgnoreCase);

    private sealed record Breaker(ResiliencePipeline<UpstreamOutcome> Pipeline, CircuitBreakerStateProvider State, RetryBudget Budget);

    /// <param name="mayRetry">Whether a transient failure may be retried on this provider (the gateway retries only its last candidate).</param>
    public async Task<UpstreamOutcome> CallAsync(string provider, bool mayRetry, Func<CancellationToken, ValueTask<UpstreamOutcome>> call, CancellationToken ct)
    {
        var breaker = _breakers.GetOrAdd(provider, Create);
        breaker.Budget.Deposit();
        var context = ResilienceContextPool.Shared.Get(ct);
        context.Properties.Set(MayRetry, mayRetry);
        try
        {
            return await breaker.Pipeline.ExecuteAsync(static (context, call) => call(context.CancellationToken), context, call);
        }
        catch (BrokenCircuitException e)
        {
            var retry = e.RetryAfter is { } after ? $" Next probe in {Math.Ceiling(after.TotalSeconds)} s." : "";
            return new UpstreamOutcome(null, new GatewayError(ErrorStage.UpstreamFailed, 503, $"Provider '{provider}' is failing repeatedly; the gateway is not sending it requests for now.{retry}")
            {
                RetryAfterSeconds = e.RetryAfter is { } wait ? (int)Math.Ceiling(wait.TotalSeconds) : null,
            });
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Whether the provider's circuit is open (or isolated) right now, so routing can try it last.</summary>
    public bool IsOpen(string provider)
        => _breakers.TryGetValue(provider, out var breaker) && breaker.State.CircuitState is CircuitState.Open or CircuitState.Isolated;

    private Breaker Create(string provider)
    {
        var settings = options.Value;
        var retry = upstream.Value.Retry;
        var state = new CircuitBreakerStateProvider();
        var budget = new RetryBudget(retry.BudgetPercent / 100, retry.BudgetBurst);
        var builder = new ResiliencePipelineBuilder<UpstreamOutcome> { TimeProvider = clock };
        if (retry.Enabled)
        {
            // Outside the breaker: each try counts towards the provider's health, and an open circuit is not retried.
            builder.AddRetry(new RetryStrategyOptions<UpstreamOutcome>
            {
                MaxRetryAttempts = 1,
                BackoffType = DelayBackoffType.Constant,
                Delay = TimeSpan.FromMilliseconds(Math.Max(1, retry.BackoffMilliseconds)),
                UseJitter = true,
                // Polly asks after the last try too: only the first may spend from the budget.
                ShouldHandle = args => ValueTask.FromResult(args.AttemptNumber == 0 && args.Context.Properties.GetValue(MayRetry, false)
                    && args.Outcome.Result is { } outcome && IsTransient(outcome, retry) && budget.TryWithdraw()),
                // A short Retry-After is honoured as it is; otherwise the jittered backoff.
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { UpstreamStatus: 429, Error.RetryAfterSeconds: { } seconds }
                    ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null),
                OnRetry = args =>
                {
                    Log.RetryingUpstream(logger, provider, args.Outcome.Result?.Error?.Status ?? 0, (long)args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            });
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<UpstreamOutcome>
        {
            FailureRatio = settings.FailureRatio,
            MinimumThroughput = Math.Max(2, settings.MinimumThroughput),
            SamplingDuration = TimeSpan.FromSeconds(Math.Max(0.5, settings.SamplingSeconds)),
            BreakDuration = TimeSpan.FromSeconds(Math.Max(0.5, settings.BreakSeconds)),
            StateProvider = state,
            // The caller going away says nothing about the provider's health.
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.ProviderFailed == true
                || args.Outcome.Exception is not null and not OperationCanceledException),
        });
        return new Breaker(builder.Build(), state, budget);
    }

    /// <summary>
    /// Worth one more try: the connection failed, or the provider said it is briefly unable (502, 503, 504, Anthropic's
    /// 529 overloaded), or rate limited us with a short Retry-After. The gateway's own timeouts are not retried: they
    /// already waited the whole limit.
    /// </summary>
    public static bool IsTransient(UpstreamOutcome outcome, RetryOptions retry) => outcome.Error switch
    {
        { Stage: ErrorStage.UpstreamConnect } => true,
        _ => outcome.UpstreamStatus switch
        {
            502 or 503 or 504 or 529 => true,
            429 => outcome.Error?.RetryAfterSeconds is { } seconds && seconds <= retry.MaxRetryAfterSeconds,
            _ => false,
        },
    };
}
