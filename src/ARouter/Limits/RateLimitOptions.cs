namespace ARouter.Limits;

/// <summary>
/// The rate limit of keys that have none of their own (<c>ARouter:Limits</c>, <c>AROUTER__LIMITS__...</c>).
/// A key's own <c>rate_limit</c> replaces it.
/// </summary>
public sealed record RateLimitOptions
{
    public int DefaultRequests { get; set; } = 600;
    public int DefaultIntervalSeconds { get; set; } = 60;
}
