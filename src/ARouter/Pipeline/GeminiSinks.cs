using System.IO.Pipelines;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Gemini;
using ARouter.Dialects.OpenAi;

namespace ARouter.Pipeline;

/// <summary>Gemini caller, OpenAI-wire provider: chunks become canonical events, then Gemini stream chunks.</summary>
public sealed class GeminiStreamSink(PipeWriter output, bool sse, GenerationFacts facts) : IStreamSink
{
    private readonly GeminiStreamEncoder _encoder = new(output, sse, facts.GenerationId, facts.Target.Model.Id);

    public string ContentType => GeminiStreamEncoder.ContentTypeFor(sse);

    public ValueTask StartAsync(CancellationToken ct) => _encoder.StartAsync(ct);

    public async ValueTask ChunkAsync(JsonElement chunk, bool hasUsage, CancellationToken ct)
    {
        foreach (var streamEvent in OpenAiResponseDecoder.DecodeChunk(chunk)) await _encoder.WriteAsync(streamEvent, ct);
    }

    public ValueTask EndAsync(JsonElement? upstreamUsage, TokenUsage usage, decimal cost, GatewayError? failure, CancellationToken ct)
        => _encoder.EndAsync(usage, cost, failure, ct);
}

public sealed class GeminiCompletionSink(GenerationFacts facts) : ICompletionSink
{
    public ValueTask WriteAsync(Utf8JsonWriter json, JsonElement upstreamCompletion, JsonElement? upstreamUsage, TokenUsage usage, decimal cost)
    {
        GeminiResponseEncoder.Write(json, OpenAiResponseDecoder.Decode(upstreamCompletion), facts.GenerationId, facts.Target.Model.Id, usage, cost);
        return ValueTask.CompletedTask;
    }
}
