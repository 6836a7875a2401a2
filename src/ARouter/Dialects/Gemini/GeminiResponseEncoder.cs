using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.Gemini;

/// <summary>Writes canonical responses as Gemini <c>GenerateContentResponse</c>s, with <c>usageMetadata</c> plus the gateway's <c>cost</c>.</summary>
public static class GeminiResponseEncoder
{
    public static void Write(Utf8JsonWriter json, ChatResponse response, string generationId, string model, TokenUsage usage, decimal cost)
    {
        json.WriteStartObject();
        json.WriteStartArray("candidates");
        json.WriteStartObject();
        json.WriteStartObject("content");
        json.WriteString("role", "model");
        json.WriteStartArray("parts");
        if (response.Reasoning is { Length: > 0 } reasoning) WriteTextPart(json, reasoning, thought: true);
        if (response.Text.Length > 0 || response.ToolCalls.Count == 0) WriteTextPart(json, response.Text, thought: false);
        foreach (var call in response.ToolCalls) WriteFunctionCall(json, call);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteString("finishReason", FinishReasonOf(response.Finish));
        json.WriteNumber("index", 0);
        json.WriteEndObject();
        json.WriteEndArray();
        WriteUsage(json, usage, cost);
        WriteIdentity(json, generationId, model);
        json.WriteEndObject();
    }

    public static void WriteTextPart(Utf8JsonWriter json, string text, bool thought)
    {
        json.WriteStartObject();
        json.WriteString("text", text);
        if (thought) json.WriteBoolean("thought", true);
        json.WriteEndObject();
    }

    public static void WriteFunctionCall(Utf8JsonWriter json, ToolCall call)
    {
        json.WriteStartObject();
        json.WriteStartObject("functionCall");
        json.WriteString("id", call.Id);
        json.WriteString("name", call.Name);
        json.WritePropertyName("args");
        WriteArguments(json, call.ArgumentsJson);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Gemini counts thinking apart from <c>candidatesTokenCount</c>; OpenAI's completion tokens include it.</summary>
    public static void WriteUsage(Utf8JsonWriter json, TokenUsage usage, decimal? cost)
    {
        json.WriteStartObject("usageMetadata");
        json.WriteNumber("promptTokenCount", usage.PromptTokens);
        json.WriteNumber("candidatesTokenCount", Math.Max(0, usage.CompletionTokens - usage.ReasoningTokens));
        json.WriteNumber("totalTokenCount", usage.PromptTokens + usage.CompletionTokens);
        if (usage.CachedPromptTokens > 0) json.WriteNumber("cachedContentTokenCount", usage.CachedPromptTokens);
        if (usage.ReasoningTokens > 0) json.WriteNumber("thoughtsTokenCount", usage.ReasoningTokens);
        if (cost is { } c) json.WriteNumber("cost", c);
        json.WriteEndObject();
    }

    public static void WriteIdentity(Utf8JsonWriter json, string generationId, string model)
    {
        json.WriteString("modelVersion", model);
        json.WriteString("responseId", generationId);
    }

    public static string FinishReasonOf(FinishReason? finish) => finish switch
    {
        FinishReason.Length => "MAX_TOKENS",
        FinishReason.ContentFilter => "SAFETY",
        FinishReason.Error => "OTHER",
        _ => "STOP",
    };

    private static void WriteArguments(Utf8JsonWriter json, string argumentsJson)
    {
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(argumentsJson) ? "{}" : argumentsJson);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                document.RootElement.WriteTo(json);
                return;
            }
        }
        catch (JsonException)
        {
        }
        json.WriteStartObject();
        json.WriteString("_raw_arguments", argumentsJson);
        json.WriteEndObject();
    }
}
