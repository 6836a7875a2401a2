using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Tests.FakeUpstream;
using Microsoft.Extensions.DependencyInjection;

namespace ARouter.Tests.Pipeline;

/// <summary>
/// A gateway with two test models at plain prices, one with a small context window, and an <c>auto</c> pool of
/// both (small first): enough to put a prompt's cheap upper bound and its exact count on different sides of a
/// balance, a key limit or a context window.
/// </summary>
public sealed class PromptSizingGateway : GatewayWithFakes
{
    public const string Small = "deepseek/tiny-context";
    public const string Roomy = "mistral/roomy-context";
    public const int SmallContext = 2_000;
    public static readonly PricePerMillion Price = new() { Prompt = 3, Completion = 15 };

    private readonly string _catalog = Path.Combine(Path.GetTempPath(), "arouter-tests", "prompt-sizing-" + Guid.NewGuid().ToString("n") + ".json");

    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["AROUTER_CATALOG"] = _catalog,
        ["ARouter:Auto:Models"] = Small + ", " + Roomy,
    };

    public override async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_catalog)!);
        static object Model(string id, string provider, int context) => new Dictionary<string, object?>
        {
            ["id"] = id, ["provider"] = provider, ["upstream_id"] = id.Split('/')[1], ["name"] = id + " (tests)", ["kind"] = "chat",
            ["context_length"] = context, ["max_output_tokens"] = 1_000,
            ["price_per_mtok"] = new Dictionary<string, object?> { ["prompt"] = Price.Prompt, ["completion"] = Price.Completion, ["cache_read"] = null, ["cache_write"] = null, ["reasoning"] = null },
            ["capabilities"] = new Dictionary<string, bool> { ["vision"] = false, ["tools"] = true, ["pdf"] = false, ["embeddings"] = false, ["reasoning"] = false },
        };
        await File.WriteAllTextAsync(_catalog, JsonSerializer.Serialize(new { providers = Array.Empty<object>(), models = new[] { Model(Small, "deepseek", SmallContext), Model(Roomy, "mistral", 1_000_000) } }));
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        File.Delete(_catalog);
    }

    public bool TokenizerLoaded => Gateway.Services.GetRequiredService<TokenEstimator>().IsLoaded;

    /// <summary>The prompt's tokens as the gateway counts them, asked the way a caller would (<c>/v1/messages/count_tokens</c>).</summary>
    public async Task<int> CountAsync(string key, string prompt)
    {
        var (status, json) = await Gateway.SendJsonAsync(HttpMethod.Post, "/v1/messages/count_tokens", key,
            JsonSerializer.Serialize(new { model = Roomy, messages = new[] { new { role = "user", content = prompt } } }));
        Assert.Equal(200, status);
        return json.GetProperty("input_tokens").GetInt32();
    }

    /// <summary>What the gateway holds for a prompt of <paramref name="promptTokens"/> and <paramref name="maxTokens"/> of output (context to spare).</summary>
    public static long HoldNanos(int promptTokens, int maxTokens) => CostCalculator.WorstCaseNanos(Price, TokenEstimator.WithMargin(promptTokens), maxTokens);

    /// <summary>The cheap upper bound on a one-message prompt: its UTF-8 bytes plus the fixed overheads.</summary>
    public static int BoundOf(string prompt) => 3 + 4 + Encoding.UTF8.GetByteCount(prompt);

    /// <summary>English-like text: about four bytes per token, so its bound is far above its count.</summary>
    public static string Words(int repeats) => string.Concat(Enumerable.Repeat("hello world, ", repeats));

    public async Task<List<JsonElement>> ChargesAsync(string key)
    {
        var (status, json) = await Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/transactions?limit=100", key);
        Assert.Equal(200, status);
        return json.GetProperty("data").EnumerateArray().Where(t => t.GetProperty("type").GetString() == "charge").ToList();
    }
}

/// <summary>
/// A fresh gateway: callers with credit to spare and providers that report usage never need the tokenizer,
/// so its vocabulary is never loaded; the first request billed by the gateway's own count loads it.
/// </summary>
public sealed class LazyTokenizerTests(PromptSizingGateway fixture) : IClassFixture<PromptSizingGateway>
{
    [Fact]
    public async Task Requests_with_credit_to_spare_are_charged_the_providers_usage_without_loading_the_tokenizer_until_a_provider_reports_none()
    {
        var gateway = fixture.Gateway;
        var account = await gateway.CreateAccountAsync(50);
        fixture.Fakes.Script("mistral", FakeScript.Default with { PromptTokens = 1_234, CompletionTokens = 56 });
        var prompt = PromptSizingGateway.Words(500);
        var usageCost = Money.FromNanos(CostCalculator.CostNanos(PromptSizingGateway.Price, new TokenUsage(1_234, 56)));

        var (status, body) = await gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(PromptSizingGateway.Roomy, maxTokens: 200, prompt: prompt));
        Assert.Equal(200, status);
        Assert.Equal(usageCost, body.GetProperty("usage").GetProperty("cost").GetDecimal());
        using (var request = gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(PromptSizingGateway.Roomy, stream: true, prompt: prompt)))
        using (var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            var events = await GatewayWithFakes.ReadSseAsync(response);
            Assert.Equal("[DONE]", events[^1]);
        }
        // "auto" checks the context: the bound of this prompt fits the small model's window, so nothing is counted.
        var (autoStatus, auto) = await gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody("auto", maxTokens: 100));
        Assert.Equal(200, autoStatus);
        Assert.Equal(PromptSizingGateway.Small, auto.GetProperty("model").GetString());
        var (embedStatus, _) = await gateway.SendJsonAsync(HttpMethod.Post, "/v1/embeddings", account.Key, new { model = "openai/text-embedding-3-small", input = prompt });
        Assert.Equal(200, embedStatus);
        // Passthrough sizes its hold by the body's bytes, so the provider's own API costs no count either.
        var passthrough = Passthrough.PassthroughCalls.Request(HttpMethod.Post, "/mistral/v1/chat/completions", account.Key,
            GatewayWithFakes.ChatBody(PromptSizingGateway.Roomy.Split('/')[1], maxTokens: 200, prompt: prompt));
        var (passthroughStatus, _, _) = await Passthrough.PassthroughCalls.SendAsync(gateway, passthrough);
        Assert.Equal(200, passthroughStatus);
        fixture.Fakes.Script("mistral", FakeScript.Default);

        Assert.False(fixture.TokenizerLoaded, "no request so far needed an exact count");
        var charges = await fixture.ChargesAsync(account.Key);
        Assert.Equal(5, charges.Count);
        Assert.Equal(3, charges.Count(c => c.GetProperty("prompt_tokens").GetInt32() == 1_234 && c.GetProperty("amount").GetDecimal() == -usageCost));
        Assert.Equal(50 + charges.Sum(c => c.GetProperty("amount").GetDecimal()), await gateway.BalanceAsync(account.Key));

        // A provider that reports no usage is billed by the gateway's own, exact count: now the tokenizer is needed.
        fixture.Fakes.Script("mistral", FakeScript.Default with { OmitUsage = true });
        var (countedStatus, counted) = await gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(PromptSizingGateway.Roomy, maxTokens: 200, prompt: prompt));
        fixture.Fakes.Script("mistral", FakeScript.Default);
        Assert.Equal(200, countedStatus);
        Assert.True(fixture.TokenizerLoaded);
        var exact = await fixture.CountAsync(account.Key, prompt);
        Assert.True(exact < PromptSizingGateway.BoundOf(prompt) / 3, $"{exact} tokens");
        Assert.Equal(exact, counted.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        var charge = Assert.Single(await fixture.ChargesAsync(account.Key), c => c.GetProperty("generation_id").GetString() == counted.GetProperty("id").GetString());
        Assert.Equal(exact, charge.GetProperty("prompt_tokens").GetInt32());
    }
}

/// <summary>
/// The hold is first sized by the prompt's upper bound; when that does not fit, the prompt is counted and the exact
/// worst case is held — so a tight balance or key limit sees the same answer as if only the exact count existed.
/// </summary>
public sealed class CreditCheckTests(PromptSizingGateway fixture) : IClassFixture<PromptSizingGateway>
{
    private const int MaxTokens = 100;
    private static readonly string Prompt = PromptSizingGateway.Words(300);

    private async Task<(int Status, JsonElement Json)> ChatAsync(string key, string model = PromptSizingGateway.Roomy, string? prompt = null)
        => await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", key, GatewayWithFakes.ChatBody(model, maxTokens: MaxTokens, prompt: prompt ?? Prompt));

    /// <summary>The exact hold for <see cref="Prompt"/>, after checking that the bound's hold is well above it (else these tests prove nothing).</summary>
    private async Task<(int Tokens, long HoldNanos)> ExactHoldAsync(string key)
    {
        var tokens = await fixture.CountAsync(key, Prompt);
        var exact = PromptSizingGateway.HoldNanos(tokens, MaxTokens);
        Assert.True(PromptSizingGateway.HoldNanos(PromptSizingGateway.BoundOf(Prompt), MaxTokens) > exact * 2, "the bound's hold is far above the exact one");
        return (tokens, exact);
    }

    [Fact]
    public async Task A_balance_below_the_bounds_hold_but_covering_the_exact_hold_is_served_and_charged_the_providers_usage()
    {
        var probe = await fixture.Gateway.CreateAccountAsync(0);
        var (tokens, hold) = await ExactHoldAsync(probe.Key);
        var credits = Money.FromNanos(hold);
        var account = await fixture.Gateway.CreateAccountAsync(credits);
        fixture.Fakes.Script("mistral", FakeScript.Default with { PromptTokens = tokens, CompletionTokens = 40 });

        var (status, body) = await ChatAsync(account.Key);
        fixture.Fakes.Script("mistral", FakeScript.Default);

        Assert.Equal(200, status);
        var cost = Money.FromNanos(CostCalculator.CostNanos(PromptSizingGateway.Price, new TokenUsage(tokens, 40)));
        Assert.Equal(cost, body.GetProperty("usage").GetProperty("cost").GetDecimal());
        Assert.Equal(credits - cost, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task A_balance_below_the_exact_hold_gets_402_with_the_counted_prompt_and_nothing_is_sent_or_charged()
    {
        var probe = await fixture.Gateway.CreateAccountAsync(0);
        var (tokens, hold) = await ExactHoldAsync(probe.Key);
        var credits = Money.FromNanos(hold - 1);
        var account = await fixture.Gateway.CreateAccountAsync(credits);
        var sent = fixture.Fakes.RequestsTo("mistral").Count;

        var (status, body) = await ChatAsync(account.Key);

        Assert.Equal(402, status);
        var message = body.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains($"may cost up to ${Money.Format(Money.FromNanos(hold))} (~{tokens} prompt tokens + up to {MaxTokens} output tokens)", message);
        Assert.Contains($"the account has ${Money.Format(credits)} available", message);
        Assert.Equal(sent, fixture.Fakes.RequestsTo("mistral").Count);
        Assert.Empty(await fixture.ChargesAsync(account.Key));
        Assert.Equal(credits, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Theory]
    [InlineData(0, 200)]
    [InlineData(-1, 402)]
    public async Task A_key_limit_is_held_against_the_exact_worst_case_when_the_bounds_does_not_fit(long belowHold, int expected)
    {
        var account = await fixture.Gateway.CreateAccountAsync(50);
        var (_, hold) = await ExactHoldAsync(account.Key);
        var limit = Money.FromNanos(hold + belowHold);
        var (created, key) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/api/v1/keys", account.Key, new { name = "capped", limit });
        Assert.Equal(201, created);

        var (status, body) = await ChatAsync(key.GetProperty("key").GetString()!);

        Assert.Equal(expected, status);
        if (expected == 402)
            Assert.Contains($"key's spend limit is reached: the key may spend ${Money.Format(limit)} in all and has ${Money.Format(limit)} of it left, but this request to {PromptSizingGateway.Roomy} may cost up to ${Money.Format(Money.FromNanos(hold))}",
                body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Concurrent_requests_whose_bound_holds_do_not_all_fit_never_overdraw_and_each_success_is_charged_once()
    {
        var probe = await fixture.Gateway.CreateAccountAsync(0);
        var (tokens, hold) = await ExactHoldAsync(probe.Key);
        // Five exact holds: one or two of the bound's, so most requests are held by the count while others are in flight.
        var credits = Money.FromNanos(hold * 5);
        var account = await fixture.Gateway.CreateAccountAsync(credits);
        fixture.Fakes.Script("mistral", FakeScript.Default with { PromptTokens = tokens, CompletionTokens = MaxTokens, Delay = TimeSpan.FromMilliseconds(50) });

        var results = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => ChatAsync(account.Key)));
        fixture.Fakes.Script("mistral", FakeScript.Default);

        Assert.All(results, r => Assert.Contains(r.Status, new[] { 200, 402 }));
        var successes = results.Count(r => r.Status == 200);
        Assert.InRange(successes, 1, 23);
        var charges = await fixture.ChargesAsync(account.Key);
        Assert.Equal(successes, charges.Count);
        Assert.Equal(successes, charges.Select(c => c.GetProperty("generation_id").GetString()).Distinct().Count());
        var balance = await fixture.Gateway.BalanceAsync(account.Key);
        Assert.True(balance >= 0, $"balance {balance}");
        Assert.Equal(credits + charges.Sum(c => c.GetProperty("amount").GetDecimal()), balance);
    }

    [Fact]
    public async Task Auto_counts_a_prompt_whose_bound_overflows_the_small_context_and_routes_by_the_count()
    {
        var account = await fixture.Gateway.CreateAccountAsync(50);
        // About 900 tokens in 3,900 bytes: the bound does not fit 2,000 tokens of context, the count does.
        var fits = PromptSizingGateway.Words(300);
        // About 3,000 tokens: the count does not fit either.
        var overflows = PromptSizingGateway.Words(1_000);
        Assert.True(PromptSizingGateway.BoundOf(fits) > PromptSizingGateway.SmallContext);
        Assert.True(await fixture.CountAsync(account.Key, overflows) + MaxTokens > PromptSizingGateway.SmallContext);

        var (fitsStatus, fitsBody) = await ChatAsync(account.Key, "auto", fits);
        var (overflowsStatus, overflowsBody) = await ChatAsync(account.Key, "auto", overflows);

        Assert.Equal(200, fitsStatus);
        Assert.Equal(PromptSizingGateway.Small, fitsBody.GetProperty("model").GetString());
        Assert.Equal(200, overflowsStatus);
        Assert.Equal(PromptSizingGateway.Roomy, overflowsBody.GetProperty("model").GetString());
    }
}

/// <summary>An operator who wants no first-count pause: <c>ARouter:Tokenizer:WarmUp</c> loads the vocabulary after start-up.</summary>
public sealed class WarmedTokenizerGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?> { ["ARouter:Tokenizer:WarmUp"] = "true" };
}

public sealed class TokenizerWarmUpTests(WarmedTokenizerGateway fixture) : IClassFixture<WarmedTokenizerGateway>
{
    [Fact]
    public async Task With_warm_up_on_the_vocabulary_is_loaded_in_the_background_without_any_request()
        => await Infrastructure.Poll.UntilAsync(() => fixture.Gateway.Services.GetRequiredService<TokenEstimator>().IsLoaded, TimeSpan.FromSeconds(60));
}
