using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using System.ClientModel;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Endpoints;

public sealed class SqliteKeyEndpointsTests(GatewayWithFakes fixture) : KeyEndpointsTests(fixture), IClassFixture<GatewayWithFakes>;

[RunsOnPostgres]
public sealed class PostgresKeyEndpointsTests(PostgresGatewayWithFakes fixture) : KeyEndpointsTests(fixture), IClassFixture<PostgresGatewayWithFakes>;

/// <summary>Managing keys with a management key: create, list, get, change, disable, delete — and every change takes effect at once.</summary>
public abstract class KeyEndpointsTests(GatewayWithFakes fixture)
{
    private Task<(int Status, JsonElement Json)> Api(HttpMethod method, string path, string key, object? body = null) => fixture.Gateway.SendJsonAsync(method, path, key, body);

    private async Task<(string Id, string Secret)> CreateKeyAsync(string managementKey, object body)
    {
        var (status, json) = await Api(HttpMethod.Post, "/api/v1/keys", managementKey, body);
        Assert.Equal(201, status);
        return (json.GetProperty("data").GetProperty("id").GetString()!, json.GetProperty("key").GetString()!);
    }

    [StoreFact]
    public async Task A_created_key_works_is_listed_without_its_secret_and_reports_usage_and_limit()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (status, created) = await Api(HttpMethod.Post, "/api/v1/keys", account.Key,
            new { name = "ci", limit = 1.5m, rate_limit = new { requests = 50, interval_seconds = 60 } });

        Assert.Equal(201, status);
        var secret = created.GetProperty("key").GetString()!;
        Assert.StartsWith("lr_live_", secret);
        var data = created.GetProperty("data");
        Assert.Equal("ci", data.GetProperty("name").GetString());
        Assert.Equal(1.5m, data.GetProperty("limit").GetDecimal());
        Assert.False(data.GetProperty("management").GetBoolean());
        Assert.Equal(50, data.GetProperty("rate_limit").GetProperty("requests").GetInt32());

        var (chatStatus, chat) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", secret, GatewayWithFakes.ChatBody("deepseek/deepseek-chat"));
        Assert.Equal(200, chatStatus);
        var cost = chat.GetProperty("usage").GetProperty("cost").GetDecimal();

        var (listStatus, list) = await Api(HttpMethod.Get, "/api/v1/keys", account.Key);
        Assert.Equal(200, listStatus);
        Assert.DoesNotContain(secret, list.GetRawText());
        var listed = list.GetProperty("data").EnumerateArray().Single(k => k.GetProperty("id").GetString() == data.GetProperty("id").GetString());
        Assert.Equal(cost, listed.GetProperty("usage").GetDecimal());
        Assert.Equal(1.5m - cost, listed.GetProperty("limit_remaining").GetDecimal());
        Assert.Equal(2, list.GetProperty("data").GetArrayLength());

        var (_, one) = await Api(HttpMethod.Get, "/api/v1/keys/" + data.GetProperty("id").GetString(), account.Key);
        Assert.Equal("ci", one.GetProperty("data").GetProperty("name").GetString());
        Assert.False(one.TryGetProperty("key", out _));
    }

    [StoreFact]
    public async Task A_key_disabled_or_deleted_is_refused_on_the_very_next_request_and_can_be_enabled_again()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (id, secret) = await CreateKeyAsync(account.Key, new { name = "temp" });
        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", secret)).Status);

        var (patched, json) = await Api(HttpMethod.Patch, "/api/v1/keys/" + id, account.Key, new { disabled = true });
        Assert.Equal(200, patched);
        Assert.True(json.GetProperty("data").GetProperty("disabled").GetBoolean());
        var (refused, error) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", secret);
        Assert.Equal(401, refused);
        Assert.Contains("disabled", error.GetProperty("error").GetProperty("message").GetString());

        await Api(HttpMethod.Patch, "/api/v1/keys/" + id, account.Key, new { disabled = false });
        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", secret)).Status);

        var (deleted, _) = await Api(HttpMethod.Delete, "/api/v1/keys/" + id, account.Key);
        Assert.Equal(200, deleted);
        Assert.Equal(401, (await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", secret)).Status);
        Assert.Equal(404, (await Api(HttpMethod.Get, "/api/v1/keys/" + id, account.Key)).Status);
        Assert.Equal(404, (await Api(HttpMethod.Delete, "/api/v1/keys/" + id, account.Key)).Status);
    }

    [StoreFact]
    public async Task A_key_that_is_not_a_management_key_cannot_manage_keys()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (_, plain) = await CreateKeyAsync(account.Key, new { name = "plain" });
        var (manager, managerSecret) = await CreateKeyAsync(account.Key, new { name = "ops", management = true });

        foreach (var (method, path) in new[] { (HttpMethod.Get, "/api/v1/keys"), (HttpMethod.Post, "/api/v1/keys"), (HttpMethod.Get, "/api/v1/provider-keys") })
        {
            var (status, json) = await Api(method, path, plain, method == HttpMethod.Post ? new { name = "x" } : null);
            Assert.Equal(403, status);
            Assert.Contains("management key", json.GetProperty("error").GetProperty("message").GetString());
        }
        Assert.Equal(200, (await Api(HttpMethod.Get, "/api/v1/keys", managerSecret)).Status);
        Assert.NotNull(manager);
    }

    [StoreFact]
    public async Task Keys_of_another_account_are_invisible()
    {
        var mine = await fixture.Gateway.CreateAccountAsync(1);
        var theirs = await fixture.Gateway.CreateAccountAsync(1);
        var (theirKey, _) = await CreateKeyAsync(theirs.Key, new { name = "theirs" });

        Assert.Equal(404, (await Api(HttpMethod.Get, "/api/v1/keys/" + theirKey, mine.Key)).Status);
        Assert.Equal(404, (await Api(HttpMethod.Patch, "/api/v1/keys/" + theirKey, mine.Key, new { disabled = true })).Status);
        Assert.Equal(404, (await Api(HttpMethod.Delete, "/api/v1/keys/" + theirKey, mine.Key)).Status);
        var (_, list) = await Api(HttpMethod.Get, "/api/v1/keys", mine.Key);
        Assert.DoesNotContain(theirKey, list.GetRawText());
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "{\"limit\": -1}", "limit" },
        { "{\"limit\": \"lots\"}", "limit" },
        { "{\"rate_limit\": {\"requests\": 0, \"interval_seconds\": 60}}", "rate_limit.requests" },
        { "{\"rate_limit\": {\"requests\": 10}}", "rate_limit.interval_seconds" },
        { "{\"rate_limit\": 5}", "rate_limit" },
        { "{\"management\": \"yes\"}", "management" },
        { "{\"name\": \"\"}", "name" },
        { "[]", "object" },
    };

    [StoreTheory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_key_bodies_are_400_naming_the_field(string body, string field)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var (status, json) = await Api(HttpMethod.Post, "/api/v1/keys", account.Key, body);
        Assert.Equal(400, status);
        Assert.Contains(field, json.GetProperty("error").GetProperty("message").GetString());
        var (_, list) = await Api(HttpMethod.Get, "/api/v1/keys", account.Key);
        Assert.Equal(1, list.GetProperty("data").GetArrayLength());
    }

    [StoreFact]
    public async Task The_OpenAI_SDK_sees_the_key_spend_limit_as_a_402_that_names_the_key()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (_, secret) = await CreateKeyAsync(account.Key, new { name = "capped", limit = 0 });
        var sdk = new ChatClient("deepseek/deepseek-chat", new ApiKeyCredential(secret), new OpenAIClientOptions { Endpoint = new Uri(fixture.Gateway.BaseAddress, "/v1") });

        var error = await Assert.ThrowsAsync<ClientResultException>(() => sdk.CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(402, error.Status);
        Assert.Contains("key's spend limit", error.Message);
        Assert.Contains("not the problem", error.Message);
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
