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
        // OpenRouter's reasoning object: providers take reasoning_effort, written from it below.
        "reasoning",
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
            // Each read of JsonProperty.Name makes a new string: once per property.
            var name = property.Name;
            if (GatewayOnlyFields.Contains(name) || quirks.UnsupportedFields.Contains(name)) continue;
            if (quirks.RenamedFields.TryGetValue(name, out var providerName))
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
        if (!root.TryGetProperty("reasoning_effort", out _)) WriteReasoningEffort(json, request.Reasoning, quirks);
        if (request.Stream) WriteStreamOptions(json, root, quirks);
        json.WriteEndObject();
    }

    /// <summary>
    /// <c>reasoning_effort</c> from the canonical request: the caller's level, or a budget turned into one. Nothing
    /// when the caller only switched thinking on, or off in another dialect's words (OpenAI-wire reasoning models
    /// think by default and most cannot be switched off), or when the provider refuses the field.
    /// </summary>
    public static void WriteReasoningEffort(Utf8JsonWriter json, ReasoningSpec? reasoning, ProviderQuirks quirks)
    {
        if (reasoning is null || quirks.UnsupportedFields.Contains("reasoning_effort")) return;
        // "none" only when the caller said so: models before GPT-5.1 refuse it.
        if (!reasoning.Enabled && reasoning.Effort != "none") return;
        if (ReasoningLevels.EffortOf(reasoning) is { } effort) json.WriteString("reasoning_effort", ReasoningLevels.ForOpenAi(effort));
    }

    private static void WriteStreamOptions(Utf8JsonWriter json, JsonElement root, ProviderQuirks quirks)
    {
        if (quirks.RejectsStreamOptions) return;
        var callerOptions = root.TryGetProperty("stream_options", out var o) && o.ValueKind == JsonValueKind.Object ? o : (JsonElement?)null;
        if (quirks.StreamUsage != StreamUsageMode.IncludeUsage && callerOptions is null) return;

        json.WriteStartObject("stream_options");
        if (callerOptions is { } options)
            foreach (var property in options.EnumerateObject())
                if (!property.NameEquals("include_usage"u8)) property.WriteTo(json);
        // The gateway needs the provider's own token counts to bill, whatever the caller asked for.
        json.WriteBoolean("include_usage", true);
        json.WriteEndObject();
    }
}
