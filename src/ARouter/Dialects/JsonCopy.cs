using System.Buffers;
using System.Text.Json;

namespace ARouter.Dialects;

/// <summary>
/// Copies a JSON value from a reader to a writer token by token, writing exactly what <see cref="JsonElement.WriteTo"/>
/// writes (names and strings unescaped, then escaped by the writer's encoder; numbers as they came) without building a
/// document first.
/// </summary>
public static class JsonCopy
{
    /// <summary>Copies the value the reader is on (its first token) and leaves the reader on its last token.</summary>
    public static void Value(ref Utf8JsonReader reader, Utf8JsonWriter json)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            Token(ref reader, json);
            return;
        }
        var depth = reader.CurrentDepth;
        do
        {
            Token(ref reader, json);
            if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && reader.CurrentDepth == depth) return;
        }
        while (reader.Read());
    }

    /// <summary>Copies the property the reader is on (its name) and its value.</summary>
    public static void Property(ref Utf8JsonReader reader, Utf8JsonWriter json)
    {
        Token(ref reader, json);
        reader.Read();
        Value(ref reader, json);
    }

    private static void Token(ref Utf8JsonReader reader, Utf8JsonWriter json)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject: json.WriteStartObject(); break;
            case JsonTokenType.EndObject: json.WriteEndObject(); break;
            case JsonTokenType.StartArray: json.WriteStartArray(); break;
            case JsonTokenType.EndArray: json.WriteEndArray(); break;
            case JsonTokenType.PropertyName: WriteText(ref reader, json, name: true); break;
            case JsonTokenType.String: WriteText(ref reader, json, name: false); break;
            case JsonTokenType.Number: json.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
            case JsonTokenType.True: json.WriteBooleanValue(true); break;
            case JsonTokenType.False: json.WriteBooleanValue(false); break;
            case JsonTokenType.Null: json.WriteNullValue(); break;
        }
    }

    private static void WriteText(ref Utf8JsonReader reader, Utf8JsonWriter json, bool name)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            if (name) json.WritePropertyName(reader.ValueSpan); else json.WriteStringValue(reader.ValueSpan);
            return;
        }
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        byte[]? rented = null;
        var buffer = length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var unescaped = buffer[..reader.CopyString(buffer)];
            if (name) json.WritePropertyName(unescaped); else json.WriteStringValue(unescaped);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
