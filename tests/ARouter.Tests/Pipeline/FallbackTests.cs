using System.Net;
using System.Text.Json;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Pipeline;

/// <summary>OpenRouter's <c>models</c> fallback: the next candidate after a provider failure, never after the caller's own mistake.</summary>
public sealed class FallbackTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private static readonly string Grok = GatewayWithFakes.ChatModelOf("xai").Id;
    private static readonly string Kimi = GatewayWithFakes.ChatModelOf("kimi").Id;
    private const string DeepSeek = "deepseek/deepseek-chat";

    private static string Body(bool stream, params string[] models) => JsonSerializer.Serialize(new
    {
        model = models[0],
        models = models[1..],
        route = "fallback",
        stream,
        max_tokens = 100,
        messages = new[] { new { role = "user", content = "Say hello." } },
    });

    [Theory]
    [InlineData(500, false)]
    [InlineData(503, true)]
    [InlineData(429, false)]
    [InlineData(401, true)]
    public async Task A_failing_provider_falls_back_to_the_next_model_and_only_the_answer_is_charged(int failStatus, bool stream)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("xai", FakeScript.Default with { FailStatus = failStatus });
        var xaiBefore = fixture.Fakes.RequestsTo("xai").Count;
        try
        {
            using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, Body(stream, Grok, DeepSeek));
            using var response = await fixture.Gateway.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var answer = stream
                ? JsonDocument.Parse(text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[^2][6..]).RootElement
                : JsonDocument.Parse(text).RootElement;
            Assert.Equal(DeepSeek, answer.GetProperty("model").GetString());
            var cost = answer.GetProperty("usage").GetProperty("cost").GetDecimal();
            Assert.Equal(5 - cost, await fixture.Gateway.BalanceAsync(account.Key));
            Assert.Equal(xaiBefore + 1, fixture.Fakes.RequestsTo("xai").Count);

            // The generation explains the fallback: which candidate failed, how, and how long it took.
            var (_, generation) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/generations/" + answer.GetProperty("id").GetString(), account.Key);
            var attempt = Assert.Single(generation.GetProperty("data").GetProperty("attempts").EnumerateArray());
            Assert.Equal(Grok, attempt.GetProperty("model").GetString());
            Assert.Equal("xai", attempt.GetProperty("provider").GetString());
            Assert.Equal(failStatus == 429 ? 429 : 502, attempt.GetProperty("status").GetInt32());
            Assert.True(attempt.GetProperty("latency_ms").GetInt64() >= 0);
        }
        finally
        {
            fixture.Fakes.Script("xai", FakeScript.Default);
        }
    }

    [Fact]
    public async Task The_callers_own_bad_request_does_not_fall_back()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("xai", FakeScript.Default with { FailStatus = 400, FailMessage = "temperature out of range" });
        var deepSeekBefore = fixture.Fakes.RequestsTo("deepseek").Count;
        try
        {
            var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, Body(false, Grok, DeepSeek));
            Assert.Equal(400, status);
            Assert.Contains("temperature out of range", json.GetProperty("error").GetProperty("message").GetString());
            Assert.Equal(deepSeekBefore, fixture.Fakes.RequestsTo("deepseek").Count);
        }
        finally
        {
            fixture.Fakes.Script("xai", FakeScript.Default);
        }
    }

    [Fact]
    public async Task When_every_candidate_fails_the_502_lists_each_and_nothing_is_charged()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("xai", FakeScript.Default with { FailStatus = 500, FailMessage = "grok down 111" });
        fixture.Fakes.Script("kimi", FakeScript.Default with { FailStatus = 503, FailMessage = "kimi down 222" });
        try
        {
            var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, Body(false, Grok, "nope/unknown-model", Kimi));
            Assert.Equal(502, status);
            var message = json.GetProperty("error").GetProperty("message").GetString()!;
            Assert.Contains(Grok, message);
            Assert.Contains("grok down 111", message);
            Assert.Contains("nope/unknown-model: 404", message);
            Assert.Contains(Kimi, message);
            Assert.Contains("kimi down 222", message);
            Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
        }
        finally
        {
            fixture.Fakes.Script("xai", FakeScript.Default);
            fixture.Fakes.Script("kimi", FakeScript.Default);
        }
    }

    [Fact]
    public async Task A_model_that_cannot_take_the_input_is_skipped_for_one_that_can()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var textOnly = GatewayWithFakes.Catalog.Models.First(m => !m.IsEmbedding && !m.Capabilities.Vision && m.Provider != "anthropic" && m.Provider != "google").Id;
        var vision = GatewayWithFakes.Catalog.Models.First(m => !m.IsEmbedding && m.Capabilities.Vision && m.Provider == "openai").Id;
        var body = JsonSerializer.Serialize(new
        {
            model = textOnly,
            models = new[] { vision },
            max_tokens = 50,
            messages = new object[] { new { role = "user", content = new object[] { new { type = "text", text = "What is it?" }, new { type = "image_url", image_url = new { url = "data:image/png;base64,iVBORw0KGgo=" } } } } },
        });

        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, body);

        Assert.Equal(200, status);
        Assert.Equal(vision, json.GetProperty("model").GetString());
    }

    [Fact]
    public async Task An_Anthropic_caller_falls_back_too()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("anthropic", FakeScript.Default with { FailStatus = 529 });
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { model = "claude-sonnet-4-6", models = new[] { DeepSeek }, max_tokens = 50, messages = new[] { new { role = "user", content = "hi" } } }), System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("x-api-key", account.Key);
            using var response = await fixture.Gateway.Client.SendAsync(request);
            var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(DeepSeek, message.GetProperty("model").GetString());
            Assert.Equal("message", message.GetProperty("type").GetString());
        }
        finally
        {
            fixture.Fakes.Script("anthropic", FakeScript.Default);
        }
    }
}
