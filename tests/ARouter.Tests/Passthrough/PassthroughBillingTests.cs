using System.Text.Json;
using ARouter.Billing;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Passthrough;

/// <summary>Usage in native responses, streamed or not, is charged at catalog prices; everything else costs nothing.</summary>
public sealed class PassthroughBillingTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private static readonly FakeScript Usage = FakeScript.Default with { PromptTokens = 1_000, CompletionTokens = 500, CachedTokens = 200 };

    /// <summary>Groq's x_groq.usage has no cache details; asked with include_usage it also sends the standard chunk, which comes last and wins.</summary>
    public static TheoryData<string, string, string, string, bool> UsageCalls => new()
    {
        { "openai", "/v1/chat/completions", """{"model":"gpt-5.4","messages":[{"role":"user","content":"Hi"}]}""", "openai/gpt-5.4", false },
        { "openai", "/v1/chat/completions", """{"model":"gpt-5.4","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}""", "openai/gpt-5.4", true },
        { "kimi", "/v1/chat/completions", """{"model":"kimi-k2.6","stream":true,"messages":[{"role":"user","content":"Hi"}]}""", "kimi/kimi-k2.6", true },
        { "groq", "/openai/v1/chat/completions", """{"model":"openai/gpt-oss-120b","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}""", "groq/openai/gpt-oss-120b", true },
        { "anthropic", "/v1/messages", """{"model":"claude-sonnet-4-6","max_tokens":1024,"messages":[{"role":"user","content":"Hi"}]}""", "anthropic/claude-sonnet-4.6", false },
        { "anthropic", "/v1/messages", """{"model":"claude-sonnet-4-6","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Hi"}]}""", "anthropic/claude-sonnet-4.6", true },
        { "google", "/v1beta/models/gemini-2.5-flash:generateContent", """{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}""", "google/gemini-2.5-flash", false },
        { "google", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", """{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}""", "google/gemini-2.5-flash", true },
        { "google", "/v1beta/models/gemini-2.5-pro:streamGenerateContent", """{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}""", "google/gemini-2.5-pro", false },
    };

    [Theory]
    [MemberData(nameof(UsageCalls))]
    public async Task Usage_in_the_native_response_is_charged_at_the_catalog_price(string slug, string path, string body, string catalogModel, bool streamed)
    {
        var script = slug == "google" ? Usage with { ReasoningTokens = 50 } : Usage;
        fixture.Fakes.Script(slug, script);
        try
        {
            var account = await fixture.Gateway.CreateAccountAsync(5);
            var (status, text, response) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, "/" + slug + path, account.Key, body));
            Assert.True(status == 200, text);
            Assert.Equal(streamed, response.Content.Headers.ContentType?.MediaType == "text/event-stream");

            // Gemini's thoughts are output the candidates count leaves out.
            var usage = slug == "google" ? new TokenUsage(1_000, 550, 200, 50) : new TokenUsage(1_000, 500, 200);
            var expected = PassthroughCalls.Cost(catalogModel, usage);
            Assert.True(expected > 0);
            await PassthroughCalls.AssertBalanceAsync(fixture.Gateway, account.Key, 5 - expected);

            var generation = await PassthroughCalls.GenerationAsync(fixture.Gateway, account.Key, response);
            Assert.Equal(expected, generation.GetProperty("cost").GetDecimal());
            Assert.Equal(catalogModel, generation.GetProperty("model").GetString());
            Assert.Equal(usage.PromptTokens, generation.GetProperty("prompt_tokens").GetInt32());
            Assert.Equal(usage.CompletionTokens, generation.GetProperty("completion_tokens").GetInt32());
            Assert.Equal(200, generation.GetProperty("cached_tokens").GetInt32());
            Assert.Equal(streamed, generation.GetProperty("streamed").GetBoolean());

            var (_, transactions) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/transactions", account.Key);
            var charge = Assert.Single(transactions.GetProperty("data").EnumerateArray(), t => t.GetProperty("type").GetString() == "charge");
            Assert.Equal(-expected, charge.GetProperty("amount").GetDecimal());
            Assert.Equal(catalogModel, charge.GetProperty("model").GetString());
        }
        finally
        {
            fixture.Fakes.Script(slug, FakeScript.Default);
        }
    }

    [Fact]
    public async Task A_model_missing_from_the_catalog_is_charged_at_the_providers_highest_price()
    {
        fixture.Fakes.Script("openai", FakeScript.Default with { PromptTokens = 1_000, CompletionTokens = 500 });
        try
        {
            var account = await fixture.Gateway.CreateAccountAsync(50);
            var (status, text, _) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, "/openai/v1/chat/completions", account.Key,
                """{"model":"gpt-not-in-the-catalog","messages":[{"role":"user","content":"Hi"}]}"""));
            Assert.True(status == 200, text);

            var usage = new TokenUsage(1_000, 500);
            var highest = GatewayWithFakes.Catalog.Models.Where(m => m.Provider == "openai").Max(m => CostCalculator.CostNanos(m.Price, usage));
            Assert.True(highest > 0);
            await PassthroughCalls.AssertBalanceAsync(fixture.Gateway, account.Key, 50 - Money.FromNanos(highest));
        }
        finally
        {
            fixture.Fakes.Script("openai", FakeScript.Default);
        }
    }

    [Theory]
    [InlineData("/anthropic/v1/models")]
    [InlineData("/google/v1beta/models")]
    [InlineData("/openai/v1/models")]
    public async Task Listing_models_costs_nothing_but_is_recorded(string path)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (status, text, response) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Get, path, account.Key));

        Assert.True(status == 200, text);
        using var json = JsonDocument.Parse(text);
        Assert.True(json.RootElement.TryGetProperty("data", out _) || json.RootElement.TryGetProperty("models", out _));
        var generation = await PassthroughCalls.GenerationAsync(fixture.Gateway, account.Key, response);
        Assert.Equal(0m, generation.GetProperty("cost").GetDecimal());
        Assert.Equal("passthrough", generation.GetProperty("endpoint").GetString());
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task Too_little_credit_for_the_worst_case_is_402_and_nothing_is_forwarded()
    {
        var account = await fixture.Gateway.CreateAccountAsync(0.001m);
        var before = fixture.Fakes.RequestsTo("anthropic").Count;

        var (status, text, _) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, "/anthropic/v1/messages", account.Key,
            """{"model":"claude-opus-4-8","max_tokens":64000,"messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.Equal(402, status);
        using var json = JsonDocument.Parse(text);
        Assert.Equal("insufficient_credits", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(before, fixture.Fakes.RequestsTo("anthropic").Count);
        Assert.Equal(0.001m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task A_request_without_a_model_holds_the_default_reservation_and_is_402_below_it()
    {
        var account = await fixture.Gateway.CreateAccountAsync(0.01m);
        var before = fixture.Fakes.RequestsTo("google").Count;

        var (status, _, _) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Get, "/google/v1beta/models", account.Key));

        Assert.Equal(402, status);
        Assert.Equal(before, fixture.Fakes.RequestsTo("google").Count);
    }

    [Theory]
    [InlineData("openai", "/v1/chat/completions", """{"model":"gpt-5.4","messages":[{"role":"user","content":"Hi"}]}""", 500)]
    [InlineData("mistral", "/v1/chat/completions", """{"model":"mistral-large-latest","messages":[{"role":"user","content":"Hi"}]}""", 429)]
    [InlineData("anthropic", "/v1/messages", """{"model":"claude-sonnet-4-6","max_tokens":10,"messages":[{"role":"user","content":"Hi"}]}""", 529)]
    [InlineData("google", "/v1beta/models/gemini-2.5-flash:generateContent", """{"contents":[{"parts":[{"text":"Hi"}]}]}""", 503)]
    public async Task Upstream_errors_pass_through_unchanged_and_cost_nothing(string slug, string path, string body, int failStatus)
    {
        fixture.Fakes.Script(slug, FakeScript.Default with { FailStatus = failStatus, FailMessage = "Provider trouble, on purpose." });
        try
        {
            var account = await fixture.Gateway.CreateAccountAsync(5);
            var (status, text, response) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, "/" + slug + path, account.Key, body));

            Assert.Equal(failStatus, status);
            using var json = JsonDocument.Parse(text);
            // Each provider's own error shape: Mistral's message sits at the top level, the others' inside "error".
            var error = json.RootElement.TryGetProperty("error", out var nested) ? nested : json.RootElement;
            Assert.Equal("Provider trouble, on purpose.", error.GetProperty("message").GetString());
            if (slug == "anthropic") Assert.Equal("overloaded_error", error.GetProperty("type").GetString());
            if (slug == "google") Assert.Equal("UNAVAILABLE", error.GetProperty("status").GetString());
            if (failStatus == 429) Assert.Equal("7", Assert.Single(response.Headers.GetValues("Retry-After")));
            var generation = await PassthroughCalls.GenerationAsync(fixture.Gateway, account.Key, response);
            Assert.Equal(failStatus, generation.GetProperty("status").GetInt32());
            Assert.Equal(0m, generation.GetProperty("cost").GetDecimal());
            Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
        }
        finally
        {
            fixture.Fakes.Script(slug, FakeScript.Default);
        }
    }

    [Fact]
    public async Task A_native_validation_error_from_anthropic_reaches_the_caller_as_is()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (status, text, _) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, "/anthropic/v1/messages", account.Key,
            """{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.Equal(400, status);
        using var json = JsonDocument.Parse(text);
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("max_tokens: Field required", json.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
