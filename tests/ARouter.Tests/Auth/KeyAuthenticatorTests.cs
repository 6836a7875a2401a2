using System.Security.Cryptography;
using System.Text;
using ARouter.Auth;
using ARouter.Storage;
using ARouter.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace ARouter.Tests.Auth;

/// <summary>The key cache is keyed by the digest's numbers; the database is asked by its hex, the form it stores.</summary>
public sealed class KeyAuthenticatorTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private IStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(StoreEngine.Sqlite);
        _store = await _database.OpenMigratedAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public void The_digest_is_the_keys_sha256_and_reads_back_from_its_hex()
    {
        var key = ApiKeyFormat.Generate();
        var hex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

        Assert.Equal(hex, ApiKeyFormat.Hash(key));
        Assert.Equal(hex, KeyDigest.Of(key).ToHex());
        Assert.True(KeyDigest.TryParseHex(hex, out var parsed));
        Assert.Equal(KeyDigest.Of(key), parsed);
        Assert.NotEqual(KeyDigest.Of(key), KeyDigest.Of(key + "x"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("00000000000000000000000000000000000000000000000000000000000000000")]
    public void Anything_but_64_hex_digits_is_no_digest(string hex) => Assert.False(KeyDigest.TryParseHex(hex, out _));

    [Fact]
    public async Task A_cached_key_is_answered_from_memory_until_it_is_invalidated_by_its_stored_hash()
    {
        var (secret, key) = ApiKeyFormat.Create(Ids.NewAccountId(), "first", management: false);
        await _store.CreateAccountAsync("acme", 10_000, key, default);
        var authenticator = new KeyAuthenticator(_store, TimeProvider.System);

        var first = await authenticator.AuthenticateAsync(Bearer(secret), default);
        Assert.Equal(key.Id, first.Caller?.KeyId);

        // Changed behind the cache's back (another process, say): the cache still answers with what it read.
        await _store.UpdateKeyAsync(key with { Disabled = true }, default);
        var cached = await authenticator.AuthenticateAsync(Bearer(secret), default);
        Assert.Same(first.Caller, cached.Caller);

        authenticator.Invalidate(key.KeyHash);
        var reread = await authenticator.AuthenticateAsync(Bearer(secret), default);
        Assert.Equal((null, AuthFailure.Disabled), reread);
    }

    [Theory]
    [InlineData("Authorization", "Bearer    ", AuthFailure.Missing)]
    [InlineData("Authorization", "Bearer x", AuthFailure.Malformed)]
    [InlineData("Authorization", "Basic abc", AuthFailure.Missing)]
    [InlineData("x-api-key", "   ", AuthFailure.Missing)]
    [InlineData("x-api-key", "lr_live_short", AuthFailure.Malformed)]
    [InlineData("x-goog-api-key", "  lr_live_0123456789012345678901234567890123456789  ", AuthFailure.Unknown)]
    public async Task Where_and_how_the_key_is_sent_decides_the_refusal(string header, string value, AuthFailure failure)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[header] = value;

        var (caller, refused) = await new KeyAuthenticator(_store, TimeProvider.System).AuthenticateAsync(context.Request, default);

        Assert.Null(caller);
        Assert.Equal(failure, refused);
    }

    [Fact]
    public async Task A_key_in_the_query_is_found_trimmed()
    {
        var (secret, key) = ApiKeyFormat.Create(Ids.NewAccountId(), "first", management: false);
        await _store.CreateAccountAsync("acme", 10_000, key, default);
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString("?key=" + Uri.EscapeDataString(" " + secret + " "));

        var (caller, _) = await new KeyAuthenticator(_store, TimeProvider.System).AuthenticateAsync(context.Request, default);

        Assert.Equal(key.Id, caller?.KeyId);
    }

    private static HttpRequest Bearer(string secret)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer " + secret;
        return context.Request;
    }
}
