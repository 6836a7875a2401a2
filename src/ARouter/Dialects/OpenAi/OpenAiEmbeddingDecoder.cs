using System.Text.Json;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.OpenAi;

/// <summary>An embedding request as the gateway needs it: the model, and the input text to size the reservation.</summary>
public sealed record EmbeddingRequest(string Model, IReadOnlyList<string> Texts, int TokenArrayTokens, SourceDocument Source);

public static class OpenAiEmbeddingDecoder
{
    public const int MaxInputs = 2_048;

    public static EmbeddingRequest Decode(SourceDocument source)
    {
        var root = source.Json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new DecodeException("The request body must be a JSON object.");
        var model = JsonRead.RequiredString(root, "model", "model");
        if (!root.TryGetProperty("input", out var input) || input.ValueKind == JsonValueKind.Null)
            throw new DecodeException("'input' is required.", "input");

        var texts = new List<string>();
        var tokenArrayTokens = 0;
        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                texts.Add(input.GetString()!);
                break;
            case JsonValueKind.Array:
                if (input.GetArrayLength() == 0) throw new DecodeException("'input' must not be empty.", "input");
                if (input.GetArrayLength() > MaxInputs) throw new DecodeException($"'input' may hold at most {MaxInputs} items.", "input");
                foreach (var item in input.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String) texts.Add(item.GetString()!);
                    else if (item.ValueKind == JsonValueKind.Number) tokenArrayTokens++;
                    else if (item.ValueKind == JsonValueKind.Array && item.EnumerateArray().All(t => t.ValueKind == JsonValueKind.Number)) tokenArrayTokens += item.GetArrayLength();
                    else throw new DecodeException("'input' must be a string, an array of strings, or an array of token arrays.", "input");
                }
                break;
            default:
                throw new DecodeException("'input' must be a string, an array of strings, or an array of token arrays.", "input");
        }
        return new EmbeddingRequest(model, texts, tokenArrayTokens, source);
    }

    /// <summary>The caller's body with the model swapped for the provider's id; every other field kept.</summary>
    public static void EncodeForProvider(System.Buffers.IBufferWriter<byte> output, EmbeddingRequest request, string upstreamModel)
    {
        using var json = new Utf8JsonWriter(output, ARouter.Dialects.JsonWriting.Options);
        json.WriteStartObject();
        json.WriteString("model", upstreamModel);
        foreach (var property in request.Source.Json.RootElement.EnumerateObject())
            if (property.Name is not ("model" or "provider" or "models" or "route")) property.WriteTo(json);
        json.WriteEndObject();
    }
}
