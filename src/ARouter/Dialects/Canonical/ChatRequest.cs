using System.Text.Json;

namespace ARouter.Dialects.Canonical;

public enum ChatRole { System, User, Assistant, Tool }

/// <summary>One piece of message content. Dialects map their own part shapes onto these.</summary>
public abstract record ContentPart;
public sealed record TextPart(string Text) : ContentPart;
/// <summary>An image by URL or <c>data:</c> URI.</summary>
public sealed record ImagePart(string Url, string? Detail = null) : ContentPart;
/// <summary>A document (PDF) as a <c>data:</c> URI, a URL or a provider file id.</summary>
public sealed record FilePart(string? Data, string? Filename, string? FileId, string? MediaType) : ContentPart;

public sealed record ToolCall(string Id, string Name, string ArgumentsJson)
{
    /// <summary>Gemini's <c>thoughtSignature</c> on the call; Gemini 3 refuses a function-calling turn sent back without it.</summary>
    public string? Signature { get; init; }
}

public sealed record ToolDefinition(string Name, string? Description, JsonElement? Parameters);

/// <summary>Structured output: <c>json_object</c> (any JSON) or <c>json_schema</c> (JSON matching <see cref="Schema"/>).</summary>
public sealed record ResponseFormatSpec(string Type, JsonElement? Schema = null, string? Name = null);

/// <summary>
/// The caller's reasoning request: off (<see cref="Enabled"/> false), a level (OpenAI's <c>reasoning_effort</c>:
/// minimal, low, medium, high, xhigh, max), a token budget (Anthropic's <c>budget_tokens</c>, Gemini's
/// <c>thinkingBudget</c>, OpenRouter's <c>reasoning.max_tokens</c>), or just on. <see cref="Exclude"/>: think, but
/// do not return the thoughts.
/// </summary>
public sealed record ReasoningSpec(bool Enabled, string? Effort = null, int? BudgetTokens = null, bool Exclude = false);

/// <summary>How the model may use tools: <c>auto</c>, <c>none</c>, <c>required</c> (any tool) or <c>tool</c> (the one named).</summary>
public sealed record ToolChoiceSpec(string Mode, string? Name = null);

public sealed record ChatMessage(ChatRole Role, IReadOnlyList<ContentPart> Content)
{
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }
    public string? ToolCallId { get; init; }
    public string? Name { get; init; }
    public string? Reasoning { get; init; }
    /// <summary>Anthropic's signature over <see cref="Reasoning"/>; Anthropic refuses a thinking block sent back without it.</summary>
    public string? ReasoningSignature { get; init; }
}

/// <summary>
/// A chat request as the gateway understands it, whatever dialect it arrived in. The JSON it came from
/// stays attached (<see cref="Source"/>) so a same-dialect upstream gets every field the caller sent,
/// including ones this model does not name.
/// </summary>
public sealed record ChatRequest
{
    public required string Model { get; init; }
    /// <summary>OpenRouter-style candidates (<c>models</c>), tried in order.</summary>
    public IReadOnlyList<string>? Models { get; init; }
    /// <summary>OpenRouter's <c>provider</c> preferences, applied to the candidates.</summary>
    public ARouter.Routing.ProviderPreferences? Preferences { get; init; }
    public required IReadOnlyList<ChatMessage> Messages { get; init; }
    public bool Stream { get; init; }
    public int? MaxTokens { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public IReadOnlyList<string>? Stop { get; init; }
    public IReadOnlyList<ToolDefinition>? Tools { get; init; }
    public JsonElement? ToolChoice { get; init; }
    /// <summary>The tool choice in canonical form, for encoding into another dialect.</summary>
    public ToolChoiceSpec? ToolMode { get; init; }
    public JsonElement? ResponseFormat { get; init; }
    /// <summary>The response format in canonical form, for encoding into another dialect.</summary>
    public ResponseFormatSpec? Format { get; init; }
    /// <summary>How much the model should think, whichever dialect's knob the caller used.</summary>
    public ReasoningSpec? Reasoning { get; init; }
    public required SourceDocument Source { get; init; }

    public bool HasImages => Messages.Any(m => m.Content.Any(p => p is ImagePart));
    public bool HasFiles => Messages.Any(m => m.Content.Any(p => p is FilePart));
    public bool HasTools => Tools is { Count: > 0 };
}

/// <summary>The caller's parsed body and the dialect it was written in; disposed with the request.</summary>
public sealed record SourceDocument(CallerDialect Dialect, JsonDocument Json) : IDisposable
{
    /// <summary>The pooled bytes <see cref="Json"/> was parsed from (it reads them in place), returned to the pool with it.</summary>
    public IDisposable? Bytes { get; init; }

    public void Dispose()
    {
        Json.Dispose();
        Bytes?.Dispose();
    }
}

public enum CallerDialect { OpenAi, Anthropic, Gemini }
