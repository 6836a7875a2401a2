using System.Text;
using System.Text.Json.Nodes;

namespace ARouter.Tests.Endpoints;

/// <summary>
/// Turns a valid request body into a hostile one, driven by a handful of random numbers (so CsCheck can shrink a
/// failure to the smallest mutation): a field with the wrong type or an extreme value, a field missing, an unknown
/// field, deep nesting, invalid UTF-8, giant strings, or a body that is not JSON at all.
/// </summary>
public static class HostileBodies
{
    public sealed record Body(byte[] Bytes, string? ContentType, string Description)
    {
        public override string ToString() => Description;
    }

    private const string Marker = "__HOSTILE_VALUE__";

    private static readonly string?[] ContentTypes =
        ["application/json", "application/json", "application/json", "text/plain", null, "application/x-www-form-urlencoded", "application/json; charset=latin1", "multipart/form-data; boundary=x"];

    /// <summary>Values with the wrong type, at the edges of their type, or hostile as text. Raw JSON, spliced in as written.</summary>
    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-1", "1.5", "-0.0", "1e308", "1e400", "-1e400", "9223372036854775808", "-9223372036854775809",
        "123456789012345678901234567890", "0.000000000000000000000000001", "\"\"", "\" \"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udfff\\ud800\"",
        "\"\\r\\nX-Injected: 1\"", "\"../../etc/passwd\"", "\"http://169.254.169.254/latest/meta-data/\"", "\"file:///etc/passwd\"",
        "\"€ 日本語 🙂\"", "[]", "{}", "[null]", "[1,2,3]", "{\"\":{}}", "[[[[[[[[[[]]]]]]]]]]", "{\"type\":\"__proto__\"}",
    ];

    /// <summary>One hostile body for <paramref name="template"/>, chosen by the six numbers in <paramref name="dice"/>.</summary>
    public static Body Make(string template, int[] dice)
    {
        var contentType = ContentTypes[dice[5] % ContentTypes.Length];
        switch (dice[0] % 10)
        {
            case 0:
                return Raw(WholeBody(template, dice[1], dice[2]), contentType);
            case 1:
                return Splice(template, dice, contentType, value: Deep(70 + dice[3] % 2_000, dice[4] % 2 == 0), what: "deep nesting");
            case 2:
                return Splice(template, dice, contentType, value: "\"" + new string((char)('a' + dice[4] % 26), 1_000 + dice[3] % 200_000) + "\"", what: "giant string");
            case 3:
                return WithInvalidUtf8(template, dice, contentType);
            case 4:
                return Remove(template, dice, contentType);
            case 5:
                return AddUnknown(template, dice, contentType);
            default:
                return Splice(template, dice, contentType, value: Values[dice[3] % Values.Length], what: "wrong value");
        }
    }

    private static Body Raw(byte[] bytes, string? contentType) => new(bytes, contentType, $"raw [{contentType}] {Preview(bytes)}");

    private static byte[] WholeBody(string template, int choice, int size)
    {
        var utf8 = Encoding.UTF8.GetBytes(template);
        return (choice % 14) switch
        {
            0 => [],
            1 => "null"u8.ToArray(),
            2 => "[]"u8.ToArray(),
            3 => "\"a string\""u8.ToArray(),
            4 => "12345"u8.ToArray(),
            5 => utf8[..Math.Max(1, size % utf8.Length)],
            6 => [0xEF, 0xBB, 0xBF, .. utf8],
            7 => [.. utf8, .. "garbage"u8],
            8 => Encoding.UTF8.GetBytes(template.Replace("{", "{\"model\":1,", StringComparison.Ordinal)),
            9 => "{\"model\": NaN}"u8.ToArray(),
            10 => "model=deepseek%2Fdeepseek-chat&messages=hi"u8.ToArray(),
            11 => [0xFF, 0xFE, 0x00, 0x7B],
            12 => Encoding.UTF8.GetBytes(new string(' ', 1 + size % 100_000)),
            _ => Encoding.Unicode.GetBytes(template),
        };
    }

    /// <summary>Replaces the value at one of the template's paths with raw JSON text.</summary>
    private static Body Splice(string template, int[] dice, string? contentType, string value, string what)
    {
        var root = JsonNode.Parse(template)!;
        var paths = Paths(root).ToList();
        var (parent, key) = paths[dice[2] % paths.Count];
        Set(parent, key, JsonValue.Create(Marker));
        var text = root.ToJsonString().Replace("\"" + Marker + "\"", value, StringComparison.Ordinal);
        return new Body(Encoding.UTF8.GetBytes(text), contentType, $"{what} at {Describe(parent, key)} [{contentType}] {Preview(value)}");
    }

    private static Body Remove(string template, int[] dice, string? contentType)
    {
        var root = JsonNode.Parse(template)!;
        var paths = Paths(root).ToList();
        var (parent, key) = paths[dice[2] % paths.Count];
        if (parent is JsonObject obj) obj.Remove((string)key);
        else ((JsonArray)parent).RemoveAt((int)key);
        return new Body(Encoding.UTF8.GetBytes(root.ToJsonString()), contentType, $"removed {Describe(parent, key)} [{contentType}]");
    }

    private static Body AddUnknown(string template, int[] dice, string? contentType)
    {
        var root = JsonNode.Parse(template)!;
        var objects = Paths(root).Select(p => p.Parent).OfType<JsonObject>().Prepend(root as JsonObject).OfType<JsonObject>().Distinct().ToList();
        var target = objects[dice[2] % objects.Count];
        var name = (dice[3] % 4) switch { 0 => "unknown_field", 1 => "__proto__", 2 => "", _ => "x-" + new string('k', 1 + dice[4] % 5_000) };
        target[name] = JsonValue.Create(Marker);
        var value = Values[dice[4] % Values.Length];
        return new Body(Encoding.UTF8.GetBytes(root.ToJsonString().Replace("\"" + Marker + "\"", value, StringComparison.Ordinal)), contentType, $"added '{Preview(name)}': {value} [{contentType}]");
    }

    /// <summary>Puts bytes that are not UTF-8 inside a string value: a lone continuation byte, an overlong encoding, a surrogate, 0xFF.</summary>
    private static Body WithInvalidUtf8(string template, int[] dice, string? contentType)
    {
        byte[][] bad = [[0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xFF], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]];
        var utf8 = Encoding.UTF8.GetBytes(template);
        var quotes = Enumerable.Range(0, utf8.Length).Where(i => utf8[i] == (byte)'"').ToList();
        var at = quotes[dice[2] % quotes.Count] + 1;
        var chosen = bad[dice[3] % bad.Length];
        return new Body([.. utf8[..at], .. chosen, .. utf8[at..]], contentType, $"invalid UTF-8 {Convert.ToHexString(chosen)} at byte {at} [{contentType}]");
    }

    private static string Deep(int depth, bool arrays)
    {
        var text = new StringBuilder(depth * 8);
        for (var i = 0; i < depth; i++) text.Append(arrays ? "[" : "{\"a\":");
        text.Append('1');
        for (var i = 0; i < depth; i++) text.Append(arrays ? ']' : '}');
        return text.ToString();
    }

    /// <summary>Every (container, key or index) in the tree, depth first.</summary>
    private static IEnumerable<(JsonNode Parent, object Key)> Paths(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            foreach (var (name, child) in obj.ToList())
            {
                yield return (obj, name);
                if (child is not null) foreach (var p in Paths(child)) yield return p;
            }
        }
        else if (node is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                yield return (array, i);
                if (array[i] is { } child) foreach (var p in Paths(child)) yield return p;
            }
        }
    }

    private static void Set(JsonNode parent, object key, JsonNode value)
    {
        if (parent is JsonObject obj) obj[(string)key] = value;
        else ((JsonArray)parent)[(int)key] = value;
    }

    private static string Describe(JsonNode parent, object key) => parent.GetPath() + (key is string name ? "." + name : $"[{key}]");

    private static string Preview(string text) => text.Length <= 80 ? text : text[..80] + $"…({text.Length} chars)";

    private static string Preview(byte[] bytes) => Preview(Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, 200)]));
}
