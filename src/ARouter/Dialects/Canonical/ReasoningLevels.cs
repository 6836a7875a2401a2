namespace ARouter.Dialects.Canonical;

/// <summary>
/// Converts between the two ways dialects size reasoning: a level (OpenAI <c>reasoning_effort</c>, Anthropic
/// <c>output_config.effort</c>, Gemini <c>thinkingLevel</c>) and a token budget (Anthropic <c>budget_tokens</c>,
/// Gemini <c>thinkingBudget</c>). The thresholds are the gateway's choice, documented in README.
/// </summary>
public static class ReasoningLevels
{
    public static readonly string[] Efforts = ["none", "minimal", "low", "medium", "high", "xhigh", "max"];

    /// <summary>A budget as a level: under 4,096 tokens is low, under 16,384 medium, else high.</summary>
    public static string EffortFor(int budgetTokens) => budgetTokens switch
    {
        <= 0 => "none",
        < 4_096 => "low",
        < 16_384 => "medium",
        _ => "high",
    };

    /// <summary>A level as a budget, for providers that only take a budget.</summary>
    public static int BudgetFor(string effort) => effort switch
    {
        "none" => 0,
        "minimal" => 1_024,
        "low" => 2_048,
        "medium" => 8_192,
        "high" => 16_384,
        _ => 32_768,
    };

    /// <summary>The level as OpenAI names it (Anthropic's <c>max</c> is OpenAI's <c>xhigh</c>).</summary>
    public static string ForOpenAi(string effort) => effort == "max" ? "xhigh" : effort;

    /// <summary>The level as Anthropic's <c>output_config.effort</c> names it (low, medium, high, max).</summary>
    public static string ForAnthropic(string effort) => effort switch
    {
        "minimal" => "low",
        "xhigh" => "max",
        _ => effort,
    };

    /// <summary>The level from the caller's request, or a budget turned into one.</summary>
    public static string? EffortOf(ReasoningSpec spec) => spec.Effort ?? (spec.BudgetTokens is { } budget ? EffortFor(budget) : null);
}
