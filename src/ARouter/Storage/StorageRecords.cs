using System.Globalization;

namespace ARouter.Storage;

public sealed record AccountRecord(string Id, string Name, long BalanceNanos, long TotalCreditsNanos, long TotalUsageNanos, DateTimeOffset CreatedAt);

public sealed record ApiKeyRecord
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string Name { get; init; }
    public required string KeyHash { get; init; }
    public required string Prefix { get; init; }
    public bool IsManagement { get; init; }
    public long? LimitNanos { get; init; }
    public long UsageNanos { get; init; }
    public int? RateLimitRequests { get; init; }
    public int? RateLimitIntervalSeconds { get; init; }
    public bool Disabled { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }

    public bool IsUsable => !Disabled && RevokedAt is null;
}

/// <summary>A BYOK key as listed: which provider and when, never the secret.</summary>
public sealed record StoredProviderKey(string Provider, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public enum TransactionType { Credit, Charge, Refund }

/// <summary>A page position in a list ordered newest first by time, then id: rows strictly older than this.</summary>
public sealed record PageCursor(DateTimeOffset CreatedAt, string Id)
{
    /// <summary>The position as text: Unix milliseconds, a dot, the id.</summary>
    public override string ToString() => CreatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + "." + Id;

    /// <summary>Reads what <see cref="ToString"/> wrote; null for anything else.</summary>
    public static PageCursor? Parse(ReadOnlySpan<char> text)
    {
        var dot = text.IndexOf('.');
        if (dot <= 0 || dot == text.Length - 1 || !long.TryParse(text[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()) return null;
        return new PageCursor(DateTimeOffset.FromUnixTimeMilliseconds(ms), text[(dot + 1)..].ToString());
    }
}

public sealed record TransactionRecord(
    string Id, TransactionType Type, long AmountNanos, long BalanceAfterNanos,
    string? Description, string? GenerationId, string? KeyId, string? Model, string? Provider,
    int? PromptTokens, int? CompletionTokens, DateTimeOffset CreatedAt)
{
    /// <summary>A charge for a request sent with the caller's own provider key: only the BYOK fee.</summary>
    public bool Byok { get; init; }
}

/// <summary>The metadata of one request. There is deliberately no field for prompt or completion text.</summary>
public sealed record GenerationRecord
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string KeyId { get; init; }
    public required string Model { get; init; }
    public required string Provider { get; init; }
    public required string UpstreamModel { get; init; }
    public required string Endpoint { get; init; }
    public bool Streamed { get; init; }
    public int Status { get; init; }
    public string? FinishReason { get; init; }
    public string? ErrorType { get; init; }
    public int PromptTokens { get; init; }
    public int CompletionTokens { get; init; }
    public int CachedTokens { get; init; }
    public int ReasoningTokens { get; init; }
    /// <summary>True when the upstream gave no usage and the gateway counted the tokens itself.</summary>
    public bool UsageCounted { get; init; }
    public long CostNanos { get; init; }
    public long LatencyMs { get; init; }
    public long? FirstByteMs { get; init; }
    public bool Byok { get; init; }
    /// <summary>Candidates tried before this one, as a JSON array of {model, provider, status, latency_ms}; null when it was the first.</summary>
    public string? AttemptsJson { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>One durable change to an account's balance, applied by the ledger writer in a batch.</summary>
public abstract record LedgerEntry(string AccountId, long AmountNanos);

/// <summary>A settled generation: the charge (possibly zero) plus its generation record, which the store writes with the cost actually charged.</summary>
public sealed record ChargeEntry(string AccountId, long AmountNanos, string TransactionId, GenerationRecord Generation) : LedgerEntry(AccountId, AmountNanos);

public sealed record CreditEntry(string AccountId, long AmountNanos, string TransactionId, string? Description) : LedgerEntry(AccountId, AmountNanos);

/// <summary>A request that cost nothing (refused upstream, failed): only its generation record is written, with a cost of 0.</summary>
public sealed record GenerationOnlyEntry(GenerationRecord Generation) : LedgerEntry(Generation.AccountId, 0);

/// <summary>The balance an entry left behind, as the database computed it.</summary>
public readonly record struct AppliedEntry(LedgerEntry Entry, bool Applied, long BalanceAfterNanos);
