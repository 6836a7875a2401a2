using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Sse;

namespace ARouter.Dialects.Anthropic;

/// <summary>
/// Turns canonical stream events into Anthropic's exact event sequence — <c>message_start</c>, then per
/// block <c>content_block_start</c> / <c>content_block_delta</c> (<c>text_delta</c>, <c>input_json_delta</c>,
/// <c>thinking_delta</c>) / <c>content_block_stop</c>, then <c>message_delta</c> (stop reason, usage, cost) and
/// <c>message_stop</c> — so the Anthropic SDKs' stream helpers assemble the final message.
/// </summary>
public sealed class AnthropicStreamEncoder(SseWriter sse, string generationId, string model)
{
    private enum BlockKind { None, Text, Thinking, ToolUse }

    private readonly Dictionary<int, int> _toolBlocks = [];
    private BlockKind _open = BlockKind.None;
    private int _nextBlock;
    private FinishReason? _finish;

    public async ValueTask StartAsync(int estimatedInputTokens, CancellationToken ct)
    {
        await sse.WriteJsonAsync("message_start", json =>
        {
            json.WriteStartObject();
            json.WriteString("type", "message_start");
            json.WriteStartObject("message");
            json.WriteString("id", generationId);
            json.WriteString("type", "message");
            json.WriteString("role", "assistant");
            json.WriteString("model", model);
            json.WriteStartArray("content");
            json.WriteEndArray();
            json.WriteNull("stop_reason");
            json.WriteNull("stop_sequence");
            // The provider's own count arrives at the end, in message_delta; this is the gateway's estimate.
            AnthropicResponseEncoder.WriteUsage(json, new TokenUsage(estimatedInputTokens, 0), null);
            json.WriteEndObject();
            json.WriteEndObject();
        }, ct);
    }

    public async ValueTask WriteAsync(StreamEvent streamEvent, CancellationToken ct)
    {
        switch (streamEvent)
        {
            case TextDelta text:
                if (_open != BlockKind.Text) await OpenAsync(BlockKind.Text, null, null, ct);
                await DeltaAsync(_nextBlock - 1, "text_delta", "text", text.Text, ct);
                break;
            case ReasoningDelta thinking:
                if (_open != BlockKind.Thinking) await OpenAsync(BlockKind.Thinking, null, null, ct);
                await DeltaAsync(_nextBlock - 1, "thinking_delta", "thinking", thinking.Text, ct);
                break;
            case ToolCallStart start:
                await OpenAsync(BlockKind.ToolUse, start.Id, start.Name, ct);
                _toolBlocks[start.Index] = _nextBlock - 1;
                break;
            case ToolCallArgumentsDelta arguments when _toolBlocks.TryGetValue(arguments.Index, out var block):
                await DeltaAsync(block, "input_json_delta", "partial_json", arguments.Json, ct);
                break;
            case FinishEvent finish:
                _finish = finish.Reason;
                break;
        }
    }

    /// <summary>Closes the open block, then sends usage and cost in <c>message_delta</c> and ends with <c>message_stop</c>, or with an <c>error</c> event.</summary>
    public async ValueTask EndAsync(TokenUsage usage, decimal cost, GatewayError? failure, CancellationToken ct)
    {
        await CloseAsync(ct);
        await WriteEndingAsync(AnthropicResponseEncoder.StopReason(_finish), usage, cost, failure, ct);
    }

    /// <summary>
    /// The end of every Anthropic stream the gateway sends: <c>message_delta</c> with the stop reason, usage and cost,
    /// then <c>message_stop</c> — or an <c>error</c> event, with no stop reason, when the stream failed.
    /// </summary>
    public async ValueTask WriteEndingAsync(string? stopReason, TokenUsage usage, decimal cost, GatewayError? failure, CancellationToken ct)
    {
        await sse.WriteJsonAsync("message_delta", json =>
        {
            json.WriteStartObject();
            json.WriteString("type", "message_delta");
            json.WriteStartObject("delta");
            if (failure is null && stopReason is not null) json.WriteString("stop_reason", stopReason); else json.WriteNull("stop_reason");
            json.WriteNull("stop_sequence");
            json.WriteEndObject();
            AnthropicResponseEncoder.WriteUsage(json, usage, cost);
            json.WriteEndObject();
        }, ct);
        if (failure is not null)
        {
            await sse.WriteJsonAsync("error", json => AnthropicErrorEncoder.Write(json, failure), ct);
            return;
        }
        await sse.WriteJsonAsync("message_stop", json =>
        {
            json.WriteStartObject();
            json.WriteString("type", "message_stop");
            json.WriteEndObject();
        }, ct);
    }

    private async ValueTask OpenAsync(BlockKind kind, string? toolId, string? toolName, CancellationToken ct)
    {
        await CloseAsync(ct);
        var index = _nextBlock++;
        _open = kind;
        await sse.WriteJsonAsync("content_block_start", json =>
        {
            json.WriteStartObject();
            json.WriteString("type", "content_block_start");
            json.WriteNumber("index", index);
            json.WriteStartObject("content_block");
            switch (kind)
            {
                case BlockKind.Text:
                    json.WriteString("type", "text");
                    json.WriteString("text", "");
                    break;
                case BlockKind.Thinking:
                    json.WriteString("type", "thinking");
                    json.WriteString("thinking", "");
                    json.WriteString("signature", "");
                    break;
                default:
                    json.WriteString("type", "tool_use");
                    json.WriteString("id", toolId);
                    json.WriteString("name", toolName);
                    json.WriteStartObject("input");
                    json.WriteEndObject();
                    break;
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }, ct);
    }

    private async ValueTask CloseAsync(CancellationToken ct)
    {
        if (_open == BlockKind.None) return;
        var index = _nextBlock - 1;
        _open = BlockKind.None;
        await sse.WriteJsonAsync("content_block_stop", json =>
        {
            json.WriteStartObject();
            json.WriteString("type", "content_block_stop");
            json.WriteNumber("index", index);
            json.WriteEndObject();
        }, ct);
    }

    private ValueTask DeltaAsync(int index, string deltaType, string field, string value, CancellationToken ct)
        => sse.WriteJsonAsync("content_block_delta", json =>
        {
            json.WriteStartObject();
            json.WriteString("type", "content_block_delta");
            json.WriteNumber("index", index);
            json.WriteStartObject("delta");
            json.WriteString("type", deltaType);
            json.WriteString(field, value);
            json.WriteEndObject();
            json.WriteEndObject();
        }, ct);
}
