using System.Text;
using System.Text.Json;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.OpenAi;

/// <summary>Reads an OpenAI-wire completion and its stream chunks into the canonical response and events.</summary>
public static class OpenAiResponseDecoder
{
    public static ChatResponse Decode(JsonElement completion)
    {
        var text = new StringBuilder();
        var reasoning = new StringBuilder();
        var calls = new List<ToolCall>();
        FinishReason? finish = null;
        if (FirstChoice(completion) is { } choice)
        {
            if (choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
            {
                AppendString(message, "content", text);
                // DeepSeek's name first; a server that sends both names sends the same text twice.
                reasoning.Append(String(message, "reasoning_content") ?? String(message, "reasoning"));
                if (message.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
                {
                    foreach (var call in toolCalls.EnumerateArray())
                    {
                        if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object) continue;
                        calls.Add(new ToolCall(String(call, "id") ?? $"call_{calls.Count}", String(function, "name") ?? "", String(function, "arguments") ?? "{}"));
                    }
                }
            }
            finish = MapFinish(String(choice, "finish_reason"));
        }
        var usage = OpenAiUsage.TryFind(completion, out var u) ? OpenAiUsage.Read(u) : null;
        return new ChatResponse(text.ToString(), reasoning.Length == 0 ? null : reasoning.ToString(), calls, finish, usage);
    }

    /// <summary>The canonical events one chunk carries, in order. Usage is read separately (it can sit anywhere).</summary>
    public static IEnumerable<StreamEvent> DecodeChunk(JsonElement chunk)
    {
        if (FirstChoice(chunk) is not { } choice) yield break;
        if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
        {
            if ((String(delta, "reasoning_content") ?? String(delta, "reasoning")) is { Length: > 0 } thinking) yield return new ReasoningDelta(thinking);
            if (String(delta, "content") is { Length: > 0 } content) yield return new TextDelta(content);
            if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in calls.EnumerateArray())
                {
                    if (call.ValueKind != JsonValueKind.Object) continue;
                    var index = call.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : 0;
                    var function = call.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
                    if (String(call, "id") is { } id) yield return new ToolCallStart(index, id, function.ValueKind == JsonValueKind.Object ? String(function, "name") ?? "" : "");
                    if (function.ValueKind == JsonValueKind.Object && String(function, "arguments") is { Length: > 0 } arguments) yield return new ToolCallArgumentsDelta(index, arguments);
                }
            }
        }
        if (MapFinish(String(choice, "finish_reason")) is { } finish) yield return new FinishEvent(finish);
    }

    public static FinishReason? MapFinish(string? reason) => reason switch
    {
        null => null,
        "stop" or "end_turn" => FinishReason.Stop,
        "length" or "max_tokens" => FinishReason.Length,
        "tool_calls" or "function_call" or "tool_use" => FinishReason.ToolCalls,
        "content_filter" => FinishReason.ContentFilter,
        _ => FinishReason.Stop,
    };

    private static JsonElement? FirstChoice(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0) return null;
        var first = choices[0];
        return first.ValueKind == JsonValueKind.Object ? first : null;
    }

    private static string? String(JsonElement obj, string name) => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static void AppendString(JsonElement obj, string name, StringBuilder text)
    {
        if (String(obj, name) is { } value) text.Append(value);
    }
}
