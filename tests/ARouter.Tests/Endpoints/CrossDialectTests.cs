using System.ClientModel;
using System.Net;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages;
using ARouter.Billing;
using ARouter.Tests.FakeUpstream;
using OpenAI;
using OpenAI.Chat;

namespace ARouter.Tests.Endpoints;

/// <summary>Anthropic and Google as upstreams, reached from every caller dialect, with usage and cost exact.</summary>
public sealed class CrossDialectTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private const string Claude = "anthropic/claude-sonnet-4.6";
    private const string Gemini = "google/gemini-2.5-flash";
    private static readonly FakeScript Script = FakeScript.Default with { PromptTokens = 40, CompletionTokens = 9, CachedTokens = 10 };

    private ChatClient OpenAiSdk(string model, string key) => new(model, new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(fixture.Gateway.BaseAddress, "/v1") });

    private AnthropicClient AnthropicSdk(string key) => new() { ApiKey = key, BaseUrl = fixture.Gateway.BaseAddress.ToString().TrimEnd('/') };

    private static decimal Cost(string model, FakeScript script)
        => Money.FromNanos(CostCalculator.CostNanos(GatewayWithFakes.Catalog.FindModel(model)!.Price, new TokenUsage(script.PromptTokens, script.CompletionTokens, script.CachedTokens)));

    public static TheoryData<string, bool> Upstreams => new() { { Claude, false }, { Claude, true }, { Gemini, false }, { Gemini, true } };

    [Theory]
    [MemberData(nameof(Upstreams))]
    public async Task The_OpenAI_SDK_reaches_Anthropic_and_Google_with_usage_and_exact_cost(string model, bool stream)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var slug = model.Split('/')[0];
        fixture.Fakes.Script(slug, Script);
        var sdk = OpenAiSdk(model, account.Key);
        ChatMessage[] messages = [new SystemChatMessage("Be brief."), new UserChatMessage("Say hello.")];
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 300 };

        string text;
        ChatTokenUsage usage;
        if (stream)
        {
            var builder = new System.Text.StringBuilder();
            ChatTokenUsage? seen = null;
            await foreach (var update in sdk.CompleteChatStreamingAsync(messages, options))
            {
                foreach (var part in update.ContentUpdate) builder.Append(part.Text);
                seen = update.Usage ?? seen;
            }
            text = builder.ToString();
            usage = seen!;
        }
        else
        {
            var completion = (await sdk.CompleteChatAsync(messages, options)).Value;
            Assert.Equal(model, completion.Model);
            Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
            text = completion.Content[0].Text;
            usage = completion.Usage;
        }
        fixture.Fakes.Script(slug, FakeScript.Default);

        Assert.Equal(Script.Reply, text);
        Assert.Equal(Script.PromptTokens, usage.InputTokenCount);
        Assert.Equal(Script.CompletionTokens, usage.OutputTokenCount);
        Assert.Equal(Script.CachedTokens, usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(5 - Cost(model, Script), await fixture.Gateway.BalanceAsync(account.Key));

        var sent = fixture.Fakes.RequestsTo(slug)[^1];
        if (slug == "anthropic")
        {
            Assert.Equal("/v1/messages", sent.Path);
            Assert.Equal(FakeProviders.KeyFor("anthropic"), sent.Headers["x-api-key"]);
            Assert.Equal("2023-06-01", sent.Headers["anthropic-version"]);
            Assert.Equal("Be brief.", sent.Json.GetProperty("system").GetString());
            Assert.Equal(300, sent.Json.GetProperty("max_tokens").GetInt32());
        }
        else
        {
            Assert.Equal(stream ? "/v1beta/models/gemini-2.5-flash:streamGenerateContent" : "/v1beta/models/gemini-2.5-flash:generateContent", sent.Path);
            if (stream) Assert.Equal("?alt=sse", sent.Query);
            Assert.Equal(FakeProviders.KeyFor("google"), sent.Headers["x-goog-api-key"]);
            Assert.Equal("Be brief.", sent.Json.GetProperty("systemInstruction").GetProperty("parts")[0].GetProperty("text").GetString());
            Assert.Equal(300, sent.Json.GetProperty("generationConfig").GetProperty("maxOutputTokens").GetInt32());
        }
        Assert.DoesNotContain("lr_live_", string.Join(' ', sent.Headers.Values) + sent.Body + sent.Query);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_Anthropic_SDK_reaches_Claude_by_its_own_name_with_the_message_passed_through(bool stream)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("anthropic", Script);
        var parameters = new MessageCreateParams { Model = "claude-sonnet-4-6", MaxTokens = 200, Messages = [new UserMessageParam("Say hello.")] };
        var client = AnthropicSdk(account.Key).WithOptions(o => o with { ExtraHeaders = new Dictionary<string, string> { ["anthropic-beta"] = "prompt-caching-2024-07-31" } });

        var message = stream ? await client.Messages.CreateStreaming(parameters).Aggregate() : await client.Messages.Create(parameters);
        fixture.Fakes.Script("anthropic", FakeScript.Default);

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(Script.Reply, text!.Text);
        Assert.Equal(Claude, message.Model);
        Assert.Equal(Script.CompletionTokens, message.Usage.OutputTokens);
        Assert.Equal(Script.PromptTokens - Script.CachedTokens, message.Usage.InputTokens);
        Assert.Equal(Script.CachedTokens, message.Usage.CacheReadInputTokens);
        Assert.Equal(5 - Cost(Claude, Script), await fixture.Gateway.BalanceAsync(account.Key));
        var sent = fixture.Fakes.RequestsTo("anthropic")[^1];
        Assert.Equal("prompt-caching-2024-07-31", sent.Headers["anthropic-beta"]);
        Assert.Equal("claude-sonnet-4-6", sent.Json.GetProperty("model").GetString());
    }

    [Fact]
    public async Task The_Anthropic_SDK_reaches_Gemini_and_a_Gemini_caller_reaches_Claude()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var message = await AnthropicSdk(account.Key).Messages.CreateStreaming(new MessageCreateParams { Model = Gemini, MaxTokens = 100, Messages = [new UserMessageParam("Say hello.")] }).Aggregate();
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(FakeScript.Default.Reply, text!.Text);

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1beta/models/{Claude}:generateContent")
        {
            Content = new StringContent("""{"contents":[{"role":"user","parts":[{"text":"Say hello."}]}],"generationConfig":{"maxOutputTokens":64}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-goog-api-key", account.Key);
        using var response = await fixture.Gateway.Client.SendAsync(request);
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(FakeScript.Default.Reply, root.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal(64, fixture.Fakes.RequestsTo("anthropic")[^1].Json.GetProperty("max_tokens").GetInt32());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_Gemini_caller_reaches_Gemini_by_its_own_name_with_the_response_passed_through(bool stream)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("google", Script);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1beta/models/gemini-2.5-flash:" + (stream ? "streamGenerateContent?alt=sse" : "generateContent"))
        {
            Content = new StringContent("""{"contents":[{"role":"user","parts":[{"text":"Say hello."}]}],"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-goog-api-key", account.Key);
        using var response = await fixture.Gateway.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        fixture.Fakes.Script("google", FakeScript.Default);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var chunks = stream ? text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => JsonDocument.Parse(e[6..]).RootElement).ToList() : [JsonDocument.Parse(text).RootElement];
        Assert.Equal(Script.Reply, string.Concat(chunks.Select(c => c.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString())));
        Assert.All(chunks, c => Assert.Equal(Gemini, c.GetProperty("modelVersion").GetString()));
        Assert.Equal(Cost(Gemini, Script), chunks[^1].GetProperty("usageMetadata").GetProperty("cost").GetDecimal());
        // Same dialect: fields the gateway does not model reach the provider untouched.
        Assert.Equal("BLOCK_NONE", fixture.Fakes.RequestsTo("google")[^1].Json.GetProperty("safetySettings")[0].GetProperty("threshold").GetString());
    }

    [Fact]
    public async Task An_Anthropic_failure_reaches_each_caller_in_its_own_dialect_and_costs_nothing()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        fixture.Fakes.Script("anthropic", FakeScript.Default with { FailStatus = 529, FailMessage = "Overloaded 4471" });
        try
        {
            var (openAiStatus, openAi) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(Claude, maxTokens: 50));
            Assert.Equal(502, openAiStatus);
            Assert.Contains("Overloaded 4471", openAi.GetProperty("error").GetProperty("message").GetString());
            Assert.Contains("529", openAi.GetProperty("error").GetProperty("message").GetString());

            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1beta/models/{Claude}:generateContent")
            {
                Content = new StringContent("""{"contents":[{"parts":[{"text":"hi"}]}]}""", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("x-goog-api-key", account.Key);
            using var response = await fixture.Gateway.Client.SendAsync(request);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
            Assert.Equal(502, error.GetProperty("code").GetInt32());
            Assert.Contains("Overloaded 4471", error.GetProperty("message").GetString());
        }
        finally
        {
            fixture.Fakes.Script("anthropic", FakeScript.Default);
        }
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task An_Anthropic_error_event_mid_stream_ends_an_OpenAI_stream_with_an_error_event_and_charges_what_was_generated()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        fixture.Fakes.Script("anthropic", FakeScript.Default with { Chunks = 6, ErrorEventAfterChunks = 2 });
        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(Claude, stream: true, maxTokens: 50));
        using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var events = await GatewayWithFakes.ReadSseAsync(response);
        fixture.Fakes.Script("anthropic", FakeScript.Default);

        Assert.DoesNotContain("[DONE]", events);
        Assert.Contains("Overloaded", JsonDocument.Parse(events[^1]).RootElement.GetProperty("error").GetProperty("message").GetString());
        var cost = JsonDocument.Parse(events[^2]).RootElement.GetProperty("usage").GetProperty("cost").GetDecimal();
        Assert.True(cost > 0);
        Assert.Equal(1 - cost, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Theory]
    [MemberData(nameof(Upstreams))]
    public async Task Tool_calls_from_Anthropic_and_Google_reach_the_OpenAI_SDK_with_ids_and_arguments(string model, bool stream)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var slug = model.Split('/')[0];
        fixture.Fakes.Script(slug, FakeScript.Default with { ToolCall = new FakeToolCall("get_weather", """{"city":"Paris"}""") });
        var sdk = OpenAiSdk(model, account.Key);
        var options = new ChatCompletionOptions { Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}""")) }, ToolChoice = ChatToolChoice.CreateRequiredChoice() };
        ChatMessage[] messages = [new UserChatMessage("Weather in Paris?")];

        string name, arguments, id;
        ChatFinishReason? finish = null;
        if (stream)
        {
            var calls = new Dictionary<int, (string? Id, string? Name, System.Text.StringBuilder Arguments)>();
            await foreach (var update in sdk.CompleteChatStreamingAsync(messages, options))
            {
                foreach (var toolUpdate in update.ToolCallUpdates)
                {
                    var call = calls.TryGetValue(toolUpdate.Index, out var seen) ? seen : (null, null, new System.Text.StringBuilder());
                    calls[toolUpdate.Index] = (toolUpdate.ToolCallId ?? call.Id, toolUpdate.FunctionName ?? call.Name, call.Arguments.Append(toolUpdate.FunctionArgumentsUpdate?.ToString()));
                }
                finish = update.FinishReason ?? finish;
            }
            var single = Assert.Single(calls.Values);
            (name, arguments, id) = (single.Name!, single.Arguments.ToString(), single.Id!);
        }
        else
        {
            var completion = (await sdk.CompleteChatAsync(messages, options)).Value;
            var call = Assert.Single(completion.ToolCalls);
            (name, arguments, id, finish) = (call.FunctionName, call.FunctionArguments.ToString(), call.Id, completion.FinishReason);
        }
        fixture.Fakes.Script(slug, FakeScript.Default);

        Assert.Equal("get_weather", name);
        Assert.Equal("Paris", JsonDocument.Parse(arguments).RootElement.GetProperty("city").GetString());
        Assert.False(string.IsNullOrEmpty(id));
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        var sent = fixture.Fakes.RequestsTo(slug)[^1].Json;
        if (slug == "anthropic")
        {
            Assert.Equal("get_weather", sent.GetProperty("tools")[0].GetProperty("name").GetString());
            Assert.Equal("any", sent.GetProperty("tool_choice").GetProperty("type").GetString());
        }
        else
        {
            Assert.Equal("get_weather", sent.GetProperty("tools")[0].GetProperty("functionDeclarations")[0].GetProperty("name").GetString());
            Assert.Equal("ANY", sent.GetProperty("toolConfig").GetProperty("functionCallingConfig").GetProperty("mode").GetString());
        }
    }

    [Fact]
    public async Task JSON_mode_and_schemas_map_between_OpenAI_and_Gemini()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var schema = new { type = "object", properties = new { answer = new { type = "string" } }, required = new[] { "answer" } };
        var openAiBody = JsonSerializer.Serialize(new
        {
            model = Gemini,
            max_tokens = 50,
            messages = new[] { new { role = "user", content = "Answer in JSON." } },
            response_format = new { type = "json_schema", json_schema = new { name = "answer", schema } },
        });
        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, openAiBody)).Status);
        var config = fixture.Fakes.RequestsTo("google")[^1].Json.GetProperty("generationConfig");
        Assert.Equal("application/json", config.GetProperty("responseMimeType").GetString());
        Assert.Equal("string", config.GetProperty("responseJsonSchema").GetProperty("properties").GetProperty("answer").GetProperty("type").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1beta/models/deepseek/deepseek-chat:generateContent")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { contents = new[] { new { parts = new[] { new { text = "JSON please" } } } }, generationConfig = new { responseMimeType = "application/json", responseSchema = schema } }), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-goog-api-key", account.Key);
        using var response = await fixture.Gateway.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var format = fixture.Fakes.RequestsTo("deepseek")[^1].Json.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("object", format.GetProperty("json_schema").GetProperty("schema").GetProperty("type").GetString());
    }
}
