using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Sse;

namespace ARouter.Pipeline;

/// <summary>
/// Where an OpenAI-wire stream goes: the caller's dialect. The relay owns reading, usage, timeouts and
/// settling; a sink only turns each upstream chunk, and the ending, into the caller's events.
/// </summary>
public interface IStreamSink
{
    ValueTask StartAsync(CancellationToken ct);
    /// <param name="hasUsage">The chunk carried usage, which the sink must not pass on (it arrives, with cost, at the end).</param>
    ValueTask ChunkAsync(JsonElement chunk, bool hasUsage, CancellationToken ct);
    /// <summary>Writes usage and cost, then the dialect's end: a clean close, or an error event when <paramref name="failure"/> is set.</summary>
    ValueTask EndAsync(JsonElement? upstreamUsage, TokenUsage usage, decimal cost, GatewayError? failure, CancellationToken ct);
}

/// <summary>Writes a whole (non-streamed) completion in the caller's dialect.</summary>
public interface ICompletionSink
{
    ValueTask WriteAsync(Utf8JsonWriter json, JsonElement upstreamCompletion, JsonElement? upstreamUsage, TokenUsage usage, decimal cost);
}

/// <summary>Creates the sinks for the dialect a request arrived in.</summary>
public static class CallerSinks
{
    public static IStreamSink Stream(CallerDialect dialect, SseWriter sse, GenerationFacts facts, int promptTokens) => dialect switch
    {
        CallerDialect.Anthropic => new AnthropicStreamSink(sse, facts, promptTokens),
        _ => new OpenAiStreamSink(sse, facts),
    };

    public static ICompletionSink Completion(CallerDialect dialect, GenerationFacts facts) => dialect switch
    {
        CallerDialect.Anthropic => new AnthropicCompletionSink(facts),
        _ => new OpenAiCompletionSink(facts),
    };
}
