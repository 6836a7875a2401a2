using System.Text.Json;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.OpenAi;

/// <summary>
/// An embedding request as the gateway needs it: the model, the input texts, and for another dialect's caller
/// the output size and whether one embedding (Gemini <c>embedContent</c>) or a list was asked for.
/// </summary>
public sealed record EmbeddingRequest(string Model, IReadOnlyList<string> Texts, int TokenArrayTokens, SourceDocument Source)
{
    public int? Dimensions { get; init; }
    public bool Single { get; init; }
    /// <summary>The OpenAI caller asked for <c>encoding_format: base64</c>.</summary>
    public bool Base64 { get; init; }
}

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
        var format = JsonRead.OptionalString(root, "encoding_format", "encoding_format");
        if (format is not (null or "float" or "base64")) throw new DecodeException("'encoding_format' must be float or base64.", "encoding_format");
        return new EmbeddingRequest(model, texts, tokenArrayTokens, source)
        {
            Base64 = format == "base64",
            Dimensions = JsonRead.OptionalPositiveInt(root, "dimensions"),
        };
    }

    /// <summary>
    /// An OpenAI caller's body is copied with the model swapped for the provider's id; another dialect's request
    /// is written from its texts, asking for plain floats.
    /// </summary>
    public static void EncodeForProvider(System.Buffers.IBufferWriter<byte> output, EmbeddingRequest request, string upstreamModel)
    {
        using var json = new Utf8JsonWriter(output, ARouter.Dialects.JsonWriting.Options);
        json.WriteStartObject();
        json.WriteString("model", upstreamModel);
        if (request.Source.Dialect == CallerDialect.OpenAi)
        {
            foreach (var property in request.Source.Json.RootElement.EnumerateObject())
                if (property.Name is not ("model" or "provider" or "models" or "route")) property.WriteTo(json);
        }
        else
        {
            json.WriteStartArray("input");
            foreach (var text in request.Texts) json.WriteStringValue(text);
            json.WriteEndArray();
            json.WriteString("encoding_format", "float");
            if (request.Dimensions is { } dimensions) json.WriteNumber("dimensions", dimensions);
        }
        json.WriteEndObject();
    }
}
