using System.IO.Pipelines;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Gemini;
using ARouter.Dialects.Sse;
using ARouter.Upstream.Wires;

namespace ARouter.Pipeline;

/// <summary>Gemini caller: the provider's canonical events become Gemini stream chunks.</summary>
public sealed class GeminiStreamSink(PipeWriter output, bool sse, GenerationFacts facts) : IStreamSink
{
    private readonly GeminiStreamEncoder _encoder = new(output, sse, facts.GenerationId, facts.Target.Model.Id);

    public string ContentType => GeminiStreamEncoder.ContentTypeFor(sse);

    public ValueTask StartAsync(CancellationToken ct) => _encoder.StartAsync(ct);

    public async ValueTask EventAsync(SseEvent raw, StreamStep step, CancellationToken ct)
    {
        var sameDialect = facts.Target.Provider.Dialect == WireDialect.Gemini;
        // From Gemini itself the chunk passes as it came; only the finish reason is noted for the closing chunk.
        if (sameDialect) await _encoder.WriteRawAsync(step.Document, ct);
        for (var i = 0; i < step.Events.Count; i++)
        {
            var streamEvent = step.Events[i];
            if (sameDialect ? streamEvent.Kind == StreamEventKind.Finish : !CallerSinks.Hidden(streamEvent, facts)) await _encoder.WriteAsync(streamEvent, ct);
        }
    }

    public ValueTask EndAsync(JsonElement? upstreamUsage, TokenUsage usage, decimal cost, GatewayError? failure, CancellationToken ct)
        => _encoder.EndAsync(usage, cost, failure, ct);
}

public sealed class GeminiCompletionSink(GenerationFacts facts) : ICompletionSink
{
    public void Write(Utf8JsonWriter json, JsonElement upstream, ChatResponse response, JsonElement? upstreamUsage, TokenUsage usage, decimal cost)
    {
        if (facts.Target.Provider.Dialect == WireDialect.Gemini) GeminiResponseEncoder.WriteRewritten(json, upstream, facts.GenerationId, facts.Target.Model.Id, cost);
        else GeminiResponseEncoder.Write(json, CallerSinks.Visible(response, facts), facts.GenerationId, facts.Target.Model.Id, usage, cost);
    }
}
