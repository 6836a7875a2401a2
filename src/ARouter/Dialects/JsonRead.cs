using System.Text.Json;

namespace ARouter.Dialects;

/// <summary>Typed reads of optional JSON properties that fail with a message naming the field.</summary>
internal static class JsonRead
{
    public static string? OptionalString(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) throw new DecodeException($"'{path}' must be a string.", path);
        return value.GetString();
    }

    public static string RequiredString(JsonElement obj, string name, string path)
        => OptionalString(obj, name, path) ?? throw new DecodeException($"'{path}' is required.", path);

    /// <summary>
    /// The string field <paramref name="name"/> of the object at <paramref name="parent"/>, whose path
    /// (<c>parent.name</c>) is put together only for an error: made for every field of every message, those paths
    /// were the largest part of what decoding a request allocated.
    /// </summary>
    public static string? OptionalStringOf(JsonElement obj, string parent, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) throw new DecodeException($"'{parent}.{name}' must be a string.", $"{parent}.{name}");
        return value.GetString();
    }

    /// <inheritdoc cref="OptionalStringOf"/>
    public static string RequiredStringOf(JsonElement obj, string parent, string name)
        => OptionalStringOf(obj, parent, name) ?? throw new DecodeException($"'{parent}.{name}' is required.", $"{parent}.{name}");

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
