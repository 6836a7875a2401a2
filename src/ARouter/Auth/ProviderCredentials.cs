using System.Collections.Concurrent;
using ARouter.Catalog;
using ARouter.Dialects;
using ARouter.Storage;
using Microsoft.AspNetCore.Http;

namespace ARouter.Auth;

/// <summary>The provider key one request is sent with, and whether the caller brought it (BYOK: the provider bills the caller).</summary>
public sealed record ProviderCredential(string Key, bool Byok);

/// <summary>
/// Picks the provider key for a request: the caller's <c>X-Provider-Key</c>, else a key the account
/// stored for that provider, else the operator's. Stored keys are decrypted once and cached briefly in
/// memory; they are never logged, returned or written in plaintext.
/// </summary>
public sealed class ProviderCredentials(IProviderKeyStore store, ProviderKeyCipher cipher, TimeProvider clock, ICacheChangeBroadcast? broadcast = null)
{
    public const string Header = "X-Provider-Key";
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<(string Account, string Provider), (string? Key, long ExpiresAt)> _stored = new();

    public async ValueTask<ProviderCredential?> ResolveAsync(HttpRequest request, string accountId, ProviderEndpoint endpoint, CancellationToken ct)
    {
        var presented = request.Headers[Header].ToString().Trim();
        if (presented.Length > 0)
        {
            if (!IsHeaderSafe(presented)) throw new DecodeException($"'{Header}' must be the provider's API key: visible ASCII characters only, no spaces or control characters.", Header);
            return new ProviderCredential(presented, Byok: true);
        }
        if (await StoredAsync(accountId, endpoint.Provider.Slug, ct) is { } stored) return new ProviderCredential(stored, Byok: true);
        return endpoint.HasKey ? new ProviderCredential(endpoint.ApiKey!, Byok: false) : null;
    }

    /// <summary>
    /// A provider key becomes a header value upstream: only visible ASCII (no CR/LF, no spaces, nothing a header
    /// parser could split or re-encode), so no caller-chosen key can inject a header or break the request.
    /// </summary>
    public static bool IsHeaderSafe(string key) => key.Length > 0 && !key.AsSpan().ContainsAnyExceptInRange('!', '~');

    public async Task SaveAsync(string accountId, string provider, string key, CancellationToken ct)
    {
        await store.UpsertProviderKeyAsync(accountId, provider, cipher.Encrypt(key, accountId, provider), ct);
        Invalidate(accountId, provider);
        broadcast?.ProviderKeyChanged(accountId, provider);
    }

    public async Task<bool> DeleteAsync(string accountId, string provider, CancellationToken ct)
    {
        var deleted = await store.DeleteProviderKeyAsync(accountId, provider, ct);
        Invalidate(accountId, provider);
        broadcast?.ProviderKeyChanged(accountId, provider);
        return deleted;
    }

    /// <summary>Drops the cached stored key (changed here or, through the broadcast, on another instance).</summary>
    public void Invalidate(string accountId, string provider) => _stored.TryRemove((accountId, provider), out _);

    public void InvalidateAll() => _stored.Clear();

    private async ValueTask<string?> StoredAsync(string accountId, string provider, CancellationToken ct)
    {
        var now = clock.GetTimestamp();
        if (_stored.TryGetValue((accountId, provider), out var cached) && cached.ExpiresAt > now) return cached.Key;
        var ciphertext = await store.GetProviderKeyAsync(accountId, provider, ct);
        var key = ciphertext is null ? null : cipher.Decrypt(ciphertext, accountId, provider);
        _stored[(accountId, provider)] = (key, now + (long)(Ttl.TotalSeconds * clock.TimestampFrequency));
        return key;
    }
}
