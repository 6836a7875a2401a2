using System.Text.Json;
using System.Text.Json.Serialization;

namespace ARouter.Catalog;

/// <summary>The wire format a provider speaks; one codec exists per dialect, not per provider.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WireDialect>))]
public enum WireDialect
{
    [JsonStringEnumMemberName("openai")] OpenAi,
    [JsonStringEnumMemberName("anthropic")] Anthropic,
    [JsonStringEnumMemberName("gemini")] Gemini,
}

[JsonConverter(typeof(JsonStringEnumConverter<AuthStyle>))]
public enum AuthStyle
{
    [JsonStringEnumMemberName("bearer")] Bearer,
    [JsonStringEnumMemberName("x-api-key")] XApiKey,
    [JsonStringEnumMemberName("x-goog-api-key")] XGoogApiKey,
}

[JsonConverter(typeof(JsonStringEnumConverter<StreamUsageMode>))]
public enum StreamUsageMode
{
    /// <summary>Usage arrives only when the request carries <c>stream_options.include_usage</c>.</summary>
    [JsonStringEnumMemberName("include_usage")] IncludeUsage,
    /// <summary>The provider always puts usage in its last chunk.</summary>
    [JsonStringEnumMemberName("always")] Always,
    [JsonStringEnumMemberName("none")] None,
}

/// <summary>
/// Where an OpenAI-compatible vendor differs from OpenAI. A quirk is a flag here, never a subclass.
/// </summary>
public sealed record ProviderQuirks
{
    [JsonPropertyName("stream_usage")] public StreamUsageMode StreamUsage { get; init; } = StreamUsageMode.IncludeUsage;
    [JsonPropertyName("max_tokens_field")] public string MaxTokensField { get => field ??= "max_tokens"; init; }
    /// <summary>Moonshot reports stream usage inside <c>choices[0].usage</c> rather than at the top level.</summary>
    [JsonPropertyName("usage_in_choice")] public bool UsageInChoice { get; init; }
    [JsonPropertyName("rejects_stream_options")] public bool RejectsStreamOptions { get; init; }
    /// <summary>Groq historically reported stream usage under <c>x_groq.usage</c>.</summary>
    [JsonPropertyName("usage_location")] public string? UsageLocation { get; init; }
    [JsonPropertyName("error_shape")] public string ErrorShape { get => field ??= "openai"; init; }
    /// <summary>
    /// Request fields the provider refuses. Plain top-level names are dropped before sending (as OpenRouter
    /// ignores unsupported parameters); entries such as <c>messages[].name</c> are notes for the codecs.
    /// </summary>
    [JsonPropertyName("unsupported_fields")] public IReadOnlyList<string> UnsupportedFields { get => field ??= []; init; }
    /// <summary>Where streamed chat goes when it is not <c>chat_path</c> (Gemini's <c>:streamGenerateContent?alt=sse</c>).</summary>
    [JsonPropertyName("stream_path")] public string? StreamPath { get; init; }
    /// <summary>Headers every request to the provider carries, e.g. Anthropic's <c>anthropic-version</c>.</summary>
    [JsonPropertyName("required_headers")] public IReadOnlyDictionary<string, string> RequiredHeaders { get => field ??= new Dictionary<string, string>(); init; }
    /// <summary>OpenAI field name → the provider's name for it, e.g. Mistral's <c>seed</c> → <c>random_seed</c>.</summary>
    [JsonPropertyName("renamed_fields")] public IReadOnlyDictionary<string, string> RenamedFields { get => field ??= new Dictionary<string, string>(); init; }
}

public sealed record ProviderRecord
{
    [JsonPropertyName("slug")] public required string Slug { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("base_url")] public required string BaseUrl { get; init; }
    [JsonPropertyName("dialect")] public WireDialect Dialect { get; init; }
    [JsonPropertyName("auth")] public AuthStyle Auth { get; init; }
    [JsonPropertyName("chat_path")] public required string ChatPath { get; init; }
    [JsonPropertyName("embeddings_path")] public string? EmbeddingsPath { get; init; }
    [JsonPropertyName("quirks")] public ProviderQuirks Quirks { get => field ??= new(); init; }
}

/// <summary>List prices in USD per million tokens, as the providers publish them.</summary>
public sealed record PricePerMillion
{
    [JsonPropertyName("prompt")] public decimal Prompt { get; init; }
    [JsonPropertyName("completion")] public decimal? Completion { get; init; }
    [JsonPropertyName("cache_read")] public decimal? CacheRead { get; init; }
    [JsonPropertyName("cache_write")] public decimal? CacheWrite { get; init; }
    [JsonPropertyName("reasoning")] public decimal? Reasoning { get; init; }
}

public sealed record ModelCapabilities
{
    [JsonPropertyName("vision")] public bool Vision { get; init; }
    [JsonPropertyName("tools")] public bool Tools { get; init; }
    [JsonPropertyName("pdf")] public bool Pdf { get; init; }
    [JsonPropertyName("embeddings")] public bool Embeddings { get; init; }
    [JsonPropertyName("reasoning")] public bool Reasoning { get; init; }
}

public sealed record ModelRecord
{
    /// <summary><c>provider/model</c>, the name callers use.</summary>
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("provider")] public required string Provider { get; init; }
    /// <summary>The exact model string the provider's API expects.</summary>
    [JsonPropertyName("upstream_id")] public required string UpstreamId { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("kind")] public string Kind { get => field ??= "chat"; init; }
    [JsonPropertyName("context_length")] public int ContextLength { get; init; }
    [JsonPropertyName("max_output_tokens")] public int? MaxOutputTokens { get; init; }
    [JsonPropertyName("price_per_mtok")] public PricePerMillion Price { get => field ??= new(); init; }
    [JsonPropertyName("capabilities")] public ModelCapabilities Capabilities { get => field ??= new(); init; }

    [JsonIgnore] public bool IsEmbedding => Kind == "embedding";
}

/// <remarks>
/// Reference-typed properties fall back to their default in the getter because System.Text.Json's source
/// generator passes null for init-only properties an override file leaves out.
/// </remarks>
public sealed record CatalogDocument
{
    [JsonPropertyName("providers")] public List<ProviderRecord> Providers { get => field ??= []; init; }
    [JsonPropertyName("models")] public List<ModelRecord> Models { get => field ??= []; init; }
}

[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(CatalogDocument))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
