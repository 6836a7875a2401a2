using System.Text.Json;

namespace ARouter.Tests.Endpoints;

/// <summary>The key is accepted wherever each SDK sends it; every other case is a 401 in the OpenAI shape.</summary>
public sealed class AuthenticationTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private static HttpRequestMessage Chat(string path = "/v1/chat/completions")
        => new(HttpMethod.Post, path) { Content = new StringContent(GatewayWithFakes.ChatBody("deepseek/deepseek-chat"), System.Text.Encoding.UTF8, "application/json") };

    public static TheoryData<string> Placements => new() { "bearer", "x-api-key", "x-goog-api-key", "query" };

    [Theory]
    [MemberData(nameof(Placements))]
    public async Task The_key_is_accepted_where_each_SDK_sends_it(string placement)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        using var request = Chat(placement == "query" ? "/v1/chat/completions?key=" + account.Key : "/v1/chat/completions");
        switch (placement)
        {
            case "bearer": request.Headers.Authorization = new("Bearer", account.Key); break;
            case "x-api-key": request.Headers.Add("X-Api-Key", account.Key); break;
            case "x-goog-api-key": request.Headers.Add("x-goog-api-key", account.Key); break;
        }

        using var response = await fixture.Gateway.Client.SendAsync(request);

        Assert.Equal(200, (int)response.StatusCode);
        var received = fixture.Fakes.RequestsTo("deepseek")[^1];
        Assert.DoesNotContain("lr_live_", received.Query + string.Join(' ', received.Headers.Values) + received.Body);
    }

    public static TheoryData<string?> BadKeys => new()
    {
        null,
        "",
        "not-a-key",
        "lr_live_" + new string('A', 40),
        "sk-fake-deepseek-0123456789",
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task A_missing_or_unknown_key_is_401_in_the_OpenAI_shape(string? key)
    {
        var sentBefore = fixture.Fakes.Requests.Count;
        using var request = Chat();
        if (key is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);

        using var response = await fixture.Gateway.Client.SendAsync(request);

        Assert.Equal(401, (int)response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(401, error.GetProperty("code").ValueKind == JsonValueKind.Number ? error.GetProperty("code").GetInt32() : 401);
        if (!string.IsNullOrEmpty(key)) Assert.DoesNotContain(key, error.GetProperty("message").GetString());
        Assert.True(response.Headers.Contains("X-Request-Id"));
        Assert.Equal(sentBefore, fixture.Fakes.Requests.Count);
    }

    [Fact]
    public async Task Account_endpoints_need_a_key_too()
    {
        using var response = await fixture.Gateway.Client.GetAsync("/api/v1/balance");
        Assert.Equal(401, (int)response.StatusCode);
    }
}
