using System.Net;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Endpoints;

/// <summary>
/// The Anthropic caller on Google and the Gemini caller on Anthropic — text, tools, streams, usage and cost, errors
/// in the caller's shape — plus structured outputs and the Gemini dialect's <c>models</c> fallback list.
/// </summary>
public sealed class AnthropicGeminiPairsTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private const string Gemini = "google/gemini-2.5-flash";
    private const string Claude = "anthropic/claude-sonnet-4.6";
    private static readonly FakeScript Script = FakeScript.Default with { PromptTokens = 40, CompletionTokens = 9, CachedTokens = 10 };

    private AnthropicClient Sdk(string key) => new() { ApiKey = key, BaseUrl = fixture.Gateway.BaseAddress.ToString().TrimEnd('/') };

    [Fact]
    public async Task The_Anthropic_SDK_gets_text_from_Gemini_with_cache_aware_usage_and_exact_cost()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("google", Script);
        var message = await Sdk(account.Key).Messages.Create(new MessageCreateParams { Model = Gemini, MaxTokens = 120, System = "Be brief.", Messages = [new UserMessageParam("Say hello.")] });
        fixture.Fakes.Script("google", FakeScript.Default);

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(Script.Reply, text!.Text);
        Assert.Equal(Gemini, message.Model);
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.Equal(Script.PromptTokens - Script.CachedTokens, message.Usage.InputTokens);
        Assert.Equal(Script.CachedTokens, message.Usage.CacheReadInputTokens);
        Assert.Equal(Script.CompletionTokens, message.Usage.OutputTokens);
        var sent = fixture.Fakes.RequestsTo("google")[^1].Json;
        Assert.Equal("Be brief.", sent.GetProperty("systemInstruction").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal(120, sent.GetProperty("generationConfig").GetProperty("maxOutputTokens").GetInt32());
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 5, Gemini, DialectCalls.Cost(Gemini, DialectCalls.UsageOf("google", Script)));
    }

    [Fact]
    public async Task The_Anthropic_SDK_gets_a_tool_use_block_from_a_Gemini_function_call()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("google", FakeScript.Default with { ToolCall = new FakeToolCall("get_weather", """{"city":"Paris"}""") });
        var message = await Sdk(account.Key).Messages.Create(new MessageCreateParams
        {
            Model = Gemini,
            MaxTokens = 120,
            Messages = [new UserMessageParam("Weather in Paris?")],
            Tools = [new Tool { Name = "get_weather", Description = "Weather", InputSchema = new InputSchema { Properties = new Dictionary<string, JsonElement> { ["city"] = JsonDocument.Parse("""{"type":"string"}""").RootElement } } }],
            ToolChoice = new ToolChoiceTool("get_weather"),
        });
        fixture.Fakes.Script("google", FakeScript.Default);

        Assert.Equal(StopReason.ToolUse, message.StopReason!.Value());
        var use = message.Content.Select(b => b.TryPickToolUse(out var u) ? u : null).OfType<ToolUseBlock>().Single();
        Assert.Equal("get_weather", use.Name);
        Assert.Equal("Paris", use.Input["city"].GetString());
        var calling = fixture.Fakes.RequestsTo("google")[^1].Json.GetProperty("toolConfig").GetProperty("functionCallingConfig");
        Assert.Equal("ANY", calling.GetProperty("mode").GetString());
        Assert.Equal("get_weather", calling.GetProperty("allowedFunctionNames")[0].GetString());
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 5, Gemini, DialectCalls.Cost(Gemini, DialectCalls.UsageOf("google", FakeScript.Default)));
    }

    [Theory]
    [InlineData(429, 429, "rate_limit_error")]
    [InlineData(400, 400, "invalid_request_error")]
    [InlineData(503, 502, "api_error")]
    public async Task A_Gemini_failure_reaches_the_Anthropic_caller_in_Anthropics_shape_and_costs_nothing(int geminiStatus, int status, string type)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        fixture.Fakes.Script("google", FakeScript.Default with { FailStatus = geminiStatus, FailMessage = "Gemini said no 8841" });
        var (actual, body) = await DialectCalls.PostAsync(fixture.Gateway, CallerDialect.Anthropic, Gemini, new { model = Gemini, max_tokens = 50, messages = new[] { new { role = "user", content = "hi" } } }, false, account.Key);
        fixture.Fakes.Script("google", FakeScript.Default);

        Assert.Equal(status, actual);
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Equal("error", root.GetProperty("type").GetString());
        Assert.Equal(type, root.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("Gemini said no 8841", root.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task A_Gemini_error_mid_stream_ends_the_Anthropic_stream_with_an_error_event_and_charges_what_was_generated()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        fixture.Fakes.Script("google", FakeScript.Default with { Chunks = 5, ErrorEventAfterChunks = 2 });
        var (status, body) = await DialectCalls.PostAsync(fixture.Gateway, CallerDialect.Anthropic, Gemini, new { model = Gemini, max_tokens = 50, stream = true, messages = new[] { new { role = "user", content = "hi" } } }, true, account.Key);
        fixture.Fakes.Script("google", FakeScript.Default);

        Assert.Equal(200, status);
        var names = body.Split('\n').Where(l => l.StartsWith("event: ")).Select(l => l[7..]).ToList();
        Assert.Equal("error", names[^1]);
        Assert.DoesNotContain("message_stop", names);
        var events = DialectCalls.Events(body);
        Assert.Contains("overloaded", events[^1].GetProperty("error").GetProperty("message").GetString());
        var cost = events.Single(e => e.GetProperty("type").GetString() == "message_delta").GetProperty("usage").GetProperty("cost").GetDecimal();
        Assert.True(cost > 0);
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 1, Gemini, cost);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_Gemini_caller_streams_from_Claude_as_SSE_or_a_JSON_array_with_exact_cost(bool sse)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("anthropic", Script);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1beta/models/{Claude}:streamGenerateContent" + (sse ? "?alt=sse" : ""))
        {
            Content = new StringContent("""{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"Say hello."}]}],"generationConfig":{"maxOutputTokens":64,"stopSequences":["END"]}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-goog-api-key", account.Key);
        using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var text = await response.Content.ReadAsStringAsync();
        fixture.Fakes.Script("anthropic", FakeScript.Default);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(sse ? "text/event-stream" : "application/json", response.Content.Headers.ContentType!.MediaType);
        var chunks = sse ? DialectCalls.Events(text) : JsonDocument.Parse(text).RootElement.EnumerateArray().ToList();
        Assert.True(chunks.Count > 2);
        Assert.Equal(Script.Reply, string.Concat(chunks.SelectMany(c => c.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts").EnumerateArray()).Select(p => p.GetProperty("text").GetString())));
        var last = chunks[^1];
        Assert.Equal("STOP", last.GetProperty("candidates")[0].GetProperty("finishReason").GetString());
        Assert.Equal(Script.PromptTokens, last.GetProperty("usageMetadata").GetProperty("promptTokenCount").GetInt32());
        Assert.Equal(Script.CachedTokens, last.GetProperty("usageMetadata").GetProperty("cachedContentTokenCount").GetInt32());
        var cost = DialectCalls.Cost(Claude, DialectCalls.UsageOf("anthropic", Script));
        Assert.Equal(cost, last.GetProperty("usageMetadata").GetProperty("cost").GetDecimal());
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 5, Claude, cost);
        var sent = fixture.Fakes.RequestsTo("anthropic")[^1].Json;
        Assert.True(sent.GetProperty("stream").GetBoolean());
        Assert.Equal("Be brief.", sent.GetProperty("system").GetString());
        Assert.Equal("END", sent.GetProperty("stop_sequences")[0].GetString());
    }

    [Fact]
    public async Task An_Anthropic_error_mid_stream_ends_a_Gemini_stream_with_an_error_object()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        fixture.Fakes.Script("anthropic", FakeScript.Default with { Chunks = 5, ErrorEventAfterChunks = 2 });
        var (status, body) = await DialectCalls.PostAsync(fixture.Gateway, CallerDialect.Gemini, Claude, new { contents = new[] { new { parts = new[] { new { text = "hi" } } } } }, true, account.Key);
        fixture.Fakes.Script("anthropic", FakeScript.Default);

        Assert.Equal(200, status);
        var events = DialectCalls.Events(body);
        Assert.Contains("Overloaded", events[^1].GetProperty("error").GetProperty("message").GetString());
        var cost = events[^2].GetProperty("usageMetadata").GetProperty("cost").GetDecimal();
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 1, Claude, cost);
    }

    private static readonly object Schema = new { type = "object", properties = new { answer = new { type = "string" } }, required = new[] { "answer" }, additionalProperties = false };

    [Fact]
    public async Task An_OpenAI_json_schema_becomes_Anthropics_structured_output_format()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var body = JsonSerializer.Serialize(new { model = Claude, max_tokens = 50, messages = new[] { new { role = "user", content = "JSON please." } }, response_format = new { type = "json_schema", json_schema = new { name = "answer", strict = true, schema = Schema } } });
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, body);

        Assert.True(status == 200, json.ToString());
        var sent = fixture.Fakes.RequestsTo("anthropic")[^1].Json;
        var format = sent.GetProperty("output_config").GetProperty("format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("string", format.GetProperty("schema").GetProperty("properties").GetProperty("answer").GetProperty("type").GetString());
        Assert.False(sent.TryGetProperty("response_format", out _));
    }

    [Fact]
    public async Task A_Gemini_response_schema_becomes_Anthropics_structured_output_format()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var body = new { contents = new[] { new { parts = new[] { new { text = "JSON please." } } } }, generationConfig = new { responseMimeType = "application/json", responseJsonSchema = Schema } };
        var (status, text) = await DialectCalls.PostAsync(fixture.Gateway, CallerDialect.Gemini, Claude, body, false, account.Key);

        Assert.True(status == 200, text);
        var format = fixture.Fakes.RequestsTo("anthropic")[^1].Json.GetProperty("output_config").GetProperty("format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.False(format.GetProperty("schema").GetProperty("additionalProperties").GetBoolean());
    }

    [Theory]
    [InlineData(CallerDialect.OpenAi)]
    [InlineData(CallerDialect.Gemini)]
    public async Task JSON_mode_without_a_schema_to_Anthropic_is_refused_in_the_callers_dialect_and_nothing_is_sent_or_charged(CallerDialect caller)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var before = fixture.Fakes.RequestsTo("anthropic").Count;
        object body = caller == CallerDialect.OpenAi
            ? new { model = Claude, max_tokens = 50, messages = new[] { new { role = "user", content = "JSON please." } }, response_format = new { type = "json_object" } }
            : new { contents = new[] { new { parts = new[] { new { text = "JSON please." } } } }, generationConfig = new { responseMimeType = "application/json" } };
        var (status, text) = await DialectCalls.PostAsync(fixture.Gateway, caller, Claude, body, false, account.Key);

        Assert.Equal(400, status);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Contains("json_schema", error.GetProperty("message").GetString());
        if (caller == CallerDialect.Gemini) Assert.Equal("INVALID_ARGUMENT", error.GetProperty("status").GetString());
        Assert.Equal(before, fixture.Fakes.RequestsTo("anthropic").Count);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Theory]
    [InlineData("openai", false)]
    [InlineData("google", false)]
    [InlineData("openai", true)]
    public async Task Anthropics_structured_output_format_reaches_OpenAI_and_Gemini_as_their_schemas(string slug, bool beta)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var model = DialectCalls.UpstreamModels[slug];
        var body = new Dictionary<string, object?> { ["model"] = model, ["max_tokens"] = 50, ["messages"] = new[] { new { role = "user", content = "JSON please." } } };
        if (beta) body["output_format"] = new { type = "json_schema", schema = Schema };
        else body["output_config"] = new { format = new { type = "json_schema", schema = Schema } };
        var (status, text) = await DialectCalls.PostAsync(fixture.Gateway, CallerDialect.Anthropic, model, body, false, account.Key);

        Assert.True(status == 200, text);
        var sent = fixture.Fakes.RequestsTo(slug)[^1].Json;
        if (slug == "openai")
        {
            Assert.Equal("json_schema", sent.GetProperty("response_format").GetProperty("type").GetString());
            Assert.Equal("object", sent.GetProperty("response_format").GetProperty("json_schema").GetProperty("schema").GetProperty("type").GetString());
        }
        else
        {
            Assert.Equal("application/json", sent.GetProperty("generationConfig").GetProperty("responseMimeType").GetString());
            Assert.Equal("object", sent.GetProperty("generationConfig").GetProperty("responseJsonSchema").GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task A_Gemini_caller_may_send_a_models_fallback_list_which_Google_never_sees()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var body = new { contents = new[] { new { parts = new[] { new { text = "hi" } } } }, models = new[] { "deepseek/deepseek-chat" } };

        // Google answers: the list stays with the gateway (the fake refuses unknown fields as Google does).
        var (status, text) = await DialectCalls.PostAsync(fixture.Gateway, CallerDialect.Gemini, "gemini-2.5-flash", body, false, account.Key);
        Assert.True(status == 200, text);
        Assert.False(fixture.Fakes.RequestsTo("google")[^1].Json.TryGetProperty("models", out _));
        Assert.Equal(Gemini, JsonDocument.Parse(text).RootElement.GetProperty("modelVersion").GetString());

        // Google fails: the next candidate answers, and the response says which.
        fixture.Fakes.Script("google", FakeScript.Default with { FailStatus = 503 });
        (status, text) = await DialectCalls.PostAsync(fixture.Gateway, CallerDialect.Gemini, "gemini-2.5-flash", body, false, account.Key);
        fixture.Fakes.Script("google", FakeScript.Default);
        Assert.True(status == 200, text);
        var root = JsonDocument.Parse(text).RootElement;
        Assert.Equal("deepseek/deepseek-chat", root.GetProperty("modelVersion").GetString());
        var cost = root.GetProperty("usageMetadata").GetProperty("cost").GetDecimal();
        Assert.Equal(DialectCalls.Cost("deepseek/deepseek-chat", DialectCalls.UsageOf("deepseek", FakeScript.Default)), cost);
        Assert.Equal("deepseek/deepseek-chat", (await DialectCalls.LastTransactionAsync(fixture.Gateway, account.Key)).GetProperty("model").GetString());
    }
}
