using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects;

namespace ARouter.Endpoints;

/// <summary>The fields of a key create or update body, each checked with a message that names it. Absent means "leave as is".</summary>
public sealed record KeyFields(string? Name, bool HasLimit, long? LimitNanos, bool HasRateLimit, int? RateLimitRequests, int? RateLimitIntervalSeconds, bool? Management, bool? Disabled)
{
    public const int MaxNameLength = 200;
    public const int MaxRateLimitRequests = 1_000_000;
    public const int MaxRateLimitIntervalSeconds = 86_400;

    public static KeyFields Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new DecodeException("The request body must be a JSON object.");
        var name = JsonRead.OptionalString(root, "name", "name")?.Trim();
        if (name is { Length: 0 or > MaxNameLength }) throw new DecodeException($"'name' must be 1 to {MaxNameLength} characters.", "name");

        var hasLimit = root.TryGetProperty("limit", out var limitElement);
        long? limit = null;
        if (hasLimit && limitElement.ValueKind != JsonValueKind.Null)
            limit = Money.ToNanos(AdminEndpoints.ReadAmount(root, "limit", required: true, allowZero: true)!.Value);

        var hasRateLimit = root.TryGetProperty("rate_limit", out var rate);
        int? requests = null, interval = null;
        if (hasRateLimit && rate.ValueKind != JsonValueKind.Null)
        {
            if (rate.ValueKind != JsonValueKind.Object) throw new DecodeException("'rate_limit' must be an object {\"requests\": N, \"interval_seconds\": S} or null.", "rate_limit");
            requests = PositiveInt(rate, "requests", MaxRateLimitRequests);
            interval = PositiveInt(rate, "interval_seconds", MaxRateLimitIntervalSeconds);
        }

        return new KeyFields(name, hasLimit, limit, hasRateLimit, requests, interval, JsonRead.OptionalBool(root, "management"), JsonRead.OptionalBool(root, "disabled"));
    }

    private static int PositiveInt(JsonElement rate, string name, int max)
    {
        if (!rate.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n) || n < 1 || n > max)
            throw new DecodeException($"'rate_limit.{name}' must be a whole number from 1 to {max}.", "rate_limit." + name);
        return n;
    }

}
