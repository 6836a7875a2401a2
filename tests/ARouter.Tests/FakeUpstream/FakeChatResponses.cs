using System.Text.Json.Nodes;

namespace ARouter.Tests.FakeUpstream;

/// <summary>Chat completion bodies and stream chunks in the OpenAI wire format, with each provider's usage placement.</summary>
public sealed class FakeChatResponses(FakeProviderProfile profile, FakeScript script, string model)
{
    private readonly string _id = "chatcmpl-" + Guid.NewGuid().ToString("n")[..24];
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private string FinishReason => script.Calls.Count == 0 ? "stop" : "tool_calls";

    private string CallId(int index) => $"call_{index}_{_id[^8..]}";

    public JsonObject Completion()
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = script.Calls.Count == 0 ? script.Reply : null };
        // DeepSeek-style thinking, beside the content.
        if (script.Reasoning is { } reasoning) message["reasoning_content"] = reasoning;
        if (script.Calls.Count > 0)
            message["tool_calls"] = new JsonArray([.. script.Calls.Select((call, i) => (JsonNode)new JsonObject
            {
                ["id"] = CallId(i),
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.ArgumentsJson },
            })]);
        var body = new JsonObject
        {
            ["id"] = _id,
            ["object"] = "chat.completion",
            ["created"] = _created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = FinishReason }),
        };
        if (!script.OmitUsage) body["usage"] = Usage();
        if (profile.StreamUsage == StreamUsageStyle.XGroq) body["x_groq"] = new JsonObject { ["id"] = "req_" + _id[^12..] };
        return body;
    }

    /// <summary>The content chunks, in order: a role chunk, then the reply (or tool call) split into <see cref="FakeScript.Chunks"/> pieces.</summary>
    public IEnumerable<JsonObject> ContentChunks(bool usageAsked)
    {
        yield return Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null, usageAsked);
        if (script.Reasoning is { } reasoning)
            foreach (var piece in Split(reasoning)) yield return Chunk(new JsonObject { ["reasoning_content"] = piece, ["content"] = null }, null, usageAsked);
        if (script.Calls.Count > 0)
        {
            // Every call starts, then the argument pieces arrive interleaved by index: call 0, call 1, call 0, ...
            for (var i = 0; i < script.Calls.Count; i++)
            {
                var first = new JsonObject { ["index"] = i, ["id"] = CallId(i), ["type"] = "function", ["function"] = new JsonObject { ["name"] = script.Calls[i].Name, ["arguments"] = "" } };
                yield return Chunk(new JsonObject { ["tool_calls"] = new JsonArray(first) }, null, usageAsked);
            }
            var pieces = script.Calls.Select(c => Split(c.ArgumentsJson).ToList()).ToList();
            for (var round = 0; round < pieces.Max(p => p.Count); round++)
                for (var i = 0; i < pieces.Count; i++)
                    if (round < pieces[i].Count)
                        yield return Chunk(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = i, ["function"] = new JsonObject { ["arguments"] = pieces[i][round] } }) }, null, usageAsked);
            yield break;
        }
        foreach (var piece in Split(script.Reply)) yield return Chunk(new JsonObject { ["content"] = piece }, null, usageAsked);
    }

    /// <summary>The finish chunk and whatever usage chunks this provider sends after the content.</summary>
    public IEnumerable<JsonObject> ClosingChunks(bool usageAsked)
    {
        var finish = Chunk(new JsonObject(), FinishReason, usageAsked);
        if (script.OmitUsage)
        {
            yield return finish;
            yield break;
        }
        switch (profile.StreamUsage)
        {
            case StreamUsageStyle.IncludeUsageEmptyChoices:
                yield return finish;
                if (usageAsked) yield return UsageOnlyChunk();
                break;
            case StreamUsageStyle.IncludeUsageThenTrailingChunk:
                if (usageAsked) finish["usage"] = Usage();
                yield return finish;
                yield return Envelope(new JsonArray());
                break;
            case StreamUsageStyle.AlwaysOnFinishChunk:
                finish["usage"] = Usage();
                yield return finish;
                break;
            case StreamUsageStyle.AlwaysInChoice:
                finish["choices"]![0]!["usage"] = Usage();
                yield return finish;
                break;
            case StreamUsageStyle.XGroq:
                finish["x_groq"] = new JsonObject { ["id"] = "req_" + _id[^12..], ["usage"] = GroqUsage() };
                yield return finish;
                if (usageAsked) yield return UsageOnlyChunk();
                break;
            case StreamUsageStyle.PlaceholdersThenEmptyChoices:
                yield return finish;
                yield return UsageOnlyChunk();
                break;
        }
    }

    /// <summary>The <c>data: {"error":{…}}</c> event OpenAI-compatible servers send when generation fails mid-stream.</summary>
    public static JsonObject ErrorEvent(string message) => FakeErrorBodies.For(ErrorBodyShape.OpenAi, 500, message);

    private JsonObject Chunk(JsonObject delta, string? finishReason, bool usageAsked)
    {
        var chunk = Envelope(new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason }));
        if (profile.StreamUsage == StreamUsageStyle.PlaceholdersThenEmptyChoices) chunk["usage"] = new JsonObject { ["total_tokens"] = 0, ["total_characters"] = 0 };
        else if (usageAsked) chunk["usage"] = null;
        return chunk;
    }

    private JsonObject UsageOnlyChunk()
    {
        var chunk = Envelope(new JsonArray());
        chunk["usage"] = Usage();
        return chunk;
    }

    private JsonObject Envelope(JsonArray choices) => new()
    {
        ["id"] = _id,
        ["object"] = "chat.completion.chunk",
        ["created"] = _created,
        ["model"] = model,
        ["choices"] = choices,
    };

    private JsonObject Usage()
    {
        var usage = new JsonObject
        {
            ["prompt_tokens"] = script.PromptTokens,
            ["completion_tokens"] = script.CompletionTokens,
            ["total_tokens"] = script.PromptTokens + script.CompletionTokens,
        };
        switch (profile.Slug)
        {
            case "deepseek":
                usage["prompt_cache_hit_tokens"] = script.CachedTokens;
                usage["prompt_cache_miss_tokens"] = script.PromptTokens - script.CachedTokens;
                break;
            case "kimi":
                usage["cached_tokens"] = script.CachedTokens;
                usage["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = script.CachedTokens };
                break;
            default:
                usage["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = script.CachedTokens };
                break;
        }
        if (script.ReasoningTokens > 0) usage["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = script.ReasoningTokens };
        return usage;
    }

    private JsonObject GroqUsage() => new()
    {
        ["queue_time"] = 0.012,
        ["prompt_tokens"] = script.PromptTokens,
        ["prompt_time"] = 0.003,
        ["completion_tokens"] = script.CompletionTokens,
        ["completion_time"] = 0.03,
        ["total_tokens"] = script.PromptTokens + script.CompletionTokens,
        ["total_time"] = 0.033,
    };

    private IEnumerable<string> Split(string text)
    {
        var count = Math.Clamp(script.Chunks, 1, Math.Max(1, text.Length));
        for (var i = 0; i < count; i++)
        {
            var start = i * text.Length / count;
            yield return text[start..((i + 1) * text.Length / count)];
        }
    }
}
