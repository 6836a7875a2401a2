using System.Text.Json;

namespace ARouter.Tests.Endpoints;

/// <summary>A gateway with tiny request limits, so each one can be hit with a small body.</summary>
public sealed class TinyLimitsGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ARouter:MaxJsonDepth"] = "8",
        ["ARouter:MaxMessages"] = "3",
        ["ARouter:MaxTools"] = "1",
        ["ARouter:MaxModels"] = "2",
        ["ARouter:MaxEmbeddingInputs"] = "2",
        ["ARouter:MaxModelNameLength"] = "40",
    };
}

/// <summary>Each request limit is explicit: over it is a 400 (413 for the body size) that names the setting, and nothing is sent or charged.</summary>
public sealed class RequestLimitsTests(TinyLimitsGateway fixture) : IClassFixture<TinyLimitsGateway>
{
    private static string Chat(int messages = 1, int tools = 0, int models = 0, string model = "deepseek/deepseek-chat", int depth = 0) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["model"] = model,
        ["messages"] = Enumerable.Range(0, messages).Select(i => new { role = i % 2 == 0 ? "user" : "assistant", content = "hi" }).ToArray(),
        ["tools"] = tools == 0 ? null : Enumerable.Range(0, tools).Select(i => new { type = "function", function = new { name = $"f{i}", parameters = new { type = "object" } } }).ToArray(),
        ["models"] = models == 0 ? null : Enumerable.Range(0, models).Select(_ => "mistral/mistral-small-latest").ToArray(),
        ["metadata"] = depth == 0 ? null : Nest(depth),
    }.Where(p => p.Value is not null).ToDictionary());

    private static object Nest(int depth) => depth == 0 ? 1 : new Dictionary<string, object> { ["a"] = Nest(depth - 1) };

    public static TheoryData<string, string, string, string> OverTheLimit => new()
    {
        { "/v1/chat/completions", Chat(messages: 4), "messages", "MaxMessages" },
        { "/v1/chat/completions", Chat(tools: 2), "tools", "MaxTools" },
        { "/v1/chat/completions", Chat(models: 3), "models", "MaxModels" },
        { "/v1/chat/completions", Chat(model: "deepseek/" + new string('x', 100)), "model", "MaxModelNameLength" },
        { "/v1/chat/completions", Chat(depth: 10), "depth", "8" },
        { "/v1/messages/count_tokens", Chat(messages: 5), "messages", "MaxMessages" },
        { "/v1/embeddings", """{"model":"openai/text-embedding-3-small","input":["a","b","c"]}""", "input", "MaxEmbeddingInputs" },
    };

    [Theory]
    [MemberData(nameof(OverTheLimit))]
    public async Task A_request_over_a_limit_is_a_400_naming_the_setting_and_nothing_is_sent_or_charged(string path, string body, string field, string setting)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var sent = fixture.Fakes.Requests.Count;

        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, path, account.Key, body);

        Assert.Equal(400, status);
        // OpenAI's and Anthropic's error shapes both carry error.message.
        var message = json.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains(field, message);
        Assert.Contains(setting, message);
        Assert.Equal(sent, fixture.Fakes.Requests.Count);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task A_request_at_the_limits_is_served()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var (status, _) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, Chat(messages: 3, tools: 1, models: 2, depth: 5));
        Assert.Equal(200, status);
    }
}
