using System.Net;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Endpoints;

/// <summary>
/// The Gemini API (<c>/v1beta/models/{model}:generateContent</c> and friends) reaching every OpenAI-wire provider,
/// driven with the exact requests the Google GenAI SDKs send (camelCase JSON, <c>x-goog-api-key</c> or <c>?key=</c>).
/// </summary>
public sealed class GeminiApiTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    public static TheoryData<string> Providers => new(GatewayWithFakes.OpenAiWireProviders);

    private static object Body(string prompt = "Say hello.", object? tools = null, object? toolConfig = null, object[]? contents = null) => new Dictionary<string, object?>
    {
        ["systemInstruction"] = new { parts = new[] { new { text = "Be brief." } } },
        ["contents"] = contents ?? [new { role = "user", parts = new[] { new { text = prompt } } }],
        ["generationConfig"] = new { maxOutputTokens = 200, temperature = 0.5 },
        ["tools"] = tools,
        ["toolConfig"] = toolConfig,
    }.Where(p => p.Value is not null).ToDictionary();

    private async Task<(HttpStatusCode Status, string Text)> PostAsync(string path, string key, object body, bool queryKey = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, queryKey ? path + (path.Contains('?') ? "&" : "?") + "key=" + key : path)
        {
            Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json"),
        };
        if (!queryKey) request.Headers.Add("x-goog-api-key", key);
        using var response = await fixture.Gateway.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task GenerateContent_reaches_each_provider_and_answers_in_Gemini_shape_with_usage_and_cost(string provider)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var model = GatewayWithFakes.ChatModelOf(provider);

        var (status, text) = await PostAsync($"/v1beta/models/{model.Id}:generateContent", account.Key, Body());

        Assert.Equal(HttpStatusCode.OK, status);
        var root = JsonDocument.Parse(text).RootElement;
        var candidate = root.GetProperty("candidates")[0];
        Assert.Equal(FakeScript.Default.Reply, candidate.GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal("model", candidate.GetProperty("content").GetProperty("role").GetString());
        Assert.Equal("STOP", candidate.GetProperty("finishReason").GetString());
        var usage = root.GetProperty("usageMetadata");
        Assert.Equal(FakeScript.Default.PromptTokens, usage.GetProperty("promptTokenCount").GetInt32());
        Assert.Equal(FakeScript.Default.CompletionTokens, usage.GetProperty("candidatesTokenCount").GetInt32());
        var expected = Money.FromNanos(CostCalculator.CostNanos(model.Price, new TokenUsage(FakeScript.Default.PromptTokens, FakeScript.Default.CompletionTokens)));
        Assert.Equal(expected, usage.GetProperty("cost").GetDecimal());
        Assert.Equal(model.Id, root.GetProperty("modelVersion").GetString());
        Assert.Equal(5 - expected, await fixture.Gateway.BalanceAsync(account.Key));

        var sent = fixture.Fakes.RequestsTo(provider)[^1].Json;
        Assert.Equal("system", sent.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.Equal(200, sent.GetProperty(GatewayWithFakes.Catalog.FindProvider(provider)!.Quirks.MaxTokensField).GetInt32());
    }

    [Fact]
    public async Task The_key_may_come_as_a_query_parameter_and_the_model_with_an_encoded_slash()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var (status, _) = await PostAsync("/v1beta/models/deepseek%2Fdeepseek-chat:generateContent", account.Key, Body(), queryKey: true);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain("lr_live_", fixture.Fakes.RequestsTo("deepseek")[^1].Query);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task StreamGenerateContent_streams_text_and_ends_with_usage_and_cost_as_SSE_or_a_JSON_array(bool sse)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (status, text) = await PostAsync("/v1beta/models/mistral/" + GatewayWithFakes.ChatModelOf("mistral").UpstreamId + ":streamGenerateContent" + (sse ? "?alt=sse" : ""), account.Key, Body());

        Assert.Equal(HttpStatusCode.OK, status);
        var chunks = sse
            ? text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => { Assert.StartsWith("data: ", e); return JsonDocument.Parse(e[6..]).RootElement; }).ToList()
            : JsonDocument.Parse(text).RootElement.EnumerateArray().ToList();
        Assert.True(chunks.Count >= 3);
        var reply = string.Concat(chunks.Select(c => c.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0].TryGetProperty("text", out var t) ? t.GetString() : ""));
        Assert.Equal(FakeScript.Default.Reply, reply);
        var last = chunks[^1];
        Assert.Equal("STOP", last.GetProperty("candidates")[0].GetProperty("finishReason").GetString());
        var cost = last.GetProperty("usageMetadata").GetProperty("cost").GetDecimal();
        Assert.Equal(FakeScript.Default.CompletionTokens, last.GetProperty("usageMetadata").GetProperty("candidatesTokenCount").GetInt32());
        Assert.Equal(5 - cost, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Function_calling_translates_both_ways(bool stream)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("groq", FakeScript.Default with { ToolCall = new FakeToolCall("get_weather", """{"city":"Paris"}""") });
        var tools = new[] { new { functionDeclarations = new[] { new { name = "get_weather", description = "Weather", parameters = new { type = "OBJECT", properties = new { city = new { type = "STRING" } } } } } } };
        var contents = new object[]
        {
            new { role = "user", parts = new[] { new { text = "Weather in Rome?" } } },
            new { role = "model", parts = new[] { new { functionCall = new { name = "get_weather", args = new { city = "Rome" } } } } },
            new { role = "user", parts = new[] { new { functionResponse = new { name = "get_weather", response = new { result = "Sunny" } } } } },
            new { role = "user", parts = new[] { new { text = "And Paris?" } } },
        };
        var path = "/v1beta/models/" + GatewayWithFakes.ChatModelOf("groq").Id + (stream ? ":streamGenerateContent?alt=sse" : ":generateContent");

        var (status, text) = await PostAsync(path, account.Key, Body(tools: tools, toolConfig: new { functionCallingConfig = new { mode = "ANY" } }, contents: contents));
        fixture.Fakes.Script("groq", FakeScript.Default);

        Assert.Equal(HttpStatusCode.OK, status);
        var sent = fixture.Fakes.RequestsTo("groq")[^1].Json;
        Assert.Equal("required", sent.GetProperty("tool_choice").GetString());
        Assert.Equal("get_weather", sent.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        var messages = sent.GetProperty("messages");
        var callId = messages[2].GetProperty("tool_calls")[0].GetProperty("id").GetString();
        Assert.Equal("tool", messages[3].GetProperty("role").GetString());
        Assert.Equal(callId, messages[3].GetProperty("tool_call_id").GetString());
        Assert.Contains("Sunny", messages[3].GetProperty("content").GetString());

        var last = stream ? JsonDocument.Parse(text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[^1][6..]).RootElement : JsonDocument.Parse(text).RootElement;
        var call = last.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts").EnumerateArray().Single(p => p.TryGetProperty("functionCall", out _)).GetProperty("functionCall");
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal("Paris", call.GetProperty("args").GetProperty("city").GetString());
    }

    [Fact]
    public async Task CountTokens_and_the_model_list_answer_without_calling_a_provider()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var sent = fixture.Fakes.Requests.Count;

        var (status, text) = await PostAsync("/v1beta/models/deepseek/deepseek-chat:countTokens", account.Key, new { contents = new[] { new { parts = new[] { new { text = string.Join(' ', Enumerable.Repeat("token", 100)) } } } } });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.InRange(JsonDocument.Parse(text).RootElement.GetProperty("totalTokens").GetInt32(), 100, 110);

        using var list = new HttpRequestMessage(HttpMethod.Get, "/v1beta/models?key=" + account.Key);
        using var response = await fixture.Gateway.Client.SendAsync(list);
        var models = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("models").EnumerateArray().ToList();
        var deepseek = models.Single(m => m.GetProperty("name").GetString() == "models/deepseek/deepseek-chat");
        Assert.Contains("generateContent", deepseek.GetProperty("supportedGenerationMethods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(sent, fixture.Fakes.Requests.Count);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    public static TheoryData<string, string, HttpStatusCode, string> BadRequests => new()
    {
        { "deepseek/deepseek-chat:generateContent", "{}", HttpStatusCode.BadRequest, "INVALID_ARGUMENT" },
        { "deepseek/deepseek-chat:generateContent", """{"contents":[{"role":"robot","parts":[{"text":"hi"}]}]}""", HttpStatusCode.BadRequest, "INVALID_ARGUMENT" },
        { "deepseek/deepseek-chat:generateContent", """{"contents":[{"parts":[{"text":"hi"}]}],"tools":[{"googleSearch":{}}]}""", HttpStatusCode.BadRequest, "INVALID_ARGUMENT" },
        { "nope/model:generateContent", """{"contents":[{"parts":[{"text":"hi"}]}]}""", HttpStatusCode.NotFound, "NOT_FOUND" },
        { "deepseek/deepseek-chat", """{"contents":[{"parts":[{"text":"hi"}]}]}""", HttpStatusCode.NotFound, "NOT_FOUND" },
        { "deepseek/deepseek-chat:generateContent", "not json", HttpStatusCode.BadRequest, "INVALID_ARGUMENT" },
        // A number beyond double's range (found by the fuzz test): a 400 naming the field, not a 500.
        { "deepseek/deepseek-chat:streamGenerateContent", """{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"temperature":1e400}}""", HttpStatusCode.BadRequest, "INVALID_ARGUMENT" },
        { "deepseek/deepseek-chat:generateContent", """{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"topP":-1e400}}""", HttpStatusCode.BadRequest, "INVALID_ARGUMENT" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_Google_shaped_errors_and_cost_nothing(string modelAndMethod, string body, HttpStatusCode expected, string googleStatus)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var (status, text) = await PostAsync("/v1beta/models/" + modelAndMethod, account.Key, body);

        Assert.Equal(expected, status);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal((int)expected, error.GetProperty("code").GetInt32());
        Assert.Equal(googleStatus, error.GetProperty("status").GetString());
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task A_bad_key_is_a_Google_shaped_401()
    {
        var (status, text) = await PostAsync("/v1beta/models/deepseek/deepseek-chat:generateContent", "lr_live_" + new string('W', 40), Body());
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("UNAUTHENTICATED", JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("status").GetString());
    }
}

public sealed class GeminiEmbeddingTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EmbedContent_and_batchEmbedContents_reach_an_OpenAI_wire_embedding_model_and_are_billed(bool batch)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        object body = batch
            ? new { requests = new[] { new { model = "models/mistral/mistral-embed", content = new { parts = new[] { new { text = "first" } } } }, new { model = "models/mistral/mistral-embed", content = new { parts = new[] { new { text = "second" } } } } } }
            : new { content = new { parts = new[] { new { text = "only" } } } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1beta/models/mistral/mistral-embed:" + (batch ? "batchEmbedContents" : "embedContent"))
        {
            Content = new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-goog-api-key", account.Key);
        using var response = await fixture.Gateway.Client.SendAsync(request);
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (batch)
        {
            Assert.Equal(2, root.GetProperty("embeddings").GetArrayLength());
            Assert.True(root.GetProperty("embeddings")[1].GetProperty("values").GetArrayLength() > 0);
        }
        else
        {
            Assert.True(root.GetProperty("embedding").GetProperty("values").GetArrayLength() > 0);
        }
        var sent = fixture.Fakes.RequestsTo("mistral")[^1];
        Assert.Equal("/v1/embeddings", sent.Path);
        Assert.Equal(batch ? 2 : 1, sent.Json.GetProperty("input").GetArrayLength());
        var cost = root.GetProperty("usageMetadata").GetProperty("cost").GetDecimal();
        Assert.True(cost > 0);
        Assert.Equal(1 - cost, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
