using Microsoft.Extensions.Logging;
using ZLogger;

namespace ARouter.Observability;

/// <summary>
/// Every log line the gateway writes, in one registry of event ids. Parameters are metadata only:
/// never a prompt, a completion, a key or an upstream body.
/// </summary>
internal static partial class Log
{
    /// <summary>Written for every request: ZLogger's generator formats it as UTF-8 straight into the console batch, with no string on the request thread.</summary>
    [ZLoggerMessage(1000, LogLevel.Information, "Request {RequestId} {Endpoint} key {KeyPrefix} model {Model} provider {Provider} status {Status} in {LatencyMs} ms, tokens {PromptTokens}+{CompletionTokens}, cost {CostNanos} nano-USD")]
    public static partial void RequestCompleted(ILogger logger, string requestId, string endpoint, string keyPrefix, string model, string provider, int status, long latencyMs, int promptTokens, int completionTokens, long costNanos);

    [LoggerMessage(1001, LogLevel.Warning, "Request {RequestId} upstream {Provider} failed at {Stage}: status {Status}")]
    public static partial void UpstreamFailed(ILogger logger, string requestId, string provider, string stage, int status);

    [LoggerMessage(1004, LogLevel.Information, "Request {RequestId}: {Model} failed at {Stage} ({Status}); trying the next candidate")]
    public static partial void FallingBack(ILogger logger, string requestId, string model, string stage, int status);

    [LoggerMessage(1050, LogLevel.Information, "Upstream {Provider} failed ({Status}); retrying once in {DelayMs} ms")]
    public static partial void RetryingUpstream(ILogger logger, string provider, int status, long delayMs);

    [LoggerMessage(1002, LogLevel.Information, "Request {RequestId}: client disconnected mid-stream")]
    public static partial void ClientDisconnected(ILogger logger, string requestId);

    /// <summary>Type and stack trace only: an exception's message can quote request content.</summary>
    [LoggerMessage(1003, LogLevel.Error, "Request {RequestId} failed unexpectedly: {ExceptionType} {StackTrace}")]
    public static partial void UnexpectedFailure(ILogger logger, string requestId, string exceptionType, string? stackTrace);

    [LoggerMessage(2000, LogLevel.Error, "Ledger batch of {Count} failed ({ExceptionType}); retrying in {DelayMs} ms")]
    public static partial void LedgerBatchFailed(ILogger logger, int count, string exceptionType, double delayMs);

    [LoggerMessage(2001, LogLevel.Warning, "Ledger batch of {Count} not yet durable after {Seconds} s, {Queued} more queued behind it; the requests' responses wait for the commit")]
    public static partial void LedgerSlow(ILogger logger, int count, double seconds, int queued);

    [LoggerMessage(2002, LogLevel.Warning, "Ledger balance refresh failed ({ExceptionType})")]
    public static partial void LedgerRefreshFailed(ILogger logger, string exceptionType);

    [LoggerMessage(2003, LogLevel.Error, "Ledger writer stopped with {Count} entries not committed (the database did not accept them in time)")]
    public static partial void LedgerNotFlushed(ILogger logger, int count);

    [LoggerMessage(3000, LogLevel.Information, "ARouter listening; database {DatabaseKind}; {ProviderCount} providers with keys: {Providers}")]
    public static partial void Started(ILogger logger, string databaseKind, int providerCount, string providers);

    [LoggerMessage(3001, LogLevel.Warning, "The dashboard is not part of this ahead-of-time compiled build (Razor Pages need the JIT); the API is served as usual")]
    public static partial void DashboardNotInThisBuild(ILogger logger);

    [LoggerMessage(4000, LogLevel.Warning, "Redis unavailable ({Reason}): rate limits are per process and credit reservations are refused until it is back")]
    public static partial void RedisUnavailable(ILogger logger, string reason);

    [LoggerMessage(4001, LogLevel.Information, "Redis connection restored: rate limits and credit reservations are shared again")]
    public static partial void RedisRestored(ILogger logger);

    [LoggerMessage(4002, LogLevel.Warning, "Reservation for account {AccountId} refused: its balance kept changing while being read ({Attempts} attempts)")]
    public static partial void ReservationContended(ILogger logger, string accountId, int attempts);
}
