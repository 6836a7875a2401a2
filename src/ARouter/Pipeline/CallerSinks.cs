using System.IO.Pipelines;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Sse;
using ARouter.Endpoints;
using ARouter.Upstream.Wires;

namespace ARouter.Pipeline;

/// <summary>
/// Where a provider's stream goes: the caller's dialect. The relay owns reading, usage, timeouts and settling;
/// a sink only turns each upstream event (raw, and as canonical events) and the ending into the caller's events.
/// When caller and provider share a dialect the sink passes the raw event on, so unknown fields survive.
/// </summary>
public interface IStreamSink
{
    string ContentType => "text/event-stream; charset=utf-8";
    ValueTask StartAsync(CancellationToken ct);
    /// <summary>One upstream event: its bytes (<paramref name="raw"/>) and what it meant (<paramref name="step"/>), both valid only during the call.</summary>
    ValueTask EventAsync(SseEvent raw, StreamStep step, CancellationToken ct);
    /// <summary>Writes usage and cost, then the dialect's end: a clean close, or an error event when <paramref name="failure"/> is set.</summary>
    ValueTask EndAsync(JsonElement? upstreamUsage, TokenUsage usage, decimal cost, GatewayError? failure, CancellationToken ct);
}

/// <summary>Writes a whole (non-streamed) completion in the caller's dialect.</summary>
public interface ICompletionSink
{
    void Write(Utf8JsonWriter json, JsonElement upstream, ChatResponse response, JsonElement? upstreamUsage, TokenUsage usage, decimal cost);
}

/// <summary>Creates the sinks for the dialect a request arrived in.</summary>
public static class CallerSinks
{
    /// <summary>An event the caller does not see: thinking, when it was excluded.</summary>
    public static bool Hidden(in StreamEvent streamEvent, GenerationFacts facts) => facts.ExcludeReasoning && streamEvent.IsReasoning;

    /// <summary>The canonical response the caller sees, without the thinking when it was excluded.</summary>
    public static ChatResponse Visible(ChatResponse response, GenerationFacts facts)
        => facts.ExcludeReasoning ? response with { Reasoning = null, ReasoningSignature = null } : response;

    public static IStreamSink Stream(GatewayRequest request, PipeWriter output, GenerationFacts facts, PromptSize prompt)
    {
        return request.Dialect switch
        {
            CallerDialect.Anthropic => new AnthropicStreamSink(new SseWriter(output), facts, prompt),
            // Gemini streams SSE with ?alt=sse and a JSON array without it.
            CallerDialect.Gemini => new GeminiStreamSink(output, request.Http.Request.Query["alt"] == "sse", facts),
            _ => new OpenAiStreamSink(new SseWriter(output), facts),
        };
    }

    public static ICompletionSink Completion(CallerDialect dialect, GenerationFacts facts) => dialect switch
    {
        CallerDialect.Anthropic => new AnthropicCompletionSink(facts),
        CallerDialect.Gemini => new GeminiCompletionSink(facts),
        _ => new OpenAiCompletionSink(facts),
    };
}
