namespace ARouter.Storage;

/// <summary>A person who signs in to the dashboard for one account. The password is kept only as a hash.</summary>
public sealed record LoginRecord
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required string Email { get; init; }
    public required string EmailNormalized { get; init; }
    public required string PasswordHash { get; init; }
    public bool IsAdmin { get; init; }
    public required string SecurityStamp { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastSignInAt { get; init; }
}

/// <summary>One model's spend and request count on one UTC day.</summary>
public sealed record DailyModelSpend(DateOnly Day, string Model, long CostNanos, long Requests);

/// <summary>What the activity pages are narrowed to; null means "any".</summary>
public sealed record ActivityFilter(string? Model, string? KeyId);

/// <summary>An account as the operator's accounts page lists it.</summary>
public sealed record AccountSummary(string Id, string Name, long BalanceNanos, long TotalCreditsNanos, DateTimeOffset CreatedAt, string? LoginEmail);
