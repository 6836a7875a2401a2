using System.Text;
using System.Text.Json;

namespace ARouter.Dialects.OpenAi;

/// <summary>
/// Collects generated text (content, reasoning, tool names and arguments) from a message or a chunk
/// delta, so the gateway can count tokens itself when a provider reports no usage. The text lives only
/// in memory for the length of the request.
/// </summary>
public static class OpenAiStreamText
{
    private static void AppendMessageText(JsonElement messageOrDelta, StringBuilder text)
    {
        if (messageOrDelta.ValueKind != JsonValueKind.Object) return;
        AppendString(messageOrDelta, "content", text);
        if (messageOrDelta.TryGetProperty("reasoning_content", out var r) && r.ValueKind == JsonValueKind.String) text.Append(r.GetString());
        else AppendString(messageOrDelta, "reasoning", text);
        if (messageOrDelta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                if (call.ValueKind == JsonValueKind.Object && call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
                {
                    AppendString(function, "name", text);
                    AppendString(function, "arguments", text);
                }
            }
        }
    }

    public static void AppendChunkText(JsonElement chunk, StringBuilder text)
    {
        if (!chunk.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array) return;
        foreach (var choice in choices.EnumerateArray())
            if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("delta", out var delta))
                AppendMessageText(delta, text);
    }


    private static void AppendString(JsonElement obj, string name, StringBuilder text)
    {
        if (obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String) text.Append(value.GetString());
    }
}
