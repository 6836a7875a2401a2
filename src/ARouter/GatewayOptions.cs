namespace ARouter;

/// <summary>Gateway-wide settings, bound from the <c>ARouter</c> section (<c>AROUTER__...</c> in the environment).</summary>
public sealed record GatewayOptions
{
    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 32 * 1024 * 1024;
    /// <summary>JSON nesting limit for request bodies.</summary>
    public int MaxJsonDepth { get; init; } = 64;
    /// <summary>What a request sent with the caller's own provider key (BYOK) costs, as a percentage of its catalog price.</summary>
    public decimal ByokFeePercent { get; init; }
    /// <summary>
    /// After SIGTERM, how long in-flight requests may still run before open streams are ended with an error event.
    /// The host's shutdown timeout is this plus <see cref="ShutdownFlushSeconds"/>, for the last settles to be written.
    /// </summary>
    public double ShutdownGraceSeconds { get; init; } = 25;
    public double ShutdownFlushSeconds { get; init; } = 10;
}
