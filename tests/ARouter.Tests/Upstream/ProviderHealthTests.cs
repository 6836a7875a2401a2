using System.Text.Json;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Upstream;

/// <summary>A gateway whose circuit breaker opens after 3 failures and probes again after 1 s.</summary>
public sealed class TwitchyBreakerGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ARouter:Health:MinimumThroughput"] = "3",
        ["ARouter:Health:BreakSeconds"] = "1",
    };
}

public sealed class ProviderHealthTests(TwitchyBreakerGateway fixture) : IClassFixture<TwitchyBreakerGateway>
{
    private static readonly string Grok = GatewayWithFakes.ChatModelOf("xai").Id;

    [Fact]
    public async Task A_sick_provider_is_skipped_without_being_called_then_probed_and_recovers()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("xai", FakeScript.Default with { FailStatus = 500 });
        for (var i = 0; i < 3; i++)
            Assert.Equal(502, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(Grok, maxTokens: 20))).Status);
        var calls = fixture.Fakes.RequestsTo("xai").Count;

        // Open: refused at once with 503 and Retry-After, the provider not called; a fallback list moves straight on.
        var (open, error) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(Grok, maxTokens: 20));
        Assert.Equal(503, open);
        Assert.Contains("failing repeatedly", error.GetProperty("error").GetProperty("message").GetString());
        var fallback = JsonSerializer.Serialize(new { model = Grok, models = new[] { "deepseek/deepseek-chat" }, max_tokens = 20, messages = new[] { new { role = "user", content = "hi" } } });
        var (served, answer) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, fallback);
        Assert.Equal(200, served);
        Assert.Equal("deepseek/deepseek-chat", answer.GetProperty("model").GetString());
        Assert.Equal(calls, fixture.Fakes.RequestsTo("xai").Count);

        // After the break one probe goes through; the provider is healthy again, so the circuit closes.
        fixture.Fakes.Script("xai", FakeScript.Default);
        await Task.Delay(1_200);
        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(Grok, maxTokens: 20))).Status);
        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(Grok, maxTokens: 20))).Status);
        Assert.Equal(calls + 2, fixture.Fakes.RequestsTo("xai").Count);
    }

    [Fact]
    public async Task The_callers_own_bad_requests_do_not_make_a_provider_sick()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var kimi = GatewayWithFakes.ChatModelOf("kimi").Id;
        fixture.Fakes.Script("kimi", FakeScript.Default with { FailStatus = 400 });
        for (var i = 0; i < 5; i++)
            Assert.Equal(400, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(kimi, maxTokens: 20))).Status);
        fixture.Fakes.Script("kimi", FakeScript.Default);
        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(kimi, maxTokens: 20))).Status);
    }
}
