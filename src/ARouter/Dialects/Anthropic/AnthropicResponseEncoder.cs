using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.Anthropic;

/// <summary>Writes a canonical response as an Anthropic <c>message</c>, with usage in Anthropic's terms plus <c>cost</c>.</summary>
public static class AnthropicResponseEncoder
{
    public static void Write(Utf8JsonWriter json, ChatResponse response, string generationId, string model, TokenUsage usage, decimal cost)
    {
        json.WriteStartObject();
        json.WriteString("id", generationId);
        json.WriteString("type", "message");
        json.WriteString("role", "assistant");
        json.WriteString("model", model);
        json.WriteStartArray("content");
        if (response.Reasoning is { Length: > 0 } reasoning)
        {
            json.WriteStartObject();
            json.WriteString("type", "thinking");
            json.WriteString("thinking", reasoning);
            json.WriteString("signature", "");
            json.WriteEndObject();
        }
        if (response.Text.Length > 0 || response.ToolCalls.Count == 0)
        {
            json.WriteStartObject();
            json.WriteString("type", "text");
            json.WriteString("text", response.Text);
            json.WriteEndObject();
        }
        foreach (var call in response.ToolCalls) WriteToolUse(json, call);
        json.WriteEndArray();
        json.WriteString("stop_reason", StopReason(response.Finish));
        json.WriteNull("stop_sequence");
        WriteUsage(json, usage, cost);
        json.WriteEndObject();
    }

    /// <summary>A <c>tool_use</c> content block (in a response, and in an assistant turn sent to Anthropic).</summary>
    public static void WriteToolUse(Utf8JsonWriter json, ToolCall call)
    {
        json.WriteStartObject();
        json.WriteString("type", "tool_use");
        json.WriteString("id", call.Id);
        json.WriteString("name", call.Name);
        json.WritePropertyName("input");
        ToolArguments.WriteAsObject(json, call.ArgumentsJson);
        json.WriteEndObject();
    }

    /// <summary>
    /// Anthropic caller, Anthropic provider: the provider's message (or <c>message_start</c> message) as it came,
    /// with the gateway's id and model name and, where given, <c>usage.cost</c>.
    /// </summary>
    public static void WriteRewritten(Utf8JsonWriter json, JsonElement message, string generationId, string model, decimal? cost)
    {
        json.WriteStartObject();
        foreach (var property in message.EnumerateObject())
        {
            switch (property.Name)
            {
                case "id": json.WriteString("id", generationId); break;
                case "model": json.WriteString("model", model); break;
                case "usage" when cost is not null && property.Value.ValueKind == JsonValueKind.Object:
                    UsageWithCost.Write(json, "usage", property.Value, cost.Value);
                    break;
                default: property.WriteTo(json); break;
            }
        }
        json.WriteEndObject();
    }

    /// <summary>Anthropic counts cached prompt tokens apart from <c>input_tokens</c>.</summary>
    public static void WriteUsage(Utf8JsonWriter json, TokenUsage usage, decimal? cost)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("input_tokens", Math.Max(0, usage.PromptTokens - usage.CachedPromptTokens - usage.CacheWriteTokens));
        json.WriteNumber("cache_creation_input_tokens", usage.CacheWriteTokens);
        json.WriteNumber("cache_read_input_tokens", usage.CachedPromptTokens);
        json.WriteNumber("output_tokens", usage.CompletionTokens);
        if (cost is { } c) json.WriteNumber("cost", c);
        json.WriteEndObject();
    }

    public static string StopReason(FinishReason? finish) => finish switch
    {
        FinishReason.Length => "max_tokens",
        FinishReason.ToolCalls => "tool_use",
        FinishReason.StopSequence => "stop_sequence",
        FinishReason.ContentFilter => "refusal",
        _ => "end_turn",
    };

}
