using ARouter.Billing;
using ARouter.Limits;
using ARouter.Storage;

namespace ARouter.Auth;

/// <summary>What a new key is created with.</summary>
public sealed record KeySpec(string Name, bool Management, long? LimitNanos = null, int? RateLimitRequests = null, int? RateLimitIntervalSeconds = null);

/// <summary>
/// Creating, changing and revoking an account's keys — the one implementation behind both
/// <c>/api/v1/keys</c> and the dashboard. Every call is scoped to the account, and a change drops the
/// key's cache entry here and on the other instances, so it applies from the very next request.
/// </summary>
public sealed class AccountKeys(IKeyStore store, KeyAuthenticator authenticator, Ledger ledger, KeyRateLimits limits)
{
    /// <summary>Stores a fresh key; the returned secret is shown once and never stored.</summary>
    public async Task<(string Secret, ApiKeyRecord Key)> CreateAsync(string accountId, KeySpec spec, CancellationToken ct)
    {
        var (secret, key) = ApiKeyFormat.Create(accountId, spec.Name, spec.Management, spec.LimitNanos, spec.RateLimitRequests, spec.RateLimitIntervalSeconds);
        await store.CreateKeyAsync(key, ct);
        return (secret, key);
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string accountId, CancellationToken ct) => store.ListKeysAsync(accountId, ct);

    public Task<ApiKeyRecord?> GetAsync(string accountId, string keyId, CancellationToken ct) => store.GetKeyAsync(accountId, keyId, ct);

    /// <summary>Applies <paramref name="change"/> to the account's live key; null when it has no such key.</summary>
    public async Task<ApiKeyRecord?> UpdateAsync(string accountId, string keyId, Func<ApiKeyRecord, ApiKeyRecord> change, CancellationToken ct)
    {
        var key = await store.GetKeyAsync(accountId, keyId, ct);
        if (key is null) return null;
        // Id, account and hash are the stored ones whatever the change returns.
        var stored = await store.UpdateKeyAsync(change(key) with { Id = key.Id, AccountId = key.AccountId, KeyHash = key.KeyHash }, ct);
        authenticator.Changed(key.KeyHash);
        return stored;
    }

    public async Task<ApiKeyRecord?> RevokeAsync(string accountId, string keyId, CancellationToken ct)
    {
        var revoked = await store.RevokeKeyAsync(accountId, keyId, ct);
        if (revoked is not null) authenticator.Changed(revoked.KeyHash);
        return revoked;
    }

    /// <summary>What the key has spent: the ledger knows charges the database has not committed yet, so it wins where it has seen the key.</summary>
    public long UsageOf(ApiKeyRecord key) => Math.Max(key.UsageNanos, ledger.KeyUsage(key.AccountId, key.Id) ?? 0);

    public RateLimitPolicy RateLimitOf(ApiKeyRecord key) => limits.PolicyFor(key);
}
