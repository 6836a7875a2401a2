using System.ClientModel;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Tests.FakeUpstream;
using OpenAI;
using OpenAI.Chat;

namespace ARouter.Tests.Passthrough;

/// <summary>Every provider is reachable natively with one ARouter key, which never reaches the provider.</summary>
public sealed class PassthroughKeysTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    /// <summary>Each provider's native chat path (the fakes refuse any other), and a different place for the caller's key each time.</summary>
    public static TheoryData<string, string, KeyPlacement> NativeCalls => new()
    {
        { "openai", "/v1/chat/completions", KeyPlacement.Bearer },
        { "deepseek", "/chat/completions", KeyPlacement.XApiKey },
        { "xai", "/v1/chat/completions", KeyPlacement.XGoogApiKey },
        { "kimi", "/v1/chat/completions", KeyPlacement.QueryKey },
        { "minimax", "/v1/chat/completions", KeyPlacement.Bearer },
        { "mistral", "/v1/chat/completions", KeyPlacement.XApiKey },
        { "groq", "/openai/v1/chat/completions", KeyPlacement.XGoogApiKey },
        { "cohere", "/compatibility/v1/chat/completions", KeyPlacement.QueryKey },
        { "nvidia", "/v1/chat/completions", KeyPlacement.Bearer },
        { "dashscope", "/compatible-mode/v1/chat/completions", KeyPlacement.XApiKey },
        { "anthropic", "/v1/messages", KeyPlacement.XApiKey },
        { "google", "/v1beta/models/gemini-2.5-flash:generateContent", KeyPlacement.QueryKey },
    };

    /// <summary>A native call that succeeds, sent with the caller's extra headers; what the provider saw of it.</summary>
    private async Task<RecordedRequest> SeenWithHeadersAsync(string slug, string path, KeyPlacement placement, params (string Name, string Value)[] headers)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var request = PassthroughCalls.Request(HttpMethod.Post, "/" + slug + path, account.Key, NativeBody(slug), placement);
        foreach (var (name, value) in headers) request.Headers.Add(name, value);

        var (status, body, _) = await PassthroughCalls.SendAsync(fixture.Gateway, request);

        Assert.True(status == 200, body);
        return fixture.Fakes.RequestsTo(slug)[^1];
    }

    private static string NativeBody(string slug) => slug switch
    {
        "anthropic" => """{"model":"claude-sonnet-4-6","max_tokens":256,"messages":[{"role":"user","content":"Say hello."}]}""",
        "google" => """{"contents":[{"role":"user","parts":[{"text":"Say hello."}]}]}""",
        _ => GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf(slug).UpstreamId),
    };

    private static string UpstreamModel(string slug) => slug switch
    {
        "anthropic" => "claude-sonnet-4-6",
        "google" => "gemini-2.5-flash",
        _ => GatewayWithFakes.ChatModelOf(slug).UpstreamId,
    };

    [Theory]
    [MemberData(nameof(NativeCalls))]
    public async Task A_native_call_reaches_the_provider_with_its_key_and_none_of_the_callers(string slug, string path, KeyPlacement placement)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var before = fixture.Fakes.RequestsTo(slug).Count;

        var (status, body, response) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, "/" + slug + path, account.Key, NativeBody(slug), placement));

        Assert.True(status == 200, body);
        Assert.StartsWith("req_", Assert.Single(response.Headers.GetValues("X-Request-Id")));
        var seen = fixture.Fakes.RequestsTo(slug)[before];
        Assert.Equal(path, seen.Path.Split('?')[0]);
        PassthroughCalls.AssertOnlyProviderKey(seen, account.Key);
        var providerKey = FakeProviders.KeyFor(slug);
        switch (slug)
        {
            case "anthropic": Assert.Equal(providerKey, seen.Headers["x-api-key"]); break;
            case "google": Assert.Equal(providerKey, seen.Headers["x-goog-api-key"]); break;
            default: Assert.Equal("Bearer " + providerKey, seen.Headers["authorization"]); break;
        }
        // The answer is the provider's own body, byte for byte in meaning, and its usage is billed at the catalog price.
        using var json = JsonDocument.Parse(body);
        Assert.False(json.RootElement.TryGetProperty("error", out _));
        var model = PassthroughCalls.ModelByUpstreamId(slug, UpstreamModel(slug));
        var expected = PassthroughCalls.Cost(model.Id, new TokenUsage(12, 7));
        await PassthroughCalls.AssertBalanceAsync(fixture.Gateway, account.Key, 5 - expected);
    }

    [Fact]
    public async Task The_official_OpenAI_SDK_works_against_the_openai_passthrough()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var client = new ChatClient("gpt-5.4", new ApiKeyCredential(account.Key), new OpenAIClientOptions { Endpoint = new Uri(fixture.Gateway.BaseAddress, "/openai/v1") });

        var completion = await client.CompleteChatAsync([new UserChatMessage("Say hello.")]);

        Assert.Equal(FakeScript.Default.Reply, completion.Value.Content[0].Text);
        // The provider's own response, not the gateway's rewrite: its id and model are untouched.
        Assert.StartsWith("chatcmpl-", completion.Value.Id);
        Assert.Equal("gpt-5.4", completion.Value.Model);
        var seen = fixture.Fakes.RequestsTo("openai")[^1];
        Assert.Equal("/v1/chat/completions", seen.Path);
        Assert.Equal("Bearer " + FakeProviders.KeyFor("openai"), seen.Headers["authorization"]);
        PassthroughCalls.AssertOnlyProviderKey(seen, account.Key);
        await PassthroughCalls.AssertBalanceAsync(fixture.Gateway, account.Key, 5 - PassthroughCalls.Cost("openai/gpt-5.4", new TokenUsage(12, 7)));
    }

    [Fact]
    public async Task Anthropic_gets_anthropic_version_when_the_caller_sent_none()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (status, body, _) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, "/anthropic/v1/messages", account.Key, NativeBody("anthropic")));

        Assert.True(status == 200, body);
        var seen = fixture.Fakes.RequestsTo("anthropic")[^1];
        Assert.Equal("2023-06-01", seen.Headers["anthropic-version"]);
        Assert.Equal(FakeProviders.KeyFor("anthropic"), seen.Headers["x-api-key"]);
        Assert.False(seen.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task A_callers_own_anthropic_version_and_beta_headers_are_kept()
    {
        var seen = await SeenWithHeadersAsync("anthropic", "/v1/messages", KeyPlacement.XApiKey,
            ("anthropic-version", "2023-01-01"), ("anthropic-beta", "prompt-caching-2024-07-31"));

        Assert.Equal("2023-01-01", seen.Headers["anthropic-version"]);
        Assert.Equal("prompt-caching-2024-07-31", seen.Headers["anthropic-beta"]);
        Assert.Equal(FakeProviders.KeyFor("anthropic"), seen.Headers["x-api-key"]);
    }

    /// <summary>Headers meant for the gateway (its own X-ARouter-* ones, cookies, proxy credentials) stay here; the caller's others go on.</summary>
    [Fact]
    public async Task Gateway_only_headers_do_not_reach_the_provider()
    {
        var seen = await SeenWithHeadersAsync("openai", "/v1/chat/completions", KeyPlacement.Bearer,
            ("X-ARouter-Debug", "1"), ("x-arouter-trace", "2"), ("Cookie", "session=abc"), ("Proxy-Authorization", "Basic eDp5"), ("X-Caller-Tag", "kept"));

        Assert.DoesNotContain(seen.Headers.Keys, name => name.StartsWith("x-arouter-", StringComparison.OrdinalIgnoreCase));
        Assert.False(seen.Headers.ContainsKey("cookie"));
        Assert.False(seen.Headers.ContainsKey("proxy-authorization"));
        Assert.Equal("kept", seen.Headers["x-caller-tag"]);
    }

    /// <summary>A header the caller set is the caller's to send; the gateway adds no trace context of its own.</summary>
    [Fact]
    public async Task A_callers_own_trace_context_reaches_the_provider_unchanged()
    {
        const string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var seen = await SeenWithHeadersAsync("openai", "/v1/chat/completions", KeyPlacement.Bearer, ("traceparent", traceparent), ("tracestate", "caller=1"));

        Assert.Equal(traceparent, seen.Headers["traceparent"]);
        Assert.Equal("caller=1", seen.Headers["tracestate"]);
    }

    [Fact]
    public async Task Gemini_query_key_is_stripped_and_the_provider_key_goes_in_the_header()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var path = "/google/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";
        var (status, body, _) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, path, account.Key, NativeBody("google"), KeyPlacement.QueryKey));

        Assert.True(status == 200, body);
        var seen = fixture.Fakes.RequestsTo("google")[^1];
        Assert.Equal("?alt=sse", seen.Query);
        Assert.Equal(FakeProviders.KeyFor("google"), seen.Headers["x-goog-api-key"]);
        PassthroughCalls.AssertOnlyProviderKey(seen, account.Key);
        Assert.DoesNotContain(account.Key, fixture.Gateway.Logs.All);
        Assert.DoesNotContain(FakeProviders.KeyFor("google"), fixture.Gateway.Logs.All);
    }

    [Fact]
    public async Task Other_query_parameters_and_the_base_url_path_are_kept()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        // The fake's base URL is http://127.0.0.1:port/openai: that path prefix must survive.
        var (status, _, _) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Get, "/openai/v1/models?limit=5&order=desc", account.Key));

        Assert.Equal(200, status);
        var seen = fixture.Fakes.RequestsTo("openai")[^1];
        Assert.Equal("/v1/models", seen.Path);
        Assert.Equal("?limit=5&order=desc", seen.Query);
        Assert.Equal("GET", seen.Method);
    }

    [Theory]
    [InlineData("DELETE", "/v1/messages/batches/msgbatch_0123")]
    [InlineData("PUT", "/v1/messages/batches/msgbatch_0123")]
    [InlineData("PATCH", "/v1/messages/batches/msgbatch_0123")]
    public async Task Every_method_is_forwarded_as_sent_and_the_providers_answer_returned(string method, string path)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var body = method == "DELETE" ? null : """{"note":"kept as sent"}""";
        var (status, text, _) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(new HttpMethod(method), "/anthropic" + path, account.Key, body));

        // The fake has no batches: its own 404 in Anthropic's shape comes back, and costs nothing.
        Assert.Equal(404, status);
        using var json = JsonDocument.Parse(text);
        Assert.Equal("not_found_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        var seen = fixture.Fakes.RequestsTo("anthropic")[^1];
        Assert.Equal(method, seen.Method);
        Assert.Equal(path, seen.Path);
        Assert.Equal(body ?? "", seen.Body);
        PassthroughCalls.AssertOnlyProviderKey(seen, account.Key);
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
