using System.Buffers;
using System.Text.Json;

namespace ARouter.Dialects;

/// <summary>
/// Whether a JSON text is valid Unicode: valid UTF-8, and no escaped lone surrogate (<c>\ud800</c> alone). A JSON reader
/// accepts both, but neither can be turned into a caller's text; the gateway ends the stream with an error instead.
/// </summary>
public static class UnicodeText
{
    public static bool IsValid(ReadOnlySpan<byte> json)
        => System.Text.Unicode.Utf8.IsValid(json) && (!HasSurrogateEscape(json) || EscapesAreValid(json));

    /// <summary><c>\uD800</c>–<c>\uDFFF</c>, in either case: the only escapes that can be invalid on their own.</summary>
    private static bool HasSurrogateEscape(ReadOnlySpan<byte> json)
    {
        for (var at = json.IndexOf("\\u"u8); at >= 0 && at + 3 < json.Length; )
        {
            if (json[at + 2] is (byte)'d' or (byte)'D' && json[at + 3] is >= (byte)'8' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F') return true;
            var next = json[(at + 2)..].IndexOf("\\u"u8);
            at = next < 0 ? -1 : at + 2 + next;
        }
        return false;
    }

    private static bool EscapesAreValid(ReadOnlySpan<byte> json)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(json.Length);
        try
        {
            var reader = new Utf8JsonReader(json);
            while (reader.Read())
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped) reader.CopyString(scratch);
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or JsonException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
