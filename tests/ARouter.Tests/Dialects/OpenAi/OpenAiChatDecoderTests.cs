using System.Text.Json;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;

namespace ARouter.Tests.Dialects.OpenAi;

public class OpenAiChatDecoderTests
{
    private static ChatRequest Decode(string json) => OpenAiChatDecoder.Decode(new SourceDocument(CallerDialect.OpenAi, JsonDocument.Parse(json)));

    private static string Refusal(string json) => Assert.Throws<DecodeException>(() => Decode(json)).Message;

    [Fact]
    public void Decodes_text_images_tools_and_limits()
    {
        var request = Decode("""
            {"model":"openai/gpt-4o","stream":true,"max_tokens":50,"temperature":0.2,
             "messages":[{"role":"system","content":"Be brief."},
                         {"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},
                         {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
                         {"role":"tool","tool_call_id":"c1","content":"42"}],
             "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}
            """);
        Assert.Equal("openai/gpt-4o", request.Model);
        Assert.True(request.Stream);
        Assert.Equal(50, request.MaxTokens);
        Assert.Equal(4, request.Messages.Count);
        Assert.True(request.HasImages);
        Assert.True(request.HasTools);
        Assert.Equal("c1", request.Messages[3].ToolCallId);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "'model' is required")]
    [InlineData("""{"model":"a/b"}""", "'messages' is required")]
    [InlineData("""{"model":"a/b","messages":"hi"}""", "'messages' must be an array")]
    [InlineData("""{"model":"a/b","messages":[]}""", "at least one message")]
    [InlineData("""{"model":"a/b","messages":[{"role":"wizard","content":"hi"}]}""", "'messages[0].role' must be one of")]
    [InlineData("""{"model":"a/b","messages":[{"role":"user","content":42}]}""", "'messages[0].content' must be a string or an array")]
    [InlineData("""{"model":"a/b","messages":[{"role":"user"}]}""", "'messages[0].content' is required")]
    [InlineData("""{"model":"a/b","messages":[{"role":"user","content":"hi"}],"max_tokens":"ten"}""", "'max_tokens' must be an integer")]
    [InlineData("""{"model":"a/b","messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "'max_tokens' must be at least 1")]
    [InlineData("""{"model":"a/b","messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "'stream' must be a boolean")]
    [InlineData("""{"model":7,"messages":[{"role":"user","content":"hi"}]}""", "'model' must be a string")]
    [InlineData("""{"model":"a/b","messages":[{"content":"hi"}]}""", "'messages[0].role' is required")]
    [InlineData("""{"model":"a/b","messages":[{"role":"user","content":"hi"},{"role":7,"content":"hi"}]}""", "'messages[1].role' must be a string")]
    [InlineData("""{"model":"a/b","messages":[{"role":"user","content":"hi","name":1}]}""", "'messages[0].name' must be a string")]
    [InlineData("""{"model":"a/b","messages":[{"role":"tool","content":"x","tool_call_id":[]}]}""", "'messages[0].tool_call_id' must be a string")]
    [InlineData("""{"model":"a/b","messages":[{"role":"assistant","content":"x","reasoning_content":{}}]}""", "'messages[0].reasoning_content' must be a string")]
    [InlineData("""{"model":"a/b","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text"}]}]}""", "'messages[0].content[1].text' is required")]
    [InlineData("""{"model":"a/b","messages":[{"role":"user","content":[{"text":"a"}]}]}""", "'messages[0].content[0].type' is required")]
    [InlineData("""[1,2]""", "must be a JSON object")]
    public void Refuses_malformed_requests_with_a_message_naming_the_problem(string json, string expected)
    {
        Assert.Contains(expected, Refusal(json));
    }
}
