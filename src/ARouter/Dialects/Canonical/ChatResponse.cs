using ARouter.Billing;

namespace ARouter.Dialects.Canonical;

/// <summary>Why generation stopped, in the gateway's words; each dialect maps its own names onto these.</summary>
public enum FinishReason { Stop, Length, ToolCalls, ContentFilter, StopSequence, Error }

/// <summary>A finished completion as the gateway understands it, whatever dialect the provider spoke.</summary>
public sealed record ChatResponse(string Text, string? Reasoning, IReadOnlyList<ToolCall> ToolCalls, FinishReason? Finish, TokenUsage? Usage)
{
    /// <summary>Anthropic's signature over the thinking, for callers that send it back on the next turn.</summary>
    public string? ReasoningSignature { get; init; }
}
