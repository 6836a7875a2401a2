using System.Text.Json;
using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dialects.Anthropic;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Sse;
using ARouter.Upstream.Wires;

namespace ARouter.Pipeline;

/// <summary>
/// Anthropic caller. From Anthropic itself events pass through as they came (id and model rewritten; the
/// closing <c>message_delta</c> and <c>message_stop</c> held until the cost is known); from any other provider
/// the canonical events are written as Anthropic's event sequence.
/// </summary>
public sealed class AnthropicStreamSink(SseWriter sse, GenerationFacts facts, PromptSize prompt) : IStreamSink
{
    private readonly AnthropicStreamEncoder _encoder = new(sse, facts.GenerationId, facts.Target.Model.Id);
    private readonly bool _sameDialect = facts.Target.Provider.Dialect == WireDialect.Anthropic;
    private string? _stopReason;

    public ValueTask StartAsync(CancellationToken ct) => _sameDialect ? ValueTask.CompletedTask : _encoder.StartAsync(prompt.Exact, ct);

    public async ValueTask EventAsync(SseEvent raw, StreamStep step, CancellationToken ct)
    {
        if (!_sameDialect)
        {
            for (var i = 0; i < step.Events.Count; i++)
            {
                var streamEvent = step.Events[i];
                if (!CallerSinks.Hidden(streamEvent, facts)) await _encoder.WriteAsync(streamEvent, ct);
            }
            return;
        }
        var data = step.Document;
        var type = AnthropicResponseDecoder.String(data, "type");
        switch (type)
        {
            case "message_start" when data.TryGetProperty("message", out var message):
                var json = sse.Start("message_start"u8);
                json.WriteStartObject();
                json.WriteString("type", "message_start");
                json.WritePropertyName("message");
                AnthropicResponseEncoder.WriteRewritten(json, message, facts.GenerationId, facts.Target.Model.Id, null);
                json.WriteEndObject();
                await sse.SendAsync(ct);
                break;
            case "message_delta":
                _stopReason = data.TryGetProperty("delta", out var delta) ? AnthropicResponseDecoder.String(delta, "stop_reason") : null;
                break;
            case "message_stop":
                break;
            default:
                data.WriteTo(sse.Start(raw.Name ?? type));
                await sse.SendAsync(ct);
                break;
        }
    }

    public async ValueTask EndAsync(JsonElement? upstreamUsage, TokenUsage usage, decimal cost, GatewayError? failure, CancellationToken ct)
    {
        if (!_sameDialect)
        {
            await _encoder.EndAsync(usage, cost, failure, ct);
            return;
        }
        await _encoder.WriteEndingAsync(_stopReason, usage, cost, failure, ct);
    }
}

public sealed class AnthropicCompletionSink(GenerationFacts facts) : ICompletionSink
{
    public void Write(Utf8JsonWriter json, JsonElement upstream, ChatResponse response, JsonElement? upstreamUsage, TokenUsage usage, decimal cost)
    {
        if (facts.Target.Provider.Dialect == WireDialect.Anthropic) AnthropicResponseEncoder.WriteRewritten(json, upstream, facts.GenerationId, facts.Target.Model.Id, cost);
        else AnthropicResponseEncoder.Write(json, CallerSinks.Visible(response, facts), facts.GenerationId, facts.Target.Model.Id, usage, cost);
    }
}
