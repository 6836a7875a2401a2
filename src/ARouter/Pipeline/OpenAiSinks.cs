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
/// OpenAI caller. From an OpenAI-wire provider each chunk passes through with the gateway's id and model;
/// from another dialect's provider chunks are written from the canonical events. Usage and cost close the stream.
/// </summary>
public sealed class OpenAiStreamSink(SseWriter sse, GenerationFacts facts) : IStreamSink
{
    private readonly bool _sameDialect = facts.Target.Provider.Dialect == WireDialect.OpenAi;
    private bool _wroteFirst;

    public ValueTask StartAsync(CancellationToken ct) => ValueTask.CompletedTask;

    public async ValueTask EventAsync(SseEvent raw, JsonElement data, StreamStep step, CancellationToken ct)
    {
        var model = facts.Target.Model.Id;
        if (_sameDialect)
        {
            // A usage-only chunk is held back: its numbers go out, with the cost, in the closing chunk.
            if (step.CarriesUsage && !HasChoices(data)) return;
            await sse.WriteJsonAsync(null, json => OpenAiResponseEncoder.WriteRewritten(json, data, facts.GenerationId, model, null, stripUsage: step.CarriesUsage), ct);
            return;
        }
        foreach (var streamEvent in CallerSinks.Visible(step, facts))
        {
            var first = !_wroteFirst;
            _wroteFirst = true;
            await sse.WriteJsonAsync(null, json => OpenAiCanonicalResponseEncoder.WriteChunk(json, streamEvent, facts.GenerationId, model, facts.Created, first), ct);
        }
    }

    public async ValueTask EndAsync(JsonElement? upstreamUsage, TokenUsage usage, decimal cost, GatewayError? failure, CancellationToken ct)
    {
        var providerUsage = _sameDialect ? upstreamUsage : null;
        await sse.WriteJsonAsync(null, json => OpenAiResponseEncoder.WriteUsageChunk(json, facts.GenerationId, facts.Target.Model.Id, facts.Created, providerUsage, usage, cost), ct);
        if (failure is null) await sse.WriteDoneAsync(ct);
        else await sse.WriteJsonAsync(null, json => ErrorResponder.WriteBody(json, CallerDialect.OpenAi, failure), ct);
    }

    private static bool HasChoices(JsonElement chunk)
        => chunk.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0;
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
