using System.Text.Json;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Passthrough;

/// <summary>A gateway whose operator has no Anthropic or xAI key: only callers who bring their own reach them.</summary>
public sealed class GatewayWithoutSomeOperatorKeys : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ANTHROPIC_API_KEY"] = "",
        ["XAI_API_KEY"] = "",
    };
}

/// <summary><c>X-Provider-Key</c>: the caller's own provider key is used, never forwarded as such, and nothing is charged.</summary>
public sealed class PassthroughByokTests(GatewayWithoutSomeOperatorKeys fixture) : IClassFixture<GatewayWithoutSomeOperatorKeys>
{
    private const string AnthropicBody = """{"model":"claude-sonnet-4-6","max_tokens":256,"messages":[{"role":"user","content":"Say hello."}]}""";

    [Fact]
    public async Task A_provider_without_an_operator_key_and_no_byok_is_refused_with_403()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var before = fixture.Fakes.RequestsTo("anthropic").Count;

        var (status, body, _) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, "/anthropic/v1/messages", account.Key, AnthropicBody));

        Assert.Equal(403, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("permission_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("X-Provider-Key", json.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(before, fixture.Fakes.RequestsTo("anthropic").Count);
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task The_callers_own_anthropic_key_is_what_the_provider_receives_and_nothing_is_charged()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var request = PassthroughCalls.Request(HttpMethod.Post, "/anthropic/v1/messages", account.Key, AnthropicBody);
        request.Headers.Add("X-Provider-Key", FakeProviders.KeyFor("anthropic"));

        var (status, body, response) = await PassthroughCalls.SendAsync(fixture.Gateway, request);

        Assert.True(status == 200, body);
        var seen = fixture.Fakes.RequestsTo("anthropic")[^1];
        Assert.Equal(FakeProviders.KeyFor("anthropic"), seen.Headers["x-api-key"]);
        PassthroughCalls.AssertOnlyProviderKey(seen, account.Key);
        var generation = await PassthroughCalls.GenerationAsync(fixture.Gateway, account.Key, response);
        Assert.True(generation.GetProperty("byok").GetBoolean());
        Assert.Equal(0m, generation.GetProperty("cost").GetDecimal());
        Assert.Equal(12, generation.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal("passthrough", generation.GetProperty("endpoint").GetString());
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task Byok_needs_no_credit_and_replaces_the_bearer_key_for_openai_wire_providers()
    {
        var account = await fixture.Gateway.CreateAccountAsync(0);
        var request = PassthroughCalls.Request(HttpMethod.Post, "/xai/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody("grok-4.7"), KeyPlacement.XApiKey);
        request.Headers.Add("X-Provider-Key", FakeProviders.KeyFor("xai"));

        var (status, body, _) = await PassthroughCalls.SendAsync(fixture.Gateway, request);

        Assert.True(status == 200, body);
        var seen = fixture.Fakes.RequestsTo("xai")[^1];
        Assert.Equal("Bearer " + FakeProviders.KeyFor("xai"), seen.Headers["authorization"]);
        Assert.False(seen.Headers.ContainsKey("x-api-key"));
        PassthroughCalls.AssertOnlyProviderKey(seen, account.Key);
        Assert.Equal(0m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task A_wrong_byok_key_gets_the_providers_own_401_and_costs_nothing()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var request = PassthroughCalls.Request(HttpMethod.Post, "/anthropic/v1/messages", account.Key, AnthropicBody);
        request.Headers.Add("X-Provider-Key", "sk-ant-not-the-right-one");

        var (status, body, _) = await PassthroughCalls.SendAsync(fixture.Gateway, request);

        Assert.Equal(401, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("authentication_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}

/// <summary>A gateway whose Mistral base URL points at a port nothing listens on.</summary>
public sealed class GatewayWithUnreachableProvider : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?> { ["MISTRAL_BASE_URL"] = "http://127.0.0.1:1" };
}

public sealed class PassthroughUnreachableProviderTests(GatewayWithUnreachableProvider fixture) : IClassFixture<GatewayWithUnreachableProvider>
{
    [Fact]
    public async Task A_provider_that_cannot_be_reached_is_502_in_the_OpenAI_shape_and_costs_nothing()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (status, body, response) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, "/mistral/v1/chat/completions", account.Key,
            GatewayWithFakes.ChatBody("mistral-large-latest")));

        Assert.Equal(502, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("upstream_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("mistral", json.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.True(response.Headers.Contains("X-Request-Id"));
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
