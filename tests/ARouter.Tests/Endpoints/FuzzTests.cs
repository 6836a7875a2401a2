using System.Net.Http.Headers;
using System.Text.Json;
using ARouter.Dialects.Canonical;
using CsCheck;

namespace ARouter.Tests.Endpoints;

/// <summary>A gateway whose default rate limit does not get in the way of a thousand fuzzed requests.</summary>
public sealed class FuzzGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ARouter:Limits:DefaultRequests"] = "1000000",
    };
}

/// <summary>
/// Property-based: hostile bodies for every endpoint and dialect never cause a 5xx, always get the endpoint's own
/// error shape, are never charged when refused, and leave the gateway healthy.
/// </summary>
public sealed class FuzzTests(FuzzGateway fixture) : IClassFixture<FuzzGateway>
{
    /// <summary>Per endpoint and run; each run draws a new seed (a failure prints the seed that reproduces it). More with AROUTER_FUZZ_ITERATIONS.</summary>
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("AROUTER_FUZZ_ITERATIONS"), out var n) ? n : 40;

    private const string OpenAiChat = """
        {"model":"deepseek/deepseek-chat","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
         {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"c1","content":"42"}],
         "max_tokens":20,"stream":false,"temperature":0.5,"top_p":1,"stop":["x"],"seed":1,"user":"u","metadata":{"a":"b"},
         "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object","properties":{"a":{"type":"integer"}}}}}],"tool_choice":"auto",
         "response_format":{"type":"json_object"},"provider":{"order":["deepseek"],"allow_fallbacks":true},"models":["mistral/mistral-small-latest"]}
        """;

    private const string AnthropicMessages = """
        {"model":"deepseek/deepseek-chat","max_tokens":20,"system":[{"type":"text","text":"Be brief."}],"stream":false,"temperature":0.5,"stop_sequences":["x"],"metadata":{"user_id":"u"},
         "messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]},
          {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"42"}]}],
         "tools":[{"name":"f","description":"d","input_schema":{"type":"object","properties":{"a":{"type":"integer"}}}}],"tool_choice":{"type":"auto"}}
        """;

    private const string GeminiGenerate = """
        {"contents":[{"role":"user","parts":[{"text":"hi"},{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1}}}]},
          {"role":"user","parts":[{"functionResponse":{"name":"f","response":{"r":42}}}]}],
         "systemInstruction":{"parts":[{"text":"Be brief."}]},"generationConfig":{"maxOutputTokens":20,"temperature":0.5,"stopSequences":["x"],"responseMimeType":"text/plain"},
         "tools":[{"functionDeclarations":[{"name":"f","description":"d","parameters":{"type":"object","properties":{"a":{"type":"integer"}}}}]}]}
        """;

    public sealed record Target(string Name, string Method, string Path, CallerDialect Dialect, string Template, string Auth = "key")
    {
        public override string ToString() => Name;
    }

    public static readonly Target[] Targets =
    [
        new("openai chat", "POST", "/v1/chat/completions", CallerDialect.OpenAi, OpenAiChat),
        new("openai chat stream", "POST", "/v1/chat/completions", CallerDialect.OpenAi, OpenAiChat.Replace("\"stream\":false", "\"stream\":true,\"stream_options\":{\"include_usage\":true}")),
        new("openai embeddings", "POST", "/v1/embeddings", CallerDialect.OpenAi, """{"model":"openai/text-embedding-3-small","input":["a","b"],"dimensions":8,"encoding_format":"float","user":"u"}"""),
        new("anthropic messages", "POST", "/v1/messages", CallerDialect.Anthropic, AnthropicMessages),
        new("anthropic messages stream", "POST", "/v1/messages", CallerDialect.Anthropic, AnthropicMessages.Replace("\"stream\":false", "\"stream\":true")),
        new("anthropic count_tokens", "POST", "/v1/messages/count_tokens", CallerDialect.Anthropic, AnthropicMessages.Replace("\"max_tokens\":20,", "")),
        new("gemini generateContent", "POST", "/v1beta/models/gemini-2.5-flash:generateContent", CallerDialect.Gemini, GeminiGenerate),
        new("gemini streamGenerateContent", "POST", "/v1beta/models/deepseek/deepseek-chat:streamGenerateContent?alt=sse", CallerDialect.Gemini, GeminiGenerate),
        new("gemini countTokens", "POST", "/v1beta/models/gemini-2.5-flash:countTokens", CallerDialect.Gemini, GeminiGenerate),
        new("gemini embedContent", "POST", "/v1beta/models/gemini-embedding-001:embedContent", CallerDialect.Gemini, """{"content":{"parts":[{"text":"hi"}]},"taskType":"RETRIEVAL_QUERY","outputDimensionality":8}"""),
        new("gemini batchEmbedContents", "POST", "/v1beta/models/gemini-embedding-001:batchEmbedContents", CallerDialect.Gemini, """{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]}},{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"b"}]}}]}"""),
        new("keys create", "POST", "/api/v1/keys", CallerDialect.OpenAi, """{"name":"k","limit":1.5,"rate_limit":{"requests":5,"interval_seconds":60},"management":false}"""),
        new("keys update", "PATCH", "/api/v1/keys/{key}", CallerDialect.OpenAi, """{"name":"k2","limit":2,"rate_limit":{"requests":50,"interval_seconds":60},"disabled":false}"""),
        new("provider key put", "PUT", "/api/v1/provider-keys/mistral", CallerDialect.OpenAi, """{"key":"sk-fake-mistral-0123456789"}"""),
        new("admin create account", "POST", "/api/v1/admin/accounts", CallerDialect.OpenAi, """{"name":"fuzzed","credits":1}""", Auth: "admin"),
        new("admin add credits", "POST", "/api/v1/admin/accounts/{other}/credits", CallerDialect.OpenAi, """{"amount":1,"description":"fuzz"}""", Auth: "admin"),
        new("passthrough openai", "POST", "/openai/v1/chat/completions", CallerDialect.OpenAi, OpenAiChat.Replace("deepseek/deepseek-chat", "gpt-5.4")),
        new("passthrough anthropic", "POST", "/anthropic/v1/messages", CallerDialect.OpenAi, AnthropicMessages.Replace("deepseek/deepseek-chat", "claude-sonnet-4-6")),
    ];

    public static TheoryData<string> TargetNames => new(Targets.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(TargetNames))]
    public async Task Hostile_bodies_never_cause_a_5xx_get_the_endpoints_error_shape_and_cost_nothing_when_refused(string name)
    {
        var target = Targets.Single(t => t.Name == name);
        var account = await fixture.Gateway.CreateAccountAsync(1_000);
        var other = await fixture.Gateway.CreateAccountAsync(0, "other");
        // PATCH goes to a second key, so a fuzzed rate limit or 'disabled' cannot lock the test's own key out.
        var (_, patched) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/api/v1/keys", account.Key, new { name = "patched" });
        var path = target.Path.Replace("{key}", patched.GetProperty("data").GetProperty("id").GetString()).Replace("{other}", other.Id);

        await Gen.Int[0, int.MaxValue].Array[6].SampleAsync(async dice =>
        {
            var body = HostileBodies.Make(target.Template, dice);
            var before = await fixture.Gateway.BalanceAsync(account.Key);
            var (status, text, contentType) = await SendAsync(target, path, account.Key, body);

            Assert.True(status < 500, $"{target.Name}: {status} for {body}: {text}");
            if (status >= 400)
            {
                if (!target.Name.StartsWith("passthrough", StringComparison.Ordinal) || contentType == "gateway") AssertErrorShape(target.Dialect, status, text, body);
                Assert.Equal(before, await fixture.Gateway.BalanceAsync(account.Key));
            }
        }, iter: Iterations, threads: 1, seed: null);

        // Still healthy: a plain request works.
        var (health, _) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/health", account.Key);
        Assert.Equal(200, health);
        var (ok, _) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody("deepseek/deepseek-chat", maxTokens: 10));
        Assert.Equal(200, ok);
    }

    private async Task<(int Status, string Text, string? Source)> SendAsync(Target target, string path, string key, HostileBodies.Body body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(target.Method), path) { Content = new ByteArrayContent(body.Bytes) };
        request.Content.Headers.ContentType = body.ContentType is null ? null : MediaTypeHeaderValue.Parse(body.ContentType);
        request.Headers.Authorization = new("Bearer", target.Auth == "admin" ? GatewayHost.AdminToken : key);
        using var response = await fixture.Gateway.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        // A passthrough answer that carries a generation id came from the provider, in the provider's shape.
        var source = response.Headers.Contains("X-Generation-Id") ? "provider" : "gateway";
        return ((int)response.StatusCode, text, source);
    }

    private static void AssertErrorShape(CallerDialect dialect, int status, string text, HostileBodies.Body body)
    {
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        var context = $"{status} {text} for {body}";
        switch (dialect)
        {
            case CallerDialect.Anthropic:
                Assert.True(root.GetProperty("type").GetString() == "error", context);
                Assert.Equal(JsonValueKind.String, root.GetProperty("error").GetProperty("type").ValueKind);
                Assert.False(string.IsNullOrEmpty(root.GetProperty("error").GetProperty("message").GetString()), context);
                break;
            case CallerDialect.Gemini:
                Assert.Equal(status, root.GetProperty("error").GetProperty("code").GetInt32());
                Assert.False(string.IsNullOrEmpty(root.GetProperty("error").GetProperty("message").GetString()), context);
                Assert.Equal(JsonValueKind.String, root.GetProperty("error").GetProperty("status").ValueKind);
                break;
            default:
                Assert.False(string.IsNullOrEmpty(root.GetProperty("error").GetProperty("message").GetString()), context);
                Assert.Equal(JsonValueKind.String, root.GetProperty("error").GetProperty("type").ValueKind);
                Assert.True(root.GetProperty("error").TryGetProperty("code", out _), context);
                break;
        }
    }
}
