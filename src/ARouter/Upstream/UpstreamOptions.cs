namespace ARouter.Upstream;

/// <summary>Timeouts for calls to providers (<c>ARouter:Upstream</c> / <c>AROUTER__UPSTREAM__...</c>).</summary>
public sealed record UpstreamOptions
{
    public double ConnectTimeoutSeconds { get; init; } = 10;
    /// <summary>Until response headers arrive; for a non-streamed completion that is the whole generation.</summary>
    public double FirstByteTimeoutSeconds { get; init; } = 600;
    /// <summary>Longest silence allowed between two stream events.</summary>
    public double StreamIdleTimeoutSeconds { get; init; } = 300;
    /// <summary>Largest non-streamed upstream body the gateway will read.</summary>
    public int MaxResponseBytes { get; init; } = 64 * 1024 * 1024;
}
