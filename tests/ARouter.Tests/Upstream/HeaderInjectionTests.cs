using System.Text;
using System.Text.Json;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Upstream;

/// <summary>No value a caller controls — a provider key, a model name, metadata, a path — can add a header to the request the provider receives.</summary>
public sealed class HeaderInjectionTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private bool ProviderSawInjection() => fixture.Fakes.Requests.Any(r => r.Headers.Keys.Any(h => h.Contains("injected", StringComparison.OrdinalIgnoreCase)));

    [Theory]
    [InlineData("sk-abc\r\nX-Injected: 1")]
    [InlineData("sk-abc\nX-Injected: 1")]
    [InlineData("sk abc")]
    [InlineData("sk-caf\u00e9")]
    [InlineData("sk-\u2028abc")]
    [InlineData("sk-\u0000abc")]
    public async Task A_stored_provider_key_that_could_break_a_header_is_refused(string key)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Put, "/api/v1/provider-keys/mistral", account.Key, new { key });
        Assert.Equal(400, status);
        Assert.Contains("ASCII", json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(0, (await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/provider-keys", account.Key)).Json.GetProperty("data").GetArrayLength());
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/mistral/v1/chat/completions")]
    public async Task An_X_Provider_Key_with_raw_bytes_that_could_split_a_header_never_reaches_the_provider(string path)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var body = GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf("mistral").Id, maxTokens: 10);
        var before = fixture.Fakes.RequestsTo("mistral").Count;
        foreach (var value in new byte[][] { "sk-abc\rX-Injected: 1"u8.ToArray(), [.. "sk-caf"u8, 0xE9], [.. "sk-"u8, 0x00, .. "abc"u8], "sk-abc\x0bX-Injected: 1"u8.ToArray() })
        {
            var head = Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {account.Key}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\nX-Provider-Key: ");
            var response = await RawHttp.ExchangeAsync(fixture.Gateway.BaseAddress, [.. head, .. value, .. "\r\n\r\n"u8, .. Encoding.UTF8.GetBytes(body)]);
            Assert.StartsWith("HTTP/1.1 400", response);
        }
        Assert.Equal(before, fixture.Fakes.RequestsTo("mistral").Count);
        Assert.False(ProviderSawInjection());
    }

    [Fact]
    public async Task CR_LF_in_model_names_metadata_and_paths_never_becomes_a_header()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        const string injection = "\r\nX-Injected: 1\r\n";
        var bodies = new[]
        {
            JsonSerializer.Serialize(new { model = "deepseek/deepseek-chat" + injection, messages = new[] { new { role = "user", content = "hi" } } }),
            JsonSerializer.Serialize(new { model = "deepseek/deepseek-chat", max_tokens = 5, user = injection, metadata = new Dictionary<string, string> { ["k" + injection] = injection }, messages = new[] { new { role = "user", content = "hi" + injection } } }),
            JsonSerializer.Serialize(new { model = "deepseek/deepseek-chat", max_tokens = 5, models = new[] { "mistral/x" + injection }, messages = new[] { new { role = "user", content = "hi" } } }),
        };
        foreach (var body in bodies)
        {
            var (status, _) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, body);
            Assert.True(status is 200 or 400 or 404, $"{status} for {body}");
        }
        var (anthropic, _) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/messages", account.Key,
            JsonSerializer.Serialize(new { model = "claude-sonnet-4-6" + injection, max_tokens = 5, messages = new[] { new { role = "user", content = "hi" } } }));
        Assert.True(anthropic is 400 or 404);
        foreach (var target in new[] { "/v1beta/models/gemini-2.5-flash%0D%0AX-Injected:%201:generateContent", "/google/v1beta/models/gemini-2.5-flash%0d%0aX-Injected:%201:generateContent", "/openai/v1/models%0D%0AX-Injected:%201" })
        {
            var response = await RawHttp.ExchangeAsync(fixture.Gateway.BaseAddress, Encoding.ASCII.GetBytes(
                $"POST {target} HTTP/1.1\r\nHost: x\r\nx-goog-api-key: {account.Key}\r\nAuthorization: Bearer {account.Key}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"));
            Assert.Matches("^HTTP/1.1 4\\d\\d", response);
        }
        Assert.False(ProviderSawInjection());
    }
}
