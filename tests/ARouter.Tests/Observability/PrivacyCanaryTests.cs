using System.Text;
using System.Text.Json;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Passthrough;

namespace ARouter.Tests.Observability;

/// <summary>
/// A unique canary in every prompt and every completion, through every dialect, streamed and not, translated and
/// passed through, plus the admin token and the caller's key: none of them reach a log line (at Trace), a byte of
/// the SQLite files (main, -wal, -shm) or /metrics.
/// </summary>
public sealed class PrivacyCanaryTests(TraceLoggingGateway fixture) : IClassFixture<TraceLoggingGateway>
{
    private static readonly string Canary = "CANARY-" + Guid.NewGuid().ToString("n");
    private static readonly string PromptCanary = Canary + "-prompt";
    private static readonly string ReplyCanary = Canary + "-reply";

    [Fact]
    public async Task A_canary_in_prompts_and_completions_of_every_dialect_never_reaches_logs_the_database_or_metrics()
    {
        var gateway = fixture.Gateway;
        var account = await gateway.CreateAccountAsync(5);
        foreach (var slug in new[] { "deepseek", "mistral", "openai", "anthropic", "google" })
            fixture.Fakes.Script(slug, FakeScript.Default with { Reply = $"Here it is: {ReplyCanary} {ReplyCanary}" });
        try
        {
            var calls = new List<(string Path, string Body, string Auth)>();
            foreach (var stream in new[] { false, true })
            {
                calls.Add(("/v1/chat/completions", GatewayWithFakes.ChatBody("deepseek/deepseek-chat", stream, 50, PromptCanary), "bearer"));
                calls.Add(("/v1/chat/completions", GatewayWithFakes.ChatBody("anthropic/claude-sonnet-4.6", stream, 50, PromptCanary), "bearer"));
                calls.Add(("/v1/chat/completions", GatewayWithFakes.ChatBody("google/gemini-2.5-flash", stream, 50, PromptCanary), "bearer"));
                calls.Add(("/v1/messages", Anthropic("claude-sonnet-4-6", stream), "x-api-key"));
                calls.Add(("/v1/messages", Anthropic("mistral/mistral-small-latest", stream), "x-api-key"));
                calls.Add(("/v1beta/models/gemini-2.5-flash:" + (stream ? "streamGenerateContent?alt=sse" : "generateContent"), Gemini(), "x-goog-api-key"));
                calls.Add(("/v1beta/models/deepseek/deepseek-chat:" + (stream ? "streamGenerateContent" : "generateContent"), Gemini(), "query"));
                calls.Add(("/openai/v1/chat/completions", GatewayWithFakes.ChatBody("gpt-5.4", stream, 50, PromptCanary), "bearer"));
                calls.Add(("/anthropic/v1/messages", Anthropic("claude-sonnet-4-6", stream), "x-api-key"));
                calls.Add(("/google/v1beta/models/gemini-2.5-flash:" + (stream ? "streamGenerateContent?alt=sse" : "generateContent"), Gemini(), "x-goog-api-key"));
            }
            calls.Add(("/v1/messages/count_tokens", Anthropic("claude-sonnet-4-6", false), "x-api-key"));
            calls.Add(("/v1beta/models/gemini-2.5-flash:countTokens", Gemini(), "x-goog-api-key"));
            calls.Add(("/v1/embeddings", JsonSerializer.Serialize(new { model = "openai/text-embedding-3-small", input = PromptCanary }), "bearer"));
            calls.Add(("/v1beta/models/gemini-embedding-001:embedContent", JsonSerializer.Serialize(new { content = new { parts = new[] { new { text = PromptCanary } } } }), "x-goog-api-key"));
            // Refused and failing requests log too: a bad body, an unknown model, a wrong key.
            calls.Add(("/v1/chat/completions", "{\"model\":\"" + PromptCanary + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PromptCanary + "\"}]}", "bearer"));
            calls.Add(("/v1/chat/completions", "{\"model\":\"deepseek/deepseek-chat\",\"messages\":[{\"role\":\"" + PromptCanary + "\",\"content\":\"x\"}]}", "bearer"));
            calls.Add(("/v1/chat/completions", "{\"model\":\"deepseek/deepseek-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PromptCanary + "\"", "bearer"));

            foreach (var (path, body, auth) in calls)
            {
                var placement = auth switch { "x-api-key" => KeyPlacement.XApiKey, "x-goog-api-key" => KeyPlacement.XGoogApiKey, "query" => KeyPlacement.QueryKey, _ => KeyPlacement.Bearer };
                var (status, text, _) = await PassthroughCalls.SendAsync(gateway, PassthroughCalls.Request(HttpMethod.Post, path, account.Key, body, placement));
                // The canary really went through: every successful whole completion carries it back (streams split it into pieces).
                var whole = !body.Contains("\"stream\":true", StringComparison.Ordinal) && !path.Contains("stream", StringComparison.OrdinalIgnoreCase);
                if (status == 200 && whole && !path.Contains("count", StringComparison.OrdinalIgnoreCase) && !path.Contains("embed", StringComparison.OrdinalIgnoreCase))
                    Assert.Contains(ReplyCanary, text);
                Assert.True(status < 500, $"{status} for {path}: {text}");
            }
            Assert.Contains(fixture.Fakes.Requests, r => r.Body.Contains(PromptCanary, StringComparison.Ordinal));

            // The admin API, with the right and a wrong token.
            foreach (var token in new[] { GatewayHost.AdminToken, GatewayHost.AdminToken + "-wrong" })
            {
                using var admin = new HttpRequestMessage(HttpMethod.Get, "/api/v1/admin/accounts/" + account.Id);
                admin.Headers.Authorization = new("Bearer", token);
                using var _ = await gateway.Client.SendAsync(admin);
            }
        }
        finally
        {
            fixture.Fakes.Reset();
        }

        var logs = gateway.Logs.All;
        Assert.Contains(gateway.Logs.Lines, l => l.StartsWith("Debug", StringComparison.Ordinal) || l.StartsWith("Trace", StringComparison.Ordinal));
        foreach (var secret in new[] { Canary, account.Key[..20], GatewayHost.AdminToken, "sk-fake-" })
            Assert.DoesNotContain(secret, logs);

        await Task.Delay(300);
        var stored = string.Join('\n', new[] { "", "-wal", "-shm" }.Select(s => gateway.DatabasePath + s).Where(File.Exists)
            .Select(path => Encoding.UTF8.GetString(ReadShared(path))));
        Assert.Contains("deepseek/deepseek-chat", stored);
        foreach (var secret in new[] { Canary, account.Key, GatewayHost.AdminToken, "sk-fake-" })
            Assert.DoesNotContain(secret, stored);

        using var metrics = await gateway.Client.GetAsync("/metrics");
        if (metrics.IsSuccessStatusCode)
        {
            var text = await metrics.Content.ReadAsStringAsync();
            foreach (var secret in new[] { Canary, account.Key[..20], GatewayHost.AdminToken, "sk-fake-" })
                Assert.DoesNotContain(secret, text);
        }
    }

    private static string Anthropic(string model, bool stream) => JsonSerializer.Serialize(new
    {
        model,
        max_tokens = 50,
        stream,
        system = PromptCanary,
        messages = new[] { new { role = "user", content = PromptCanary } },
    });

    private static string Gemini() => JsonSerializer.Serialize(new
    {
        contents = new[] { new { role = "user", parts = new[] { new { text = PromptCanary } } } },
        generationConfig = new { maxOutputTokens = 50 },
    });

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
