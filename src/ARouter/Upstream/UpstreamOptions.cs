namespace ARouter.Upstream;

/// <summary>
/// Calls to providers (<c>ARouter:Upstream</c> / <c>AROUTER__UPSTREAM__...</c>): default timeouts, per-provider
/// overrides under <c>Providers:{slug}</c> (<c>AROUTER__UPSTREAM__PROVIDERS__ANTHROPIC__FIRSTBYTETIMEOUTSECONDS=30</c>),
/// and the retry of transient failures.
/// </summary>
public sealed record UpstreamOptions
{
    public double ConnectTimeoutSeconds { get; set; } = 10;
    /// <summary>Until response headers arrive, and for a stream until its first event; for a non-streamed completion that is the whole generation.</summary>
    public double FirstByteTimeoutSeconds { get; set; } = 600;
    /// <summary>Longest silence allowed between two stream events (and while a non-streamed body is read).</summary>
    public double StreamIdleTimeoutSeconds { get; set; } = 300;
    /// <summary>Longest a whole upstream call may take, stream included; 0 means no limit.</summary>
    public double TotalTimeoutSeconds { get; set; } = 1800;
    /// <summary>Largest non-streamed upstream body the gateway will read.</summary>
    public int MaxResponseBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Timeouts for one provider, by slug (case-insensitive); a field left out keeps the default above.</summary>
    public Dictionary<string, ProviderTimeoutOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public RetryOptions Retry { get; set; } = new();

    /// <summary>The timeouts that apply to <paramref name="provider"/>.</summary>
    public UpstreamTimeouts TimeoutsFor(string provider)
    {
        ProviderTimeoutOptions? own = null;
        foreach (var (slug, overrides) in Providers)
            if (slug.Equals(provider, StringComparison.OrdinalIgnoreCase)) own = overrides;
        return new UpstreamTimeouts(
            Seconds(own?.ConnectTimeoutSeconds ?? ConnectTimeoutSeconds),
            Seconds(own?.FirstByteTimeoutSeconds ?? FirstByteTimeoutSeconds),
            Seconds(own?.StreamIdleTimeoutSeconds ?? StreamIdleTimeoutSeconds),
            Seconds(own?.TotalTimeoutSeconds ?? TotalTimeoutSeconds));
    }

    private static TimeSpan Seconds(double seconds) => seconds > 0 ? TimeSpan.FromSeconds(seconds) : Timeout.InfiniteTimeSpan;
}

/// <summary>One provider's own timeouts (<c>ARouter:Upstream:Providers:{slug}</c>); null keeps the default.</summary>
public sealed record ProviderTimeoutOptions
{
    public double? ConnectTimeoutSeconds { get; set; }
    public double? FirstByteTimeoutSeconds { get; set; }
    public double? StreamIdleTimeoutSeconds { get; set; }
    public double? TotalTimeoutSeconds { get; set; }
}

/// <summary>The timeouts of one upstream call; <see cref="Timeout.InfiniteTimeSpan"/> where there is none.</summary>
public sealed record UpstreamTimeouts(TimeSpan Connect, TimeSpan FirstByte, TimeSpan StreamIdle, TimeSpan Total);

/// <summary>
/// One retry, after a jittered pause, of a transient failure before the first byte (<c>ARouter:Upstream:Retry</c>).
/// Only the last candidate is retried — with candidates left, falling back is the better retry — and only within
/// a per-provider budget, so an outage cannot multiply the load on a provider.
/// </summary>
public sealed record RetryOptions
{
    public bool Enabled { get; set; } = true;
    /// <summary>The pause before the retry, ±25 % jitter.</summary>
    public double BackoffMilliseconds { get; set; } = 250;
    /// <summary>A 429 is retried only when its Retry-After is at most this (longer waits are the caller's choice).</summary>
    public double MaxRetryAfterSeconds { get; set; } = 2;
    /// <summary>Retries may be at most this share of a provider's requests (in %), over time.</summary>
    public double BudgetPercent { get; set; } = 10;
    /// <summary>Retries the budget holds at most (and starts with), so a quiet provider can still be retried.</summary>
    public int BudgetBurst { get; set; } = 10;
}
