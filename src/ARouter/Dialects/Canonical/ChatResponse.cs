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

/// <summary>One thing that happened in a stream, whatever dialect the provider spoke.</summary>
public abstract record StreamEvent;
public sealed record TextDelta(string Text) : StreamEvent;
public sealed record ReasoningDelta(string Text) : StreamEvent;
/// <summary>Anthropic's <c>signature_delta</c>: the signature that closes the thinking streamed so far.</summary>
public sealed record ReasoningSignatureDelta(string Signature) : StreamEvent;
/// <summary>A tool call begins; <see cref="Index"/> tells later argument deltas which call they extend.</summary>
public sealed record ToolCallStart(int Index, string Id, string Name) : StreamEvent
{
    /// <summary>Gemini's <c>thoughtSignature</c> on the call, when it had one.</summary>
    public string? Signature { get; init; }
}
public sealed record ToolCallArgumentsDelta(int Index, string Json) : StreamEvent;
public sealed record FinishEvent(FinishReason Reason) : StreamEvent;
