using System.Buffers;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Anthropic;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;

namespace ARouter.Tests.Dialects.Anthropic;

/// <summary>Anthropic as the provider: requests written from other dialects, and the documented response and stream shapes read back.</summary>
public sealed class AnthropicUpstreamCodecTests
{
    private static readonly ARouter.Catalog.ModelRecord Sonnet = GatewayWithFakes.Catalog.FindModel("anthropic/claude-sonnet-4.6")!;

    private static JsonElement EncodeFromOpenAi(string openAiBody)
    {
        var request = OpenAiChatDecoder.Decode(new SourceDocument(CallerDialect.OpenAi, JsonDocument.Parse(openAiBody)));
        var output = new ArrayBufferWriter<byte>();
        AnthropicRequestEncoder.Encode(output, request, Sonnet);
        return JsonDocument.Parse(output.WrittenMemory).RootElement;
    }

    [Fact]
    public void An_OpenAI_request_becomes_a_Messages_request_with_system_lifted_turns_merged_and_tools_mapped()
    {
        var body = EncodeFromOpenAi("""
            {"model":"anthropic/claude-sonnet-4.6","temperature":0.3,"stop":["END"],"tool_choice":"required",
             "messages":[{"role":"system","content":"Be brief."},{"role":"developer","content":"Use metric units."},
                         {"role":"user","content":"Weather?"},{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]},
                         {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}},{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
                         {"role":"tool","tool_call_id":"call_1","content":"Sunny"},{"role":"tool","tool_call_id":"call_2","content":"Snow"},
                         {"role":"user","content":"Summarise."}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}
            """);

        Assert.Equal("claude-sonnet-4-6", body.GetProperty("model").GetString());
        Assert.Equal(Sonnet.MaxOutputTokens, body.GetProperty("max_tokens").GetInt32());
        Assert.Equal("Be brief.\n\nUse metric units.", body.GetProperty("system").GetString());
        var messages = body.GetProperty("messages");
        Assert.Equal(3, messages.GetArrayLength());
        Assert.Equal(["user", "assistant", "user"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));

        var first = messages[0].GetProperty("content");
        Assert.Equal("text", first[0].GetProperty("type").GetString());
        Assert.Equal("base64", first[1].GetProperty("source").GetProperty("type").GetString());
        Assert.Equal("image/png", first[1].GetProperty("source").GetProperty("media_type").GetString());
        Assert.Equal("url", first[2].GetProperty("source").GetProperty("type").GetString());

        var calls = messages[1].GetProperty("content");
        Assert.Equal("tool_use", calls[0].GetProperty("type").GetString());
        Assert.Equal("call_1", calls[0].GetProperty("id").GetString());
        Assert.Equal("Rome", calls[0].GetProperty("input").GetProperty("city").GetString());
        Assert.Equal(2, calls.GetArrayLength());

        var results = messages[2].GetProperty("content");
        Assert.Equal(["tool_result", "tool_result", "text"], results.EnumerateArray().Select(b => b.GetProperty("type").GetString()));
        Assert.Equal("call_2", results[1].GetProperty("tool_use_id").GetString());
        Assert.Equal("Snow", results[1].GetProperty("content").GetString());

        Assert.Equal("any", body.GetProperty("tool_choice").GetProperty("type").GetString());
        Assert.Equal("get_weather", body.GetProperty("tools")[0].GetProperty("name").GetString());
        Assert.Equal("object", body.GetProperty("tools")[0].GetProperty("input_schema").GetProperty("type").GetString());
        Assert.Equal("END", body.GetProperty("stop_sequences")[0].GetString());
        Assert.False(body.TryGetProperty("stream", out _));
    }

    [Fact]
    public void The_documented_message_reads_back_with_tool_calls_stop_reason_and_cache_aware_usage()
    {
        var message = JsonDocument.Parse("""
            {"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-6",
             "content":[{"type":"thinking","thinking":"Let me check.","signature":"sig"},{"type":"text","text":"I'll look that up."},
                        {"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"location":"San Francisco, CA"}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":2095,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":503}}
            """).RootElement;

        var response = AnthropicResponseDecoder.Decode(message);

        Assert.Equal("I'll look that up.", response.Text);
        Assert.Equal("Let me check.", response.Reasoning);
        Assert.Equal(FinishReason.ToolCalls, response.Finish);
        var call = Assert.Single(response.ToolCalls);
        Assert.Equal("toolu_01A", call.Id);
        Assert.Equal("San Francisco, CA", JsonDocument.Parse(call.ArgumentsJson).RootElement.GetProperty("location").GetString());
        Assert.Equal(new TokenUsage(3195, 503, 1000, 0, 100), response.Usage);
    }

    [Fact]
    public void The_documented_stream_reads_back_as_canonical_events_with_usage_from_start_and_delta()
    {
        var events = new[]
        {
            """{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-6","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_read_input_tokens":28,"cache_creation_input_tokens":0,"output_tokens":2}}}""",
            """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""",
            """{"type":"ping"}""",
            """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay"}}""",
            """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", checking."}}""",
            """{"type":"content_block_stop","index":0}""",
            """{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T","name":"get_weather","input":{}}}""",
            """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}""",
            """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"SF\"}"}}""",
            """{"type":"content_block_stop","index":1}""",
            """{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}""",
            """{"type":"message_stop"}""",
        };
        var decoder = new AnthropicStreamDecoder();

        var decoded = events.SelectMany(e => Decode(decoder, e)).ToList();

        Assert.Equal("Okay, checking.", string.Concat(decoded.Where(e => e.Kind == StreamEventKind.Text).Select(t => t.Text)));
        var start = Assert.Single(decoded, e => e.Kind == StreamEventKind.ToolCallStart);
        Assert.Equal((0, "toolu_01T", "get_weather"), (start.Index, start.Id, start.Name));
        Assert.Equal("{\"location\": \"SF\"}", string.Concat(decoded.Where(e => e.Kind == StreamEventKind.ToolCallArguments).Select(a => a.Text)));
        Assert.Equal(FinishReason.ToolCalls, Assert.Single(decoded, e => e.Kind == StreamEventKind.Finish).Reason);
        Assert.Equal(new TokenUsage(500, 89, 28, 0, 0), decoder.Usage);
        Assert.True(decoder.Stopped);
        Assert.Null(decoder.Error);
    }

    [Fact]
    public void A_mid_stream_error_event_is_reported()
    {
        var decoder = new AnthropicStreamDecoder();
        Decode(decoder, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""");
        Assert.Equal("Overloaded", decoder.Error);
    }

    private static List<StreamEvent> Decode(AnthropicStreamDecoder decoder, string data)
    {
        var events = new StreamEvents();
        events.Reset(System.Text.Encoding.UTF8.GetByteCount(data));
        decoder.Decode(JsonDocument.Parse(data).RootElement, events);
        return [.. Enumerable.Range(0, events.Count).Select(i => events[i].Detached())];
    }
}
