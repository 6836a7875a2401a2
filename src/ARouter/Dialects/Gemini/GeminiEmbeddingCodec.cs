using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;

namespace ARouter.Dialects.Gemini;

/// <summary>Gemini's <c>embedContent</c> and <c>batchEmbedContents</c>, to and from the gateway's embedding request.</summary>
public static class GeminiEmbeddingCodec
{
    public const int MaxRequests = 250;

    public static EmbeddingRequest Decode(SourceDocument source, string model, bool batch)
    {
        var root = source.Json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new DecodeException("Invalid JSON payload: the request body must be a JSON object.");
        if (!batch) return new EmbeddingRequest(model, [TextOf(root, "")], 0, source) { Dimensions = Dimensions(root), Single = true };

        if (GeminiRequestDecoder.Field(root, "requests") is not { ValueKind: JsonValueKind.Array } requests || requests.GetArrayLength() == 0)
            throw new DecodeException("* BatchEmbedContentsRequest.requests: requests is not specified", "requests");
        if (requests.GetArrayLength() > MaxRequests) throw new DecodeException($"* BatchEmbedContentsRequest.requests: at most {MaxRequests} requests", "requests");
        var index = 0;
        var texts = requests.EnumerateArray().Select(r => TextOf(r, $"requests[{index++}].")).ToList();
        return new EmbeddingRequest(model, texts, 0, source) { Dimensions = Dimensions(requests[0]) };
    }

    /// <summary>The <c>batchEmbedContents</c> body Google receives for any caller's embedding request.</summary>
    public static void EncodeForGoogle(System.Buffers.IBufferWriter<byte> output, EmbeddingRequest request, string upstreamModel)
    {
        using var json = new Utf8JsonWriter(output, JsonWriting.Options);
        json.WriteStartObject();
        json.WriteStartArray("requests");
        foreach (var text in request.Texts)
        {
            json.WriteStartObject();
            json.WriteString("model", "models/" + upstreamModel);
            json.WriteStartObject("content");
            json.WriteStartArray("parts");
            GeminiResponseEncoder.WriteTextPart(json, text, thought: false);
            json.WriteEndArray();
            json.WriteEndObject();
            if (request.Dimensions is { } dimensions) json.WriteNumber("outputDimensionality", dimensions);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The vectors of an embeddings answer, in input order, whichever wire it came in (OpenAI <c>data</c> or Gemini <c>embeddings</c>).</summary>
    public static List<JsonElement> Vectors(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return [];
        if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
            return data.EnumerateArray().Where(d => d.ValueKind == JsonValueKind.Object && d.TryGetProperty("embedding", out var e) && e.ValueKind == JsonValueKind.Array)
                .OrderBy(d => d.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : 0).Select(d => d.GetProperty("embedding")).ToList();
        if (GeminiRequestDecoder.Field(root, "embeddings") is { ValueKind: JsonValueKind.Array } embeddings)
            return embeddings.EnumerateArray().Select(e => GeminiRequestDecoder.Field(e, "values") ?? default).ToList();
        if (GeminiRequestDecoder.Field(root, "embedding") is { ValueKind: JsonValueKind.Object } single && GeminiRequestDecoder.Field(single, "values") is { } values)
            return [values];
        return [];
    }

    /// <summary>Writes vectors as Gemini's answer, with <c>usageMetadata</c> and the cost.</summary>
    public static void WriteResponse(Utf8JsonWriter json, IReadOnlyList<JsonElement> vectors, EmbeddingRequest request, TokenUsage usage, decimal cost)
    {
        json.WriteStartObject();
        if (request.Single)
        {
            json.WritePropertyName("embedding");
            WriteValues(json, vectors.FirstOrDefault());
        }
        else
        {
            json.WriteStartArray("embeddings");
            foreach (var vector in vectors) WriteValues(json, vector);
            json.WriteEndArray();
        }
        json.WriteStartObject("usageMetadata");
        json.WriteNumber("promptTokenCount", usage.PromptTokens);
        json.WriteNumber("totalTokenCount", usage.PromptTokens);
        json.WriteNumber("cost", cost);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteValues(Utf8JsonWriter json, JsonElement vector)
    {
        json.WriteStartObject();
        json.WritePropertyName("values");
        if (vector.ValueKind == JsonValueKind.Array) vector.WriteTo(json);
        else
        {
            json.WriteStartArray();
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static string TextOf(JsonElement request, string path)
    {
        if (request.ValueKind != JsonValueKind.Object || GeminiRequestDecoder.Field(request, "content") is not { ValueKind: JsonValueKind.Object } content
            || GeminiRequestDecoder.Field(content, "parts") is not { ValueKind: JsonValueKind.Array } parts)
            throw new DecodeException($"* {path}content: content is not specified", path + "content");
        return string.Concat(parts.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.Object && GeminiRequestDecoder.Field(p, "text") is { ValueKind: JsonValueKind.String } t ? t.GetString() : ""));
    }

    private static int? Dimensions(JsonElement request)
        => GeminiRequestDecoder.Field(request, "outputDimensionality", "output_dimensionality") is { } value
            ? value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n > 0 ? n : throw new DecodeException("outputDimensionality: must be a positive integer", "outputDimensionality")
            : null;
}
