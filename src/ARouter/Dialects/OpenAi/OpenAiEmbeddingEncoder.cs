using System.Runtime.InteropServices;
using System.Text.Json;
using ARouter.Billing;

namespace ARouter.Dialects.OpenAi;

/// <summary>Writes vectors from another dialect's provider as an OpenAI embeddings list, as floats or as base64 (the OpenAI SDKs ask for base64).</summary>
public static class OpenAiEmbeddingEncoder
{
    public static void WriteList(Utf8JsonWriter json, IReadOnlyList<JsonElement> vectors, string model, bool base64, TokenUsage usage, decimal cost)
    {
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        for (var i = 0; i < vectors.Count; i++)
        {
            json.WriteStartObject();
            json.WriteString("object", "embedding");
            json.WriteNumber("index", i);
            json.WritePropertyName("embedding");
            if (base64) json.WriteStringValue(Convert.ToBase64String(MemoryMarshal.AsBytes(Floats(vectors[i]).AsSpan())));
            else if (vectors[i].ValueKind == JsonValueKind.Array) vectors[i].WriteTo(json);
            else
            {
                json.WriteStartArray();
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteString("model", model);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", usage.PromptTokens);
        json.WriteNumber("total_tokens", usage.PromptTokens);
        json.WriteNumber("cost", cost);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Little-endian float32, the layout OpenAI's base64 embeddings use.</summary>
    private static float[] Floats(JsonElement vector)
        => vector.ValueKind == JsonValueKind.Array ? vector.EnumerateArray().Select(v => v.TryGetSingle(out var f) ? f : 0f).ToArray() : [];
}
