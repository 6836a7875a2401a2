using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Endpoints;

/// <summary>
/// Thinking across dialects: each caller's knob (OpenAI <c>reasoning_effort</c>, Anthropic <c>thinking</c>, Gemini
/// <c>thinkingConfig</c>) reaches each upstream in its own words, and each upstream's thinking (DeepSeek-style
/// <c>reasoning_content</c>, Anthropic thinking blocks, Gemini thought parts) comes back in the caller's, billed exactly.
/// </summary>
public sealed class ReasoningAcrossDialectsTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private static readonly FakeScript Script = FakeScript.Default with { Reasoning = "The user greets; greet back.", ReasoningTokens = 4, PromptTokens = 20, CompletionTokens = 11 };

    public static TheoryData<CallerDialect, string, bool> Triples => DialectCalls.PairsStreamed();

    /// <summary>Each dialect's own way of asking for thinking: a level from OpenAI, a 2,048-token budget from Anthropic and Gemini.</summary>
    private static Dictionary<string, object?> AskToThink(CallerDialect caller) => caller switch
    {
        CallerDialect.OpenAi => new() { ["reasoning_effort"] = "high", ["messages"] = new[] { new { role = "user", content = "Say hello." } } },
        CallerDialect.Anthropic => new() { ["thinking"] = new { type = "enabled", budget_tokens = 2048 }, ["messages"] = new[] { new { role = "user", content = "Say hello." } } },
        _ => new()
        {
            ["contents"] = new[] { new { role = "user", parts = new[] { new { text = "Say hello." } } } },
            ["generationConfig"] = new Dictionary<string, object?> { ["thinkingConfig"] = new { thinkingBudget = 2048, includeThoughts = true } },
        },
    };

    [Theory]
    [MemberData(nameof(Triples))]
    public async Task Thinking_is_asked_for_in_the_upstreams_words_and_returned_in_the_callers_billed_exactly(CallerDialect caller, string slug, bool stream)
    {
        var (account, model, body) = await DialectCalls.ScriptedCallAsync(fixture, caller, slug, Script, stream, 4096, AskToThink(caller));

        var (thinking, text) = ThinkingAndText(caller, body, stream);
        Assert.Equal(Script.Reasoning, thinking);
        Assert.Equal(Script.Reply, text);
        AssertAskedToThink(caller, slug, fixture.Fakes.RequestsTo(slug)[^1].Json);

        var usage = DialectCalls.UsageOf(slug, Script);
        var cost = DialectCalls.Cost(model, usage);
        Assert.Equal(cost, DialectCalls.ReportedCost(caller, body, stream));
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 5, model, cost);
        if (!stream && caller == CallerDialect.OpenAi)
            Assert.Equal(usage.ReasoningTokens, JsonDocument.Parse(body).RootElement.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        if (!stream && caller == CallerDialect.Gemini && usage.ReasoningTokens > 0)
            Assert.Equal(usage.ReasoningTokens, JsonDocument.Parse(body).RootElement.GetProperty("usageMetadata").GetProperty("thoughtsTokenCount").GetInt32());
    }

    private static void AssertAskedToThink(CallerDialect caller, string slug, JsonElement sent)
    {
        switch (slug)
        {
            case "openai":
                // A 2,048-token budget is a "low" effort; OpenAI's own level passes as it came.
                Assert.Equal(caller == CallerDialect.OpenAi ? "high" : "low", sent.GetProperty("reasoning_effort").GetString());
                Assert.False(sent.TryGetProperty("thinking", out _));
                break;
            case "anthropic":
                var thinking = sent.GetProperty("thinking");
                if (caller == CallerDialect.OpenAi)
                {
                    Assert.Equal("adaptive", thinking.GetProperty("type").GetString());
                    Assert.Equal("high", sent.GetProperty("output_config").GetProperty("effort").GetString());
                }
                else
                {
                    Assert.Equal("enabled", thinking.GetProperty("type").GetString());
                    Assert.Equal(2048, thinking.GetProperty("budget_tokens").GetInt32());
                }
                break;
            default:
                var config = sent.GetProperty("generationConfig").GetProperty("thinkingConfig");
                Assert.Equal(caller == CallerDialect.OpenAi ? 16384 : 2048, config.GetProperty("thinkingBudget").GetInt32());
                Assert.True(config.GetProperty("includeThoughts").GetBoolean());
                break;
        }
    }

    /// <summary>The thinking and the answer as the caller's dialect carries them.</summary>
    private static (string Thinking, string Text) ThinkingAndText(CallerDialect caller, string body, bool stream)
    {
        var thinking = new StringBuilder();
        var text = new StringBuilder();
        if (caller == CallerDialect.OpenAi)
        {
            if (!stream)
            {
                var message = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message");
                return (message.GetProperty("reasoning_content").GetString()!, message.GetProperty("content").GetString()!);
            }
            foreach (var chunk in DialectCalls.Events(body))
            {
                if (chunk.GetProperty("choices").GetArrayLength() == 0) continue;
                var delta = chunk.GetProperty("choices")[0].GetProperty("delta");
                if (delta.TryGetProperty("reasoning_content", out var r) && r.ValueKind == JsonValueKind.String) thinking.Append(r.GetString());
                if (delta.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) text.Append(c.GetString());
            }
            return (thinking.ToString(), text.ToString());
        }
        if (caller == CallerDialect.Anthropic)
        {
            if (!stream)
            {
                var content = JsonDocument.Parse(body).RootElement.GetProperty("content");
                Assert.Equal("thinking", content[0].GetProperty("type").GetString());
                Assert.True(content[0].TryGetProperty("signature", out _));
                return (content[0].GetProperty("thinking").GetString()!, string.Concat(content.EnumerateArray().Where(b => b.GetProperty("type").GetString() == "text").Select(b => b.GetProperty("text").GetString())));
            }
            var events = DialectCalls.Events(body);
            Assert.Equal("thinking", events.First(e => e.GetProperty("type").GetString() == "content_block_start").GetProperty("content_block").GetProperty("type").GetString());
            foreach (var delta in events.Where(e => e.GetProperty("type").GetString() == "content_block_delta").Select(e => e.GetProperty("delta")))
            {
                if (delta.GetProperty("type").GetString() == "thinking_delta") thinking.Append(delta.GetProperty("thinking").GetString());
                if (delta.GetProperty("type").GetString() == "text_delta") text.Append(delta.GetProperty("text").GetString());
            }
            return (thinking.ToString(), text.ToString());
        }
        var chunks = stream ? DialectCalls.Events(body) : [JsonDocument.Parse(body).RootElement];
        foreach (var part in chunks.SelectMany(c => c.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts").EnumerateArray()))
        {
            if (!part.TryGetProperty("text", out var t)) continue;
            (part.TryGetProperty("thought", out var thought) && thought.GetBoolean() ? thinking : text).Append(t.GetString());
        }
        return (thinking.ToString(), text.ToString());
    }

    [Theory]
    [InlineData(CallerDialect.OpenAi, false)]
    [InlineData(CallerDialect.Anthropic, false)]
    [InlineData(CallerDialect.Gemini, false)]
    [InlineData(CallerDialect.OpenAi, true)]
    [InlineData(CallerDialect.Anthropic, true)]
    [InlineData(CallerDialect.Gemini, true)]
    public async Task Reasoning_tokens_are_billed_at_the_catalogs_reasoning_price_from_every_dialect(CallerDialect caller, bool stream)
    {
        const string model = "dashscope/qwen-plus";
        var script = Script with { ReasoningTokens = 5, CompletionTokens = 9 };
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("dashscope", script);
        var (status, body) = await DialectCalls.PostAsync(fixture.Gateway, caller, model, DialectCalls.Body(caller, model, stream, 4096, AskToThink(caller)), stream, account.Key);
        fixture.Fakes.Script("dashscope", FakeScript.Default);
        Assert.True(status == 200, body);

        var usage = new TokenUsage(script.PromptTokens, script.CompletionTokens, 0, script.ReasoningTokens);
        var cost = DialectCalls.Cost(model, usage);
        // The reasoning price (4.0/M) is not the completion price (1.2/M): a charge that ignored it would differ.
        Assert.NotEqual(DialectCalls.Cost(model, usage with { ReasoningTokens = 0 }), cost);
        Assert.Equal(cost, DialectCalls.ReportedCost(caller, body, stream));
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 5, model, cost);
        // DashScope refuses reasoning_effort (a catalog quirk), so it is never sent there.
        Assert.False(fixture.Fakes.RequestsTo("dashscope")[^1].Json.TryGetProperty("reasoning_effort", out _));
    }

    [Fact]
    public async Task An_OpenAI_caller_gets_Anthropics_signature_and_sending_it_back_keeps_the_thinking_block()
    {
        const string model = "anthropic/claude-sonnet-4.6";
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("anthropic", Script with { ToolCall = new FakeToolCall("get_weather", """{"city":"Paris"}""") });
        var first = new { model, max_tokens = 4096, reasoning = new { max_tokens = 2048 }, messages = new[] { new { role = "user", content = "Weather in Paris?" } }, tools = WeatherTool };
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, JsonSerializer.Serialize(first));
        Assert.Equal(200, status);
        var message = json.GetProperty("choices")[0].GetProperty("message");
        var details = message.GetProperty("reasoning_details")[0];
        Assert.Equal(Script.ReasoningSignature, details.GetProperty("signature").GetString());
        Assert.Equal("reasoning.text", details.GetProperty("type").GetString());
        Assert.Equal(2048, fixture.Fakes.RequestsTo("anthropic")[^1].Json.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());

        // The next turn carries the assistant message back as OpenRouter's clients do, reasoning_details included.
        var call = message.GetProperty("tool_calls")[0];
        var second = new
        {
            model,
            max_tokens = 4096,
            reasoning = new { max_tokens = 2048 },
            tools = WeatherTool,
            messages = new object[]
            {
                new { role = "user", content = "Weather in Paris?" },
                new { role = "assistant", content = (string?)null, tool_calls = new[] { call }, reasoning = message.GetProperty("reasoning").GetString(), reasoning_details = message.GetProperty("reasoning_details") },
                new { role = "tool", tool_call_id = call.GetProperty("id").GetString(), content = "Sunny" },
            },
        };
        fixture.Fakes.Script("anthropic", Script);
        (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, JsonSerializer.Serialize(second));
        fixture.Fakes.Script("anthropic", FakeScript.Default);

        Assert.True(status == 200, json.ToString());
        var assistant = fixture.Fakes.RequestsTo("anthropic")[^1].Json.GetProperty("messages")[1].GetProperty("content");
        Assert.Equal("thinking", assistant[0].GetProperty("type").GetString());
        Assert.Equal(Script.ReasoningSignature, assistant[0].GetProperty("signature").GetString());
        Assert.Equal(Script.Reasoning, assistant[0].GetProperty("thinking").GetString());
        Assert.Equal("tool_use", assistant[1].GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Geminis_thought_signature_reaches_an_OpenAI_caller_and_goes_back_with_the_function_call(bool stream)
    {
        const string model = "google/gemini-2.5-flash";
        const string arguments = """{"city":"Paris"}""";
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("google", FakeScript.Default with { ToolCall = new FakeToolCall("get_weather", arguments) });
        var first = new { model, stream, messages = new[] { new { role = "user", content = "Weather in Paris?" } }, tools = WeatherTool };
        var (status, body) = await DialectCalls.PostAsync(fixture.Gateway, CallerDialect.OpenAi, model, first, stream, account.Key);
        fixture.Fakes.Script("google", FakeScript.Default);
        Assert.True(status == 200, body);

        // OpenRouter's shape: a reasoning.encrypted entry whose id is the tool call's.
        var deltas = stream
            ? DialectCalls.Events(body).Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0].GetProperty("delta")).ToList()
            : [JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message")];
        var callId = deltas.First(d => d.TryGetProperty("tool_calls", out _)).GetProperty("tool_calls")[0].GetProperty("id").GetString();
        var detail = deltas.First(d => d.TryGetProperty("reasoning_details", out _)).GetProperty("reasoning_details")[0];
        Assert.Equal("reasoning.encrypted", detail.GetProperty("type").GetString());
        Assert.Equal(FakeGemini.ThoughtSignature, detail.GetProperty("data").GetString());
        Assert.Equal(callId, detail.GetProperty("id").GetString());
        Assert.Equal("google-gemini-v1", detail.GetProperty("format").GetString());

        var second = new
        {
            model,
            tools = WeatherTool,
            messages = new object[]
            {
                new { role = "user", content = "Weather in Paris?" },
                new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id = callId, type = "function", function = new { name = "get_weather", arguments } } }, reasoning_details = new[] { detail } },
                new { role = "tool", tool_call_id = callId, content = "Sunny" },
            },
        };
        (status, body) = await DialectCalls.PostAsync(fixture.Gateway, CallerDialect.OpenAi, model, second, false, account.Key);
        Assert.True(status == 200, body);
        var part = fixture.Fakes.RequestsTo("google")[^1].Json.GetProperty("contents")[1].GetProperty("parts")[0];
        Assert.Equal("get_weather", part.GetProperty("functionCall").GetProperty("name").GetString());
        Assert.Equal(FakeGemini.ThoughtSignature, part.GetProperty("thoughtSignature").GetString());
    }

    [Theory]
    [InlineData("anthropic", false)]
    [InlineData("anthropic", true)]
    [InlineData("google", false)]
    [InlineData("google", true)]
    public async Task Excluded_reasoning_is_thought_but_not_shown_and_still_billed(string slug, bool stream)
    {
        var fields = new Dictionary<string, object?> { ["reasoning"] = new { max_tokens = 2048, exclude = true }, ["messages"] = new[] { new { role = "user", content = "Say hello." } } };
        var (account, model, body) = await DialectCalls.ScriptedCallAsync(fixture, CallerDialect.OpenAi, slug, Script, stream, 4096, fields);

        Assert.DoesNotContain("\"reasoning\":", body);
        Assert.DoesNotContain("reasoning_content", body);
        Assert.DoesNotContain(Script.Reasoning!, body);
        Assert.Contains(stream ? "Hello" : Script.Reply, body);
        var sent = fixture.Fakes.RequestsTo(slug)[^1].Json;
        if (slug == "anthropic") Assert.Equal(2048, sent.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());
        else Assert.False(sent.GetProperty("generationConfig").GetProperty("thinkingConfig").GetProperty("includeThoughts").GetBoolean());
        var cost = DialectCalls.Cost(model, DialectCalls.UsageOf(slug, Script));
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 5, model, cost);
    }

    [Fact]
    public async Task A_Gemini_caller_that_does_not_ask_for_thoughts_gets_none_from_Claude_but_Claude_still_thinks()
    {
        var fields = new Dictionary<string, object?>
        {
            ["contents"] = new[] { new { role = "user", parts = new[] { new { text = "Say hello." } } } },
            ["generationConfig"] = new Dictionary<string, object?> { ["thinkingConfig"] = new { thinkingBudget = 2048 } },
        };
        var (account, model, body) = await DialectCalls.ScriptedCallAsync(fixture, CallerDialect.Gemini, "anthropic", Script, false, 4096, fields);

        Assert.Equal(2048, fixture.Fakes.RequestsTo("anthropic")[^1].Json.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());
        Assert.DoesNotContain("\"thought\"", body);
        Assert.DoesNotContain(Script.Reasoning!, body);
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 5, model, DialectCalls.Cost(model, DialectCalls.UsageOf("anthropic", Script)));
    }

    [Fact]
    public async Task Unsigned_thinking_from_another_provider_is_left_out_of_the_turn_sent_to_Anthropic()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var body = new
        {
            model = "anthropic/claude-sonnet-4.6",
            max_tokens = 100,
            messages = new object[]
            {
                new { role = "user", content = "Hi" },
                new { role = "assistant", content = "Hello!", reasoning_content = "DeepSeek thought this, unsigned." },
                new { role = "user", content = "Again?" },
            },
        };
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, JsonSerializer.Serialize(body));

        // The fake refuses a thinking block without a valid signature, as Anthropic does.
        Assert.True(status == 200, json.ToString());
        var assistant = fixture.Fakes.RequestsTo("anthropic")[^1].Json.GetProperty("messages")[1].GetProperty("content");
        Assert.All(assistant.EnumerateArray(), b => Assert.NotEqual("thinking", b.GetProperty("type").GetString()));
        Assert.Equal("Hello!", assistant[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task The_Anthropic_SDK_stream_helper_assembles_thinking_from_a_DeepSeek_style_provider()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("deepseek", Script);
        var client = new AnthropicClient { ApiKey = account.Key, BaseUrl = fixture.Gateway.BaseAddress.ToString().TrimEnd('/') };
        var message = await client.Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "deepseek/deepseek-reasoner",
            MaxTokens = 4096,
            Thinking = new ThinkingConfigEnabled(2048),
            Messages = [new UserMessageParam("Say hello.")],
        }).Aggregate();
        fixture.Fakes.Script("deepseek", FakeScript.Default);

        Assert.True(message.Content[0].TryPickThinking(out var thinking));
        Assert.Equal(Script.Reasoning, thinking!.Thinking);
        Assert.True(message.Content[1].TryPickText(out var text));
        Assert.Equal(Script.Reply, text!.Text);
        Assert.Equal("low", fixture.Fakes.RequestsTo("deepseek")[^1].Json.GetProperty("reasoning_effort").GetString());
    }

    [Fact]
    public async Task Switching_thinking_off_is_said_in_each_upstreams_words()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var body = new { model = "anthropic/claude-sonnet-4.6", max_tokens = 100, reasoning_effort = "none", messages = new[] { new { role = "user", content = "Hi" } } };
        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, JsonSerializer.Serialize(body))).Status);
        Assert.Equal("disabled", fixture.Fakes.RequestsTo("anthropic")[^1].Json.GetProperty("thinking").GetProperty("type").GetString());

        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, JsonSerializer.Serialize(body with { model = "google/gemini-2.5-flash" }))).Status);
        Assert.Equal(0, fixture.Fakes.RequestsTo("google")[^1].Json.GetProperty("generationConfig").GetProperty("thinkingConfig").GetProperty("thinkingBudget").GetInt32());

        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, JsonSerializer.Serialize(new { model = "openai/gpt-5.4", reasoning_effort = "enormous", messages = new[] { new { role = "user", content = "Hi" } } }));
        Assert.Equal(400, status);
        Assert.Contains("reasoning_effort", json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task OpenRouters_reasoning_object_reaches_an_OpenAI_wire_provider_as_reasoning_effort()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var body = new { model = "openai/gpt-5.4", reasoning = new { max_tokens = 20000 }, messages = new[] { new { role = "user", content = "Hi" } } };
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, JsonSerializer.Serialize(body));

        // OpenAI refuses an unknown "reasoning" field; the gateway says it the provider's way.
        Assert.True(status == 200, json.ToString());
        var sent = fixture.Fakes.RequestsTo("openai")[^1].Json;
        Assert.False(sent.TryGetProperty("reasoning", out _));
        Assert.Equal("high", sent.GetProperty("reasoning_effort").GetString());
    }

    private static readonly object[] WeatherTool = [new { type = "function", function = new { name = "get_weather", parameters = new { type = "object", properties = new { city = new { type = "string" } } } } }];
}
