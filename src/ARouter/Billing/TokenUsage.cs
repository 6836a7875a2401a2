namespace ARouter.Billing;

/// <summary>Token counts of one generation, as the upstream reported them (or as counted when it did not).</summary>
public sealed record TokenUsage(int PromptTokens, int CompletionTokens, int CachedPromptTokens = 0, int ReasoningTokens = 0, int CacheWriteTokens = 0)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
    public static readonly TokenUsage Zero = new(0, 0);
}
