using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dialects.Canonical;
using Microsoft.Extensions.Options;

namespace ARouter.Routing;

/// <summary>How <c>model: "auto"</c> chooses (<c>ARouter:Auto</c>, <c>AROUTER__AUTO__...</c>).</summary>
public sealed record AutoOptions
{
    /// <summary>Comma-separated pool in order of preference; empty means <see cref="AutoRouter.DefaultPool"/>.</summary>
    public string? Models { get; set; }
    /// <summary>
    /// <c>preference</c> (pool order), <c>cheapest</c> (lowest prompt + completion list price first) or <c>fastest</c>
    /// (lowest observed time to first token first). Under each, models whose provider looks unhealthy are tried last.
    /// </summary>
    public string Policy { get; set; } = "preference";
    /// <summary>How many models are tried, as a fallback list, before giving up.</summary>
    public int Candidates { get; set; } = 3;
}

/// <summary>
/// Picks concrete models for <c>"auto"</c>: from the pool, those whose provider has a key on this gateway,
/// that can take the request (vision for images, PDF for files, tools for tools) and whose context holds the
/// estimated prompt plus the output allowance — in the configured order, healthy providers first (<see cref="CandidateRanking"/>).
/// The response's <c>model</c> says which served.
/// </summary>
public sealed class AutoRouter(ModelCatalog catalog, ProviderDirectory providers, CandidateRanking ranking, IOptions<AutoOptions> options)
{
    public static readonly string[] DefaultPool =
    [
        "anthropic/claude-sonnet-4.6", "openai/gpt-5.4", "google/gemini-2.5-pro", "openai/gpt-5.4-mini", "google/gemini-2.5-flash",
        "deepseek/deepseek-chat", "xai/grok-4.3", "mistral/mistral-medium-latest", "kimi/kimi-k2.6", "dashscope/qwen3.7-plus",
        "groq/openai/gpt-oss-120b", "cohere/command-a-03-2025", "minimax/minimax-m2.7",
    ];

    public static bool IsAuto(string model) => model is "auto" or "arouter/auto" or "openrouter/auto";

    /// <param name="prompt">The request's prompt; counted exactly only for a model whose context its upper bound does not fit.</param>
    public IReadOnlyList<string> Candidates(ChatRequest request, PromptSize prompt)
    {
        var settings = options.Value;
        var pool = string.IsNullOrWhiteSpace(settings.Models)
            ? DefaultPool
            : settings.Models.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var output = request.MaxTokens ?? 1_024;
        var fitting = pool.Select(catalog.FindModel).OfType<ModelRecord>()
            .Where(m => !m.IsEmbedding && providers.Find(m.Provider)?.HasKey == true && prompt.FitsWith(output, m.ContextLength))
            .Where(m => (!request.HasImages || m.Capabilities.Vision) && (!request.HasFiles || m.Capabilities.Pdf) && (!request.HasTools || m.Capabilities.Tools));
        if (settings.Policy.Equals("cheapest", StringComparison.OrdinalIgnoreCase))
            fitting = fitting.OrderBy(m => m.Price.Prompt + (m.Price.Completion ?? 0m));
        var ids = fitting.Select(m => m.Id);
        // Healthy first, so a sick provider is replaced by the next fitting model rather than taking a place in the list.
        var ranked = settings.Policy.Equals("fastest", StringComparison.OrdinalIgnoreCase) ? ranking.ByLatency(ids) : ranking.HealthyFirst(ids);
        return ranked.Take(Math.Max(1, settings.Candidates)).ToList();
    }
}
