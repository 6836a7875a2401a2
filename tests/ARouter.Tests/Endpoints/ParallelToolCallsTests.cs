using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages;
using ARouter.Dialects.Canonical;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Endpoints;

/// <summary>
/// Several tool calls in one assistant turn, for every caller × upstream pair: streamed with interleaved argument
/// deltas (OpenAI wire), block after block (Anthropic) or whole (Gemini), and answered in the next turn for every id.
/// </summary>
public sealed class ParallelToolCallsTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private static readonly FakeToolCall[] Calls = [new("get_weather", """{"city":"Paris","unit":"celsius"}"""), new("get_time", """{"zone":"Asia/Tokyo"}""")];
    private static readonly FakeScript Script = FakeScript.Default with { ToolCalls = Calls, Chunks = 4, PromptTokens = 50, CompletionTokens = 30 };

    public static TheoryData<CallerDialect, string, bool> Triples => DialectCalls.PairsStreamed();
    public static TheoryData<CallerDialect, string> Pairs => DialectCalls.Pairs();

    private static Dictionary<string, object?> Tools(CallerDialect caller)
    {
        var weather = new { type = "object", properties = new { city = new { type = "string" }, unit = new { type = "string" } } };
        var time = new { type = "object", properties = new { zone = new { type = "string" } } };
        return caller switch
        {
            CallerDialect.OpenAi => new()
            {
                ["tools"] = new object[] { new { type = "function", function = new { name = "get_weather", parameters = weather } }, new { type = "function", function = new { name = "get_time", parameters = time } } },
            },
            CallerDialect.Anthropic => new() { ["tools"] = new object[] { new { name = "get_weather", input_schema = weather }, new { name = "get_time", input_schema = time } } },
            _ => new() { ["tools"] = new object[] { new { functionDeclarations = new object[] { new { name = "get_weather", parameters = weather }, new { name = "get_time", parameters = time } } } } },
        };
    }

    private static Dictionary<string, object?> Ask(CallerDialect caller)
    {
        var body = Tools(caller);
        if (caller == CallerDialect.Gemini) body["contents"] = new[] { new { role = "user", parts = new[] { new { text = "Weather in Paris and time in Tokyo?" } } } };
        else body["messages"] = new[] { new { role = "user", content = "Weather in Paris and time in Tokyo?" } };
        return body;
    }

    [Theory]
    [MemberData(nameof(Triples))]
    public async Task Several_calls_in_one_turn_reach_the_caller_whole_with_distinct_ids(CallerDialect caller, string slug, bool stream)
    {
        var (account, model, body) = await DialectCalls.ScriptedCallAsync(fixture, caller, slug, Script, stream, 500, Ask(caller));

        var calls = CallsSeen(caller, body, stream);
        Assert.Equal(["get_weather", "get_time"], calls.Select(c => c.Name));
        for (var i = 0; i < Calls.Length; i++)
            Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(Calls[i].ArgumentsJson).RootElement, JsonDocument.Parse(calls[i].Arguments).RootElement), calls[i].Arguments);
        Assert.All(calls, c => Assert.False(string.IsNullOrEmpty(c.Id)));
        Assert.Equal(2, calls.Select(c => c.Id).Distinct().Count());
        var cost = DialectCalls.Cost(model, DialectCalls.UsageOf(slug, Script));
        Assert.Equal(cost, DialectCalls.ReportedCost(caller, body, stream));
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 5, model, cost);
    }

    /// <summary>The calls as the caller's dialect carries them; for an Anthropic stream the event order is checked block by block.</summary>
    private static List<(string Id, string Name, string Arguments)> CallsSeen(CallerDialect caller, string body, bool stream)
    {
        var calls = new List<(string Id, string Name, StringBuilder Arguments)>();
        switch (caller, stream)
        {
            case (CallerDialect.OpenAi, false):
                var message = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
                Assert.Equal("tool_calls", message.GetProperty("finish_reason").GetString());
                foreach (var call in message.GetProperty("message").GetProperty("tool_calls").EnumerateArray())
                    calls.Add((call.GetProperty("id").GetString()!, call.GetProperty("function").GetProperty("name").GetString()!, new StringBuilder(call.GetProperty("function").GetProperty("arguments").GetString())));
                break;
            case (CallerDialect.OpenAi, true):
                var byIndex = new SortedDictionary<int, (string Id, string Name, StringBuilder Arguments)>();
                foreach (var chunk in DialectCalls.Events(body).Where(c => c.GetProperty("choices").GetArrayLength() > 0))
                {
                    var delta = chunk.GetProperty("choices")[0].GetProperty("delta");
                    if (!delta.TryGetProperty("tool_calls", out var deltas)) continue;
                    foreach (var d in deltas.EnumerateArray())
                    {
                        var index = d.GetProperty("index").GetInt32();
                        if (d.TryGetProperty("id", out var id)) byIndex[index] = (id.GetString()!, d.GetProperty("function").GetProperty("name").GetString()!, new StringBuilder());
                        byIndex[index].Arguments.Append(d.GetProperty("function").TryGetProperty("arguments", out var a) ? a.GetString() : "");
                    }
                }
                calls.AddRange(byIndex.Values);
                break;
            case (CallerDialect.Anthropic, false):
                var root = JsonDocument.Parse(body).RootElement;
                Assert.Equal("tool_use", root.GetProperty("stop_reason").GetString());
                foreach (var block in root.GetProperty("content").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "tool_use"))
                    calls.Add((block.GetProperty("id").GetString()!, block.GetProperty("name").GetString()!, new StringBuilder(block.GetProperty("input").GetRawText())));
                break;
            case (CallerDialect.Anthropic, true):
                int? open = null;
                var next = 0;
                foreach (var e in DialectCalls.Events(body))
                {
                    switch (e.GetProperty("type").GetString())
                    {
                        case "content_block_start":
                            Assert.Null(open);
                            Assert.Equal(next++, e.GetProperty("index").GetInt32());
                            open = e.GetProperty("index").GetInt32();
                            var block = e.GetProperty("content_block");
                            if (block.GetProperty("type").GetString() == "tool_use") calls.Add((block.GetProperty("id").GetString()!, block.GetProperty("name").GetString()!, new StringBuilder()));
                            break;
                        case "content_block_delta":
                            // Anthropic's SDKs accept deltas only for the open block.
                            Assert.Equal(open, e.GetProperty("index").GetInt32());
                            if (e.GetProperty("delta").GetProperty("type").GetString() == "input_json_delta") calls[^1].Arguments.Append(e.GetProperty("delta").GetProperty("partial_json").GetString());
                            break;
                        case "content_block_stop":
                            Assert.Equal(open, e.GetProperty("index").GetInt32());
                            open = null;
                            break;
                        case "message_delta":
                            Assert.Equal("tool_use", e.GetProperty("delta").GetProperty("stop_reason").GetString());
                            break;
                    }
                }
                break;
            default:
                var chunks = stream ? DialectCalls.Events(body) : [JsonDocument.Parse(body).RootElement];
                foreach (var part in chunks.SelectMany(c => c.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts").EnumerateArray()))
                    if (part.TryGetProperty("functionCall", out var fc))
                        calls.Add((fc.TryGetProperty("id", out var fid) ? fid.GetString()! : fc.GetProperty("name").GetString()!, fc.GetProperty("name").GetString()!, new StringBuilder(fc.GetProperty("args").GetRawText())));
                break;
        }
        return calls.Select(c => (c.Id, c.Name, c.Arguments.ToString())).ToList();
    }

    /// <summary>The caller answers both calls in the next turn, each dialect its own way.</summary>
    private static Dictionary<string, object?> Answer(CallerDialect caller)
    {
        var body = Tools(caller);
        switch (caller)
        {
            case CallerDialect.OpenAi:
                body["messages"] = new object[]
                {
                    new { role = "user", content = "Weather in Paris and time in Tokyo?" },
                    new { role = "assistant", content = (string?)null, tool_calls = new object[] { new { id = "call_a", type = "function", function = new { name = "get_weather", arguments = Calls[0].ArgumentsJson } }, new { id = "call_b", type = "function", function = new { name = "get_time", arguments = Calls[1].ArgumentsJson } } } },
                    new { role = "tool", tool_call_id = "call_a", content = "Sunny, 21" },
                    new { role = "tool", tool_call_id = "call_b", content = "09:30" },
                };
                break;
            case CallerDialect.Anthropic:
                body["messages"] = new object[]
                {
                    new { role = "user", content = "Weather in Paris and time in Tokyo?" },
                    new { role = "assistant", content = new object[] { new { type = "tool_use", id = "call_a", name = "get_weather", input = JsonDocument.Parse(Calls[0].ArgumentsJson).RootElement }, new { type = "tool_use", id = "call_b", name = "get_time", input = JsonDocument.Parse(Calls[1].ArgumentsJson).RootElement } } },
                    new { role = "user", content = new object[] { new { type = "tool_result", tool_use_id = "call_a", content = "Sunny, 21" }, new { type = "tool_result", tool_use_id = "call_b", content = "09:30" } } },
                };
                break;
            default:
                body["contents"] = new object[]
                {
                    new { role = "user", parts = new object[] { new { text = "Weather in Paris and time in Tokyo?" } } },
                    new { role = "model", parts = new object[] { new { functionCall = new { name = "get_weather", args = JsonDocument.Parse(Calls[0].ArgumentsJson).RootElement } }, new { functionCall = new { name = "get_time", args = JsonDocument.Parse(Calls[1].ArgumentsJson).RootElement } } } },
                    new { role = "user", parts = new object[] { new { functionResponse = new { name = "get_weather", response = new { result = "Sunny, 21" } } }, new { functionResponse = new { name = "get_time", response = new { result = "09:30" } } } } },
                };
                break;
        }
        return body;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Results_for_several_calls_reach_the_upstream_paired_with_their_calls(CallerDialect caller, string slug)
    {
        var model = DialectCalls.UpstreamModels[slug];
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (status, body) = await DialectCalls.PostAsync(fixture.Gateway, caller, model, DialectCalls.Body(caller, model, false, 200, Answer(caller)), false, account.Key);
        Assert.True(status == 200, body);
        Assert.Contains(FakeScript.Default.Reply, body);

        var sent = fixture.Fakes.RequestsTo(slug)[^1].Json;
        switch (slug)
        {
            case "openai":
                var messages = sent.GetProperty("messages");
                Assert.Equal(["user", "assistant", "tool", "tool"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
                var ids = messages[1].GetProperty("tool_calls").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList();
                Assert.Equal(ids, [messages[2].GetProperty("tool_call_id").GetString(), messages[3].GetProperty("tool_call_id").GetString()]);
                Assert.Contains("Sunny", messages[2].GetProperty("content").GetString());
                Assert.Contains("09:30", messages[3].GetProperty("content").GetString());
                break;
            case "anthropic":
                var turns = sent.GetProperty("messages");
                Assert.Equal(["user", "assistant", "user"], turns.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
                var uses = turns[1].GetProperty("content").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "tool_use").Select(b => b.GetProperty("id").GetString()).ToList();
                var results = turns[2].GetProperty("content").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "tool_result").ToList();
                Assert.Equal(uses, results.Select(r => r.GetProperty("tool_use_id").GetString()));
                Assert.Contains("09:30", results[1].GetProperty("content").ToString());
                break;
            default:
                var contents = sent.GetProperty("contents");
                Assert.Equal(["user", "model", "user"], contents.EnumerateArray().Select(c => c.GetProperty("role").GetString()));
                Assert.Equal(["get_weather", "get_time"], contents[1].GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("functionCall").GetProperty("name").GetString()));
                var responses = contents[2].GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("functionResponse")).ToList();
                Assert.Equal(["get_weather", "get_time"], responses.Select(r => r.GetProperty("name").GetString()));
                Assert.Contains("09:30", responses[1].GetProperty("response").ToString());
                break;
        }
        var cost = DialectCalls.Cost(model, DialectCalls.UsageOf(slug, FakeScript.Default));
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 5, model, cost);
    }

    [Fact]
    public async Task The_Anthropic_SDK_stream_helper_assembles_interleaved_OpenAI_wire_calls_into_two_tool_use_blocks()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("xai", Script);
        var client = new AnthropicClient { ApiKey = account.Key, BaseUrl = fixture.Gateway.BaseAddress.ToString().TrimEnd('/') };
        var message = await client.Messages.CreateStreaming(new MessageCreateParams { Model = "xai/grok-4.3", MaxTokens = 300, Messages = [new UserMessageParam("Weather in Paris and time in Tokyo?")] }).Aggregate();
        fixture.Fakes.Script("xai", FakeScript.Default);

        var uses = message.Content.Select(b => b.TryPickToolUse(out var use) ? use : null).OfType<ToolUseBlock>().ToList();
        Assert.Equal(["get_weather", "get_time"], uses.Select(u => u.Name));
        Assert.Equal("Paris", uses[0].Input["city"].GetString());
        Assert.Equal("Asia/Tokyo", uses[1].Input["zone"].GetString());
        Assert.Equal(StopReason.ToolUse, message.StopReason!.Value());
    }
}
