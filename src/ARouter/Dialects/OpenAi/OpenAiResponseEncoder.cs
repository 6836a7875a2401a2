using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using ARouter.Billing;

namespace ARouter.Dialects.OpenAi;

/// <summary>
/// Rewrites an OpenAI-wire completion or stream chunk for the caller: the gateway's generation id, the
/// <c>provider/model</c> name and, where given, usage with its cost. Every other field passes through.
/// </summary>
public static class OpenAiResponseEncoder
{
    public sealed record UsageWithCost(JsonElement? Upstream, TokenUsage Usage, decimal Cost);

    /// <summary>
    /// The completion with the gateway's id, model and usage; every other property's bytes as the provider wrote them. The
    /// document must be valid Unicode, as <see cref="Pipeline.CompletionRelay"/> has checked.
    /// </summary>
    public static void WriteRewritten(Utf8JsonWriter json, JsonElement upstream, string generationId, string model, UsageWithCost? usage, bool stripUsage = false)
    {
        json.WriteStartObject();
        var wroteId = false;
        var wroteModel = false;
        var wroteUsage = false;
        foreach (var property in upstream.EnumerateObject())
        {
            if (property.NameEquals("id"u8))
            {
                json.WriteString("id"u8, generationId);
                wroteId = true;
            }
            else if (property.NameEquals("model"u8))
            {
                json.WriteString("model"u8, model);
                wroteModel = true;
            }
            else if (property.NameEquals("usage"u8) && usage is not null)
            {
                OpenAiUsage.Write(json, usage.Upstream, usage.Usage, usage.Cost);
                wroteUsage = true;
            }
            else if (!(stripUsage && property.NameEquals("usage"u8)))
            {
                CopyProperty(json, property);
            }
        }
        if (!wroteId) json.WriteString("id", generationId);
        if (!wroteModel) json.WriteString("model", model);
        if (usage is not null && !wroteUsage) OpenAiUsage.Write(json, usage.Upstream, usage.Usage, usage.Cost);
        json.WriteEndObject();
    }

    /// <summary>The provider's bytes as they are, rather than unescaped and escaped again.</summary>
    private static void CopyProperty(Utf8JsonWriter json, JsonProperty property)
    {
        var name = JsonMarshal.GetRawUtf8PropertyName(property);
        WriteRawProperty(json, name, name.IndexOf((byte)'\\') >= 0 ? property.Name : null, JsonMarshal.GetRawUtf8Value(property.Value));
    }

    /// <summary>A name as it came unless it has escapes (then <paramref name="unescapedName"/>, escaped by the writer), and the value's bytes as they came.</summary>
    private static void WriteRawProperty(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? unescapedName, ReadOnlySpan<byte> value)
    {
        if (unescapedName is null) json.WritePropertyName(name);
        else json.WritePropertyName(unescapedName);
        json.WriteRawValue(value, skipInputValidation: true);
    }

    /// <summary>
    /// <see cref="WriteRewritten"/> for one stream chunk, read from its bytes in one pass (no document): the same output,
    /// with the chunk's usage left out when <paramref name="stripUsage"/> (it goes out, with the cost, at the end). The chunk
    /// must be valid Unicode, as <see cref="OpenAiStreamDecoder.Read"/> has checked: values are copied as they came.
    /// </summary>
    public static void WriteRewrittenChunk(Utf8JsonWriter json, ReadOnlySpan<byte> chunk, string generationId, string model, bool stripUsage)
    {
        var reader = new Utf8JsonReader(chunk);
        reader.Read();
        json.WriteStartObject();
        var wroteId = false;
        var wroteModel = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                json.WriteString("id"u8, generationId);
                wroteId = true;
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                json.WriteString("model"u8, model);
                wroteModel = true;
            }
            else if (!(stripUsage && reader.ValueTextEquals("usage"u8)))
            {
                var name = reader.ValueSpan;
                var unescapedName = reader.ValueIsEscaped ? reader.GetString() : null;
                reader.Read();
                var valueStart = checked((int)reader.TokenStartIndex);
                reader.Skip();
                WriteRawProperty(json, name, unescapedName, chunk[valueStart..checked((int)reader.BytesConsumed)]);
                continue;
            }
            reader.Read();
            reader.Skip();
        }
        if (!wroteId) json.WriteString("id"u8, generationId);
        if (!wroteModel) json.WriteString("model"u8, model);
        json.WriteEndObject();
    }

    /// <summary><c>{"id":…,"model":…</c>, encoded once per stream for <see cref="OpenAiChunkLayout.WriteRewritten"/>.</summary>
    public static byte[] IdAndModel(string generationId, string model)
    {
        var output = new ArrayBufferWriter<byte>(64 + generationId.Length + model.Length);
        using (var json = new Utf8JsonWriter(output, JsonWriting.Options))
        {
            json.WriteStartObject();
            json.WriteString("id"u8, generationId);
            json.WriteString("model"u8, model);
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Opens a completion or chunk object: <c>id</c>, <c>object</c>, <c>created</c>, <c>model</c>.</summary>
    public static void WriteStart(Utf8JsonWriter json, string objectType, string generationId, string model, long created)
    {
        json.WriteStartObject();
        json.WriteString("id", generationId);
        json.WriteString("object", objectType);
        json.WriteNumber("created", created);
        json.WriteString("model", model);
    }

    /// <summary>The closing chunk of every stream: OpenAI's <c>include_usage</c> shape (no choices) plus the cost.</summary>
    public static void WriteUsageChunk(Utf8JsonWriter json, string generationId, string model, long created, JsonElement? upstreamUsage, TokenUsage usage, decimal cost)
    {
        WriteStart(json, "chat.completion.chunk", generationId, model, created);
        json.WriteStartArray("choices");
        json.WriteEndArray();
        OpenAiUsage.Write(json, upstreamUsage, usage, cost);
        json.WriteEndObject();
    }
}
