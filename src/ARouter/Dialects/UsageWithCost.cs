using System.Text.Json;

namespace ARouter.Dialects;

/// <summary>The provider's own usage object passed on as it came, with the gateway's <c>cost</c> added (any cost the provider sent is replaced).</summary>
public static class UsageWithCost
{
    public static void Write(Utf8JsonWriter json, string name, JsonElement providerUsage, decimal cost)
    {
        json.WriteStartObject(name);
        foreach (var field in providerUsage.EnumerateObject())
            if (!field.NameEquals("cost"u8)) field.WriteTo(json);
        json.WriteNumber("cost", cost);
        json.WriteEndObject();
    }
}
