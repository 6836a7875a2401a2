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
        foreach (var streamEvent in DecodeChunk(response, 0))
        {
            switch (streamEvent)
            {
                case TextDelta delta: text.Append(delta.Text); break;
                case ReasoningDelta delta: reasoning.Append(delta.Text); break;
                case ToolCallStart start: calls.Add(new ToolCall(start.Id, start.Name, "{}") { Signature = start.Signature }); break;
                case ToolCallArgumentsDelta arguments: calls[^1] = calls[^1] with { ArgumentsJson = arguments.Json }; break;
                case FinishEvent end: finish = end.Reason; break;
            }
        }
        return new ChatResponse(text.ToString(), reasoning.Length == 0 ? null : reasoning.ToString(), calls, finish, ReadUsage(response));
    }

    /// <param name="firstToolIndex">Function calls seen in earlier chunks, so each call in a stream gets its own index.</param>
    public static IEnumerable<StreamEvent> DecodeChunk(JsonElement chunk, int firstToolIndex)
    {
        var events = new List<StreamEvent>();
        if (GeminiRequestDecoder.Field(chunk, "candidates") is not { ValueKind: JsonValueKind.Array } candidates || candidates.GetArrayLength() == 0)
        {
            if (GeminiRequestDecoder.Field(chunk, "promptFeedback") is { ValueKind: JsonValueKind.Object } feedback && GeminiRequestDecoder.Field(feedback, "blockReason") is not null)
                events.Add(new FinishEvent(FinishReason.ContentFilter));
            return events;
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
                if (GeminiRequestDecoder.Field(part, "text") is { ValueKind: JsonValueKind.String } text && text.GetString() is { Length: > 0 } value)
                    events.Add(GeminiRequestDecoder.Field(part, "thought") is { ValueKind: JsonValueKind.True } ? new ReasoningDelta(value) : new TextDelta(value));
                else if (GeminiRequestDecoder.Field(part, "functionCall", "function_call") is { ValueKind: JsonValueKind.Object } call)
                {
                    var name = GeminiRequestDecoder.Field(call, "name")?.GetString() ?? "";
                    var id = GeminiRequestDecoder.Field(call, "id") is { ValueKind: JsonValueKind.String } i ? i.GetString()! : $"call_{toolIndex}_{name}";
                    var signature = GeminiRequestDecoder.Field(part, "thoughtSignature", "thought_signature") is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;
                    events.Add(new ToolCallStart(toolIndex, id, name) { Signature = signature });
                    events.Add(new ToolCallArgumentsDelta(toolIndex, GeminiRequestDecoder.Field(call, "args") is { } args ? args.GetRawText() : "{}"));
                    toolIndex++;
                    sawCall = true;
                }
            }
        }
        if (GeminiRequestDecoder.Field(candidate, "finishReason", "finish_reason") is { ValueKind: JsonValueKind.String } reason)
            events.Add(new FinishEvent(MapFinish(reason.GetString(), sawCall || toolIndex > firstToolIndex)));
        return events;
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
