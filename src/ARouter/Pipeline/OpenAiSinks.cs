using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;
using ARouter.Dialects.Sse;

namespace ARouter.Pipeline;

/// <summary>OpenAI caller, OpenAI-wire provider: each chunk passes through with the gateway's id and model; usage and cost close the stream.</summary>
public sealed class OpenAiStreamSink(SseWriter sse, GenerationFacts facts) : IStreamSink
{
    public ValueTask StartAsync(CancellationToken ct) => ValueTask.CompletedTask;

    public async ValueTask ChunkAsync(JsonElement chunk, bool hasUsage, CancellationToken ct)
    {
        // A usage-only chunk is held back: its numbers go out, with the cost, in the closing chunk.
        if (hasUsage && !HasChoices(chunk)) return;
        await sse.WriteJsonAsync(null, json => OpenAiResponseEncoder.WriteRewritten(json, chunk, facts.GenerationId, facts.Target.Model.Id, null, stripUsage: hasUsage), ct);
    }

    public async ValueTask EndAsync(JsonElement? upstreamUsage, TokenUsage usage, decimal cost, GatewayError? failure, CancellationToken ct)
    {
        await sse.WriteJsonAsync(null, json => OpenAiResponseEncoder.WriteUsageChunk(json, facts.GenerationId, facts.Target.Model.Id, facts.Created, upstreamUsage, usage, cost), ct);
        if (failure is null) await sse.WriteDoneAsync(ct);
        else await sse.WriteJsonAsync(null, json => ErrorResponder.WriteBody(json, CallerDialect.OpenAi, failure), ct);
    }

    private static bool HasChoices(JsonElement chunk)
        => chunk.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0;
}

public sealed class OpenAiCompletionSink(GenerationFacts facts) : ICompletionSink
{
    public ValueTask WriteAsync(Utf8JsonWriter json, JsonElement upstreamCompletion, JsonElement? upstreamUsage, TokenUsage usage, decimal cost)
    {
        OpenAiResponseEncoder.WriteRewritten(json, upstreamCompletion, facts.GenerationId, facts.Target.Model.Id, new OpenAiResponseEncoder.UsageWithCost(upstreamUsage, usage, cost));
        return ValueTask.CompletedTask;
    }
}
