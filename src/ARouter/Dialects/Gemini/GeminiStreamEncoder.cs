using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Sse;

namespace ARouter.Dialects.Gemini;

/// <summary>
/// Turns canonical stream events into Gemini stream chunks, framed as SSE (<c>?alt=sse</c>) or as the
/// streamed JSON array Gemini sends without it. Text is sent as it arrives; function calls, which Gemini
/// sends whole, are sent once their arguments are complete; the last chunk carries the finish reason and
/// <c>usageMetadata</c> with the cost.
/// </summary>
public sealed class GeminiStreamEncoder(PipeWriter output, bool sse, string generationId, string model)
{
    private readonly Utf8JsonWriter _json = new(output, JsonWriting.Options);
    private readonly SortedDictionary<int, (string Id, string Name, ArrayBufferWriter<byte> Arguments, string? Signature)> _calls = [];
    private FinishReason? _finish;
    private bool _wroteFirst;

    public static string ContentTypeFor(bool sse) => sse ? "text/event-stream; charset=utf-8" : "application/json; charset=utf-8";

    public async ValueTask StartAsync(CancellationToken ct)
    {
        if (sse) return;
        output.Write("["u8);
        await FlushAsync(ct);
    }

    public ValueTask WriteAsync(StreamEvent streamEvent, CancellationToken ct)
    {
        switch (streamEvent.Kind)
        {
            case StreamEventKind.Text or StreamEventKind.Reasoning:
                var json = StartChunk();
                GeminiResponseEncoder.WriteChunkStart(json);
                GeminiResponseEncoder.WriteTextPart(json, streamEvent.Utf8.Span, thought: streamEvent.Kind == StreamEventKind.Reasoning);
                GeminiResponseEncoder.WriteChunkEnd(json, generationId, model, null, null);
                return SendChunkAsync(ct);
            case StreamEventKind.ToolCallStart:
                _calls[streamEvent.Index] = (streamEvent.Id!, streamEvent.Name!, new ArrayBufferWriter<byte>(), streamEvent.Signature);
                break;
            case StreamEventKind.ToolCallArguments when _calls.TryGetValue(streamEvent.Index, out var call):
                call.Arguments.Write(streamEvent.Utf8.Span);
                break;
            case StreamEventKind.Finish:
                _finish = streamEvent.Reason;
                break;
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>A chunk from Gemini itself, passed on with the gateway's id and model name.</summary>
    public ValueTask WriteRawAsync(JsonElement chunk, CancellationToken ct)
    {
        GeminiResponseEncoder.WriteRewritten(StartChunk(), chunk, generationId, model, null);
        return SendChunkAsync(ct);
    }

    /// <summary>Sends the completed function calls, then the closing chunk with usage and cost, or an error object.</summary>
    public async ValueTask EndAsync(TokenUsage usage, decimal cost, GatewayError? failure, CancellationToken ct)
    {
        await ChunkAsync(json => GeminiResponseEncoder.WriteChunk(json, generationId, model, parts =>
        {
            if (_calls.Count == 0) GeminiResponseEncoder.WriteTextPart(parts, "", thought: false);
            foreach (var call in _calls.Values) GeminiResponseEncoder.WriteFunctionCall(parts, new ToolCall(call.Id, call.Name, Encoding.UTF8.GetString(call.Arguments.WrittenSpan)) { Signature = call.Signature });
        }, GeminiResponseEncoder.FinishReasonOf(failure is null ? _finish : FinishReason.Error), (usage, cost)), ct);
        if (failure is not null) await ChunkAsync(json => GeminiErrorEncoder.Write(json, failure), ct);
        if (!sse)
        {
            output.Write("]"u8);
            await FlushAsync(ct);
        }
    }

    private ValueTask ChunkAsync(Action<Utf8JsonWriter> write, CancellationToken ct)
    {
        write(StartChunk());
        return SendChunkAsync(ct);
    }

    /// <summary>Frames the next chunk (<c>data: </c>, or the array's comma) and returns the writer for it.</summary>
    private Utf8JsonWriter StartChunk()
    {
        if (sse) output.Write("data: "u8);
        else if (_wroteFirst) output.Write(",\r\n"u8);
        _wroteFirst = true;
        _json.Reset(output);
        return _json;
    }

    private ValueTask SendChunkAsync(CancellationToken ct)
    {
        _json.Flush();
        if (sse) output.Write("\n\n"u8);
        return FlushAsync(ct);
    }

    private async ValueTask FlushAsync(CancellationToken ct)
    {
        var result = await output.FlushAsync(ct);
        if (result.IsCanceled || result.IsCompleted) throw new ClientGoneException();
    }
}
