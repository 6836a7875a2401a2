using System.Buffers;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Sse;

namespace ARouter.Dialects.Anthropic;

/// <summary>
/// Turns canonical stream events into Anthropic's exact event sequence — <c>message_start</c>, then per
/// block <c>content_block_start</c> / <c>content_block_delta</c> (<c>text_delta</c>, <c>input_json_delta</c>,
/// <c>thinking_delta</c>) / <c>content_block_stop</c>, then <c>message_delta</c> (stop reason, usage, cost) and
/// <c>message_stop</c> — so the Anthropic SDKs' stream helpers assemble the final message. Anthropic streams one
/// block at a time, so when another dialect's provider streams several tool calls at once (OpenAI-wire argument
/// deltas interleaved by index), the first streams live and the others wait and follow, each as a whole block.
/// </summary>
public sealed class AnthropicStreamEncoder(SseWriter sse, string generationId, string model)
{
    private enum BlockKind { None, Text, Thinking, ToolUse }

    private readonly SortedDictionary<int, (string Id, string Name, ArrayBufferWriter<byte> Arguments)> _waiting = [];
    private int? _liveTool;
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
        switch (streamEvent.Kind)
        {
            case StreamEventKind.Text:
                if (_open != BlockKind.Text) await OpenAfterToolsAsync(BlockKind.Text, ct);
                await DeltaAsync(_nextBlock - 1, "text_delta"u8, "text"u8, streamEvent.Utf8.Span, ct);
                break;
            case StreamEventKind.Reasoning:
                if (_open != BlockKind.Thinking) await OpenAfterToolsAsync(BlockKind.Thinking, ct);
                await DeltaAsync(_nextBlock - 1, "thinking_delta"u8, "thinking"u8, streamEvent.Utf8.Span, ct);
                break;
            case StreamEventKind.ReasoningSignature:
                if (_open != BlockKind.Thinking) await OpenAfterToolsAsync(BlockKind.Thinking, ct);
                await DeltaAsync(_nextBlock - 1, "signature_delta"u8, "signature"u8, streamEvent.Utf8.Span, ct);
                break;
            case StreamEventKind.ToolCallStart when _open == BlockKind.ToolUse:
                // Anthropic streams one block at a time; a call that starts while another is open waits its turn.
                _waiting[streamEvent.Index] = (streamEvent.Id!, streamEvent.Name!, new ArrayBufferWriter<byte>());
                break;
            case StreamEventKind.ToolCallStart:
                await OpenAsync(BlockKind.ToolUse, streamEvent.Id, streamEvent.Name, ct);
                _liveTool = streamEvent.Index;
                break;
            case StreamEventKind.ToolCallArguments when _open == BlockKind.ToolUse && streamEvent.Index == _liveTool:
                await DeltaAsync(_nextBlock - 1, "input_json_delta"u8, "partial_json"u8, streamEvent.Utf8.Span, ct);
                break;
            case StreamEventKind.ToolCallArguments when _waiting.TryGetValue(streamEvent.Index, out var waiting):
                waiting.Arguments.Write(streamEvent.Utf8.Span);
                break;
            case StreamEventKind.Finish:
                _finish = streamEvent.Reason;
                break;
        }
    }

    private async ValueTask OpenAfterToolsAsync(BlockKind kind, CancellationToken ct)
    {
        await FlushToolsAsync(ct);
        await OpenAsync(kind, null, null, ct);
    }

    /// <summary>Closes the open block, then writes each waiting tool call as a whole block (its arguments in one delta).</summary>
    private async ValueTask FlushToolsAsync(CancellationToken ct)
    {
        await CloseAsync(ct);
        foreach (var (_, call) in _waiting)
        {
            await OpenAsync(BlockKind.ToolUse, call.Id, call.Name, ct);
            if (call.Arguments.WrittenCount > 0) await DeltaAsync(_nextBlock - 1, "input_json_delta"u8, "partial_json"u8, call.Arguments.WrittenSpan, ct);
            await CloseAsync(ct);
        }
        _waiting.Clear();
        _liveTool = null;
    }

    /// <summary>Closes the open block, then sends usage and cost in <c>message_delta</c> and ends with <c>message_stop</c>, or with an <c>error</c> event.</summary>
    public async ValueTask EndAsync(TokenUsage usage, decimal cost, GatewayError? failure, CancellationToken ct)
    {
        await FlushToolsAsync(ct);
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
        var json = sse.Start("content_block_start"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "content_block_start"u8);
        json.WriteNumber("index"u8, index);
        json.WriteStartObject("content_block"u8);
        switch (kind)
        {
            case BlockKind.Text:
                json.WriteString("type"u8, "text"u8);
                json.WriteString("text"u8, ""u8);
                break;
            case BlockKind.Thinking:
                json.WriteString("type"u8, "thinking"u8);
                json.WriteString("thinking"u8, ""u8);
                json.WriteString("signature"u8, ""u8);
                break;
            default:
                json.WriteString("type"u8, "tool_use"u8);
                json.WriteString("id"u8, toolId);
                json.WriteString("name"u8, toolName);
                json.WriteStartObject("input"u8);
                json.WriteEndObject();
                break;
        }
        json.WriteEndObject();
        json.WriteEndObject();
        await sse.SendAsync(ct);
    }

    private ValueTask CloseAsync(CancellationToken ct)
    {
        if (_open == BlockKind.None) return ValueTask.CompletedTask;
        var index = _nextBlock - 1;
        _open = BlockKind.None;
        var json = sse.Start("content_block_stop"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "content_block_stop"u8);
        json.WriteNumber("index"u8, index);
        json.WriteEndObject();
        return sse.SendAsync(ct);
    }

    private ValueTask DeltaAsync(int index, ReadOnlySpan<byte> deltaType, ReadOnlySpan<byte> field, ReadOnlySpan<byte> value, CancellationToken ct)
    {
        var json = sse.Start("content_block_delta"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "content_block_delta"u8);
        json.WriteNumber("index"u8, index);
        json.WriteStartObject("delta"u8);
        json.WriteString("type"u8, deltaType);
        json.WriteString(field, value);
        json.WriteEndObject();
        json.WriteEndObject();
        return sse.SendAsync(ct);
    }
}
