using System.Net;
using System.Text.Json;

namespace ARouter.Tests.Endpoints;

/// <summary>Every request the caller got wrong: a clear OpenAI-shaped error, the right status, nothing sent upstream, nothing charged.</summary>
public sealed class BadInputTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    public static TheoryData<string, int, string> BadBodies => new()
    {
        { "{\"model\": \"deepseek/deepseek-chat\", \"messages\": [", 400, "JSON" },
        { "[1, 2, 3]", 400, "object" },
        { "{\"model\": \"deepseek/deepseek-chat\"}", 400, "messages" },
        { "{\"model\": \"deepseek/deepseek-chat\", \"messages\": []}", 400, "messages" },
        { "{\"model\": \"deepseek/deepseek-chat\", \"messages\": \"hello\"}", 400, "messages" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400, "model" },
        { "{\"model\": 42, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400, "model" },
        { "{\"model\": \"deepseek/deepseek-chat\", \"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", 400, "role" },
        { "{\"model\": \"deepseek/deepseek-chat\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": \"ten\"}", 400, "max_tokens" },
        { "{\"model\": \"deepseek/deepseek-chat\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": -5}", 400, "max_tokens" },
        { "{\"model\": \"deepseek/deepseek-chat\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream\": \"yes\"}", 400, "stream" },
        { "{\"model\": \"nope/some-model\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 404, "nope" },
        { "{\"model\": \"openai/gpt-does-not-exist\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 404, "gpt-does-not-exist" },
        { "{\"model\": \"openai/text-embedding-3-small\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400, "embedding" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_chat_requests_get_a_clear_error_and_cost_nothing(string body, int expectedStatus, string messageMentions)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var sentBefore = fixture.Fakes.Requests.Count;

        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, body);

        Assert.Equal(expectedStatus, status);
        var error = json.GetProperty("error");
        Assert.Contains(messageMentions, error.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.True(error.TryGetProperty("type", out _));
        Assert.True(error.TryGetProperty("code", out _));
        Assert.Equal(sentBefore, fixture.Fakes.Requests.Count);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task An_image_for_a_text_only_model_is_refused_before_anything_is_sent()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var textOnly = GatewayWithFakes.Catalog.Models.First(m => m.Provider == "deepseek" && !m.IsEmbedding && !m.Capabilities.Vision);
        var body = JsonSerializer.Serialize(new
        {
            model = textOnly.Id,
            messages = new object[]
            {
                new { role = "user", content = new object[] { new { type = "text", text = "What is this?" }, new { type = "image_url", image_url = new { url = "data:image/png;base64,iVBORw0KGgo=" } } } },
            },
        });
        var sentBefore = fixture.Fakes.Requests.Count;

        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, body);

        Assert.Equal(400, status);
        Assert.Contains("images", json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(sentBefore, fixture.Fakes.Requests.Count);
    }

    [Fact]
    public async Task Bad_embedding_requests_get_a_clear_error()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var (missingInput, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/embeddings", account.Key, "{\"model\": \"openai/text-embedding-3-small\"}");
        Assert.Equal(400, missingInput);
        Assert.Contains("input", json.GetProperty("error").GetProperty("message").GetString());

        var (chatModel, json2) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/embeddings", account.Key, "{\"model\": \"deepseek/deepseek-chat\", \"input\": \"x\"}");
        Assert.Equal(400, chatModel);
        Assert.Contains("chat model", json2.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Unknown_paths_are_404_not_500()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/not-an-endpoint", account.Key, "{}");
        using var response = await fixture.Gateway.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

/// <summary>A gateway with a 1 KiB body limit, no key for Cohere and a wrong key for Groq: 413, 403 and a refused key.</summary>
public sealed class RestrictedGateway : GatewayWithFakes
{
    public const string WrongGroqKey = "gsk_wrong0123456789abcdefWRONG";

    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ARouter:MaxRequestBodyBytes"] = "1024",
        ["COHERE_API_KEY"] = "",
        ["GROQ_API_KEY"] = WrongGroqKey,
    };
}

public sealed class OperatorConfigurationTests(RestrictedGateway fixture) : IClassFixture<RestrictedGateway>
{
    [Fact]
    public async Task A_provider_refusing_the_gateways_key_is_502_and_no_fragment_of_that_key_reaches_the_caller()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf("groq").Id, maxTokens: 10));

        Assert.Equal(502, status);
        var message = json.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("401", message);
        Assert.Contains("Incorrect API key", message);
        Assert.DoesNotContain("gsk_wr", message);
        Assert.DoesNotContain("WRONG", message);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_costs_nothing()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var body = GatewayWithFakes.ChatBody("deepseek/deepseek-chat", prompt: new string('x', 4_000));

        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, body);

        Assert.Equal(413, status);
        Assert.Contains("1024", json.GetProperty("error").GetProperty("message").GetString());
        Assert.Empty(fixture.Fakes.RequestsTo("deepseek"));
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task A_provider_without_a_configured_key_is_403_and_not_listed()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf("cohere").Id));

        Assert.Equal(403, status);
        Assert.Contains("cohere", json.GetProperty("error").GetProperty("message").GetString());
        Assert.Empty(fixture.Fakes.RequestsTo("cohere"));

        var (_, models) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/v1/models", account.Key);
        var ids = models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();
        Assert.DoesNotContain(ids, id => id.StartsWith("cohere/"));
        Assert.Contains(ids, id => id.StartsWith("deepseek/"));
    }
}
