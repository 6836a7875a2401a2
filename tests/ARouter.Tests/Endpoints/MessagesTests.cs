using System.Net;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages;
using ARouter.Billing;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Endpoints;

/// <summary><c>POST /v1/messages</c>: the Anthropic SDK reaching every OpenAI-wire provider, translated both ways, streaming included.</summary>
public sealed class MessagesTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    public static TheoryData<string> Providers => new(GatewayWithFakes.OpenAiWireProviders);

    private AnthropicClient Sdk(string key) => new() { ApiKey = key, BaseUrl = fixture.Gateway.BaseAddress.ToString().TrimEnd('/') };

    private static MessageCreateParams Params(string model) => new()
    {
        Model = model,
        MaxTokens = 200,
        System = "Be brief.",
        Messages = [new UserMessageParam("Say hello.")],
    };

    private async Task<(int Status, JsonElement Json)> PostAsync(string key, object body, bool xApiKey = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json") };
        if (xApiKey) request.Headers.Add("x-api-key", key); else request.Headers.Authorization = new("Bearer", key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await fixture.Gateway.Client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((int)response.StatusCode, json.RootElement.Clone());
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_Anthropic_SDK_reaches_each_provider_and_gets_an_Anthropic_message_with_usage(string provider)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var model = GatewayWithFakes.ChatModelOf(provider);
        fixture.Fakes.Script(provider, FakeScript.Default with { CachedTokens = 2 });

        var message = await Sdk(account.Key).Messages.Create(Params(model.Id));
        fixture.Fakes.Script(provider, FakeScript.Default);

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(FakeScript.Default.Reply, text!.Text);
        Assert.Equal(model.Id, message.Model);
        Assert.StartsWith("gen-", message.ID);
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.Equal(FakeScript.Default.PromptTokens - 2, message.Usage.InputTokens);
        Assert.Equal(2, message.Usage.CacheReadInputTokens);
        Assert.Equal(FakeScript.Default.CompletionTokens, message.Usage.OutputTokens);

        var sent = fixture.Fakes.RequestsTo(provider)[^1];
        var quirks = GatewayWithFakes.Catalog.FindProvider(provider)!.Quirks;
        Assert.Equal(GatewayWithFakes.Catalog.FindProvider(provider)!.ChatPath, sent.Path);
        Assert.Equal("system", sent.Json.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.Equal("Be brief.", sent.Json.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal(200, sent.Json.GetProperty(quirks.MaxTokensField).GetInt32());
        Assert.Equal("Bearer " + FakeProviders.KeyFor(provider), sent.Headers["authorization"]);
        Assert.DoesNotContain("lr_live_", string.Join(' ', sent.Headers.Values) + sent.Body);

        var expected = Money.FromNanos(CostCalculator.CostNanos(model.Price, new TokenUsage(FakeScript.Default.PromptTokens, FakeScript.Default.CompletionTokens, 2)));
        Assert.Equal(5 - expected, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_Anthropic_SDK_stream_helper_assembles_the_message_from_every_provider(string provider)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var model = GatewayWithFakes.ChatModelOf(provider);

        var message = await Sdk(account.Key).Messages.CreateStreaming(Params(model.Id)).Aggregate();

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(FakeScript.Default.Reply, text!.Text);
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.Equal(FakeScript.Default.CompletionTokens, message.Usage.OutputTokens);
    }

    [Fact]
    public async Task A_stream_is_the_exact_Anthropic_event_sequence_with_usage_and_cost_in_message_delta()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { model = "deepseek/deepseek-chat", max_tokens = 100, stream = true, messages = new[] { new { role = "user", content = "hi" } } }), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", account.Key);
        using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();

        var names = text.Split('\n').Where(l => l.StartsWith("event: ")).Select(l => l[7..]).ToList();
        Assert.Equal("message_start", names[0]);
        Assert.Equal("content_block_start", names[1]);
        Assert.All(names.Skip(2).Take(names.Count - 5), n => Assert.Equal("content_block_delta", n));
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], names[^3..]);
        Assert.DoesNotContain("[DONE]", text);

        var delta = JsonDocument.Parse(text.Split('\n').Where(l => l.StartsWith("data: ")).ElementAt(names.Count - 2)[6..]).RootElement;
        Assert.Equal("end_turn", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
        var cost = delta.GetProperty("usage").GetProperty("cost").GetDecimal();
        Assert.True(cost > 0);
        Assert.Equal(5 - cost, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tools_translate_both_ways(bool stream)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("xai", FakeScript.Default with { ToolCall = new FakeToolCall("get_weather", """{"city":"Paris"}""") });
        var body = new
        {
            model = GatewayWithFakes.ChatModelOf("xai").Id,
            max_tokens = 100,
            stream,
            tools = new[] { new { name = "get_weather", description = "Weather for a city", input_schema = new { type = "object", properties = new { city = new { type = "string" } }, required = new[] { "city" } } } },
            tool_choice = new { type = "any" },
            messages = new object[]
            {
                new { role = "user", content = "Weather in Rome?" },
                new { role = "assistant", content = new object[] { new { type = "tool_use", id = "toolu_1", name = "get_weather", input = new { city = "Rome" } } } },
                new { role = "user", content = new object[] { new { type = "tool_result", tool_use_id = "toolu_1", content = "Sunny" }, new { type = "text", text = "And Paris?" } } },
            },
        };
        string responseText;
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json") })
        {
            request.Headers.Add("x-api-key", account.Key);
            using var response = await fixture.Gateway.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            responseText = await response.Content.ReadAsStringAsync();
        }
        fixture.Fakes.Script("xai", FakeScript.Default);

        var sent = fixture.Fakes.RequestsTo("xai")[^1].Json;
        Assert.Equal("get_weather", sent.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("object", sent.GetProperty("tools")[0].GetProperty("function").GetProperty("parameters").GetProperty("type").GetString());
        Assert.Equal("required", sent.GetProperty("tool_choice").GetString());
        var messages = sent.GetProperty("messages");
        Assert.Equal("toolu_1", messages[1].GetProperty("tool_calls")[0].GetProperty("id").GetString());
        Assert.Equal("Rome", JsonDocument.Parse(messages[1].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString()!).RootElement.GetProperty("city").GetString());
        Assert.Equal("tool", messages[2].GetProperty("role").GetString());
        Assert.Equal("toolu_1", messages[2].GetProperty("tool_call_id").GetString());
        Assert.Equal("Sunny", messages[2].GetProperty("content").GetString());
        Assert.Equal("And Paris?", messages[3].GetProperty("content").GetString());

        if (!stream)
        {
            var message = JsonDocument.Parse(responseText).RootElement;
            Assert.Equal("tool_use", message.GetProperty("stop_reason").GetString());
            var block = message.GetProperty("content").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "tool_use");
            Assert.Equal("get_weather", block.GetProperty("name").GetString());
            Assert.Equal("Paris", block.GetProperty("input").GetProperty("city").GetString());
            return;
        }
        var events = responseText.Split('\n').Where(l => l.StartsWith("data: ")).Select(l => JsonDocument.Parse(l[6..]).RootElement).ToList();
        var start = events.Single(e => e.GetProperty("type").GetString() == "content_block_start" && e.GetProperty("content_block").GetProperty("type").GetString() == "tool_use");
        Assert.Equal("get_weather", start.GetProperty("content_block").GetProperty("name").GetString());
        var json = string.Concat(events.Where(e => e.GetProperty("type").GetString() == "content_block_delta" && e.GetProperty("delta").GetProperty("type").GetString() == "input_json_delta")
            .Select(e => e.GetProperty("delta").GetProperty("partial_json").GetString()));
        Assert.Equal("Paris", JsonDocument.Parse(json).RootElement.GetProperty("city").GetString());
        Assert.Equal("tool_use", events.Single(e => e.GetProperty("type").GetString() == "message_delta").GetProperty("delta").GetProperty("stop_reason").GetString());
    }

    public static TheoryData<string, int, string, string> BadRequests => new()
    {
        { """{"model":"deepseek/deepseek-chat","messages":[{"role":"user","content":"hi"}]}""", 400, "invalid_request_error", "max_tokens" },
        { """{"model":"deepseek/deepseek-chat","max_tokens":10}""", 400, "invalid_request_error", "messages" },
        { """{"model":"deepseek/deepseek-chat","max_tokens":10,"messages":[{"role":"system","content":"hi"}]}""", 400, "invalid_request_error", "role" },
        { """{"model":"deepseek/deepseek-chat","max_tokens":10,"messages":[{"role":"user","content":[{"type":"video"}]}]}""", 400, "invalid_request_error", "video" },
        { """{"model":"nope/x","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", 404, "not_found_error", "nope" },
        { """{"model":"deepseek/deepseek-chat","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}""", 400, "invalid_request_error", "web_search" },
        { "{not json", 400, "invalid_request_error", "JSON" },
        { """{"model":"deepseek/deepseek-v4-pro","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}]}""", 400, "invalid_request_error", "images" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_Anthropic_shaped_errors_and_cost_nothing(string body, int status, string type, string mentions)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var (actual, json) = await PostAsync(account.Key, body);

        Assert.Equal(status, actual);
        Assert.Equal("error", json.GetProperty("type").GetString());
        Assert.Equal(type, json.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(mentions, json.GetProperty("error").GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task A_missing_key_is_an_Anthropic_authentication_error()
    {
        var (status, json) = await PostAsync("lr_live_" + new string('Q', 40), new { model = "deepseek/deepseek-chat", max_tokens = 5, messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(401, status);
        Assert.Equal("authentication_error", json.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Count_tokens_counts_the_prompt_for_free_without_calling_a_provider()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var sent = fixture.Fakes.Requests.Count;
        var client = Sdk(account.Key);

        var small = await client.Messages.CountTokens(new MessageCountTokensParams { Model = "deepseek/deepseek-chat", Messages = [new UserMessageParam("Hello there.")] });
        var large = await client.Messages.CountTokens(new MessageCountTokensParams { Model = "deepseek/deepseek-chat", System = "Answer in French.", Messages = [new UserMessageParam(string.Join(' ', Enumerable.Repeat("token", 500)))] });

        Assert.InRange(small.InputTokens, 3, 20);
        Assert.InRange(large.InputTokens, 500, 520);
        Assert.Equal(sent, fixture.Fakes.Requests.Count);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
        Assert.Equal(404, (await PostAsyncTo("/v1/messages/count_tokens", account.Key, new { model = "nope/x", messages = new[] { new { role = "user", content = "hi" } } })).Status);
    }

    private async Task<(int Status, JsonElement Json)> PostAsyncTo(string path, string key, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", key);
        using var response = await fixture.Gateway.Client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((int)response.StatusCode, json.RootElement.Clone());
    }
}
