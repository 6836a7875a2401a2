using System.Text.Json;

namespace ARouter.Dialects;

/// <summary>Typed reads of optional JSON properties that fail with a message naming the field.</summary>
internal static class JsonRead
{
    public static string? OptionalString(JsonElement obj, string name, string path)
        => TryString(obj, name, out var value) ? value : throw NotAString(path);

    public static string RequiredString(JsonElement obj, string name, string path)
        => OptionalString(obj, name, path) ?? throw Missing(path);

    /// <summary>
    /// The string field <paramref name="name"/> of the object at <paramref name="parent"/>, whose path
    /// (<c>parent.name</c>) is put together only for an error: made for every field of every message, those paths
    /// were the largest part of what decoding a request allocated.
    /// </summary>
    public static string? OptionalStringOf(JsonElement obj, string parent, string name)
        => TryString(obj, name, out var value) ? value : throw NotAString($"{parent}.{name}");

    /// <inheritdoc cref="OptionalStringOf"/>
    public static string RequiredStringOf(JsonElement obj, string parent, string name)
        => OptionalStringOf(obj, parent, name) ?? throw Missing($"{parent}.{name}");

    /// <summary>False when the field is there but not a string; absent or null reads as a null string.</summary>
    private static bool TryString(JsonElement obj, string name, out string? value)
    {
        value = null;
        if (!obj.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null) return true;
        if (element.ValueKind != JsonValueKind.String) return false;
        value = element.GetString();
        return true;
    }

    private static DecodeException NotAString(string path) => new($"'{path}' must be a string.", path);
    private static DecodeException Missing(string path) => new($"'{path}' is required.", path);

    public static bool? OptionalBool(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new DecodeException($"'{name}' must be a boolean.", name),
        };
    }

    public static double? OptionalNumber(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
            throw new DecodeException($"'{name}' must be a number.", name);
        return number;
    }

    public static int? OptionalPositiveInt(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
            throw new DecodeException($"'{name}' must be an integer.", name);
        if (number < 1) throw new DecodeException($"'{name}' must be at least 1.", name);
        return (int)Math.Min(number, int.MaxValue);
    }

    public static JsonElement? OptionalElement(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
}
