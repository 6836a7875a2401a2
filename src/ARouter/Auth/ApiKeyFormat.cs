using ARouter.Storage;

namespace ARouter.Auth;

/// <summary><c>lr_live_</c> + 40 CSPRNG characters; stored as a SHA-256 hash with a short display prefix.</summary>
public static class ApiKeyFormat
{
    public const string Scheme = "lr_live_";
    public const int RandomLength = 40;
    private const int DisplayPrefixLength = 14;

    public static string Generate() => Scheme + Ids.Random(RandomLength);

    public static bool LooksValid(ReadOnlySpan<char> key) => key.StartsWith(Scheme, StringComparison.Ordinal) && key.Length >= Scheme.Length + 32 && key.Length <= 256;

    /// <summary>The stored form of a key: its SHA-256 in lower-case hex.</summary>
    public static string Hash(ReadOnlySpan<char> key) => KeyDigest.Of(key).ToHex();

    public static string DisplayPrefix(string key) => key[..Math.Min(DisplayPrefixLength, key.Length)] + "…";

    /// <summary>Builds the stored record of a fresh key; the returned secret is shown once and never stored.</summary>
    public static (string Secret, ApiKeyRecord Record) Create(string accountId, string name, bool management, long? limitNanos = null, int? rateLimitRequests = null, int? rateLimitIntervalSeconds = null)
    {
        var secret = Generate();
        return (secret, new ApiKeyRecord
        {
            Id = Ids.NewKeyId(),
            AccountId = accountId,
            Name = name,
            KeyHash = Hash(secret),
            Prefix = DisplayPrefix(secret),
            IsManagement = management,
            LimitNanos = limitNanos,
            RateLimitRequests = rateLimitRequests,
            RateLimitIntervalSeconds = rateLimitIntervalSeconds,
            CreatedAt = DateTimeOffset.UtcNow,
        });
    }
}
