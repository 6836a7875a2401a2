using System.Text.Json;
using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;
using ARouter.Dialects.Sse;
using ARouter.Upstream.Wires;

namespace ARouter.Pipeline;

/// <summary>
/// OpenAI caller. From an OpenAI-wire provider each chunk passes through with the gateway's id and model, rewritten
/// from its bytes straight into the response; from another dialect's provider chunks are written from the canonical
/// events. Usage and cost close the stream.
/// </summary>
public sealed class OpenAiStreamSink(SseWriter sse, GenerationFacts facts) : IStreamSink
{
    private readonly bool _sameDialect = facts.Target.Provider.Dialect == WireDialect.OpenAi;
    private bool _wroteFirst;
    private byte[]? _idAndModel;

    public ValueTask StartAsync(CancellationToken ct) => ValueTask.CompletedTask;

    public ValueTask EventAsync(SseEvent raw, StreamStep step, CancellationToken ct)
    {
        if (!_sameDialect) return WriteCanonicalAsync(step.Events, ct);
        // A usage-only chunk is held back: its numbers go out, with the cost, in the closing chunk.
        if (step.UsageOnly) return ValueTask.CompletedTask;
        if (step.Layout is { Spliceable: true } layout)
            layout.WriteRewritten(sse.StartRaw(), raw.Data.Span, _idAndModel ??= OpenAiResponseEncoder.IdAndModel(facts.GenerationId, facts.Target.Model.Id), stripUsage: step.CarriesUsage);
        else
            OpenAiResponseEncoder.WriteRewrittenChunk(sse.Start(ReadOnlySpan<byte>.Empty), raw.Data.Span, facts.GenerationId, facts.Target.Model.Id, stripUsage: step.CarriesUsage);
        return sse.SendAsync(ct);
    }

    private async ValueTask WriteCanonicalAsync(StreamEvents events, CancellationToken ct)
    {
        for (var i = 0; i < events.Count; i++)
        {
            var streamEvent = events[i];
            if (CallerSinks.Hidden(streamEvent, facts)) continue;
            var first = !_wroteFirst;
            _wroteFirst = true;
            OpenAiCanonicalResponseEncoder.WriteChunk(sse.Start(ReadOnlySpan<byte>.Empty), streamEvent, facts.GenerationId, facts.Target.Model.Id, facts.Created, first);
            await sse.SendAsync(ct);
        }
    }

    public async ValueTask EndAsync(JsonElement? upstreamUsage, TokenUsage usage, decimal cost, GatewayError? failure, CancellationToken ct)
    {
        var providerUsage = _sameDialect ? upstreamUsage : null;
        await sse.WriteJsonAsync(null, json => OpenAiResponseEncoder.WriteUsageChunk(json, facts.GenerationId, facts.Target.Model.Id, facts.Created, providerUsage, usage, cost), ct);
        if (failure is null) await sse.WriteDoneAsync(ct);
        else await sse.WriteJsonAsync(null, json => ErrorResponder.WriteBody(json, CallerDialect.OpenAi, failure), ct);
    }
}

public sealed class OpenAiCompletionSink(GenerationFacts facts) : ICompletionSink
{
    public void Write(Utf8JsonWriter json, JsonElement upstream, ChatResponse response, JsonElement? upstreamUsage, TokenUsage usage, decimal cost)
    {
        if (facts.Target.Provider.Dialect == WireDialect.OpenAi)
            OpenAiResponseEncoder.WriteRewritten(json, upstream, facts.GenerationId, facts.Target.Model.Id, new OpenAiResponseEncoder.UsageWithCost(upstreamUsage, usage, cost));
        else
            OpenAiCanonicalResponseEncoder.WriteCompletion(json, CallerSinks.Visible(response, facts), facts.GenerationId, facts.Target.Model.Id, facts.Created, usage, cost);
    }
}
