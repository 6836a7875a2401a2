using System.Buffers;
using System.Text.Json;
using ARouter.Catalog;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.OpenAi;

/// <summary>
/// Writes the body an OpenAI-wire provider receives. When the caller also spoke OpenAI, the caller's JSON
/// is copied field by field (so fields the gateway does not model still arrive), with the model swapped
/// for the provider's id, gateway-only fields removed and the provider's quirks applied.
/// </summary>
public static class OpenAiRequestEncoder
{
    /// <summary>OpenRouter-style fields that steer the gateway and mean nothing to a provider.</summary>
    private static readonly HashSet<string> GatewayOnlyFields = new(StringComparer.Ordinal)
    {
        "model", "models", "route", "provider", "transforms", "usage", "stream_options", "max_tokens", "max_completion_tokens",
    };

    public static void EncodeFromOpenAi(IBufferWriter<byte> output, ChatRequest request, ModelRecord model, ProviderRecord provider)
    {
        var root = request.Source.Json.RootElement;
        using var json = new Utf8JsonWriter(output, ARouter.Dialects.JsonWriting.Options);
        json.WriteStartObject();
        json.WriteString("model", model.UpstreamId);
        var quirks = provider.Quirks;
        foreach (var property in root.EnumerateObject())
        {
            if (GatewayOnlyFields.Contains(property.Name) || quirks.UnsupportedFields.Contains(property.Name)) continue;
            if (quirks.RenamedFields.TryGetValue(property.Name, out var providerName))
            {
                json.WritePropertyName(providerName);
                property.Value.WriteTo(json);
            }
            else
            {
                property.WriteTo(json);
            }
        }

        if (request.MaxTokens is { } maxTokens) json.WriteNumber(quirks.MaxTokensField, maxTokens);
        if (request.Stream) WriteStreamOptions(json, root, quirks);
        json.WriteEndObject();
    }

    private static void WriteStreamOptions(Utf8JsonWriter json, JsonElement root, ProviderQuirks quirks)
    {
        if (quirks.RejectsStreamOptions) return;
        var callerOptions = root.TryGetProperty("stream_options", out var o) && o.ValueKind == JsonValueKind.Object ? o : (JsonElement?)null;
        if (quirks.StreamUsage != StreamUsageMode.IncludeUsage && callerOptions is null) return;

        json.WriteStartObject("stream_options");
        if (callerOptions is { } options)
            foreach (var property in options.EnumerateObject())
                if (property.Name != "include_usage") property.WriteTo(json);
        // The gateway needs the provider's own token counts to bill, whatever the caller asked for.
        json.WriteBoolean("include_usage", true);
        json.WriteEndObject();
    }
}
