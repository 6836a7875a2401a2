using System.Buffers;
using System.Text.Json;
using ARouter.Dialects.Anthropic;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Gemini;
using ARouter.Dialects.OpenAi;

namespace ARouter.Tests.Dialects;

/// <summary>
/// Request examples from each API's own documentation (OpenAI Chat Completions, Anthropic Messages, Gemini
/// generateContent), decoded, re-encoded as every other dialect's request, and decoded again: the conversation,
/// tools, media, limits, reasoning and output format must survive each trip.
/// </summary>
public sealed class DocumentedRequestsTests
{
    private const string Pdf = "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoK";

    /// <summary>Name → (dialect, body as the documentation shows it).</summary>
    public static readonly Dictionary<string, (CallerDialect Dialect, string Body)> Examples = new()
    {
        // platform.openai.com/docs/guides/function-calling
        ["openai function calling"] = (CallerDialect.OpenAi, """
            {"model":"gpt-4o","messages":[{"role":"user","content":"What's the weather like in Boston today?"}],
             "tools":[{"type":"function","function":{"name":"get_current_weather","description":"Get the current weather in a given location",
               "parameters":{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["location"]}}}],
             "tool_choice":"auto"}
            """),
        // platform.openai.com/docs/guides/function-calling (the turn after the calls, two of them in parallel)
        ["openai tool results"] = (CallerDialect.OpenAi, """
            {"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What's the weather like in Paris and Bogotá?"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_12345xyz","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris, France\"}"}},
                                                              {"id":"call_67890abc","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Bogotá, Colombia\"}"}}]},
              {"role":"tool","tool_call_id":"call_12345xyz","content":"14"},{"role":"tool","tool_call_id":"call_67890abc","content":"18"}],
             "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}]}
            """),
        // platform.openai.com/docs/guides/images-vision
        ["openai vision"] = (CallerDialect.OpenAi, """
            {"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"What's in this image?"},
              {"type":"image_url","image_url":{"url":"https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg"}}]}],
             "max_tokens":300}
            """),
        // platform.openai.com/docs/guides/pdf-files
        ["openai pdf"] = (CallerDialect.OpenAi, """
            {"model":"gpt-4.1","messages":[{"role":"user","content":[{"type":"file","file":{"filename":"draconomicon.pdf","file_data":"data:application/pdf;base64,PDFDATA"}},
              {"type":"text","text":"What is the first dragon in the book?"}]}]}
            """),
        // platform.openai.com/docs/guides/reasoning and structured-outputs
        ["openai reasoning json schema"] = (CallerDialect.OpenAi, """
            {"model":"gpt-5","reasoning_effort":"medium","messages":[{"role":"developer","content":"Extract the event."},{"role":"user","content":"Alice and Bob are going to a science fair on Friday."}],
             "response_format":{"type":"json_schema","json_schema":{"name":"calendar_event","strict":true,"schema":{"type":"object","properties":{"name":{"type":"string"},"date":{"type":"string"},"participants":{"type":"array","items":{"type":"string"}}},"required":["name","date","participants"],"additionalProperties":false}}}}
            """),
        // docs.claude.com/en/docs/agents-and-tools/tool-use/overview
        ["anthropic tool use"] = (CallerDialect.Anthropic, """
            {"model":"claude-opus-4-1","max_tokens":1024,
             "tools":[{"name":"get_weather","description":"Get the current weather in a given location","input_schema":{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"}},"required":["location"]}}],
             "messages":[{"role":"user","content":"What is the weather like in San Francisco?"}]}
            """),
        // docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use (returning the result)
        ["anthropic tool result"] = (CallerDialect.Anthropic, """
            {"model":"claude-opus-4-1","max_tokens":1024,"system":"Answer briefly.",
             "tools":[{"name":"get_weather","description":"Get the current weather in a given location","input_schema":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}],
             "messages":[{"role":"user","content":"What's the weather like in San Francisco?"},
               {"role":"assistant","content":[{"type":"text","text":"I'll check the current weather in San Francisco for you."},{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"San Francisco, CA"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01A09q90qw90lq917835lq9","content":"15 degrees"}]}]}
            """),
        // docs.claude.com/en/docs/build-with-claude/pdf-support and vision
        ["anthropic pdf and image"] = (CallerDialect.Anthropic, """
            {"model":"claude-opus-4-1","max_tokens":1024,"messages":[{"role":"user","content":[
              {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"PDFDATA"}},
              {"type":"image","source":{"type":"url","url":"https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"}},
              {"type":"text","text":"What are the key findings in this document?"}]}]}
            """),
        // docs.claude.com/en/docs/build-with-claude/extended-thinking
        ["anthropic extended thinking"] = (CallerDialect.Anthropic, """
            {"model":"claude-sonnet-4-5","max_tokens":16000,"thinking":{"type":"enabled","budget_tokens":10000},
             "messages":[{"role":"user","content":"Are there an infinite number of prime numbers such that n mod 4 == 3?"}]}
            """),
        // ai.google.dev/gemini-api/docs/text-generation (system instructions, snake_case as in the curl example)
        ["gemini system instruction"] = (CallerDialect.Gemini, """
            {"system_instruction":{"parts":[{"text":"You are a cat. Your name is Neko."}]},"contents":[{"parts":[{"text":"Hello there"}]}],
             "generationConfig":{"stopSequences":["Title"],"temperature":1.0,"topP":0.8,"maxOutputTokens":800}}
            """),
        // ai.google.dev/gemini-api/docs/function-calling
        ["gemini function calling"] = (CallerDialect.Gemini, """
            {"contents":[{"role":"user","parts":[{"text":"Turn the lights down to a romantic level"}]}],
             "tools":[{"functionDeclarations":[{"name":"set_light_values","description":"Sets the brightness and color temperature of a light.",
               "parameters":{"type":"object","properties":{"brightness":{"type":"integer","description":"Light level from 0 to 100. Zero is off and 100 is full brightness"},"color_temp":{"type":"string","enum":["daylight","cool","warm"],"description":"Color temperature of the light fixture, which can be `daylight`, `cool` or `warm`."}},"required":["brightness","color_temp"]}}]}]}
            """),
        // ai.google.dev/gemini-api/docs/function-calling (the function response turn)
        ["gemini function response"] = (CallerDialect.Gemini, """
            {"contents":[{"role":"user","parts":[{"text":"Turn the lights down to a romantic level"}]},
              {"role":"model","parts":[{"functionCall":{"name":"set_light_values","args":{"brightness":25,"color_temp":"warm"}}}]},
              {"role":"user","parts":[{"functionResponse":{"name":"set_light_values","response":{"brightness":25,"colorTemperature":"warm"}}}]}],
             "tools":[{"functionDeclarations":[{"name":"set_light_values","parameters":{"type":"object","properties":{"brightness":{"type":"integer"},"color_temp":{"type":"string"}}}}]}]}
            """),
        // ai.google.dev/gemini-api/docs/document-processing and thinking
        ["gemini pdf with thinking"] = (CallerDialect.Gemini, """
            {"contents":[{"parts":[{"inline_data":{"mime_type":"application/pdf","data":"PDFDATA"}},{"text":"Summarize this document"}]}],
             "generationConfig":{"thinkingConfig":{"thinkingBudget":1024}}}
            """),
    };

    public static TheoryData<string, CallerDialect> Trips()
    {
        var data = new TheoryData<string, CallerDialect>();
        foreach (var (name, example) in Examples)
            foreach (var target in (CallerDialect[])[CallerDialect.OpenAi, CallerDialect.Anthropic, CallerDialect.Gemini])
                if (target != example.Dialect) data.Add(name, target);
        return data;
    }

    [Theory]
    [MemberData(nameof(Trips))]
    public void A_documented_request_survives_the_trip_into_another_dialect_and_back(string name, CallerDialect target)
    {
        var (dialect, body) = Examples[name];
        body = body.Replace("PDFDATA", Pdf, StringComparison.Ordinal);
        var original = Decode(dialect, body);
        var again = Decode(target, Encode(original, target));

        Assert.Equal(CanonicalView.Of(original), CanonicalView.Of(again));
        if (original.MaxTokens is { } max) Assert.Equal(max, again.MaxTokens);
        Assert.Equal(original.Temperature, again.Temperature);
        Assert.Equal(original.TopP, again.TopP);
        Assert.Equal(original.Stop ?? [], again.Stop ?? []);
        Assert.Equal(original.Tools?.Select(t => t.Name) ?? [], again.Tools?.Select(t => t.Name) ?? []);
        Assert.Equal(original.Tools?.Select(t => t.Parameters?.GetProperty("properties").EnumerateObject().Count()) ?? [], again.Tools?.Select(t => t.Parameters?.GetProperty("properties").EnumerateObject().Count()) ?? []);
        Assert.Equal(original.Format?.Type, again.Format?.Type);
        if (original.Format?.Schema is { } schema) Assert.True(JsonElement.DeepEquals(schema, again.Format!.Schema!.Value));
        Assert.Equal(original.Reasoning is null, again.Reasoning is null);
        if (original.Reasoning is { } reasoning) Assert.Equal(ReasoningLevels.EffortOf(reasoning), ReasoningLevels.EffortOf(again.Reasoning!));
    }

    private static ChatRequest Decode(CallerDialect dialect, string body)
    {
        var source = new SourceDocument(dialect, JsonDocument.Parse(body));
        return dialect switch
        {
            CallerDialect.OpenAi => OpenAiChatDecoder.Decode(source),
            CallerDialect.Anthropic => AnthropicRequestDecoder.Decode(source),
            _ => GeminiRequestDecoder.Decode(source, "gemini-2.5-flash", stream: false),
        };
    }

    /// <summary>The body the gateway would send to a provider of <paramref name="target"/>'s dialect.</summary>
    private static string Encode(ChatRequest request, CallerDialect target)
    {
        var output = new ArrayBufferWriter<byte>();
        switch (target)
        {
            case CallerDialect.OpenAi:
                OpenAiCanonicalRequestEncoder.Encode(output, request, GatewayWithFakes.Catalog.FindModel("openai/gpt-5.4")!, GatewayWithFakes.Catalog.FindProvider("openai")!);
                break;
            case CallerDialect.Anthropic:
                AnthropicRequestEncoder.Encode(output, request, GatewayWithFakes.Catalog.FindModel("anthropic/claude-sonnet-4.6")!);
                break;
            default:
                GeminiRequestEncoder.Encode(output, request);
                break;
        }
        return System.Text.Encoding.UTF8.GetString(output.WrittenSpan);
    }
}

/// <summary>A dialect-neutral picture of a conversation: what each turn says, shows and calls, and what each tool answered.</summary>
public static class CanonicalView
{
    public static List<string> Of(ChatRequest request)
    {
        var view = new List<string>();
        foreach (var message in request.Messages)
        {
            var text = string.Concat(message.Content.OfType<TextPart>().Select(p => p.Text));
            var media = string.Join(",", message.Content.Where(p => p is not TextPart).Select(Describe));
            var calls = string.Join(",", (message.ToolCalls ?? []).Select(c => c.Name + Normalize(c.ArgumentsJson)));
            view.Add(message.Role == ChatRole.Tool ? $"tool:{ToolText(text)}" : $"{message.Role}:{text}|{media}|{calls}");
        }
        return view;
    }

    private static string Describe(ContentPart part) => part switch
    {
        ImagePart image => "image:" + image.Url,
        FilePart file => "file:" + (file.MediaType ?? "?") + ":" + (file.Data ?? file.FileId),
        _ => part.GetType().Name,
    };

    private static string Normalize(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JsonSerializer.Serialize(document.RootElement);
    }

    /// <summary>Gemini wraps a text result as <c>{"content": text}</c>; a JSON result stays JSON.</summary>
    private static string ToolText(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement is { ValueKind: JsonValueKind.Object } root && root.EnumerateObject().Count() == 1 && root.TryGetProperty("content", out var content))
                return content.ValueKind == JsonValueKind.String ? ToolText(content.GetString()!) : Normalize(content.GetRawText());
            return Normalize(text);
        }
        catch (JsonException)
        {
            return text;
        }
    }
}
