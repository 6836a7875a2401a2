using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.Gemini;

/// <summary>Writes canonical responses as Gemini <c>GenerateContentResponse</c>s, with <c>usageMetadata</c> plus the gateway's <c>cost</c>.</summary>
public static class GeminiResponseEncoder
{
    public static void Write(Utf8JsonWriter json, ChatResponse response, string generationId, string model, TokenUsage usage, decimal cost)
    {
        WriteChunk(json, generationId, model, parts =>
        {
            if (response.Reasoning is { Length: > 0 } reasoning) WriteTextPart(parts, reasoning, thought: true);
            if (response.Text.Length > 0 || response.ToolCalls.Count == 0) WriteTextPart(parts, response.Text, thought: false);
            foreach (var call in response.ToolCalls) WriteFunctionCall(parts, call);
        }, FinishReasonOf(response.Finish), (usage, cost));
    }

    /// <summary>One <c>GenerateContentResponse</c>: a single candidate whose parts <paramref name="writeParts"/> writes.</summary>
    public static void WriteChunk(Utf8JsonWriter json, string generationId, string model, Action<Utf8JsonWriter> writeParts, string? finishReason, (TokenUsage Usage, decimal Cost)? usage)
    {
        WriteChunkStart(json);
        writeParts(json);
        WriteChunkEnd(json, generationId, model, finishReason, usage);
    }

    /// <summary>Opens a chunk up to its <c>parts</c> array, for the parts to be written in between.</summary>
    public static void WriteChunkStart(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteStartArray("candidates");
        json.WriteStartObject();
        json.WriteStartObject("content");
        json.WriteString("role", "model");
        json.WriteStartArray("parts");
    }

    public static void WriteChunkEnd(Utf8JsonWriter json, string generationId, string model, string? finishReason, (TokenUsage Usage, decimal Cost)? usage)
    {
        json.WriteEndArray();
        json.WriteEndObject();
        if (finishReason is not null) json.WriteString("finishReason", finishReason);
        json.WriteNumber("index", 0);
        json.WriteEndObject();
        json.WriteEndArray();
        if (usage is { } u) WriteUsage(json, u.Usage, u.Cost);
        json.WriteString("modelVersion", model);
        json.WriteString("responseId", generationId);
        json.WriteEndObject();
    }

    public static void WriteRewritten(Utf8JsonWriter json, JsonElement response, string generationId, string model, decimal? cost)
    {
        json.WriteStartObject();
        foreach (var property in response.EnumerateObject())
        {
            switch (property.Name)
            {
                case "modelVersion" or "responseId":
                    break;
                case "usageMetadata" when cost is not null && property.Value.ValueKind == JsonValueKind.Object:
                    UsageWithCost.Write(json, "usageMetadata", property.Value, cost.Value);
                    break;
                default:
                    property.WriteTo(json);
                    break;
            }
        }
        json.WriteString("modelVersion", model);
        json.WriteString("responseId", generationId);
        json.WriteEndObject();
    }

    public static void WriteTextPart(Utf8JsonWriter json, ReadOnlySpan<byte> utf8Text, bool thought)
    {
        json.WriteStartObject();
        json.WriteString("text", utf8Text);
        if (thought) json.WriteBoolean("thought", true);
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
        ToolArguments.WriteAsObject(json, call.ArgumentsJson);
        json.WriteEndObject();
        if (call.Signature is { } signature) json.WriteString("thoughtSignature", signature);
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

    public static string FinishReasonOf(FinishReason? finish) => finish switch
    {
        FinishReason.Length => "MAX_TOKENS",
        FinishReason.ContentFilter => "SAFETY",
        FinishReason.Error => "OTHER",
        _ => "STOP",
    };

}
