using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

namespace ARouter.Dialects.Sse;

/// <summary>
/// The gateway's one SSE writer: frames each event straight onto the response's <see cref="PipeWriter"/> and flushes
/// it at once, so nothing is held back. A frame is <see cref="Start(ReadOnlySpan{byte})"/>, the JSON written into the
/// returned writer, then <see cref="SendAsync"/> — no delegate or buffer per event.
/// </summary>
public sealed class SseWriter(PipeWriter output)
{
    private readonly Utf8JsonWriter _json = new(output, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>Writes <c>[event: name\n]data: </c> and returns the writer for the event's JSON.</summary>
    public Utf8JsonWriter Start(ReadOnlySpan<byte> eventName)
    {
        if (!eventName.IsEmpty)
        {
            output.Write("event: "u8);
            output.Write(eventName);
            output.Write("\n"u8);
        }
        output.Write("data: "u8);
        _json.Reset(output);
        return _json;
    }

    /// <summary>Writes <c>data: </c> and returns the output for event JSON that is already bytes; end it with <see cref="SendAsync"/>.</summary>
    public IBufferWriter<byte> StartRaw()
    {
        output.Write("data: "u8);
        _json.Reset(output);
        return output;
    }

    public Utf8JsonWriter Start(string? eventName)
    {
        if (eventName is null) return Start(ReadOnlySpan<byte>.Empty);
        var name = output.GetSpan(Encoding.UTF8.GetMaxByteCount(eventName.Length) + 8);
        "event: "u8.CopyTo(name);
        var length = 7 + Encoding.UTF8.GetBytes(eventName, name[7..]);
        name[length++] = (byte)'\n';
        output.Advance(length);
        output.Write("data: "u8);
        _json.Reset(output);
        return _json;
    }

    /// <summary>Ends the frame begun with <c>Start</c> (<c>\n\n</c>) and flushes it.</summary>
    public ValueTask SendAsync(CancellationToken ct)
    {
        _json.Flush();
        output.Write("\n\n"u8);
        return FlushAsync(ct);
    }

    /// <summary>Writes <c>[event: name\n]data: {json}\n\n</c> and flushes: for the frames written once per stream.</summary>
    public ValueTask WriteJsonAsync(string? eventName, Action<Utf8JsonWriter> writeData, CancellationToken ct)
    {
        writeData(Start(eventName));
        return SendAsync(ct);
    }

    public ValueTask WriteDoneAsync(CancellationToken ct)
    {
        output.Write("data: [DONE]\n\n"u8);
        return FlushAsync(ct);
    }

    private ValueTask FlushAsync(CancellationToken ct) => FlushOrThrowIfGoneAsync(output, ct);

    /// <summary>Flushes <paramref name="output"/>; throws <see cref="ClientGoneException"/> when the caller has gone.</summary>
    internal static ValueTask FlushOrThrowIfGoneAsync(PipeWriter output, CancellationToken ct)
    {
        var flush = output.FlushAsync(ct);
        if (!flush.IsCompletedSuccessfully) return AwaitFlushAsync(flush);
        ThrowIfGone(flush.Result);
        return ValueTask.CompletedTask;
    }

    private static async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush) => ThrowIfGone(await flush);

    private static void ThrowIfGone(FlushResult result)
    {
        if (result.IsCanceled || result.IsCompleted) throw new ClientGoneException();
    }
}
