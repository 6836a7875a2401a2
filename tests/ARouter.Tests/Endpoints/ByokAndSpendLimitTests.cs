using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Endpoints;

/// <summary>A gateway with no operator key for Mistral and a 5% BYOK fee: Mistral is reachable only with the caller's own key.</summary>
public class ByokGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["MISTRAL_API_KEY"] = "",
        ["ARouter:ByokFeePercent"] = "5",
    };
}

public sealed class PostgresByokGateway : ByokGateway
{
    protected override StoreEngine Engine => StoreEngine.Postgres;
}

public sealed class SqliteByokAndSpendLimitTests(ByokGateway fixture) : ByokAndSpendLimitTests(fixture), IClassFixture<ByokGateway>;

[RunsOnPostgres]
public sealed class PostgresByokAndSpendLimitTests(PostgresByokGateway fixture) : ByokAndSpendLimitTests(fixture), IClassFixture<PostgresByokGateway>;

public abstract class ByokAndSpendLimitTests(ByokGateway fixture)
{
    private static readonly string MistralModel = GatewayWithFakes.ChatModelOf("mistral").Id;

    private async Task<(int Status, JsonElement Json)> ChatAsync(string key, string model, string? providerKey = null, int maxTokens = 100)
    {
        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", key, GatewayWithFakes.ChatBody(model, maxTokens: maxTokens));
        if (providerKey is not null) request.Headers.Add("X-Provider-Key", providerKey);
        using var response = await fixture.Gateway.Client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((int)response.StatusCode, json.RootElement.Clone());
    }

    private static decimal Fee(decimal usd) => Money.FromNanos((long)decimal.Ceiling(Money.ToNanos(usd) * 5m / 100m));

    [StoreFact]
    public async Task X_Provider_Key_reaches_a_provider_the_operator_has_no_key_for_and_only_the_fee_is_charged()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        Assert.Equal(403, (await ChatAsync(account.Key, MistralModel)).Status);

        var (status, body) = await ChatAsync(account.Key, MistralModel, providerKey: FakeProviders.KeyFor("mistral"));

        Assert.Equal(200, status);
        var received = fixture.Fakes.RequestsTo("mistral")[^1];
        Assert.Equal("Bearer " + FakeProviders.KeyFor("mistral"), received.Headers["authorization"]);
        Assert.DoesNotContain("x-provider-key", received.Headers.Keys);
        var fullPrice = Money.FromNanos(CostCalculator.CostNanos(GatewayWithFakes.Catalog.FindModel(MistralModel)!.Price, new TokenUsage(FakeScript.Default.PromptTokens, FakeScript.Default.CompletionTokens)));
        var charged = body.GetProperty("usage").GetProperty("cost").GetDecimal();
        Assert.Equal(Fee(fullPrice), charged);
        Assert.Equal(1m - charged, await fixture.Gateway.BalanceAsync(account.Key));

        var (_, generation) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/generations/" + body.GetProperty("id").GetString(), account.Key);
        Assert.True(generation.GetProperty("data").GetProperty("byok").GetBoolean());
        var (_, transactions) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/transactions", account.Key);
        var charge = transactions.GetProperty("data")[0];
        Assert.True(charge.GetProperty("byok").GetBoolean());
        Assert.Equal(-charged, charge.GetProperty("amount").GetDecimal());
        Assert.StartsWith("key_", charge.GetProperty("key_id").GetString());
        Assert.DoesNotContain(FakeProviders.KeyFor("mistral"), fixture.Gateway.Logs.All);
    }

    [StoreFact]
    public async Task A_stored_provider_key_is_used_encrypted_at_rest_listed_without_secret_and_removable()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var providerKey = FakeProviders.KeyFor("mistral");

        var (put, _) = await fixture.Gateway.SendJsonAsync(HttpMethod.Put, "/api/v1/provider-keys/mistral", account.Key, new { key = providerKey });
        Assert.Equal(200, put);
        var (list, listed) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/provider-keys", account.Key);
        Assert.Equal(200, list);
        Assert.Equal("mistral", listed.GetProperty("data")[0].GetProperty("provider").GetString());
        Assert.DoesNotContain(providerKey, listed.GetRawText());

        var (status, body) = await ChatAsync(account.Key, MistralModel);
        Assert.Equal(200, status);
        Assert.Equal("Bearer " + providerKey, fixture.Fakes.RequestsTo("mistral")[^1].Headers["authorization"]);
        var (_, generation) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/generations/" + body.GetProperty("id").GetString(), account.Key);
        Assert.True(generation.GetProperty("data").GetProperty("byok").GetBoolean());

        await Task.Delay(300);
        var stored = await fixture.Gateway.Database.ReadEverythingStoredAsync();
        Assert.DoesNotContain(providerKey, stored);
        Assert.DoesNotContain("fake-mistral", stored);

        // Passthrough uses the stored key too.
        var (native, _) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/mistral/v1/chat/completions", account.Key, new { model = GatewayWithFakes.ChatModelOf("mistral").UpstreamId, messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(200, native);
        Assert.Equal("Bearer " + providerKey, fixture.Fakes.RequestsTo("mistral")[^1].Headers["authorization"]);

        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Delete, "/api/v1/provider-keys/mistral", account.Key)).Status);
        Assert.Equal(403, (await ChatAsync(account.Key, MistralModel)).Status);
        Assert.Equal(404, (await fixture.Gateway.SendJsonAsync(HttpMethod.Delete, "/api/v1/provider-keys/mistral", account.Key)).Status);
        Assert.Equal(404, (await fixture.Gateway.SendJsonAsync(HttpMethod.Put, "/api/v1/provider-keys/nope", account.Key, new { key = "x" })).Status);
        Assert.Equal(400, (await fixture.Gateway.SendJsonAsync(HttpMethod.Put, "/api/v1/provider-keys/mistral", account.Key, new { key = "" })).Status);
    }

    [StoreFact]
    public async Task A_wrong_BYOK_key_is_the_callers_problem_shown_as_the_providers_refusal_and_costs_nothing()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var (status, body) = await ChatAsync(account.Key, MistralModel, providerKey: "sk-not-the-right-key-123456");
        Assert.Equal(502, status);
        Assert.DoesNotContain("not-the-right", body.GetRawText());
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [StoreFact]
    public async Task One_hundred_concurrent_requests_never_spend_past_the_keys_limit()
    {
        var account = await fixture.Gateway.CreateAccountAsync(100);
        var model = GatewayWithFakes.Catalog.FindModel("deepseek/deepseek-chat")!;
        // About ten worst cases fit under the key's limit; the account itself could pay for all of them.
        var worstCase = Money.FromNanos(CostCalculator.WorstCaseNanos(model.Price, 60, 2_000));
        var limit = decimal.Round(worstCase * 10, 9);
        var (created, key) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/api/v1/keys", account.Key, new { name = "capped", limit, rate_limit = new { requests = 1000, interval_seconds = 60 } });
        Assert.Equal(201, created);
        var secret = key.GetProperty("key").GetString()!;
        var keyId = key.GetProperty("data").GetProperty("id").GetString()!;
        fixture.Fakes.Script("deepseek", FakeScript.Default with { CompletionTokens = 1_990, Delay = TimeSpan.FromMilliseconds(30) });

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => ChatAsync(secret, "deepseek/deepseek-chat", maxTokens: 2_000)));
        fixture.Fakes.Script("deepseek", FakeScript.Default);

        Assert.All(results, r => Assert.Contains(r.Status, new[] { 200, 402 }));
        var successes = results.Where(r => r.Status == 200).ToList();
        Assert.InRange(successes.Count, 10, 99);
        Assert.All(results.Where(r => r.Status == 402), r => Assert.Contains("key's spend limit", r.Json.GetProperty("error").GetProperty("message").GetString()));
        var spent = successes.Sum(r => r.Json.GetProperty("usage").GetProperty("cost").GetDecimal());
        Assert.True(spent <= limit, $"spent {spent} of a {limit} limit");
        var (_, listed) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/keys/" + keyId, account.Key);
        Assert.Equal(spent, listed.GetProperty("data").GetProperty("usage").GetDecimal());
        Assert.Equal(100m - spent, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
