using System.ClientModel;
using System.Text.Json;
using System.Text.RegularExpressions;
using ARouter.Tests.FakeUpstream;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace ARouter.Tests.Observability;

/// <summary>A gateway logging everything every library has to say (Trace), as an operator debugging it might run it.</summary>
public sealed class TraceLoggingGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Trace",
        ["Logging:LogLevel:Microsoft"] = "Trace",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Trace",
        ["Logging:LogLevel:System"] = "Trace",
        ["Logging:LogLevel:Yarp"] = "Trace",
    };
}

/// <summary>
/// At the most verbose log level, a canary in the prompt and in the completion, and the caller's key, never reach a
/// log line or <c>/metrics</c>; and each request writes exactly one completion line with its metadata.
/// </summary>
public sealed partial class VerbosePrivacyTests(TraceLoggingGateway fixture) : IClassFixture<TraceLoggingGateway>
{
    private const string PromptCanary = "CANARY-PROMPT-e41b9";
    private const string CompletionCanary = "CANARY-COMPLETION-7f0c2";

    [Fact]
    public async Task At_trace_level_no_prompt_completion_or_key_reaches_logs_or_metrics()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var v1 = new OpenAIClientOptions { Endpoint = new Uri(fixture.Gateway.BaseAddress, "/v1") };
        foreach (var slug in new[] { "deepseek", "mistral", "openai" })
            fixture.Fakes.Script(slug, FakeScript.Default with { Reply = CompletionCanary + " the answer" });
        fixture.Fakes.Script("xai", FakeScript.Default with { FailStatus = 500, FailMessage = "upstream broke" });
        try
        {
            var chat = new ChatClient("deepseek/deepseek-chat", new ApiKeyCredential(account.Key), v1);
            await chat.CompleteChatAsync([new UserChatMessage(PromptCanary)]);
            await foreach (var _ in chat.CompleteChatStreamingAsync([new UserChatMessage(PromptCanary)])) { }
            await new EmbeddingClient("openai/text-embedding-3-small", new ApiKeyCredential(account.Key), v1).GenerateEmbeddingAsync(PromptCanary);
            var fallback = JsonSerializer.Serialize(new { model = GatewayWithFakes.ChatModelOf("xai").Id, models = new[] { "mistral/mistral-small-latest" }, messages = new[] { new { role = "user", content = PromptCanary } } });
            Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, fallback)).Status);
            var gemini = JsonSerializer.Serialize(new { contents = new[] { new { role = "user", parts = new[] { new { text = PromptCanary } } } } });
            Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1beta/models/deepseek%2Fdeepseek-chat:generateContent?key=" + account.Key, "", gemini)).Status);
            Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/openai/v1/chat/completions?key=" + account.Key, "",
                GatewayWithFakes.ChatBody("gpt-5.4-mini", prompt: PromptCanary))).Status);
            Assert.Equal(400, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, "{\"model\":\"" + PromptCanary + "\",\"messages\":7}")).Status);
        }
        finally
        {
            fixture.Fakes.Reset();
        }

        using var metrics = await fixture.Gateway.Client.GetAsync("/metrics");
        var scraped = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("arouter_requests_total", scraped);
        var logs = fixture.Gateway.Logs.All;
        // Trace level really is on: the framework's own debug chatter is in the capture.
        Assert.Contains(fixture.Gateway.Logs.Lines, l => l.StartsWith("Trace ") || l.StartsWith("Debug "));
        foreach (var (where, text) in new[] { ("logs", logs), ("metrics", scraped) })
        {
            foreach (var secret in new[] { "CANARY-PROMPT", "CANARY-COMPLETION", account.Key[..16], "sk-fake-", "key=lr_live" })
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"'{secret}' found in {where}");
        }
    }

    [Fact]
    public async Task Every_request_writes_one_completion_line_with_its_id_key_prefix_model_status_and_tokens()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        using var ok = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody("deepseek/deepseek-chat", maxTokens: 20));
        using var okResponse = await fixture.Gateway.Client.SendAsync(ok);
        using var refused = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", "lr_live_" + new string('R', 40), GatewayWithFakes.ChatBody("deepseek/deepseek-chat"));
        using var refusedResponse = await fixture.Gateway.Client.SendAsync(refused);
        Assert.Equal(401, (int)refusedResponse.StatusCode);

        var prefix = account.Key[..14];
        var line = Assert.Single(CompletionLines(okResponse));
        Assert.Matches($@"Request {Id(okResponse)} /v1/chat/completions key {Regex.Escape(prefix)}\S* model deepseek/deepseek-chat provider deepseek status 200 in \d+ ms, tokens 12\+7, cost [1-9]\d* nano-USD", line);
        var refusedLine = Assert.Single(CompletionLines(refusedResponse));
        Assert.Contains("key - model none provider none status 401", refusedLine);
    }

    private static string Id(HttpResponseMessage response) => response.Headers.GetValues("X-Request-Id").Single();

    private IEnumerable<string> CompletionLines(HttpResponseMessage response)
        => fixture.Gateway.Logs.Lines.Where(l => l.Contains("Request " + Id(response) + " /"));
}
