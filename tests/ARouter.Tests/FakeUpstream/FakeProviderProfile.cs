namespace ARouter.Tests.FakeUpstream;

/// <summary>Where a provider puts usage in a stream.</summary>
public enum StreamUsageStyle
{
    /// <summary>Only with <c>stream_options.include_usage</c>: one extra chunk with <c>"choices": []</c> (OpenAI, DashScope, NVIDIA, Cohere).</summary>
    IncludeUsageEmptyChoices,
    /// <summary>Only with <c>include_usage</c>: on the finish chunk, followed by one more empty chunk without usage (xAI).</summary>
    IncludeUsageThenTrailingChunk,
    /// <summary>Always, on the chunk that carries <c>finish_reason</c> (DeepSeek, Mistral).</summary>
    AlwaysOnFinishChunk,
    /// <summary>Always, inside <c>choices[0].usage</c> of the finish chunk (Moonshot Kimi).</summary>
    AlwaysInChoice,
    /// <summary>Always in <c>x_groq.usage</c> on the finish chunk, plus a standard usage chunk when asked (Groq).</summary>
    XGroq,
    /// <summary>Zero placeholders on every chunk, then a final empty-choices chunk with the real usage (MiniMax).</summary>
    PlaceholdersThenEmptyChoices,
}

public enum ErrorBodyShape { OpenAi, XAi, Mistral, Cohere, Nvidia }

/// <summary>
/// The wire facts of one real provider's OpenAI-compatible API, written down independently of the
/// gateway's catalog so that a wrong path or a rejected field in the catalog fails a test.
/// </summary>
public sealed record FakeProviderProfile(
    string Slug,
    string ChatPath,
    string? EmbeddingsPath,
    StreamUsageStyle StreamUsage,
    ErrorBodyShape Errors,
    IReadOnlySet<string> RejectedFields,
    bool RejectedFieldsAre422 = false,
    bool SendsKeepAliveComments = false)
{
    private static readonly IReadOnlySet<string> None = new HashSet<string>();

    public static readonly IReadOnlyDictionary<string, FakeProviderProfile> All = new[]
    {
        // GPT-5.x and o-series refuse max_tokens: "Use 'max_completion_tokens' instead."
        new FakeProviderProfile("openai", "/v1/chat/completions", "/v1/embeddings", StreamUsageStyle.IncludeUsageEmptyChoices, ErrorBodyShape.OpenAi, new HashSet<string> { "max_tokens" }),
        new FakeProviderProfile("deepseek", "/chat/completions", null, StreamUsageStyle.AlwaysOnFinishChunk, ErrorBodyShape.OpenAi, None, SendsKeepAliveComments: true),
        new FakeProviderProfile("xai", "/v1/chat/completions", null, StreamUsageStyle.IncludeUsageThenTrailingChunk, ErrorBodyShape.XAi, None),
        new FakeProviderProfile("kimi", "/v1/chat/completions", null, StreamUsageStyle.AlwaysInChoice, ErrorBodyShape.OpenAi, None),
        new FakeProviderProfile("minimax", "/v1/chat/completions", null, StreamUsageStyle.PlaceholdersThenEmptyChoices, ErrorBodyShape.OpenAi, new HashSet<string> { "n" }),
        // Mistral's schema forbids extra fields with a pydantic 422.
        new FakeProviderProfile("mistral", "/v1/chat/completions", "/v1/embeddings", StreamUsageStyle.AlwaysOnFinishChunk, ErrorBodyShape.Mistral, new HashSet<string> { "stream_options", "max_completion_tokens", "seed" }, RejectedFieldsAre422: true),
        new FakeProviderProfile("groq", "/openai/v1/chat/completions", null, StreamUsageStyle.XGroq, ErrorBodyShape.OpenAi, new HashSet<string> { "logit_bias", "top_logprobs" }),
        new FakeProviderProfile("cohere", "/compatibility/v1/chat/completions", "/compatibility/v1/embeddings", StreamUsageStyle.IncludeUsageEmptyChoices, ErrorBodyShape.Cohere, new HashSet<string> { "store", "metadata", "logit_bias", "n", "service_tier", "parallel_tool_calls" }),
        new FakeProviderProfile("nvidia", "/v1/chat/completions", "/v1/embeddings", StreamUsageStyle.IncludeUsageEmptyChoices, ErrorBodyShape.Nvidia, None),
        new FakeProviderProfile("dashscope", "/compatible-mode/v1/chat/completions", "/compatible-mode/v1/embeddings", StreamUsageStyle.IncludeUsageEmptyChoices, ErrorBodyShape.OpenAi, new HashSet<string> { "max_completion_tokens", "store", "reasoning_effort" }),
    }.ToDictionary(p => p.Slug);

    public bool UsageNeedsAsking => StreamUsage is StreamUsageStyle.IncludeUsageEmptyChoices or StreamUsageStyle.IncludeUsageThenTrailingChunk;
}
