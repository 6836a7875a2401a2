using System.Collections.Concurrent;
using ARouter.Storage;
using Microsoft.AspNetCore.Http;

namespace ARouter.Auth;

/// <summary>The caller behind a request: its key and account.</summary>
public sealed record Caller(ApiKeyRecord Key)
{
    public string AccountId => Key.AccountId;
    public string KeyId => Key.Id;
}

public enum AuthFailure { Missing, Malformed, Unknown, Disabled, Revoked }

/// <summary>
/// Resolves a presented key to its record through an in-memory cache keyed by hash, so the hot path
/// does not touch the database. Entries live a short time and are dropped at once by <see cref="Invalidate"/>
/// when a key changes in this process.
/// </summary>
public sealed class KeyAuthenticator(IKeyStore store, TimeProvider clock, ICacheChangeBroadcast? broadcast = null)
{
    private static readonly TimeSpan PositiveTtl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan NegativeTtl = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<KeyDigest, (Caller? Caller, long ExpiresAt)> _cache = new();

    public async ValueTask<(Caller? Caller, AuthFailure Failure)> AuthenticateAsync(HttpRequest request, CancellationToken ct)
    {
        if (!ApiKeyExtractor.TryExtract(request, out var presented)) return (null, AuthFailure.Missing);
        if (!ApiKeyFormat.LooksValid(presented)) return (null, AuthFailure.Malformed);

        var digest = KeyDigest.Of(presented);
        var now = clock.GetTimestamp();
        Caller? caller;
        if (_cache.TryGetValue(digest, out var cached) && cached.ExpiresAt > now)
        {
            caller = cached.Caller;
        }
        else
        {
            var key = await store.FindByHashAsync(digest.ToHex(), ct);
            caller = key is null ? null : new Caller(key);
            var ttl = key is null ? NegativeTtl : PositiveTtl;
            _cache[digest] = (caller, now + (long)(ttl.TotalSeconds * clock.TimestampFrequency));
        }

        if (caller is null) return (null, AuthFailure.Unknown);
        if (caller.Key.RevokedAt is not null) return (null, AuthFailure.Revoked);
        if (caller.Key.Disabled) return (null, AuthFailure.Disabled);
        return (caller, default);
    }

    public void Invalidate(string keyHash)
    {
        if (KeyDigest.TryParseHex(keyHash, out var digest)) _cache.TryRemove(digest, out _);
    }

    /// <summary>A key changed in this process: drop it here and tell the other instances.</summary>
    public void Changed(string keyHash)
    {
        Invalidate(keyHash);
        broadcast?.KeyChanged(keyHash);
    }

    public void InvalidateAll() => _cache.Clear();

    public static string Describe(AuthFailure failure) => failure switch
    {
        AuthFailure.Missing => "No API key provided. Send it as 'Authorization: Bearer lr_live_...', 'X-Api-Key', 'x-goog-api-key' or '?key='.",
        AuthFailure.Malformed => "The API key is not a valid ARouter key (expected 'lr_live_' followed by at least 32 characters).",
        AuthFailure.Unknown => "The API key is not recognised.",
        AuthFailure.Disabled => "The API key is disabled.",
        AuthFailure.Revoked => "The API key has been revoked.",
        _ => "Authentication failed.",
    };
}
