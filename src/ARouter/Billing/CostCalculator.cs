using ARouter.Catalog;

namespace ARouter.Billing;

/// <summary>Prices a generation from catalog list prices; all arithmetic in decimal, rounded up to the nano-dollar.</summary>
public static class CostCalculator
{
    private const decimal Million = 1_000_000m;

    /// <summary>
    /// Cached prompt tokens are billed at the cache-read price (they are part of <c>prompt_tokens</c> in the
    /// OpenAI usage shape); reasoning tokens at the reasoning price where one exists (they are part of
    /// <c>completion_tokens</c>).
    /// </summary>
    public static long CostNanos(PricePerMillion price, TokenUsage usage)
    {
        var cached = Math.Min(usage.CachedPromptTokens, usage.PromptTokens);
        var uncachedPrompt = usage.PromptTokens - cached - Math.Min(usage.CacheWriteTokens, usage.PromptTokens - cached);
        var cacheWrite = usage.PromptTokens - cached - uncachedPrompt;
        var reasoning = price.Reasoning is null ? 0 : Math.Min(usage.ReasoningTokens, usage.CompletionTokens);
        var completion = price.Completion ?? 0m;

        var perMillion =
            uncachedPrompt * price.Prompt
            + cached * (price.CacheRead ?? price.Prompt)
            + cacheWrite * (price.CacheWrite ?? price.Prompt)
            + (usage.CompletionTokens - reasoning) * completion
            + reasoning * (price.Reasoning ?? completion);
        return Money.ToNanos(perMillion / Million);
    }

    /// <summary>The most a request can cost: every prompt token uncached plus the full output allowance.</summary>
    public static long WorstCaseNanos(PricePerMillion price, int promptTokens, int maxOutputTokens)
    {
        var completion = Math.Max(price.Completion ?? 0m, price.Reasoning ?? 0m);
        var prompt = Math.Max(price.Prompt, price.CacheWrite ?? 0m);
        return Money.ToNanos((promptTokens * prompt + maxOutputTokens * completion) / Million);
    }
}
