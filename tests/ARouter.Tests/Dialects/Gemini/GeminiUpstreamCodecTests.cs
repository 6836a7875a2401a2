using System.Buffers;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Anthropic;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Gemini;

namespace ARouter.Tests.Dialects.Gemini;

/// <summary>Gemini as the provider: requests written from other dialects, and the documented response shapes read back.</summary>
public sealed class GeminiUpstreamCodecTests
{
    [Fact]
    public void An_Anthropic_request_becomes_generateContent_with_system_instruction_roles_function_parts_and_config()
    {
        var request = AnthropicRequestDecoder.Decode(new SourceDocument(CallerDialect.Anthropic, JsonDocument.Parse("""
            {"model":"google/gemini-2.5-flash","max_tokens":300,"system":"Be brief.","temperature":0.4,"stop_sequences":["END"],
             "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
             "tool_choice":{"type":"tool","name":"get_weather"},
             "messages":[{"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}}]},
                         {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Rome"}}]},
                         {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"Sunny"},{"type":"text","text":"Thanks"}]}]}
            """)));
        var output = new ArrayBufferWriter<byte>();

        GeminiRequestEncoder.Encode(output, request);
        var body = JsonDocument.Parse(output.WrittenMemory).RootElement;

        Assert.Equal("Be brief.", body.GetProperty("systemInstruction").GetProperty("parts")[0].GetProperty("text").GetString());
        var contents = body.GetProperty("contents");
        Assert.Equal(["user", "model", "user"], contents.EnumerateArray().Select(c => c.GetProperty("role").GetString()));
        Assert.Equal("image/jpeg", contents[0].GetProperty("parts")[1].GetProperty("inlineData").GetProperty("mimeType").GetString());
        Assert.Equal("Rome", contents[1].GetProperty("parts")[0].GetProperty("functionCall").GetProperty("args").GetProperty("city").GetString());
        var response = contents[2].GetProperty("parts")[0].GetProperty("functionResponse");
        Assert.Equal("get_weather", response.GetProperty("name").GetString());
        Assert.Equal("Sunny", response.GetProperty("response").GetProperty("content").GetString());
        Assert.Equal("Thanks", contents[2].GetProperty("parts")[1].GetProperty("text").GetString());
        var config = body.GetProperty("generationConfig");
        Assert.Equal(300, config.GetProperty("maxOutputTokens").GetInt32());
        Assert.Equal(0.4, config.GetProperty("temperature").GetDouble());
        Assert.Equal("END", config.GetProperty("stopSequences")[0].GetString());
        Assert.Equal("get_weather", body.GetProperty("tools")[0].GetProperty("functionDeclarations")[0].GetProperty("name").GetString());
        var calling = body.GetProperty("toolConfig").GetProperty("functionCallingConfig");
        Assert.Equal("ANY", calling.GetProperty("mode").GetString());
        Assert.Equal("get_weather", calling.GetProperty("allowedFunctionNames")[0].GetString());
    }

    [Fact]
    public void The_documented_response_reads_back_with_thoughts_function_calls_and_usage()
    {
        var response = GeminiResponseDecoder.Decode(JsonDocument.Parse("""
            {"candidates":[{"content":{"role":"model","parts":[{"text":"Thinking about it","thought":true},{"text":"Let me check."},{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}]},"finishReason":"STOP","index":0}],
             "usageMetadata":{"promptTokenCount":120,"candidatesTokenCount":30,"totalTokenCount":200,"cachedContentTokenCount":100,"thoughtsTokenCount":50},
             "modelVersion":"gemini-2.5-flash","responseId":"abc"}
            """).RootElement);

        Assert.Equal("Let me check.", response.Text);
        Assert.Equal("Thinking about it", response.Reasoning);
        Assert.Equal(FinishReason.ToolCalls, response.Finish);
        var call = Assert.Single(response.ToolCalls);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", JsonDocument.Parse(call.ArgumentsJson).RootElement.GetProperty("city").GetString());
        Assert.Equal(new TokenUsage(120, 80, 100, 50), response.Usage);
    }

    [Theory]
    [InlineData("MAX_TOKENS", FinishReason.Length)]
    [InlineData("SAFETY", FinishReason.ContentFilter)]
    [InlineData("STOP", FinishReason.Stop)]
    public void Finish_reasons_map_to_the_gateways(string reason, FinishReason expected)
    {
        var response = GeminiResponseDecoder.Decode(JsonDocument.Parse($$"""{"candidates":[{"content":{"role":"model","parts":[{"text":"x"}]},"finishReason":"{{reason}}"}]}""").RootElement);
        Assert.Equal(expected, response.Finish);
    }
}
