using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.Gemini;

/// <summary>Reads Gemini <c>GenerateContentResponse</c>s (whole, or one stream chunk at a time) into canonical form.</summary>
public static class GeminiResponseDecoder
{
    public static ChatResponse Decode(JsonElement response)
    {
        var text = new StringBuilder();
        var reasoning = new StringBuilder();
        var calls = new List<ToolCall>();
        FinishReason? finish = null;
        var events = new StreamEvents();
        events.Reset(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(response).Length);
        DecodeChunk(response, 0, events);
        for (var i = 0; i < events.Count; i++)
        {
            var streamEvent = events[i];
            switch (streamEvent.Kind)
            {
                case StreamEventKind.Text: text.Append(streamEvent.Text); break;
                case StreamEventKind.Reasoning: reasoning.Append(streamEvent.Text); break;
                case StreamEventKind.ToolCallStart: calls.Add(new ToolCall(streamEvent.Id!, streamEvent.Name!, "{}") { Signature = streamEvent.Signature }); break;
                case StreamEventKind.ToolCallArguments: calls[^1] = calls[^1] with { ArgumentsJson = streamEvent.Text }; break;
                case StreamEventKind.Finish: finish = streamEvent.Reason; break;
            }
        }
        return new ChatResponse(text.ToString(), reasoning.Length == 0 ? null : reasoning.ToString(), calls, finish, ReadUsage(response));
    }

    /// <param name="firstToolIndex">Function calls seen in earlier chunks, so each call in a stream gets its own index.</param>
    private static readonly byte[] EmptyArguments = "{}"u8.ToArray();

    /// <param name="events">Where the chunk's events go (already reset for it).</param>
    public static void DecodeChunk(JsonElement chunk, int firstToolIndex, StreamEvents events)
    {
        if (GeminiRequestDecoder.Field(chunk, "candidates") is not { ValueKind: JsonValueKind.Array } candidates || candidates.GetArrayLength() == 0)
        {
            if (GeminiRequestDecoder.Field(chunk, "promptFeedback") is { ValueKind: JsonValueKind.Object } feedback && GeminiRequestDecoder.Field(feedback, "blockReason") is not null)
                events.Add(StreamEvent.Finish(FinishReason.ContentFilter));
            return;
        }
        var candidate = candidates[0];
        var toolIndex = firstToolIndex;
        var sawCall = false;
        if (GeminiRequestDecoder.Field(candidate, "content") is { ValueKind: JsonValueKind.Object } content
            && GeminiRequestDecoder.Field(content, "parts") is { ValueKind: JsonValueKind.Array } parts)
        {
            foreach (var part in parts.EnumerateArray())
            {
                if (part.ValueKind != JsonValueKind.Object) continue;
                if (GeminiRequestDecoder.Field(part, "text") is { ValueKind: JsonValueKind.String } text && !text.ValueEquals(""u8))
                {
                    var value = events.Text(text);
                    events.Add(GeminiRequestDecoder.Field(part, "thought") is { ValueKind: JsonValueKind.True } ? StreamEvent.ReasoningDelta(value) : StreamEvent.TextDelta(value));
                }
                else if (GeminiRequestDecoder.Field(part, "functionCall", "function_call") is { ValueKind: JsonValueKind.Object } call)
                {
                    var name = GeminiRequestDecoder.Field(call, "name")?.GetString() ?? "";
                    var id = GeminiRequestDecoder.Field(call, "id") is { ValueKind: JsonValueKind.String } i ? i.GetString()! : $"call_{toolIndex}_{name}";
                    var signature = GeminiRequestDecoder.Field(part, "thoughtSignature", "thought_signature") is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;
                    events.Add(StreamEvent.ToolCallStart(toolIndex, id, name, signature));
                    events.Add(StreamEvent.ToolCallArguments(toolIndex, GeminiRequestDecoder.Field(call, "args") is { } args ? events.RawJson(args) : EmptyArguments));
                    toolIndex++;
                    sawCall = true;
                }
            }
        }
        if (GeminiRequestDecoder.Field(candidate, "finishReason", "finish_reason") is { ValueKind: JsonValueKind.String } reason)
            events.Add(StreamEvent.Finish(MapFinish(reason.GetString(), sawCall || toolIndex > firstToolIndex)));
    }

    /// <summary>Gemini's <c>promptTokenCount</c> includes cached tokens; <c>candidatesTokenCount</c> excludes thinking, which the gateway counts as completion.</summary>
    public static TokenUsage? ReadUsage(JsonElement response)
    {
        if (GeminiRequestDecoder.Field(response, "usageMetadata", "usage_metadata") is not { ValueKind: JsonValueKind.Object } usage) return null;
        var prompt = Int(usage, "promptTokenCount", "prompt_token_count");
        var candidates = Int(usage, "candidatesTokenCount", "candidates_token_count");
        var thoughts = Int(usage, "thoughtsTokenCount", "thoughts_token_count") ?? 0;
        if (prompt is null && candidates is null) return null;
        return new TokenUsage(prompt ?? 0, (candidates ?? 0) + thoughts, Int(usage, "cachedContentTokenCount", "cached_content_token_count") ?? 0, thoughts);
    }

    private static FinishReason MapFinish(string? reason, bool calledFunctions) => reason switch
    {
        "MAX_TOKENS" => FinishReason.Length,
        "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" => FinishReason.ContentFilter,
        "MALFORMED_FUNCTION_CALL" => FinishReason.Error,
        _ when calledFunctions => FinishReason.ToolCalls,
        _ => FinishReason.Stop,
    };

    private static int? Int(JsonElement obj, string name, string alias)
        => GeminiRequestDecoder.Field(obj, name, alias) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt32(out var n) ? Math.Max(0, n) : null;
}
