using System.Text.Json;
using System.Text.Unicode;

namespace ARouter.Endpoints;

/// <summary>
/// What a request body must be beyond well-formed JSON, checked once where it is read so that no decoder trips
/// over it later (as a 500): a JSON object, valid UTF-8 (the parser checks the structure, not the bytes inside
/// strings), and no <c>\u</c> escape that is half a surrogate pair.
/// </summary>
public static class JsonBodyRules
{
    public static string? FindProblem(ReadOnlySpan<byte> utf8, JsonDocument document, int maxDepth)
    {
        if (document.RootElement.ValueKind != JsonValueKind.Object) return "The request body must be a JSON object.";
        if (!Utf8.IsValid(utf8)) return "The request body is not valid UTF-8.";
        // Escapes are rare outside \n and \"; only a body with \u escapes is walked again.
        if (utf8.IndexOf("\\u"u8) >= 0 && !EscapesAreText(utf8, maxDepth)) return "The request body has a \\u escape that is not valid text (a lone UTF-16 surrogate).";
        return null;
    }

    private static bool EscapesAreText(ReadOnlySpan<byte> utf8, int maxDepth)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
            try
            {
                reader.GetString();
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
        return true;
    }
}
