using System.Text.Json;

namespace ARouter.Tests.Passthrough;

/// <summary>A passthrough path can never leave its provider, and the gateway's own routes stay the gateway's.</summary>
public sealed class PassthroughSafetyTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    public static TheoryData<string> EscapingTargets => new()
    {
        "/openai/v1/../../anthropic/v1/models",
        "/openai/../../etc/passwd",
        "/openai/v1/%2e%2e/%2e%2e/anthropic/v1/models",
        "/openai/v1/%2E%2E/models",
        "/openai/v1/.%2e/models",
        "/openai/v1/%2e./models",
        "/openai/v1/%252e%252e/models",
        "/openai/v1/..%2fmodels",
        "/openai/./v1/models",
        "/openai//evil.example.com/v1/models",
        "/openai/http://evil.example.com/v1/models",
        "/openai/http:evil.example.com/v1/models",
        "/openai/https%3a%2f%2fevil.example.com/v1/models",
        "/openai/v1\\..\\models",
        "/openai/v1/%5c..%5cmodels",
        "/openai/v1/%5Cmodels",
        "/google/v1beta/models/%2e%2e%2f%2e%2e%2fsecret:generateContent",
    };

    [Theory]
    [MemberData(nameof(EscapingTargets))]
    public async Task A_path_that_tries_to_leave_the_provider_is_refused_with_400_and_nothing_is_forwarded(string target)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var before = fixture.Fakes.Requests.Count;

        var (status, body) = await PassthroughCalls.SendRawAsync(fixture.Gateway, "GET", target, account.Key);

        Assert.Equal(400, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("invalid_request_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.StartsWith("Refused provider path", json.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(before, fixture.Fakes.Requests.Count);
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task An_encoded_slash_in_the_query_is_passed_on_as_sent()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (status, _) = await PassthroughCalls.SendRawAsync(fixture.Gateway, "GET", "/openai/v1/models?after=a%2Fb", account.Key);

        Assert.Equal(200, status);
        Assert.Equal("?after=a%2Fb", fixture.Fakes.RequestsTo("openai")[^1].Query);
    }

    [Theory]
    [InlineData("/nosuchprovider/v1/chat/completions")]
    [InlineData("/openrouter/api/v1/chat/completions")]
    public async Task An_unknown_provider_is_404_in_the_OpenAI_shape(string path)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var before = fixture.Fakes.Requests.Count;

        var (status, body, response) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, path, account.Key, "{}"));

        Assert.Equal(404, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("not_found_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("Unknown provider", json.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.True(response.Headers.Contains("X-Request-Id"));
        Assert.Equal(before, fixture.Fakes.Requests.Count);
    }

    [Fact]
    public async Task The_gateways_own_routes_are_not_shadowed()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var before = fixture.Fakes.Requests.Count;

        var (modelsStatus, models) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/v1/models", account.Key);
        Assert.Equal(200, modelsStatus);
        Assert.Contains(models.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "openai/gpt-5.4");
        var (healthStatus, _) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/health", account.Key);
        Assert.Equal(200, healthStatus);
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
        Assert.Equal(before, fixture.Fakes.Requests.Count);
    }

    [Fact]
    public async Task Passthrough_needs_a_valid_ARouter_key()
    {
        var before = fixture.Fakes.Requests.Count;
        var (status, body, response) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Get, "/openai/v1/models", "lr_live_" + new string('x', 40)));

        Assert.Equal(401, status);
        Assert.Contains("invalid_api_key", body);
        Assert.True(response.Headers.Contains("X-Request-Id"));
        Assert.Equal(before, fixture.Fakes.Requests.Count);
    }
}
