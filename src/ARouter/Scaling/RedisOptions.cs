namespace ARouter.Scaling;

/// <summary>
/// How the gateway uses Redis when <c>AROUTER_REDIS</c> names one (<c>127.0.0.1:6379</c>, or any
/// StackExchange.Redis configuration string). Tuning lives in <c>ARouter:Redis</c> (<c>AROUTER__REDIS__...</c>).
/// Every Redis call is bounded by <see cref="OperationTimeoutMs"/>, so an unreachable or hung Redis costs a
/// request at most that long, and after a lost connection (or when nothing has come back for two timeouts) Redis is skipped for
/// <see cref="RetryAfterFailureMs"/>.
/// </summary>
public sealed record RedisOptions
{
    public const string EnvironmentVariable = "AROUTER_REDIS";

    public int ConnectTimeoutMs { get; set; } = 2_000;
    public int OperationTimeoutMs { get; set; } = 1_000;
    public int RetryAfterFailureMs { get; set; } = 1_000;
    /// <summary>A hold not renewed for this long is dropped: a crashed instance strands nothing for longer.</summary>
    public int ReservationLeaseSeconds { get; set; } = 30;
    /// <summary>How long Redis may keep a balance read from the database before it is read again (credit added by the CLI shows up within this).</summary>
    public int KnownBalanceMs { get; set; } = 2_000;
    /// <summary>Prefix of every key and channel, so several gateways can share one Redis.</summary>
    public string Prefix { get; set; } = "arouter:";
}
