using System.Text;
using System.Text.Json;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.OpenAi;

/// <summary>Reads an OpenAI-wire completion into the canonical response (its stream chunks: <see cref="OpenAiStreamDecoder"/>).</summary>
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
