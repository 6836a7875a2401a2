using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Anthropic;
using ARouter.Dialects.OpenAi;
using ARouter.Dialects.Sse;

namespace ARouter.Pipeline;

/// <summary>Anthropic caller, OpenAI-wire provider: chunks become canonical events, then Anthropic's event sequence.</summary>
public sealed class AnthropicStreamSink(SseWriter sse, GenerationFacts facts, int promptTokens) : IStreamSink
{
    private readonly AnthropicStreamEncoder _encoder = new(sse, facts.GenerationId, facts.Target.Model.Id);

    public ValueTask StartAsync(CancellationToken ct) => _encoder.StartAsync(promptTokens, ct);

    public async ValueTask ChunkAsync(JsonElement chunk, bool hasUsage, CancellationToken ct)
    {
        foreach (var streamEvent in OpenAiResponseDecoder.DecodeChunk(chunk)) await _encoder.WriteAsync(streamEvent, ct);
    }

    public ValueTask EndAsync(JsonElement? upstreamUsage, TokenUsage usage, decimal cost, Dialects.Canonical.GatewayError? failure, CancellationToken ct)
        => _encoder.EndAsync(usage, cost, failure, ct);
}

public sealed class AnthropicCompletionSink(GenerationFacts facts) : ICompletionSink
{
    public ValueTask WriteAsync(Utf8JsonWriter json, JsonElement upstreamCompletion, JsonElement? upstreamUsage, TokenUsage usage, decimal cost)
    {
        AnthropicResponseEncoder.Write(json, OpenAiResponseDecoder.Decode(upstreamCompletion), facts.GenerationId, facts.Target.Model.Id, usage, cost);
        return ValueTask.CompletedTask;
    }
}
